use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct LatencyMetrics {
    /// Request latency.
    #[metric(buckets = [0.1, 0.5, 0.25, 1.0])]
    latency_seconds: Histogram,
}

fn main() {}
