use obs_runtime::traced;

// In an `async fn` too, a type error in the body is reported at the body's
// expression.
#[traced(level = "info", name = "spec.fetch", err, metrics)]
async fn fetch(input: &str) -> Result<usize, String> {
    if input.is_empty() {
        return Err(0);
    }
    Ok(input)
}

#[traced(level = "info", name = "spec.count")]
async fn count(input: &str) -> usize {
    input
}

fn main() {}
