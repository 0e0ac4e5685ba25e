//! Static descriptions of metrics: what `#[derive(Metrics)]` emits for every
//! field and what the registry enumerates.

use crate::encoding::MetricEncoder;
use crate::Registry;
use crate::RegistryError;
pub use obs_rules::MetricType;
use std::borrow::Cow;
use std::sync::Arc;

/// Everything known about a metric before it records anything: name, type,
/// help, unit, labels, cardinality and buckets.
///
/// `#[derive(Metrics)]` emits one per field as a constant
/// ([`MetricGroup::DESCRIPTORS`]); metrics registered at run time carry one
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
}

impl MetricDescriptor {
    /// The metric family name used by OpenMetrics: the name without the
    /// `_total` suffix of a counter.
    pub fn family_name(&self) -> &str {
        obs_rules::family_name(&self.name, self.metric_type)
    }
}

/// A group of metrics registered together: what `#[derive(Metrics)]`
/// implements for a struct.
///
/// ```
/// use obs_runtime::{Counter, Metrics, MetricGroup, Registry};
///
/// #[derive(Metrics)]
/// struct JobMetrics {
///     /// Jobs finished.
///     jobs_total: Counter,
/// }
///
/// let registry = Registry::new();
/// let metrics = JobMetrics::register(&registry).unwrap();
/// metrics.jobs_total.inc();
/// assert_eq!(JobMetrics::DESCRIPTORS.len(), 1);
/// ```
pub trait MetricGroup: Send + Sync + 'static {
    /// Who declared these metrics, named in registration conflicts
    /// (the struct's path, e.g. `my_service::PipelineMetrics`).
    const OWNER: &'static str;

    /// One descriptor per metric, in field order.
    const DESCRIPTORS: &'static [MetricDescriptor];

    /// Creates the metrics without registering them.
    fn new_unregistered() -> Self
    where
        Self: Sized;

    /// Calls `visit` once per metric, in [`MetricGroup::DESCRIPTORS`] order.
    fn visit_metrics(&self, visit: &mut dyn FnMut(&dyn EncodeMetric));

    /// Creates the metrics and registers them with `registry`.
    ///
    /// Fails without registering anything when a name is already taken.
    fn register(registry: &Registry) -> Result<Arc<Self>, RegistryError>
    where
        Self: Sized,
    {
        registry.register(Self::new_unregistered())
    }
}

/// Implemented by obs's metric types only: [`EncodeMetric`], and so
/// [`Metric`](crate::Metric) and [`Series`](crate::Series), cannot be
/// implemented outside obs, which keeps them free to change.
#[doc(hidden)]
pub trait Sealed {}

/// A metric whose series an encoder can write. Implemented by every metric
/// type, and sealed: it cannot be implemented outside obs.
pub trait EncodeMetric: Sealed + Send + Sync {
    /// Writes every series of this metric.
    #[doc(hidden)]
    fn encode(&self, encoder: &mut MetricEncoder<'_>);
}

/// A metric type that can be a field of a `#[derive(Metrics)]` struct or the
/// series type of a [`Family`](crate::Family).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a metric type",
    label = "not a metric type",
    note = "metric fields must be `Counter`, `Gauge`, `IntGauge`, `Histogram` or `Family<Labels, Metric>`"
)]
pub trait Metric: EncodeMetric + Sized + Send + Sync + 'static {
    /// Counter, gauge or histogram.
    const TYPE: MetricType;
    /// The label names of this metric's series (empty unless a family).
    const LABEL_NAMES: &'static [&'static str] = &[];
    /// The number of series (see [`MetricDescriptor::cardinality`]).
    const CARDINALITY: Option<usize> = Some(1);

    /// Creates the metric a descriptor describes (buckets, series cap).
    fn from_descriptor(descriptor: &MetricDescriptor) -> Self;
}
