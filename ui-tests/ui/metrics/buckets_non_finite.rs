use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct LatencyMetrics {
    /// The `+Inf` bucket is implicit.
    #[metric(buckets = [0.1, 1.0, f64::INFINITY])]
    latency_seconds: Histogram,
    /// A literal too large for `f64` is infinite.
    #[metric(buckets = [1.0, 1e400])]
    payload_bytes: Histogram,
    /// Not a number.
    #[metric(buckets = [f64::NAN, 1.0])]
    queue_seconds: Histogram,
}

fn main() {}
