use obs_runtime::traced;

#[traced(level = "debug", name = "queue.consume", parent = None, remote_parent = ctx)]
fn consume(ctx: &u32) {}

fn main() {}
