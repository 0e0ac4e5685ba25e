use obs_runtime::traced;

#[traced(level = "info", name = "spec.parse", err)]
fn parse(input: &str) -> Option<usize> {
    input.find(':')
}

fn main() {}
