use obs_runtime::traced;

// A secret passed on unchanged by a method is still the secret; its length is not.
#[traced(level = "info", name = "llm.complete", fields(key = api_key.clone(), auth = ?*auth_header, key_len = api_key.len()))]
fn complete(api_key: String, auth_header: &str) -> usize {
    api_key.len() + auth_header.len()
}

fn main() {}
