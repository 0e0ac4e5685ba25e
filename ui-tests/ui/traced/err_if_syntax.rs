use obs_runtime::traced;

// One predicate.
#[traced(level = "info", name = "users.get", err(if = |e: &String| e.is_empty(), if = |_: &String| true))]
fn get(id: u32) -> Result<(), String> {
    Err(format!("no user {id}"))
}

// Only on `Result`, as `err` itself.
#[traced(level = "info", name = "users.count", err(if = |_: &u32| true))]
fn count() -> u32 {
    0
}

fn main() {}
