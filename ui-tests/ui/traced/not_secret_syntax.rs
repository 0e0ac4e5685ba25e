use obs_runtime::traced;

#[traced(level = "info", name = "auth.policy", fields(not_secret(a, b) = 1))]
fn policy(password_policy: &str) -> usize {
    password_policy.len()
}

fn main() {}
