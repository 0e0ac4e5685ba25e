use obs_runtime::{Family, Gauge, Histogram, IntGauge, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
}

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs currently running.
    jobs_total: Gauge,
    /// Workers alive.
    workers_total: IntGauge,
    /// How long each job took.
    job_seconds_total: Histogram,
    /// Families are checked by their series type.
    artefacts_total: Family<Labels, Gauge>,
}

fn main() {}
