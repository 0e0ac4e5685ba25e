use obs_runtime::{Gauge, Histogram, Metrics};

#[derive(Metrics)]
struct BundleMetrics {
    /// Time spent packaging.
    #[metric(unit = "milliseconds")]
    package_duration: Histogram,
    /// Resident memory.
    #[metric(unit = "kb")]
    memory: Gauge,
    /// Not a unit at all.
    #[metric(unit = "furlongs")]
    distance: Gauge,
}

fn main() {}
