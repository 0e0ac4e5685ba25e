use obs_runtime::traced;

// Every mistake of one attribute is reported in one build.
#[traced(
    level = "verbose",
    name = "Auth Login",
    kind = "rpc",
    colour = "blue",
    err,
    ret,
    fields(user, password, session, user = user.len()),
    redact(token)
)]
fn login(user: &str, password: &str) {
    let _ = (user, password);
}

fn main() {}
