use obs_runtime::{Counter, Family, Gauge, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
}

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished.
    #[metric(buckets = [0.1, 1.0])]
    jobs_total: Counter,
    /// Jobs waiting.
    #[metric(buckets = exponential(1.0, 2.0, 8))]
    queue_depth: Gauge,
    /// Lookups by cache state.
    #[metric(buckets = linear(1.0, 1.0, 4))]
    lookups_total: Family<Labels, Counter>,
}

fn main() {}
