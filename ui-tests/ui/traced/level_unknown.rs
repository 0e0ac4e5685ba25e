use obs_runtime::traced;

#[traced(level = "verbose", name = "spec.parse")]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
