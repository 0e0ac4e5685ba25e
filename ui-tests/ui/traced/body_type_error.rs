use obs_runtime::traced;

// A type error in the body is reported at the body's expression, as without
// the attribute.
#[traced(level = "info", name = "spec.parse", err)]
fn parse(input: &str) -> Result<usize, String> {
    if input.is_empty() {
        return Err(0);
    }
    Ok(input)
}

fn main() {}
