use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "pipeline", prefix = "builds")]
struct JobMetrics {
    /// Latency.
    #[metric(name = "latency_seconds", name = "duration_seconds")]
    latency_seconds: Histogram,
    /// Queue time, with the key repeated across two attributes.
    #[metric(help = "Queue time.")]
    #[metric(help = "Time in queue.")]
    queue_seconds: Histogram,
    /// Buckets twice.
    #[metric(buckets = [0.1, 1.0], buckets = linear(0.1, 0.1, 4))]
    lowering_seconds: Histogram,
}

fn main() {}
