//! [`MetricGroup`]: metrics declared and registered together, what
//! `#[derive(Metrics)]` implements.

use super::{Registry, RegistryError};
use crate::descriptor::MetricDescriptor;
use crate::metric::EncodeMetric;
use std::sync::Arc;

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

/// One `#[derive(Metrics)]` struct of the binary, listed at link time so that
/// the catalog knows every declared metric, registered or not.
#[doc(hidden)]
#[derive(Debug)]
pub struct GroupDeclaration {
    /// [`MetricGroup::OWNER`].
    pub owner: &'static str,
    /// The module the struct is declared in.
    pub module: &'static str,
    /// [`MetricGroup::DESCRIPTORS`].
    pub descriptors: &'static [MetricDescriptor],
}

/// Every non-generic `#[derive(Metrics)]` struct linked into the binary.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static METRIC_GROUPS: [GroupDeclaration];

/// Lists a metric group at one type in the binary's catalog: what
/// `#[derive(Metrics)]` does by itself for a group without type
/// parameters, and cannot for a generic one (a static cannot name a type
/// parameter), such as `obs_runtime::tower::ServerMetrics` with your
/// routes. Declare each group once, in the module whose catalog should
/// list it.
///
/// ```
/// use obs_runtime::{Counter, Family, LabelSet, LabelValue, Metrics};
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// enum Queue { Fast, Slow }
///
/// #[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// struct QueueLabels<Q: LabelValue> { queue: Q }
///
/// #[derive(Metrics)]
/// struct QueueMetrics<Q: LabelValue> {
///     /// Jobs taken, by queue.
///     queue_jobs_total: Family<QueueLabels<Q>, Counter>,
/// }
///
/// obs_runtime::declare_metrics!(QueueMetrics<Queue>);
/// ```
#[macro_export]
macro_rules! declare_metrics {
    ($group:ty) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::METRIC_GROUPS)]
            #[linkme(crate = $crate::__private::linkme)]
            static DECLARATION: $crate::__private::GroupDeclaration =
                $crate::__private::GroupDeclaration {
                    owner: <$group as $crate::__private::MetricGroup>::OWNER,
                    module: ::core::module_path!(),
                    descriptors: <$group as $crate::__private::MetricGroup>::DESCRIPTORS,
                };
        };
    };
}
