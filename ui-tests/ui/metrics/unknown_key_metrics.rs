use obs_runtime::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "pipeline", namespace = "obs")]
struct JobMetrics {
    /// Jobs finished.
    jobs_total: Counter,
}

fn main() {}
