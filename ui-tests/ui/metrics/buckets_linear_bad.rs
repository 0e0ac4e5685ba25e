use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct LatencyMetrics {
    /// A width of zero repeats the same bound.
    #[metric(buckets = linear(0.1, 0.0, 10))]
    latency_seconds: Histogram,
    /// A negative width makes the bounds decrease.
    #[metric(buckets = linear(1.0, -0.1, 10))]
    queue_seconds: Histogram,
    /// No buckets at all.
    #[metric(buckets = linear(0.1, 0.1, 0))]
    lowering_seconds: Histogram,
}

fn main() {}
