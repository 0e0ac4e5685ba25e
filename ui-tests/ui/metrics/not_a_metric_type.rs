use obs_runtime::{Counter, Family, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
}

#[derive(Metrics)]
struct JobMetrics {
    /// A plain integer records nothing.
    jobs_total: u64,
    /// A collection of counters is not one metric.
    shard_jobs_total: Vec<Counter>,
    /// A family needs a series type.
    lookups_total: Family<Labels, u64>,
    /// Families do not nest.
    nested_total: Family<Labels, Family<Labels, Counter>>,
    /// References are not metrics.
    shared_total: &'static Counter,
}

fn main() {}
