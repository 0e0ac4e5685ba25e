// Each objective names its kind and its target.
#[obs_runtime::traced(metrics, objective(availability = 0.999))]
fn unknown_kind() {}

#[obs_runtime::traced(metrics, objective(latency = 0.99))]
fn latency_without_threshold() {}

#[obs_runtime::traced(metrics, objective(success))]
fn without_target() {}

#[obs_runtime::traced(metrics, objective = 0.999)]
fn not_a_list() {}

#[obs_runtime::traced(metrics, objective(success = "high"))]
fn not_a_number() {}

fn main() {}
