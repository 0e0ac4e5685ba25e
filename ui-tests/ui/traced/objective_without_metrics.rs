// Objectives are measured on the RED metrics, which need `metrics`.
#[obs_runtime::traced(objective(success = 0.999))]
fn unmeasured() {}

fn main() {}
