use obs_runtime::traced;

// A constant that is not in `semconv::attribute`: the closest is suggested.
#[traced(level = "info", name = "http.server.request", fields(semconv::attribute::HTTP_ROUT = "/users"))]
fn list_users() {}

// A path that does not name a `semconv::attribute` constant.
#[traced(level = "info", name = "http.server.respond", fields(http::ROUTE = "/users"))]
fn respond() {}

fn main() {}
