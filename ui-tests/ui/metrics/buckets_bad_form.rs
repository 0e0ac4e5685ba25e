use obs_runtime::{Histogram, Metrics};

const BOUNDS: [f64; 2] = [0.1, 1.0];

#[derive(Metrics)]
struct LatencyMetrics {
    /// Not a known generated form.
    #[metric(buckets = quadratic(0.1, 2.0, 10))]
    latency_seconds: Histogram,
    /// Wrong number of arguments.
    #[metric(buckets = exponential(0.1, 2.0))]
    queue_seconds: Histogram,
    /// Bounds must be literals, so they can be checked.
    #[metric(buckets = BOUNDS)]
    lowering_seconds: Histogram,
    /// Bounds must be literals, so they can be checked.
    #[metric(buckets = [0.1, BOUNDS[1]])]
    compile_seconds: Histogram,
    /// The count is an integer.
    #[metric(buckets = linear(0.1, 0.1, 2.5))]
    verify_seconds: Histogram,
}

fn main() {
    let _ = BOUNDS;
}
