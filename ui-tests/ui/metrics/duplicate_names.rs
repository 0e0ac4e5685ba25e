use obs_runtime::{Counter, Gauge, Histogram, Metrics};

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished.
    jobs_finished_total: Counter,
    /// Jobs finished, again.
    #[metric(name = "jobs_finished_total")]
    finished_total: Counter,
    /// Jobs running now.
    jobs: Gauge,
    /// Jobs started: the OpenMetrics family `jobs` is already the gauge's.
    jobs_total: Counter,
    /// Latency, declared under two field names.
    latency_seconds: Histogram,
    /// Latency, again.
    #[metric(name = "latency_seconds")]
    duration_seconds: Histogram,
}

fn main() {}
