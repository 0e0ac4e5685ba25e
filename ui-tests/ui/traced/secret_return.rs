use obs_runtime::traced;

#[derive(Debug)]
pub struct AccessToken(String);

// `ret` records the return value, which is the secret when the function or
// the type it returns is named like one.
#[traced(level = "info", name = "auth.issue", ret)]
fn issue_token(user: &str) -> String {
    user.to_owned()
}

#[traced(level = "info", name = "config.load", ret(Display))]
fn load_api_key(path: &str) -> String {
    path.to_owned()
}

#[traced(level = "info", name = "auth.grant", ret)]
fn grant(user: &str) -> Result<AccessToken, String> {
    Ok(AccessToken(user.to_owned()))
}

fn main() {}
