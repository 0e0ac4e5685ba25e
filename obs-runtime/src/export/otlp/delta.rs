//! Delta temporality: obs's cells hold totals (as Prometheus reads them), so
//! exporting deltas means remembering what the previous export sent. Each
//! series' last totals are kept here, on the export thread; a registry's
//! series are bounded by its families' caps, and so is this memory.

use crate::snapshot::{HistogramSnapshot, MetricSnapshot, SeriesValue};
use crate::MetricType;
use std::collections::HashMap;

/// The totals the previous export saw, by metric name, then labels: looked
/// up by reference, so a series seen before costs no allocation but its
/// value's copy.
#[derive(Debug, Default)]
pub(super) struct Deltas {
    previous: HashMap<String, HashMap<Vec<(String, String)>, SeriesValue>>,
    /// When the previous export's snapshot was taken (seconds since the
    /// Unix epoch).
    last: Option<f64>,
}

impl Deltas {
    /// Turns a snapshot of totals taken at `now` (seconds since the Unix
    /// epoch) into what changed since the previous call: counters and
    /// histograms only (gauges are gauges); each metric's `created` becomes
    /// the start of its delta, the previous snapshot's time.
    pub(super) fn apply(&mut self, snapshot: &mut [MetricSnapshot], now: f64) {
        for metric in snapshot.iter_mut() {
            if !matches!(
                metric.descriptor.metric_type,
                MetricType::Counter | MetricType::Histogram
            ) {
                continue;
            }
            if let Some(last) = self.last {
                metric.created = metric.created.max(last);
            }
            let name: &str = &metric.descriptor.name;
            if !self.previous.contains_key(name) {
                self.previous.insert(name.to_owned(), HashMap::new());
            }
            let Some(previous) = self.previous.get_mut(name) else {
                continue;
            };
            for series in &mut metric.series {
                let total = series.value.clone();
                match previous.get_mut(series.labels.as_slice()) {
                    Some(before) => {
                        series.value = difference(&total, before);
                        *before = total;
                    }
                    None => {
                        previous.insert(series.labels.clone(), total);
                    }
                }
            }
        }
        self.last = Some(now);
    }
}

/// `total - previous`; a total below the previous one (the process's cells
/// cannot go down, but a registry swapped under the exporter can) counts as
/// a reset, whose delta is the new total.
fn difference(total: &SeriesValue, previous: &SeriesValue) -> SeriesValue {
    match (total, previous) {
        (SeriesValue::Counter(total), SeriesValue::Counter(previous)) => {
            SeriesValue::Counter(total.checked_sub(*previous).unwrap_or(*total))
        }
        (SeriesValue::FloatCounter(total), SeriesValue::FloatCounter(previous)) => {
            SeriesValue::FloatCounter(if total >= previous {
                total - previous
            } else {
                *total
            })
        }
        (
            SeriesValue::Histogram { bounds, snapshot },
            SeriesValue::Histogram {
                snapshot: before, ..
            },
        ) if snapshot.cumulative_counts.len() == before.cumulative_counts.len()
            && snapshot.count >= before.count =>
        {
            SeriesValue::Histogram {
                bounds: bounds.clone(),
                snapshot: HistogramSnapshot {
                    cumulative_counts: snapshot
                        .cumulative_counts
                        .iter()
                        .zip(&before.cumulative_counts)
                        .map(|(now, then)| now.saturating_sub(*then))
                        .collect(),
                    count: snapshot.count - before.count,
                    sum: snapshot.sum - before.sum,
                    exemplars: snapshot.exemplars.clone(),
                },
            }
        }
        (total, _) => total.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Histogram, IntGauge, MetricDef, Registry};

    #[test]
    fn counters_and_histograms_become_deltas_and_gauges_stay() {
        let registry = Registry::new();
        let jobs = registry
            .register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs."))
            .unwrap();
        let latency = registry
            .register_metric::<Histogram>(
                MetricDef::new("latency_seconds", "Latency.")
                    .buckets(crate::Buckets::new([0.1, 1.0]).unwrap()),
            )
            .unwrap();
        let depth = registry
            .register_metric::<IntGauge>(MetricDef::new("depth", "Depth."))
            .unwrap();
        let mut deltas = Deltas::default();

        jobs.inc_by(7);
        latency.observe(0.05);
        depth.set(4);
        let mut first = registry.snapshot();
        let registered = first[0].created;
        deltas.apply(&mut first, registered + 60.0);
        // The first export sends the totals so far.
        assert_eq!(value(&first, "jobs_total"), SeriesValue::Counter(7));

        jobs.inc_by(3);
        latency.observe(0.5);
        latency.observe(5.0);
        depth.set(2);
        let mut second = registry.snapshot();
        deltas.apply(&mut second, registered + 120.0);
        assert_eq!(value(&second, "jobs_total"), SeriesValue::Counter(3));
        let SeriesValue::Histogram { snapshot, .. } = value(&second, "latency_seconds") else {
            panic!("a histogram")
        };
        assert_eq!(snapshot.count, 2);
        assert_eq!(snapshot.cumulative_counts, [0, 1, 2]);
        assert!((snapshot.sum - 5.5).abs() < 1e-9);
        assert_eq!(value(&second, "depth"), SeriesValue::IntGauge(2));
        // Each delta starts where the previous export ended.
        let created = |name: &str| {
            second
                .iter()
                .find(|m| m.descriptor.name == name)
                .unwrap()
                .created
        };
        assert_eq!(created("jobs_total"), registered + 60.0);

        // Nothing happened: zero, not the totals again.
        let mut third = registry.snapshot();
        deltas.apply(&mut third, registered + 180.0);
        assert_eq!(value(&third, "jobs_total"), SeriesValue::Counter(0));
    }

    fn value(snapshot: &[MetricSnapshot], name: &str) -> SeriesValue {
        snapshot
            .iter()
            .find(|m| m.descriptor.name == name)
            .unwrap()
            .series[0]
            .value
            .clone()
    }
}
