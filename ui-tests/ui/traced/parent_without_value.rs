use obs_runtime::traced;

#[traced(level = "info", name = "spec.parse", parent)]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
