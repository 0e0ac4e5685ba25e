use obs_runtime::traced;

#[traced(level = 5, name = "spec.parse")]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
