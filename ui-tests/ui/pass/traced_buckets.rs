// `#[traced(metrics, buckets = …)]` times the function in its own buckets,
// which the span descriptor and the RED metrics carry.
#[obs_runtime::traced(metrics, buckets = [0.5, 1.0, 2.0], objective(latency(1.0) = 0.9))]
fn slow() {}

#[obs_runtime::traced(metrics)]
fn default_buckets() {}

fn main() {
    slow();
    default_buckets();
    let span = obs_runtime::span_descriptors().iter().find(|s| s.name == "slow").unwrap();
    assert_eq!(span.buckets, [0.5, 1.0, 2.0]);
    let red = obs_runtime::function_metrics("slow").unwrap();
    assert_eq!(red.buckets(), [0.5, 1.0, 2.0]);
    assert_eq!(red.duration().cumulative_counts, [1, 1, 1, 1]);
    let red = obs_runtime::function_metrics("default_buckets").unwrap();
    assert_eq!(red.buckets(), obs_runtime::DURATION_BUCKETS);
}
