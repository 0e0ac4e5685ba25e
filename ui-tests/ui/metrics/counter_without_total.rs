use obs_runtime::{Counter, Family, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
}

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs started.
    jobs_started: Counter,
    /// Families are checked by their series type.
    #[metric(name = "lookups")]
    lookups_total: Family<Labels, Counter>,
    /// `_total` alone is not a name.
    #[metric(name = "total")]
    everything_total: Counter,
}

fn main() {}
