use obs_runtime::traced;

#[traced(level = "info", name = "spec.Parse")]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
