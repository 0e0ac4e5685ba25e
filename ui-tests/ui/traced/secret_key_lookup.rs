use obs_runtime::traced;
use std::collections::HashMap;

// A string key that names a secret reads the secret.
#[traced(level = "info", name = "http.receive", fields(h = ?headers.get("authorization")))]
fn receive(headers: &HashMap<String, String>) -> usize {
    headers.len()
}

fn main() {}
