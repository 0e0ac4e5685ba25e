use obs_runtime::traced;

// A secret inside a macro: captured by the format string, passed as a
// format argument, or as a named one.
#[traced(
    level = "info",
    name = "http.send",
    fields(
        header = format!("Bearer {token}"),
        positional = format!("{}:{}", user, password),
        named = format!("{k}", k = api_key),
    )
)]
fn send(token: &str, user: &str, password: &str, api_key: &str) -> usize {
    token.len() + user.len() + password.len() + api_key.len()
}

fn main() {}
