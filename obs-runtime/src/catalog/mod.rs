// This module turns what the binary declares (the metric groups and spans
// listed at link time, and what was registered at run time) into one value,
// and reads and writes it as JSON. It imports descriptors, the registry and
// the span catalog; nothing imports it but the endpoint and `init`.

//! The telemetry catalog: every metric and span a binary declares, as one
//! versioned, serialisable value.
//!
//! Documentation, dashboards, alert rules and live checks are generated
//! from it (the `obs` command), so that they cannot drift from the code.

mod build;
mod json;

#[cfg(feature = "init")]
pub(crate) use build::set_service;
pub use build::{catalog, catalog_of};
pub use json::CatalogError;

use serde::{Deserialize, Serialize};

/// The catalog format this version of obs writes, and the newest it reads.
pub const CATALOG_VERSION: u32 = 1;

/// Everything a binary declares: its metrics and its spans.
///
/// Build it with [`catalog()`](crate::catalog()); read and write it with
/// [`Catalog::from_json`] and [`Catalog::to_json`].
///
/// ```
/// use obs_runtime::{Catalog, Counter, Metrics};
///
/// #[derive(Metrics)]
/// #[metrics(prefix = "docs")]
/// struct DocsMetrics {
///     /// Pages served.
///     pages_total: Counter,
/// }
///
/// let catalog = obs_runtime::catalog();
/// let pages = catalog.metric("docs_pages_total").unwrap();
/// assert_eq!(pages.help, "Pages served.");
/// assert_eq!(pages.series, Some(1));
///
/// let json = catalog.to_json();
/// assert_eq!(Catalog::from_json(&json).unwrap(), catalog);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The format version, [`CATALOG_VERSION`] when written by this obs.
    pub version: u32,
    /// The service the binary runs as (`service.name`), when known: `init`
    /// fills it in from the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Every metric, grouped by declaring struct (in name order), fields in
    /// declaration order; then metrics registered at run time, by name.
    pub metrics: Vec<CatalogMetric>,
    /// Every `#[traced]` span, by name.
    pub spans: Vec<CatalogSpan>,
}

/// One metric family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogMetric {
    /// The full name (`pipeline_latency_seconds`, `jobs_total`).
    pub name: String,
    /// Counter, gauge or histogram.
    #[serde(rename = "type", with = "json::metric_type")]
    pub metric_type: crate::MetricType,
    /// The help text.
    pub help: String,
    /// The base unit the name ends in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The labels, in label-set order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<CatalogLabel>,
    /// The exact number of series of a fixed family (1 when unlabeled);
    /// `None` for a family with an unbounded label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<usize>,
    /// The most series an unbounded family keeps before new label values go
    /// to its overflow series: its series budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_series: Option<usize>,
    /// The longest label value an unbounded family keeps, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_label_bytes: Option<usize>,
    /// Bucket upper bounds of a histogram, without `+Inf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<f64>>,
    /// Who declares it: the struct's path, or where it was registered.
    pub owner: String,
    /// The declaring crate, when known.
    #[serde(rename = "crate", default, skip_serializing_if = "Option::is_none")]
    pub crate_name: Option<String>,
    /// The declaring module, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The latency objectives of a histogram (`#[metric(objective(…))]`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "json::objectives"
    )]
    pub objectives: Vec<crate::Objective>,
}

impl CatalogMetric {
    /// The series budget: the exact count of a fixed family, the cap of an
    /// unbounded one (plus its one overflow series).
    pub fn series_budget(&self) -> usize {
        match self.series {
            Some(series) => series,
            None => self.max_series.unwrap_or(crate::DEFAULT_MAX_SERIES) + 1,
        }
    }

    /// The `le` values of a histogram's buckets exactly as the exposition
    /// writes them, `+Inf` last; empty for other types.
    ///
    /// ```
    /// # use obs_runtime::{Histogram, Metrics};
    /// #[derive(Metrics)]
    /// struct Timings {
    ///     /// Time to answer.
    ///     #[metric(buckets = [0.25, 1.0, 10.0])]
    ///     answer_seconds: Histogram,
    /// }
    /// let catalog = obs_runtime::catalog();
    /// let answer = catalog.metric("answer_seconds").unwrap();
    /// assert_eq!(answer.le_values(), ["0.25", "1.0", "10.0", "+Inf"]);
    /// ```
    pub fn le_values(&self) -> Vec<String> {
        let Some(buckets) = &self.buckets else {
            return Vec::new();
        };
        let mut values: Vec<String> = buckets
            .iter()
            .map(|&bound| {
                let mut text = String::new();
                crate::encoding::write_f64(&mut text, bound);
                text
            })
            .collect();
        values.push("+Inf".to_owned());
        values
    }

    /// The label named `name`.
    pub fn label(&self, name: &str) -> Option<&CatalogLabel> {
        self.labels.iter().find(|label| label.name == name)
    }
}

/// One label of a metric family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogLabel {
    /// The label name.
    pub name: String,
    /// Every value of a fixed label, in index order; empty when unbounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Whether the label takes any string or integer (`#[label(unbounded)]`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unbounded: bool,
}

impl CatalogLabel {
    /// The declared values, or `None` for an unbounded label.
    pub fn fixed_values(&self) -> Option<&[String]> {
        (!self.unbounded).then_some(&self.values[..])
    }
}

/// One span declared with `#[traced]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogSpan {
    /// The span name (`codegen.lower`).
    pub name: String,
    /// The declared level.
    #[serde(with = "json::span_level")]
    pub level: crate::SpanLevel,
    /// The OpenTelemetry span kind.
    #[serde(with = "json::span_kind")]
    pub kind: crate::SpanKind,
    /// The recorded fields, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Whether the function records RED metrics (`#[traced(metrics)]`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub metrics: bool,
    /// The `tracing` target.
    pub target: String,
    /// The module the function is in.
    pub module: String,
    /// The source file.
    pub file: String,
    /// The line of the function.
    pub line: u32,
    /// The objectives measured on its RED metrics (`objective(…)`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        with = "json::objectives"
    )]
    pub objectives: Vec<crate::Objective>,
    /// The buckets of its RED duration histogram, when it records RED
    /// metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<f64>>,
}

impl Catalog {
    /// The metric named `name` (its full name, `_total` included).
    pub fn metric(&self, name: &str) -> Option<&CatalogMetric> {
        self.metrics.iter().find(|metric| metric.name == name)
    }

    /// The span named `name`.
    pub fn span(&self, name: &str) -> Option<&CatalogSpan> {
        self.spans.iter().find(|span| span.name == name)
    }
}
