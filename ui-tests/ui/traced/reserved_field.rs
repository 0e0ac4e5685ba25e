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

// The status is `err`'s and `error_if`'s, so that the span and the RED
// metrics agree; the exported name is `otel_name`'s.
#[traced(level = "debug", name = "spec.serve", fields(otel.status_code = "error", semconv::attribute::OTEL_NAME = "GET /"))]
fn serve() -> u16 {
    500
}

fn main() {}
