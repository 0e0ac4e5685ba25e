//! Exposition: Prometheus text format 0.0.4 and OpenMetrics 1.0 text.
//!
//! Data flows one way: the [`Registry`](crate::Registry) walks its metrics in
//! registration order and hands each one a [`MetricEncoder`], which writes the
//! family header and every series in the chosen [`Format`]. Label values and
//! help text are always escaped.

mod lines;
pub(crate) mod negotiate;
mod openmetrics;
mod snapshot;
mod text;

pub(crate) use openmetrics::EOF as OPENMETRICS_EOF;

#[cfg(feature = "catalog")]
pub(crate) use lines::write_f64;
pub(crate) use lines::LabelCache;

use crate::descriptor::{MetricDescriptor, MetricType};
use crate::labels::LabelSet;
use crate::snapshot::{HistogramSnapshot, SeriesSnapshot, SeriesValue};
use lines::TextWriter;
use snapshot::SnapshotWriter;

/// An exposition format, chosen per scrape.
///
/// ```
/// use obs_runtime::Format;
///
/// let format = Format::from_accept("application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
/// assert_eq!(format, Format::OPENMETRICS);
/// assert_eq!(format.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// assert_eq!(Format::from_accept("*/*"), Format::PROMETHEUS_TEXT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format(Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Text,
    OpenMetrics,
}

impl Format {
    /// Prometheus text exposition format 0.0.4.
    pub const PROMETHEUS_TEXT: Format = Format(Kind::Text);
    /// OpenMetrics 1.0 text format (with `# UNIT`, `_created` and `# EOF`).
    pub const OPENMETRICS: Format = Format(Kind::OpenMetrics);

    /// The exact `Content-Type` header value for this format.
    pub const fn content_type(self) -> &'static str {
        match self.0 {
            Kind::Text => "text/plain; version=0.0.4; charset=utf-8",
            Kind::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// Chooses the format for an HTTP `Accept` header: OpenMetrics when the
    /// client accepts `application/openmetrics-text` (as Prometheus does by
    /// default), otherwise the Prometheus text format.
    pub fn from_accept(accept: &str) -> Format {
        negotiate::negotiate([accept]).unwrap_or(Format::PROMETHEUS_TEXT)
    }
}

/// Writes the series of one metric family, as exposition text or as a
/// structured [`MetricSnapshot`](crate::MetricSnapshot). Handed to
/// [`EncodeMetric::encode`](crate::EncodeMetric::encode) by the registry.
///
/// It only dispatches: the text target (`lines.rs`, with the formats'
/// differences in `text.rs` and `openmetrics.rs`) and the snapshot target
/// (`snapshot.rs`) each do all of their own work.
pub struct MetricEncoder<'a> {
    target: Target<'a>,
    descriptor: &'a MetricDescriptor,
}

