use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct LatencyMetrics {
    /// A factor of 1 repeats the same bound.
    #[metric(buckets = exponential(0.001, 1.0, 16))]
    latency_seconds: Histogram,
    /// Zero times anything is zero.
    #[metric(buckets = exponential(0.0, 2.0, 16))]
    queue_seconds: Histogram,
    /// No buckets at all.
    #[metric(buckets = exponential(0.001, 2.0, 0))]
    lowering_seconds: Histogram,
    /// A shrinking factor.
    #[metric(buckets = exponential(1.0, 0.5, 4))]
    compile_seconds: Histogram,
    /// A negative start.
    #[metric(buckets = exponential(-1.0, 2.0, 4))]
    verify_seconds: Histogram,
}

fn main() {}
