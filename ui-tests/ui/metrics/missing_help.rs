use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct JobMetrics {
    jobs_total: Counter,
    // A plain comment is not help text.
    queue_depth: Gauge,
    ///
    blank_doc: Gauge,
}

fn main() {}
