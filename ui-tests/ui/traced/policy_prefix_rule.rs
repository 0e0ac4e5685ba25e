use obs_runtime::traced;

// ui-tests/obs.toml: "runtime.dispatch.*" = "trace"
#[traced(level = "debug", name = "runtime.dispatch.tick")]
fn tick(queue: &mut Vec<u32>) -> Option<u32> {
    queue.pop()
}

// ui-tests/obs.toml: "runtime.*" = ["debug", "trace"]
#[traced(level = "warn", name = "runtime.actor.spawn")]
fn spawn() {}

fn main() {}
