//! Metrics as plain values rather than text: what the cells hand to the
//! encoders, and what OTLP export, the `prometheus` crate bridge and tests
//! read. This module imports only descriptors and exemplars.

use crate::descriptor::MetricDescriptor;
use crate::exemplar::Exemplar;

/// One registered metric and the current value of each of its series.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSnapshot {
    /// What the metric is.
    pub descriptor: MetricDescriptor,
    /// Seconds since the Unix epoch when it was registered: the start time of
    /// its counters and histograms.
    pub created: f64,
    /// Every series, in exposition order.
    pub series: Vec<SeriesSnapshot>,
}

/// One series: its labels and value.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSnapshot {
    /// Label names and values, in label-set order; empty for an unlabeled
    /// metric, `otel_metric_overflow="true"` for an overflow series.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: SeriesValue,
}

/// The value of one series.
#[derive(Clone, Debug, PartialEq)]
pub enum SeriesValue {
    /// A counter's total.
    Counter(u64),
    /// A counter's total in a unit that is not a whole number: seconds of
    /// CPU time, read by a [`Collector`](crate::Collector).
    FloatCounter(f64),
    /// A floating-point gauge.
    Gauge(f64),
    /// An integer gauge.
    IntGauge(i64),
    /// A histogram.
    Histogram {
        /// Bucket upper bounds, without `+Inf`.
        bounds: Vec<f64>,
        /// Cumulative counts (the last for `+Inf`), count and sum.
        snapshot: HistogramSnapshot,
    },
}

/// A consistent-enough copy of a histogram's state: the cumulative counts and
/// `count` are always consistent with each other; `sum` is read separately.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// Cumulative counts per bound, the last one for `+Inf`.
    pub cumulative_counts: Vec<u64>,
    /// The number of observations (equal to the `+Inf` bucket).
    pub count: u64,
    /// The sum of observations.
    pub sum: f64,
    /// The latest exemplar of each bucket (the last for `+Inf`); empty when
    /// the histogram never recorded one.
    pub exemplars: Vec<Option<Exemplar>>,
}

impl HistogramSnapshot {
    /// Adds `other`, a snapshot of a histogram with the same buckets: counts
    /// and sums add up, and a bucket without an exemplar takes `other`'s.
    /// Adds `other`, counted in `other_bounds`, to this snapshot, counted in
    /// `bounds`. With the same bounds it is [`HistogramSnapshot::add`];
    /// otherwise each of this snapshot's buckets gains what `other` counted
    /// at or under a bound no higher than its own, so that counts, `+Inf`
    /// and the sum stay exact and no bucket claims an observation it cannot
    /// prove (exemplars of `other` are dropped).
    pub(crate) fn add_rebucketed(
        &mut self,
        bounds: &[f64],
        other: &HistogramSnapshot,
        other_bounds: &[f64],
    ) {
        if bounds == other_bounds {
            return self.add(other);
        }
        let last = self.cumulative_counts.len().saturating_sub(1);
        for (i, count) in self.cumulative_counts.iter_mut().enumerate() {
            *count += if i == last {
                other.count
            } else {
                let below = other_bounds.iter().rposition(|b| *b <= bounds[i]);
                below.map_or(0, |j| other.cumulative_counts[j])
            };
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    pub(crate) fn add(&mut self, other: &HistogramSnapshot) {
        for (count, other) in self
            .cumulative_counts
            .iter_mut()
            .zip(&other.cumulative_counts)
        {
            *count += other;
        }
        self.count += other.count;
        self.sum += other.sum;
        if self.exemplars.is_empty() {
            self.exemplars.clone_from(&other.exemplars);
        }
        for (exemplar, other) in self.exemplars.iter_mut().zip(&other.exemplars) {
            if exemplar.is_none() {
                *exemplar = *other;
            }
        }
    }
}
