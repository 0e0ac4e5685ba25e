use obs_runtime::traced;

// ui-tests/obs.toml: default_level = "debug", and "runtime.dispatch.*" = "trace"
#[traced(name = "runtime.dispatch.poll")]
fn poll(queue: &mut Vec<u32>) -> Option<u32> {
    queue.pop()
}

fn main() {}
