use obs_runtime::{Counter, Family, Metrics};

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    model: String,
}

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished, by model.
    jobs_total: Family<Labels, Counter>,
}

fn main() {}
