use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished.
    #[metric(nmae = "jobs_finished_total")]
    jobs_total: Counter,
    /// Jobs waiting.
    #[metric(units = "seconds", description = "x")]
    queue_depth: Gauge,
    /// Flags are keys too.
    #[metric(unbounded)]
    workers: Gauge,
}

fn main() {}
