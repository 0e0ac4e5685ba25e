use obs_runtime::traced;

#[traced(level = "INFO", name = "spec.parse")]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
