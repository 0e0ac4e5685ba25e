use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct LatencyMetrics {
    /// Request latency.
    #[metric(buckets = [])]
    latency_seconds: Histogram,
}

fn main() {}
