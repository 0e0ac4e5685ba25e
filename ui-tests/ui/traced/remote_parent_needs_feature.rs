use obs_runtime::traced;

// The `opentelemetry` feature is off in this crate: there is no remote
// context to take a parent from.
#[traced(level = "debug", name = "queue.consume", remote_parent = ctx)]
fn consume(ctx: &str) {}

fn main() {}
