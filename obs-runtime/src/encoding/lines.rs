//! The line writer both exposition formats share: samples, labels and
//! escaping, which are the same in the Prometheus text format and in
//! OpenMetrics. What differs lives in `text.rs` and `openmetrics.rs`.

use super::{openmetrics, text, Format};
use crate::descriptor::MetricDescriptor;
use crate::labels::{LabelSet, LabelText};
use crate::snapshot::HistogramSnapshot;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// One series' labels as exposition text (`a="x",b="y"`, the same in both
/// formats), kept beside the series by its family and filled by the first
/// text scrape.
///
/// One pointer wide, null until the first text scrape: a family of 100,000
/// series that is never scraped as text pays 8 bytes a series for it, where
/// a `OnceLock<Box<str>>` would take 24.
pub(crate) struct LabelCache(AtomicPtr<Box<str>>);

impl Default for LabelCache {
    fn default() -> Self {
        LabelCache(AtomicPtr::new(ptr::null_mut()))
    }
}

impl LabelCache {
    /// The cached text, rendered by `render` on the first call. Two
    /// scrapes racing on a new series both render it; one text is kept and
    /// the other freed.
    fn get_or_init(&self, render: impl FnOnce() -> Box<str>) -> &str {
        // Acquire pairs with the Release of the publishing CAS: the text is
        // complete before its pointer is seen.
        let current = self.0.load(Ordering::Acquire);
        if !current.is_null() {
            // Safety: a non-null pointer came from `Box::into_raw` below and
            // is freed only by `drop`, which `&self` rules out.
            return unsafe { &*current };
        }
        let new = Box::into_raw(Box::new(render()));
        match self
            .0
            .compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        {
            // Safety: `new` is now owned by the cache, freed in `drop`.
            Ok(_) => unsafe { &*new },
            Err(existing) => {
                // Safety: the CAS failed, so `new` was never shared; and
                // `existing` is owned by the cache, as above.
                unsafe {
                    drop(Box::from_raw(new));
                    &*existing
                }
            }
        }
    }
}

impl Drop for LabelCache {
    fn drop(&mut self) {
        let text = *self.0.get_mut();
        if !text.is_null() {
            // Safety: the pointer came from `Box::into_raw` and, with
            // `&mut self`, nothing else can reach it.
            drop(unsafe { Box::from_raw(text) });
        }
    }
}

/// Appends exposition lines for one family.
pub(super) struct TextWriter<'a> {
    out: &'a mut String,
    format: Format,
    // The current series' labels, rendered and escaped: `a="x",b="y"`.
    labels: &'a mut String,
    // Labels rendered ahead of time, used instead of `labels` when set.
    label_text: Option<&'a str>,
    // When the metric was registered (seconds since the Unix epoch), for the
    // `_created` samples of counters and histograms; `None` when none are
    // written (the text format, or turned off).
    created: Option<Created>,
}

/// A `_created` value, rendered once per family: every series of a family
/// has the same one, so formatting it per series would repeat the same
/// float-to-text work thousands of times.
#[derive(Clone, Copy)]
struct Created {
    text: [u8; 32],
    len: usize,
}

impl Created {
    fn new(seconds: f64) -> Self {
        let mut rendered = String::with_capacity(32);
        write_f64(&mut rendered, seconds);
        let mut text = [0; 32];
        let len = rendered.len().min(text.len());
        text[..len].copy_from_slice(&rendered.as_bytes()[..len]);
        Created { text, len }
    }

    fn as_str(&self) -> &str {
        // Written from a `str` of ASCII digits, a sign, `.`, `e`: valid.
        std::str::from_utf8(&self.text[..self.len]).unwrap_or("0")
    }
}

impl<'a> TextWriter<'a> {
    pub(super) fn new(
        out: &'a mut String,
        format: Format,
        labels: &'a mut String,
        created: Option<f64>,
    ) -> Self {
        labels.clear();
        TextWriter {
            out,
            format,
            labels,
            label_text: None,
            created: created
                .filter(|_| format == Format::OPENMETRICS)
                .map(Created::new),
        }
    }

    /// `# HELP`, `# TYPE` and, in OpenMetrics, `# UNIT`.
    pub(super) fn write_header(&mut self, descriptor: &MetricDescriptor) {
        if self.format == Format::OPENMETRICS {
            openmetrics::write_header(self.out, descriptor);
        } else {
            text::write_header(self.out, descriptor);
        }
    }

