use obs_runtime::traced;

#[traced(level = "info", name = "spec.a", ret(Display, Debug))]
fn a(input: &str) -> String {
    input.to_owned()
}

#[traced(level = "info", name = "spec.b", ret(type_only))]
fn b(input: &str) -> String {
    input.to_owned()
}

#[traced(level = "info", name = "spec.c", err(not_secret), ret(not_secret, not_secret))]
fn c(input: &str) -> Result<String, String> {
    Ok(input.to_owned())
}

fn main() {}
