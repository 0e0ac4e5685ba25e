//! Metrics as values rather than text: what OTLP export, the `prometheus`
//! crate bridge and tests read.

use crate::descriptor::MetricDescriptor;
use crate::metrics::histogram::HistogramSnapshot;

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
