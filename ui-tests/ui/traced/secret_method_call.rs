use obs_runtime::traced;

// A secret through any method or function is still a secret.
#[traced(
    level = "info",
    name = "auth.login",
    fields(p = %password.trim(), s = %String::from(client_secret))
)]
fn login(password: &str, client_secret: &str) -> bool {
    !password.is_empty() && !client_secret.is_empty()
}

fn main() {}
