use obs_runtime::traced;

pub struct Creds {
    pub user: String,
    pub password: String,
}

// A field of an argument, or of `self`, that is named like a secret.
#[traced(level = "info", name = "auth.login", fields(user = %creds.password))]
fn login(creds: &Creds) -> bool {
    !creds.user.is_empty()
}

pub struct Client {
    api_key: String,
}

impl Client {
    #[traced(level = "info", name = "llm.complete", fields(key = %self.api_key))]
    fn complete(&self) -> usize {
        self.api_key.len()
    }
}

fn main() {}
