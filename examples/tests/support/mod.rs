//! Helpers shared by the scenario tests.

pub mod process;

use obs_runtime::{Registry, SeriesSnapshot};

/// Every metric's name and series, to compare two runs of a scenario.
#[allow(dead_code, reason = "used by the scenario tests that compare runs")]
pub fn values(registry: &Registry) -> Vec<(String, Vec<SeriesSnapshot>)> {
    registry
        .snapshot()
        .into_iter()
        .map(|metric| (metric.descriptor.name.into_owned(), metric.series))
        .collect()
}

/// The sum a `_seconds` histogram holds for `latencies`: each observation
/// rounded to the nanosecond, added exactly (obs sums seconds in integer
/// nanoseconds), then read back in seconds.
#[allow(
    dead_code,
    reason = "used by the scenario tests with latency histograms"
)]
pub fn seconds_sum(latencies: &[f64]) -> f64 {
    let nanos: u64 = latencies
        .iter()
        .map(|&seconds| (seconds * 1e9 + 0.5) as u64)
        .sum();
    nanos as f64 / 1e9
}
