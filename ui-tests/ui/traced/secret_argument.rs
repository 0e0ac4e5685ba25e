use obs_runtime::traced;

#[traced(level = "info", name = "auth.login", fields(user, password))]
fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && !password.is_empty()
}

fn main() {}
