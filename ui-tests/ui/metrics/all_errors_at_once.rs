use obs_runtime::{Counter, Gauge, Histogram, Metrics};

// One build reports every mistake of the struct, not just the first.
#[derive(Metrics)]
#[metrics(prefix = "Pipeline")]
struct PipelineMetrics {
    /// Requests served.
    requests: Counter,
    /// Latency of a request.
    latency_ms: Histogram,
    active_total: Gauge,
    /// Lowering time.
    #[metric(buckets = [1.0, 0.5])]
    lowering_seconds: Histogram,
    /// Size of each bundle.
    #[metric(colour = "blue")]
    bundle_bytes: Histogram,
}

fn main() {}
