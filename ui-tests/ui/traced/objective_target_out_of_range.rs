// Objective targets are shares strictly between 0 and 1.
#[obs_runtime::traced(metrics, objective(success = 99.9))]
fn percent() {}

#[obs_runtime::traced(metrics, objective(success = 1.0, latency(0.25) = 0))]
fn no_budget() {}

fn main() {}
