use obs_runtime::Metrics;

/// A user type that shadows obs's `Counter`.
#[derive(Default)]
struct Counter(u64);

#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished.
    jobs_total: Counter,
}

fn main() {}
