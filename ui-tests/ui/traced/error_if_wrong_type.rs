use obs_runtime::traced;

struct Response {
    status: u16,
}

// The predicate takes the returned value by reference: the type error is
// reported at the closure.
#[traced(level = "info", name = "users.get", error_if = |status: &u16| *status >= 500)]
fn get(id: u32) -> Response {
    Response { status: 200 + id as u16 }
}

// And it returns `bool`.
#[traced(level = "info", name = "users.put", err(if = |e: &String| e.len()))]
fn put(id: u32) -> Result<(), String> {
    Err(format!("no user {id}"))
}

fn main() {}
