use obs_runtime::traced;

// Credentials by their common short names.
#[traced(
    level = "info",
    name = "auth.words",
    fields(jwt, bearer, pwd, pass, otp, pin, session_id, refresh_tokens)
)]
fn words(
    jwt: &str,
    bearer: &str,
    pwd: &str,
    pass: &str,
    otp: u32,
    pin: u32,
    session_id: &str,
    refresh_tokens: &[String],
) -> usize {
    jwt.len() + bearer.len() + pwd.len() + pass.len() + session_id.len() + refresh_tokens.len()
        + (otp + pin) as usize
}

fn main() {}
