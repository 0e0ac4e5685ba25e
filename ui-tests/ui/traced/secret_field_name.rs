use obs_runtime::traced;

#[traced(level = "info", name = "auth.login", fields(token = user.len()))]
fn login(user: &str) -> bool {
    !user.is_empty()
}

fn main() {}
