use obs_runtime::{Counter, Family, Histogram, LabelSet, Metrics};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(unbounded)]
    model: String,
}

#[derive(Metrics)]
struct JobMetrics {
    /// A single series has nothing to cap.
    #[metric(max_series = 100)]
    jobs_total: Counter,
    /// Neither does a histogram without labels.
    #[metric(max_series = 100)]
    latency_seconds: Histogram,
    /// A family that could hold no series.
    #[metric(max_series = 0)]
    tokens_total: Family<Labels, Counter>,
    /// A family that could hold no label value.
    #[metric(max_label_bytes = 0)]
    models_total: Family<Labels, Counter>,
    /// A single series has no label value to limit.
    #[metric(max_label_bytes = 64)]
    runs_total: Counter,
    /// A cap past any useful bound: its table is allocated up front.
    #[metric(max_series = 10000000)]
    users_total: Family<Labels, Counter>,
    /// A label value longer than any bound allows.
    #[metric(max_label_bytes = 1000000)]
    agents_total: Family<Labels, Counter>,
}

fn main() {}
