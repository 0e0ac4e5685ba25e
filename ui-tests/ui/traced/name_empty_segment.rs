use obs_runtime::traced;

#[traced(level = "info", name = "a..b")]
fn step() {}

fn main() {}
