use obs_runtime::{Counter, Family, MetricGroup, Metrics, Registry};

// Without a bound on `L`, the derive bounds its impl instead: the struct is a
// metric group exactly for the `L` that make `Family<L, Counter>` a metric.
#[derive(Metrics)]
struct JobMetrics<L> {
    /// Jobs finished, by the caller's labels.
    jobs_total: Family<L, Counter>,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct NotLabels {
    model: String,
}

fn main() {
    let registry = Registry::new();
    let _ = JobMetrics::<NotLabels>::register(&registry);
}
