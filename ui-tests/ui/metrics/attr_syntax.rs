use obs_runtime::{Counter, Family, Gauge, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(unbounded)]
    model: String,
}

#[derive(Metrics)]
#[metrics(prefix = pipeline)]
struct JobMetrics {
    /// Names are string literals.
    #[metric(name = jobs_total)]
    jobs_total: Counter,
    /// So are units.
    #[metric(unit = seconds)]
    queue_seconds: Gauge,
    /// The cap is an integer.
    #[metric(max_series = "100")]
    tokens_total: Family<Labels, Counter>,
}

#[derive(Metrics)]
#[metrics = "pipeline"]
struct OtherMetrics {
    /// Jobs finished.
    jobs_total: Counter,
}

fn main() {}
