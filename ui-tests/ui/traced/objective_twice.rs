// One target per objective.
#[obs_runtime::traced(metrics, objective(success = 0.999, latency(0.25) = 0.99, success = 0.99))]
fn twice() {}

fn main() {}
