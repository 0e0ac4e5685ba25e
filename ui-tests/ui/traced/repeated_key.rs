use obs_runtime::traced;

#[traced(
    level = "debug",
    name = "spec.parse",
    level = "info",
    fields(input),
    fields(input)
)]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
