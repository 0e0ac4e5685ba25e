use obs_runtime::traced;

#[traced(
    level = "info",
    name = "auth.login",
    fields(user),
    redact(password, user)
)]
fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && !password.is_empty()
}

fn main() {}
