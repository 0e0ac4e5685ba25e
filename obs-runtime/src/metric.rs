//! The traits every metric type implements: [`EncodeMetric`] (sealed) and
//! [`Metric`]. Above the encoders, below the cells that implement them.

use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::MetricEncoder;

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
    /// Each label's fixed values, `None` for an unbounded label (see
    /// [`LabelSet::VALUE_SETS`](crate::LabelSet::VALUE_SETS)).
    const LABEL_VALUES: &'static [Option<&'static [&'static str]>] = &[];
    /// The number of series (see [`MetricDescriptor::cardinality`]).
    const CARDINALITY: Option<usize> = Some(1);

    /// Creates the metric a descriptor describes (buckets, series cap).
    fn from_descriptor(descriptor: &MetricDescriptor) -> Self;
}
