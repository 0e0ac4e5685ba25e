use obs_runtime::traced;

// A syntax error in the body is rustc's to report, at the mistake.
#[traced(level = "info", name = "spec.parse")]
fn parse(input: &str) -> usize {
    let length = input.len() +;
    length
}

fn main() {}
