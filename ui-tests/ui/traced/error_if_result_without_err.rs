use obs_runtime::traced;

struct Response {
    status: u16,
}

// `error_if` judges the `Ok` value; an `Err` needs `err` to mark the span.
#[traced(level = "info", name = "users.get", error_if = |r: &Response| r.status >= 500)]
fn get(id: u32) -> Result<Response, String> {
    if id == 0 {
        return Err("no id".to_owned());
    }
    Ok(Response { status: 200 })
}

fn main() {}
