use obs_runtime::traced;

// A fixed name is `name`, which is checked; `otel_name` is computed.
#[traced(level = "info", name = "http.server.request", otel_name = "GET /users")]
fn list_users() {}

fn main() {}
