use obs_runtime::traced;

// `#[traced]` records these itself.
#[traced(level = "debug", name = "spec.parse", ret, fields(ret = input.len(), otel.kind = "server"))]
fn parse(input: &str) -> usize {
    input.len()
}


// With `err`, the error status and its description are recorded too.
#[traced(level = "debug", name = "spec.check", err, fields(otel.status_description = "fine"))]
fn check(input: &str) -> Result<(), String> {
    input.is_empty().then_some(()).ok_or_else(|| input.to_owned())
}

fn main() {}
