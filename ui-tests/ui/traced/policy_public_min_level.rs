use obs_runtime::traced;

// ui-tests/obs.toml: public_min_level = "info"
#[traced(level = "debug", name = "api.handle")]
pub fn handle(request: &str) -> usize {
    request.len()
}

// Omitted, the level is the policy's `default_level` ("debug"), below it too.
#[traced(name = "api.health")]
pub fn health() -> bool {
    true
}

fn main() {}
