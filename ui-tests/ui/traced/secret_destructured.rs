use obs_runtime::traced;

pub struct Creds {
    pub user: String,
    pub password: String,
}

// The bindings of a parameter pattern are arguments, checked like any other.
#[traced(level = "info", name = "auth.login", fields(user, p = %password))]
fn login(Creds { user, password }: Creds) -> bool {
    !user.is_empty() && !password.is_empty()
}

#[traced(level = "info", name = "auth.check", fields(password))]
fn check((_user, password): (String, String)) -> bool {
    !password.is_empty()
}

fn main() {}
