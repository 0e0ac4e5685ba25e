use obs_runtime::{Counter, Histogram, Metrics};

#[derive(Metrics)]
struct BundleMetrics {
    /// Size of each bundle.
    #[metric(unit = "bytes")]
    bundle_size: Histogram,
    /// Time spent packaging.
    #[metric(unit = "seconds")]
    package_bytes: Histogram,
    /// CPU time used, as a counter.
    #[metric(unit = "seconds")]
    cpu_total: Counter,
}

fn main() {}
