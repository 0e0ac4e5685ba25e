use obs_runtime::{traced, Secret};

// A `Secret` records `[redacted]`; taking its value out records the value.
#[traced(
    level = "info",
    name = "llm.complete",
    fields(a = %key.expose_secret(), b = %key.clone().into_inner())
)]
fn complete(key: Secret<String>) -> usize {
    key.expose_secret().len()
}

fn main() {}
