// A latency threshold must be one of the RED duration buckets, or the share
// under it cannot be read from the histogram.
#[obs_runtime::traced(metrics, objective(latency(0.3) = 0.99))]
fn between_bounds() {}

#[obs_runtime::traced(metrics, objective(latency(60) = 0.99))]
fn above_every_bound() {}

fn main() {}
