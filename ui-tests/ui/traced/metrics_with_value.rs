use obs_runtime::traced;

#[traced(level = "info", name = "spec.parse", metrics = true)]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
