use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct JobMetrics {
    #[metric(help = "")]
    jobs_total: Counter,
    /// A doc comment does not rescue an explicit empty `help`.
    #[metric(help = "   ")]
    queue_depth: Gauge,
}

fn main() {}
