//! Static descriptions of metrics: what `#[derive(Metrics)]` emits for every
//! field and what the registry enumerates.

pub use obs_rules::MetricType;
use std::borrow::Cow;

/// Everything known about a metric before it records anything: name, type,
/// help, unit, labels, cardinality and buckets.
///
/// `#[derive(Metrics)]` emits one per field as a constant
/// ([`MetricGroup::DESCRIPTORS`](crate::MetricGroup::DESCRIPTORS)); metrics registered at run time carry one
/// built by [`MetricDef`](crate::MetricDef).
///
/// ```
/// use obs_runtime::{Counter, Histogram, Metrics, MetricGroup, MetricType};
///
/// #[derive(Metrics)]
/// #[metrics(prefix = "pipeline")]
/// struct PipelineMetrics {
///     /// Total duration from spec ingest to distribution.
///     #[metric(buckets = [0.1, 1.0, 10.0])]
///     latency_seconds: Histogram,
///     /// Cycles run.
///     cycles_total: Counter,
/// }
///
/// let latency = &PipelineMetrics::DESCRIPTORS[0];
/// assert_eq!(latency.name, "pipeline_latency_seconds");
/// assert_eq!(latency.metric_type, MetricType::Histogram);
/// assert_eq!(latency.unit, Some("seconds"));
/// assert_eq!(latency.buckets.as_deref(), Some(&[0.1, 1.0, 10.0][..]));
/// assert_eq!(PipelineMetrics::CYCLES_TOTAL, "pipeline_cycles_total");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDescriptor {
    /// The full metric name, prefix included (`pipeline_latency_seconds`).
    pub name: Cow<'static, str>,
    /// Counter, gauge or histogram.
    pub metric_type: MetricType,
    /// The help text (the field's doc comment or `help = "…"`).
    pub help: Cow<'static, str>,
    /// The base unit the name ends in, if any.
    pub unit: Option<&'static str>,
    /// Label names, empty for an unlabeled metric.
    pub label_names: &'static [&'static str],
    /// Each label's fixed values, in `label_names` order; `None` for an
    /// unbounded label (a string or integer).
    pub label_values: &'static [Option<&'static [&'static str]>],
    /// The number of series: `Some(1)` for an unlabeled metric, the label set's
    /// cardinality for a fixed family, `None` for an unbounded family.
    pub cardinality: Option<usize>,
    /// Bucket upper bounds for histograms (without `+Inf`).
    pub buckets: Option<Cow<'static, [f64]>>,
    /// The most series an unbounded family keeps before it sends new label
    /// values to its overflow series; `None` means the default,
    /// [`DEFAULT_MAX_SERIES`](crate::DEFAULT_MAX_SERIES).
    pub max_series: Option<usize>,
    /// The longest label value, in bytes, an unbounded family keeps; a
    /// longer one goes to its overflow series. `None` means the default,
    /// [`DEFAULT_MAX_LABEL_BYTES`](crate::DEFAULT_MAX_LABEL_BYTES).
    pub max_label_bytes: Option<usize>,
    /// The latency objectives declared with `#[metric(objective(…))]` on a
    /// histogram.
    pub objectives: &'static [crate::Objective],
}

impl MetricDescriptor {
    /// The metric family name used by OpenMetrics: the name without the
    /// `_total` suffix of a counter.
    pub fn family_name(&self) -> &str {
        obs_rules::family_name(&self.name, self.metric_type)
    }
}
