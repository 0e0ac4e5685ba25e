// `buckets` set the RED duration histogram's bounds: they need `metrics`,
// follow the histogram rules, and hold the latency objective's threshold.
#[obs_runtime::traced(buckets = [0.1, 1.0])]
fn without_metrics() {}

#[obs_runtime::traced(metrics, buckets = [1.0, 0.5])]
fn unsorted() {}

#[obs_runtime::traced(metrics, buckets = "fast")]
fn not_a_list() {}

#[obs_runtime::traced(metrics, buckets = exponential(0.001, 2.0, 8), objective(latency(0.25) = 0.99))]
fn threshold_not_a_bound() {}

fn main() {}
