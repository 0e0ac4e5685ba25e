use obs_runtime::traced;

// `#[traced]` records these itself.
#[traced(level = "debug", name = "spec.parse", ret, fields(ret = input.len(), otel.kind = "server"))]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
