//! Helpers shared by the scenario tests.

use obs_runtime::{Registry, SeriesSnapshot};

/// Every metric's name and series, to compare two runs of a scenario.
pub fn values(registry: &Registry) -> Vec<(String, Vec<SeriesSnapshot>)> {
    registry
        .snapshot()
        .into_iter()
        .map(|metric| (metric.descriptor.name.into_owned(), metric.series))
        .collect()
}
