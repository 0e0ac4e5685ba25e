use obs_runtime::traced;

// `skip` is `#[instrument]`'s: `#[traced]` records nothing unless asked.
#[traced(level = "info", name = "auth.login", skip(password))]
fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && !password.is_empty()
}

#[traced(level = "info", name = "auth.logout", skip_all)]
fn logout(user: &str) -> bool {
    !user.is_empty()
}

fn main() {}
