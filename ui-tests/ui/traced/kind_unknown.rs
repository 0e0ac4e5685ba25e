use obs_runtime::traced;

#[traced(level = "info", name = "rpc.call", kind = "rpc")]
fn call() {}

fn main() {}
