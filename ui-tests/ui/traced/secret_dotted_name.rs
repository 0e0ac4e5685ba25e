use obs_runtime::traced;

// Dotted and string-literal field names are split into words like any other.
#[traced(
    level = "info",
    name = "http.request",
    fields(
        db.password = %pw,
        "http.request.header.authorization" = %h,
        "x-api-key" = %k,
    )
)]
fn request(pw: &str, h: &str, k: &str) -> usize {
    pw.len() + h.len() + k.len()
}

fn main() {}
