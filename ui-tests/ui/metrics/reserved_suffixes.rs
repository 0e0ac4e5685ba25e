use obs_runtime::{Counter, Gauge, Histogram, Metrics};

#[derive(Metrics)]
struct ReservedMetrics {
    /// Collides with a histogram's bucket series.
    latency_bucket: Gauge,
    /// Collides with a histogram's count series.
    requests_count: Gauge,
    /// Collides with a histogram's sum series.
    bytes_sum: Gauge,
    /// Collides with a counter's created series.
    jobs_created_total: Counter,
    /// Reserved for info metrics.
    build_info: Gauge,
    /// Histograms too.
    payload_count: Histogram,
}

fn main() {}