enum Target<'a> {
    Text(TextWriter<'a>),
    Snapshot(SnapshotWriter<'a>),
}

impl<'a> MetricEncoder<'a> {
    /// An encoder of exposition text; `created` is when the metric was
    /// registered, written as `_created` samples in OpenMetrics unless
    /// `None`.
    pub(crate) fn text(
        out: &'a mut String,
        format: Format,
        descriptor: &'a MetricDescriptor,
        labels: &'a mut String,
        created: Option<f64>,
    ) -> Self {
        MetricEncoder {
            target: Target::Text(TextWriter::new(out, format, labels, created)),
            descriptor,
        }
    }

    pub(crate) fn snapshot(
        series: &'a mut Vec<SeriesSnapshot>,
        descriptor: &'a MetricDescriptor,
    ) -> Self {
        MetricEncoder {
            target: Target::Snapshot(SnapshotWriter::new(series)),
            descriptor,
        }
    }

    pub(crate) fn write_header(&mut self) {
        if let Target::Text(text) = &mut self.target {
            text.write_header(self.descriptor);
        }
    }

    pub(crate) fn set_labels<L: LabelSet>(&mut self, names: &[&str], labels: &L) {
        match &mut self.target {
            Target::Text(text) => text.set_labels(names, labels),
            Target::Snapshot(snapshot) => snapshot.set_labels(names, labels),
        }
    }

    /// Runs `encode` for one series of a family, whose labels are `labels`.
    /// Text targets render the labels into `cache` on the first scrape and
    /// write the cached text into each line after that: a series' labels
    /// never change, so they are escaped once, not on every scrape.
    pub(crate) fn labelled<L: LabelSet>(
        &mut self,
        labels: &L,
        cache: &LabelCache,
        encode: impl FnOnce(&mut MetricEncoder<'_>),
    ) {
        match &mut self.target {
            Target::Text(text) => encode(&mut MetricEncoder {
                target: Target::Text(text.with_cached_labels(labels, cache)),
                descriptor: self.descriptor,
            }),
            Target::Snapshot(snapshot) => {
                snapshot.set_labels(L::NAMES, labels);
                encode(self);
            }
        }
    }

    pub(crate) fn set_overflow_labels(&mut self) {
        const NAME: &str = "otel_metric_overflow";
        match &mut self.target {
            Target::Text(text) => text.set_label(NAME, "true"),
            Target::Snapshot(snapshot) => snapshot.set_label(NAME, "true"),
        }
    }

    pub(crate) fn clear_labels(&mut self) {
        match &mut self.target {
            Target::Text(text) => text.clear_labels(),
            Target::Snapshot(snapshot) => snapshot.clear_labels(),
        }
    }

    /// Writes one series read by a collector: its labels, then its value
    /// as the descriptor's type has it. A value of another type (collectors
    /// report counters and gauges) is left out: a collector's mistake must
    /// not make the exposition invalid.
    pub(crate) fn series(&mut self, series: &SeriesSnapshot) {
        match &mut self.target {
            Target::Text(text) => text.set_label_pairs(&series.labels),
            Target::Snapshot(snapshot) => snapshot.set_label_pairs(&series.labels),
        }
        match (self.descriptor.metric_type, &series.value) {
            (MetricType::Counter, SeriesValue::Counter(n)) => self.counter(*n),
            (MetricType::Counter, SeriesValue::FloatCounter(x)) => match &mut self.target {
                Target::Text(text) => text.counter_f64(self.descriptor, *x),
                Target::Snapshot(snapshot) => snapshot.push(SeriesValue::FloatCounter(*x)),
            },
            (MetricType::Gauge, SeriesValue::Gauge(x)) => self.gauge_f64(*x),
            (MetricType::Gauge, SeriesValue::IntGauge(n)) => self.gauge_i64(*n),
            _ => {}
        }
        self.clear_labels();
    }

    #[inline]
    pub(crate) fn counter(&mut self, value: u64) {
        match &mut self.target {
            Target::Text(text) => text.counter(self.descriptor, value),
            Target::Snapshot(snapshot) => snapshot.push(SeriesValue::Counter(value)),
        }
    }

    pub(crate) fn gauge_i64(&mut self, value: i64) {
        match &mut self.target {
            Target::Text(text) => text.gauge_i64(self.descriptor, value),
            Target::Snapshot(snapshot) => snapshot.push(SeriesValue::IntGauge(value)),
        }
    }

    pub(crate) fn gauge_f64(&mut self, value: f64) {
        match &mut self.target {
            Target::Text(text) => text.gauge_f64(self.descriptor, value),
            Target::Snapshot(snapshot) => snapshot.push(SeriesValue::Gauge(value)),
        }
    }

    pub(crate) fn histogram(&mut self, bounds: &[f64], snapshot: &HistogramSnapshot) {
        match &mut self.target {
            Target::Text(text) => text.histogram(self.descriptor, bounds, snapshot),
            Target::Snapshot(writer) => writer.push(SeriesValue::Histogram {
                bounds: bounds.to_vec(),
                snapshot: snapshot.clone(),
            }),
        }
    }
}
