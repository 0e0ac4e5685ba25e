//! Exposition: Prometheus text format 0.0.4 and OpenMetrics 1.0 text.
//!
//! Data flows one way: the [`Registry`](crate::Registry) walks its metrics in
//! registration order and hands each one a [`MetricEncoder`], which writes the
//! family header and every series in the chosen [`Format`]. Label values and
//! help text are always escaped.

pub(crate) mod negotiate;
mod openmetrics;
mod text;

pub(crate) use openmetrics::EOF as OPENMETRICS_EOF;

use crate::descriptor::MetricDescriptor;
use crate::labels::{LabelSet, LabelText};
use crate::snapshot::{HistogramSnapshot, SeriesSnapshot, SeriesValue};

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
        labels.clear();
        MetricEncoder {
            target: Target::Text(TextWriter {
                out,
                format,
                labels,
                label_text: None,
                created: created.filter(|_| format == Format::OPENMETRICS),
            }),
            descriptor,
        }
    }

    pub(crate) fn snapshot(
        series: &'a mut Vec<SeriesSnapshot>,
        descriptor: &'a MetricDescriptor,
    ) -> Self {
        MetricEncoder {
            target: Target::Snapshot(SnapshotWriter {
                series,
                labels: Vec::new(),
            }),
            descriptor,
        }
    }

    pub(crate) fn write_header(&mut self) {
        if let Target::Text(text) = &mut self.target {
            match text.format.0 {
                Kind::Text => text::write_header(text.out, self.descriptor),
                Kind::OpenMetrics => openmetrics::write_header(text.out, self.descriptor),
            }
        }
    }

    pub(crate) fn set_labels<L: LabelSet>(&mut self, names: &[&str], labels: &L) {
        match &mut self.target {
            Target::Text(text) => text.set_labels(names, labels),
            Target::Snapshot(snapshot) => {
                snapshot.labels.clear();
                let mut names = names.iter();
                labels.visit_values(&mut |value| {
                    let name = names.next().copied().unwrap_or("label");
                    let value = match value {
                        LabelText::Str(s) => s.to_owned(),
                        LabelText::I64(n) => n.to_string(),
                        LabelText::U64(n) => n.to_string(),
                        LabelText::I128(n) => n.to_string(),
                        LabelText::U128(n) => n.to_string(),
                    };
                    snapshot.labels.push((name.to_owned(), value));
                });
            }
        }
    }

    /// Whether this encoder writes exposition text (rather than a snapshot).
    pub(crate) fn is_text(&self) -> bool {
        matches!(self.target, Target::Text(_))
    }

    /// Runs `encode` for one series whose labels are `text`, already
    /// rendered by [`render_labels`]: text targets write it straight into
    /// each line, without copying it first.
    pub(crate) fn with_label_text(
        &mut self,
        text: &str,
        encode: impl FnOnce(&mut MetricEncoder<'_>),
    ) {
        match &mut self.target {
            Target::Text(writer) => encode(&mut MetricEncoder {
                target: Target::Text(TextWriter {
                    out: &mut *writer.out,
                    format: writer.format,
                    labels: &mut *writer.labels,
                    label_text: Some(text),
                    created: writer.created,
                }),
                descriptor: self.descriptor,
            }),
            Target::Snapshot(_) => encode(self),
        }
    }

    pub(crate) fn set_overflow_labels(&mut self) {
        match &mut self.target {
            Target::Text(text) => {
                text.labels.clear();
                text.labels.push_str("otel_metric_overflow=\"true\"");
            }
            Target::Snapshot(snapshot) => {
                snapshot.labels.clear();
                snapshot
                    .labels
                    .push(("otel_metric_overflow".to_owned(), "true".to_owned()));
            }
        }
    }

    pub(crate) fn clear_labels(&mut self) {
        match &mut self.target {
            Target::Text(text) => text.labels.clear(),
            Target::Snapshot(snapshot) => snapshot.labels.clear(),
        }
    }

    pub(crate) fn counter(&mut self, value: u64) {
        match &mut self.target {
            Target::Text(text) => text.counter(self.descriptor, value),
            Target::Snapshot(snapshot) => snapshot.push(SeriesValue::Counter(value)),
        }
    }

    pub(crate) fn gauge_i64(&mut self, value: i64) {
        match &mut self.target {
            Target::Text(text) => text.sample(&self.descriptor.name, "", None, Value::I64(value)),
            Target::Snapshot(snapshot) => snapshot.push(SeriesValue::IntGauge(value)),
        }
    }

    pub(crate) fn gauge_f64(&mut self, value: f64) {
        match &mut self.target {
            Target::Text(text) => text.sample(&self.descriptor.name, "", None, Value::F64(value)),
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

/// Appends exposition lines for one family.
struct TextWriter<'a> {
    out: &'a mut String,
    format: Format,
    // The current series' labels, rendered and escaped: `a="x",b="y"`.
    labels: &'a mut String,
    // Labels rendered ahead of time, used instead of `labels` when set.
    label_text: Option<&'a str>,
    // When the metric was registered (seconds since the Unix epoch), for the
    // `_created` samples of counters and histograms; `None` when none are
    // written (the text format, or turned off).
    created: Option<f64>,
}

impl TextWriter<'_> {
    fn set_labels<L: LabelSet>(&mut self, names: &[&str], labels: &L) {
        self.labels.clear();
        render_labels(self.labels, names, labels);
    }

    fn counter(&mut self, descriptor: &MetricDescriptor, value: u64) {
        self.sample(&descriptor.name, "", None, Value::U64(value));
        if let Some(created) = self.created {
            self.sample(
                descriptor.family_name(),
                openmetrics::CREATED,
                None,
                Value::F64(created),
            );
        }
    }

    fn histogram(
        &mut self,
        descriptor: &MetricDescriptor,
        bounds: &[f64],
        snapshot: &HistogramSnapshot,
    ) {
        let name = &descriptor.name;
        let openmetrics = self.format == Format::OPENMETRICS;
        // The text format always has `_count` and `_sum`.
        let with_sum = !openmetrics || openmetrics::sum_is_counter(bounds, snapshot);
        let bounds = bounds
            .iter()
            .copied()
            .map(Bound::Finite)
            .chain([Bound::Inf]);
        for (index, (bound, &count)) in bounds.zip(&snapshot.cumulative_counts).enumerate() {
            self.write_sample(name, "_bucket", Some(bound), Value::U64(count));
            // Exemplars exist only in OpenMetrics, before the line's end.
            if let (true, Some(Some(exemplar))) = (openmetrics, snapshot.exemplars.get(index)) {
                openmetrics::write_exemplar(self.out, exemplar);
            }
            self.out.push('\n');
        }
        if with_sum {
            self.sample(name, "_count", None, Value::U64(snapshot.count));
            self.sample(name, "_sum", None, Value::F64(snapshot.sum));
        }
        if let Some(created) = self.created {
            self.sample(name, openmetrics::CREATED, None, Value::F64(created));
        }
    }

    // One line: `name_suffix{labels,le="bound"} value`.
    fn sample(&mut self, name: &str, suffix: &str, le: Option<Bound>, value: Value) {
        self.write_sample(name, suffix, le, value);
        self.out.push('\n');
    }

    // The line without its end, so an exemplar can follow the value.
    fn write_sample(&mut self, name: &str, suffix: &str, le: Option<Bound>, value: Value) {
        let out = &mut *self.out;
        let labels = self.label_text.unwrap_or(self.labels);
        out.push_str(name);
        out.push_str(suffix);
        if !labels.is_empty() || le.is_some() {
            out.push('{');
            out.push_str(labels);
            if let Some(bound) = le {
                if !labels.is_empty() {
                    out.push(',');
                }
                out.push_str("le=\"");
                match bound {
                    Bound::Finite(bound) => write_f64(out, bound),
                    Bound::Inf => out.push_str("+Inf"),
                }
                out.push('"');
            }
            out.push('}');
        }
        out.push(' ');
        match value {
            Value::U64(n) => out.push_str(itoa::Buffer::new().format(n)),
            Value::I64(n) => out.push_str(itoa::Buffer::new().format(n)),
            Value::F64(x) => write_f64(out, x),
        }
    }
}

/// Renders a label set for exposition, escaped: `a="x",b="y"` (the same in
/// both formats).
pub(crate) fn render_labels<L: LabelSet>(out: &mut String, names: &[&str], labels: &L) {
    let mut names = names.iter();
    labels.visit_values(&mut |value| {
        let name = names.next().copied().unwrap_or("label");
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        match value {
            LabelText::Str(s) => escape_label_value(out, s),
            LabelText::I64(n) => out.push_str(itoa::Buffer::new().format(n)),
            LabelText::U64(n) => out.push_str(itoa::Buffer::new().format(n)),
            LabelText::I128(n) => out.push_str(itoa::Buffer::new().format(n)),
            LabelText::U128(n) => out.push_str(itoa::Buffer::new().format(n)),
        }
        out.push('"');
    });
}

/// Collects one family's series as values.
struct SnapshotWriter<'a> {
    series: &'a mut Vec<SeriesSnapshot>,
    labels: Vec<(String, String)>,
}

impl SnapshotWriter<'_> {
    fn push(&mut self, value: SeriesValue) {
        self.series.push(SeriesSnapshot {
            labels: self.labels.clone(),
            value,
        });
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Finite(f64),
    Inf,
}

#[derive(Clone, Copy)]
enum Value {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// Writes a float as both formats read it: shortest round-trip digits, with
/// `NaN`, `+Inf` and `-Inf` spelled out.
pub(super) fn write_f64(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        out.push_str(ryu::Buffer::new().format_finite(value));
    }
}

/// Escapes a label value: backslash, double quote and line feed, the same in
/// both formats.
fn escape_label_value(out: &mut String, value: &str) {
    escape(out, value, true);
}

// Backslash and line feed are escaped everywhere; double quotes in label
// values (both formats) and in OpenMetrics help text.
pub(super) fn escape(out: &mut String, value: &str, quotes: bool) {
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '\n', '"']) {
        out.push_str(&rest[..at]);
        let c = rest.as_bytes()[at];
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            _ if quotes => out.push_str("\\\""),
            _ => out.push('"'),
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}
