use obs_runtime::traced;

// The user's body keeps its lints: the unused variable is reported where it
// is declared, not at the attribute.
#[deny(unused_variables)]
#[traced(level = "info", name = "spec.parse", err, metrics)]
fn parse(input: &str) -> Result<usize, String> {
    let position = input.find(':');
    Ok(input.len())
}

#[deny(unused_variables)]
#[traced(level = "info", name = "spec.check")]
async fn check(input: &str) -> bool {
    let trimmed = input.trim();
    input.is_empty()
}

fn main() {}