    pub(super) fn set_labels<L: LabelSet>(&mut self, names: &[&str], labels: &L) {
        self.labels.clear();
        render_labels(self.labels, names, labels);
    }

    /// Replaces the labels with one `name="value"` pair (`value` needs no
    /// escaping).
    pub(super) fn set_label(&mut self, name: &str, value: &str) {
        self.labels.clear();
        self.labels.push_str(name);
        self.labels.push_str("=\"");
        self.labels.push_str(value);
        self.labels.push('"');
    }

    pub(super) fn clear_labels(&mut self) {
        self.labels.clear();
    }

    /// Replaces the labels with `pairs`, their values escaped.
    pub(super) fn set_label_pairs(&mut self, pairs: &[(String, String)]) {
        self.labels.clear();
        for (name, value) in pairs {
            if !self.labels.is_empty() {
                self.labels.push(',');
            }
            self.labels.push_str(name);
            self.labels.push_str("=\"");
            escape_label_value(self.labels, value);
            self.labels.push('"');
        }
    }

    /// A writer for one series whose labels are `labels`, rendered into
    /// `cache` the first time and copied from it after that.
    pub(super) fn with_cached_labels<'b, L: LabelSet>(
        &'b mut self,
        labels: &L,
        cache: &'b LabelCache,
    ) -> TextWriter<'b> {
        let text = cache.get_or_init(|| {
            let mut text = String::new();
            render_labels(&mut text, L::NAMES, labels);
            text.into_boxed_str()
        });
        TextWriter {
            out: &mut *self.out,
            format: self.format,
            labels: &mut *self.labels,
            label_text: Some(text),
            created: self.created,
        }
    }

    pub(super) fn gauge_i64(&mut self, descriptor: &MetricDescriptor, value: i64) {
        self.sample(&descriptor.name, "", None, Value::I64(value));
    }

    pub(super) fn gauge_f64(&mut self, descriptor: &MetricDescriptor, value: f64) {
        self.sample(&descriptor.name, "", None, Value::F64(value));
    }

    #[inline]
    pub(super) fn counter(&mut self, descriptor: &MetricDescriptor, value: u64) {
        self.counter_value(descriptor, Value::U64(value));
    }

    pub(super) fn counter_f64(&mut self, descriptor: &MetricDescriptor, value: f64) {
        self.counter_value(descriptor, Value::F64(value));
    }

    #[inline]
    fn counter_value(&mut self, descriptor: &MetricDescriptor, value: Value) {
        self.sample(&descriptor.name, "", None, value);
        if let Some(created) = self.created {
            self.sample(
                descriptor.family_name(),
                openmetrics::CREATED,
                None,
                Value::Text(created.as_str()),
            );
        }
    }

    pub(super) fn histogram(
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
            self.sample(
                name,
                openmetrics::CREATED,
                None,
                Value::Text(created.as_str()),
            );
        }
    }

    // One line: `name_suffix{labels,le="bound"} value`.
    #[inline]
    fn sample(&mut self, name: &str, suffix: &str, le: Option<Bound>, value: Value) {
        self.write_sample(name, suffix, le, value);
        self.out.push('\n');
    }

    // The line without its end, so an exemplar can follow the value.
    #[inline]
    fn write_sample(&mut self, name: &str, suffix: &str, le: Option<Bound>, value: Value) {
        let out = &mut *self.out;
        let labels = self.label_text.unwrap_or(self.labels);
        out.push_str(name);
        if !suffix.is_empty() {
            out.push_str(suffix);
        }
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
            Value::Text(text) => out.push_str(text),
        }
    }
}

/// Renders a label set for exposition, escaped: `a="x",b="y"` (the same in
/// both formats).
fn render_labels<L: LabelSet>(out: &mut String, names: &[&str], labels: &L) {
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

#[derive(Clone, Copy)]
enum Bound {
    Finite(f64),
    Inf,
}

#[derive(Clone, Copy)]
enum Value<'a> {
    U64(u64),
    I64(i64),
    F64(f64),
    /// A value rendered already.
    Text(&'a str),
}

/// Writes a float as both formats read it: shortest round-trip digits, with
/// `NaN`, `+Inf` and `-Inf` spelled out.
pub(crate) fn write_f64(out: &mut String, value: f64) {
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
