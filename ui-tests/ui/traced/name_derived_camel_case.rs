use obs_runtime::traced;

// The span name defaults to the function name, and is checked the same way.
#[allow(non_snake_case)]
#[traced(level = "info")]
fn ParseSpec(input: &str) -> usize {
    input.len()
}

fn main() {}
