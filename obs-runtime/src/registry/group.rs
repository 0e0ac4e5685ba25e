//! [`MetricGroup`]: metrics declared and registered together, what
//! `#[derive(Metrics)]` implements.

use super::{Registry, RegistryError};
use crate::descriptor::{MetricDescriptor, MetricType};
use crate::metric::EncodeMetric;
use crate::Objective;
use std::borrow::Cow;
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
    /// Objectives given to `declare_metrics!`, on top of those the group's
    /// own `#[metric(objective(…))]` attributes declare.
    pub objectives: &'static [DeclaredObjective],
}

/// An objective `declare_metrics!` adds to one metric of a group.
#[doc(hidden)]
#[derive(Debug)]
pub struct DeclaredObjective {
    /// The metric's name.
    pub metric: &'static str,
    /// The objective.
    pub objective: Objective,
}

/// A latency objective on `metric` of a group, checked when the program
/// compiles by obs-rules' own decisions: the group has the metric, it is a
/// histogram, the threshold is one of its bucket bounds and the target a
/// share in (0, 1). A `const` cannot format, so the messages name the rule
/// and not the numbers.
#[doc(hidden)]
pub const fn declared_latency(
    descriptors: &'static [MetricDescriptor],
    metric: &'static str,
    threshold: f64,
    target: f64,
) -> DeclaredObjective {
    let mut i = 0;
    while i < descriptors.len() {
        let descriptor = &descriptors[i];
        i += 1;
        let Cow::Borrowed(name) = descriptor.name else {
            continue;
        };
        if !same(name, metric) {
            continue;
        }
        if !matches!(descriptor.metric_type, MetricType::Histogram) {
            panic!("declare_metrics!: a latency objective is measured on a histogram, and this metric is not one");
        }
        let buckets: &[f64] = match &descriptor.buckets {
            Some(Cow::Borrowed(buckets)) => buckets,
            _ => &[],
        };
        if !obs_rules::is_bucket_bound(threshold, buckets) {
            panic!("declare_metrics!: the latency threshold is not one of the histogram's bucket bounds");
        }
        if !obs_rules::is_objective_target(target) {
            panic!("declare_metrics!: an objective's target is a share between 0 and 1, both excluded (write 0.99 for 99%)");
        }
        return DeclaredObjective {
            metric,
            objective: Objective::Latency { threshold, target },
        };
    }
    panic!("declare_metrics!: the group has no metric of this name")
}

/// Whether two strings are the same, in a `const`.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

crate::linked::linked_list! {
    /// Every non-generic `#[derive(Metrics)]` struct linked into the binary,
    /// and every `declare_metrics!`.
    #[cfg_attr(not(feature = "catalog"), allow(dead_code))]
    pub(crate) fn metric_groups() -> &'static [&'static GroupDeclaration],
    section = "obs_0_1_metric_groups",
    start = "__start_obs_0_1_metric_groups",
    stop = "__stop_obs_0_1_metric_groups"
}

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
///
/// A service can also put its latency objectives on a group it did not
/// write, such as the HTTP server layer's request durations, each
/// `objective(metric: latency(threshold) = target)` as
/// `#[metric(objective(latency(…) = …))]` would on its own histogram. The
/// catalog lists them, and the rules and alerts are generated from them.
/// Each is checked when the program compiles: a metric the group does not
/// have, one that is not a histogram, a threshold that is not a bucket
/// bound, a target outside (0, 1) are compile errors.
///
/// ```
/// # use obs_runtime::{Family, Histogram, LabelSet, LabelValue, Metrics};
/// # #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// # enum Queue { Fast, Slow }
/// # #[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// # struct QueueLabels<Q: LabelValue> { queue: Q }
/// #[derive(Metrics)]
/// struct WaitMetrics<Q: LabelValue> {
///     /// Time a job waited, by queue.
///     #[metric(buckets = [0.1, 0.5, 1.0])]
///     queue_wait_seconds: Family<QueueLabels<Q>, Histogram>,
/// }
///
/// obs_runtime::declare_metrics!(
///     WaitMetrics<Queue>,
///     objective(queue_wait_seconds: latency(0.5) = 0.99),
/// );
/// ```
#[macro_export]
macro_rules! declare_metrics {
    ($group:ty $(, objective($metric:ident : latency($threshold:literal) = $target:literal))* $(,)?) => {
        $crate::__linked! {
                "obs_0_1_metric_groups",
                $crate::__private::GroupDeclaration,
                $crate::__private::GroupDeclaration {
                    owner: <$group as $crate::__private::MetricGroup>::OWNER,
                    module: ::core::module_path!(),
                    descriptors: <$group as $crate::__private::MetricGroup>::DESCRIPTORS,
                    objectives: &[$(
                        $crate::__private::declared_latency(
                            <$group as $crate::__private::MetricGroup>::DESCRIPTORS,
                            ::core::stringify!($metric),
                            $threshold,
                            $target,
                        )
                    ),*],
                }
        }
    };
}
