// This module owns registration and the scrape of what was registered: the
// `Registry` (this file), the run-time definitions of single metrics and
// their rules (`def.rs`), metrics read at scrape time (`collector.rs`), and
// the handle exporters read through (`source.rs`). It may import the cells (`metrics`), descriptors and
// encoders, and `obs-rules`; nothing above it (exporters, config, init).

//! Registries: where metrics are registered once and encoded on every scrape.

use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::{Format, MetricEncoder};
use crate::metric::{EncodeMetric, Metric};
use crate::snapshot::MetricSnapshot;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

mod collector;
mod def;
mod group;
mod source;

pub use collector::{CollectedMetric, Collection, Collector};
pub use def::{MetricDef, RegistryError};
#[cfg(feature = "catalog")]
pub(crate) use group::metric_groups;
pub use group::{declared_latency, DeclaredObjective, GroupDeclaration, MetricGroup};
pub use source::RegistrySource;

/// A set of registered metrics, encoded together on a scrape.
///
/// Use [`Registry::global`] for the process-wide default, or create explicit
/// ones (per test, per subsystem). Registering a name twice is an error that
/// names both owners; nothing panics.
///
/// ```
/// use obs_runtime::{Counter, Format, Metrics, MetricGroup, Registry};
///
/// #[derive(Metrics, Debug)]
/// #[metrics(prefix = "jobs")]
/// struct JobMetrics {
///     /// Jobs finished.
///     finished_total: Counter,
/// }
///
/// let registry = Registry::new();
/// let jobs = JobMetrics::register(&registry)?;
/// jobs.finished_total.inc();
///
/// let text = registry.encode(Format::PROMETHEUS_TEXT);
/// assert!(text.contains("jobs_finished_total 1\n"));
///
/// // The same names cannot be registered twice.
/// let err = JobMetrics::register(&registry).unwrap_err();
/// assert!(err.to_string().contains("already registered"));
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
pub struct Registry {
    state: RwLock<State>,
    // Whether OpenMetrics scrapes carry `_created` samples.
    created_series: AtomicBool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            state: RwLock::default(),
            created_series: AtomicBool::new(false),
        }
    }
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    // Family name (a counter's name without `_total`) → owner of the entry
    // holding it. Families, not sample names, must be unique: a gauge `x`
    // and a counter `x_total` would share the OpenMetrics family `x`.
    families: HashMap<String, Cow<'static, str>>,
}

struct Entry {
    owner: Cow<'static, str>,
    descriptors: Cow<'static, [MetricDescriptor]>,
    metrics: Arc<dyn VisitMetrics>,
    created: f64,
}

// The object-safe part of `MetricGroup`, so that entries of different types
// sit in one list.
trait VisitMetrics: Send + Sync {
    fn visit(&self, visit: &mut dyn FnMut(&dyn EncodeMetric));
}

impl<G: MetricGroup> VisitMetrics for G {
    fn visit(&self, visit: &mut dyn FnMut(&dyn EncodeMetric)) {
        self.visit_metrics(visit);
    }
}

struct Single<M>(Arc<M>);

impl<M: Metric> VisitMetrics for Single<M> {
    fn visit(&self, visit: &mut dyn FnMut(&dyn EncodeMetric)) {
        visit(&*self.0);
    }
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::new);

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// The process-wide default registry.
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Registers a group of metrics (a `#[derive(Metrics)]` struct) and
    /// returns it shared, to record through.
    ///
    /// Fails, registering nothing, when one of its names is already taken.
    pub fn register<G: MetricGroup>(
        &self,
        group: impl Into<Arc<G>>,
    ) -> Result<Arc<G>, RegistryError> {
        let group = group.into();
        self.insert(
            Cow::Borrowed(G::OWNER),
            Cow::Borrowed(G::DESCRIPTORS),
            group.clone(),
        )?;
        Ok(group)
    }

    /// Creates and registers one metric whose name is known only at run time.
    ///
    /// The definition is checked with the same rules `#[derive(Metrics)]`
    /// applies at compile time.
    ///
    /// ```
    /// use obs_runtime::{Counter, MetricDef, Registry};
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))?;
    /// jobs.inc();
    ///
    /// let err = registry.register_metric::<Counter>(MetricDef::new("jobs", "Jobs run.")).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid metric `jobs`: counter `jobs` must end in `_total` (help: rename it `jobs_total`)");
    /// # Ok::<(), obs_runtime::RegistryError>(())
    /// ```
    #[track_caller]
    pub fn register_metric<M: Metric>(&self, def: MetricDef) -> Result<Arc<M>, RegistryError> {
        let caller = Location::caller();
        let descriptor = def.into_descriptor::<M>()?;
        let metric = Arc::new(M::from_descriptor(&descriptor));
        let owner = format!(
            "the metric registered at {}:{}",
            caller.file(),
            caller.line()
        );
        self.insert(
            Cow::Owned(owner),
            Cow::Owned(vec![descriptor]),
            Arc::new(Single(metric.clone())),
        )?;
        Ok(metric)
    }

    /// Registers a [`Collector`]: metrics whose values it reads on every
    /// scrape and export. Their definitions are checked with the rules
    /// `#[derive(Metrics)]` applies.
    ///
    /// Fails, registering nothing, when a definition breaks a rule or one of
    /// its names is already taken.
    ///
    /// ```
    /// use obs_runtime::{CollectedMetric, Collection, Collector, Registry};
    ///
    /// struct Bad;
    ///
    /// impl Collector for Bad {
    ///     fn describe(&self) -> Vec<CollectedMetric> {
    ///         vec![CollectedMetric::gauge("uptime_ms", "Time since start.")]
    ///     }
    ///     fn collect(&self, _: &mut Collection<'_>) {}
    /// }
    ///
    /// let err = Registry::new().register_collector(Bad).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid metric `uptime_ms`: metric name `uptime_ms` uses the unit `ms`"));
    /// ```
    pub fn register_collector<C: Collector>(&self, collector: C) -> Result<(), RegistryError> {
        let descriptors = collector
            .describe()
            .into_iter()
            .map(CollectedMetric::into_descriptor)
            .collect::<Result<Vec<_>, _>>()?;
        let owner = format!("the collector `{}`", std::any::type_name::<C>());
        self.insert(
            Cow::Owned(owner),
            Cow::Owned(descriptors.clone()),
            Arc::new(collector::Collecting {
                collector,
                descriptors,
            }),
        )
    }

    fn insert(
        &self,
        owner: Cow<'static, str>,
        descriptors: Cow<'static, [MetricDescriptor]>,
        metrics: Arc<dyn VisitMetrics>,
    ) -> Result<(), RegistryError> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for (i, descriptor) in descriptors.iter().enumerate() {
            let family = descriptor.family_name();
            let taken_here = descriptors[..i].iter().any(|d| d.family_name() == family);
            let existing = match state.families.get(family) {
                Some(existing) => Some(existing.to_string()),
                None if taken_here => Some(owner.to_string()),
                None => None,
            };
            if let Some(existing_owner) = existing {
                return Err(RegistryError::Conflict {
                    name: descriptor.name.to_string(),
                    owner: owner.to_string(),
                    existing_owner,
                });
            }
        }
        for descriptor in descriptors.iter() {
            state
                .families
                .insert(descriptor.family_name().to_owned(), owner.clone());
        }
        let created = crate::clock::unix_seconds();
        state.entries.push(Entry {
            owner,
            descriptors,
            metrics,
            created,
        });
        Ok(())
    }

    /// Every registered metric's descriptor, in registration order.
    pub fn descriptors(&self) -> Vec<MetricDescriptor> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state
            .entries
            .iter()
            .flat_map(|entry| entry.descriptors.iter().cloned())
            .collect()
    }

    /// Every registered metric's descriptor with its owner, for the catalog.
    #[cfg(feature = "catalog")]
    pub(crate) fn declared(&self) -> Vec<(String, MetricDescriptor)> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state
            .entries
            .iter()
            .flat_map(|entry| {
                let owner = entry.owner.to_string();
                entry
                    .descriptors
                    .iter()
                    .map(move |d| (owner.clone(), d.clone()))
            })
            .collect()
    }

    /// Who registered the metric family `name` (a counter may be named with
    /// or without `_total`). For tests.
    #[doc(hidden)]
    pub fn owner_of(&self, name: &str) -> Option<String> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let family = obs_rules::family_name(name, MetricType::Counter);
        state
            .families
            .get(family)
            .or_else(|| state.families.get(name))
            .map(|owner| owner.to_string())
    }

    /// Whether OpenMetrics scrapes carry a `_created` sample for each
    /// counter and histogram series (off by default; `OBS_CREATED_SERIES=on`
    /// through [`init`](crate::init())): the time the metric was
    /// registered, which lets a query tell a restart from a reset.
    ///
    /// Off by default, as client_golang has it: Prometheus reads them only
    /// behind its `created-timestamp-zero-ingestion` feature flag, backends
    /// without it store each one as a series of its own, and they double
    /// the lines of a scrape (and its encoding time). The Prometheus text
    /// format never has them; OTLP export carries the start time either
    /// way.
    ///
    /// ```
    /// use obs_runtime::{Counter, Format, MetricDef, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))?;
    /// assert!(!registry.encode(Format::OPENMETRICS).contains("_created"));
    /// registry.set_created_series(true);
    /// assert!(registry.encode(Format::OPENMETRICS).contains("jobs_created "));
    /// # Ok::<(), obs_runtime::RegistryError>(())
    /// ```
    pub fn set_created_series(&self, on: bool) {
        // Relaxed: a setting read on its own at each scrape.
        self.created_series.store(on, Ordering::Relaxed);
    }

    /// Encodes every registered metric.
    pub fn encode(&self, format: Format) -> String {
        let mut out = String::new();
        self.encode_to(format, &mut out);
        out
    }

    /// Encodes every registered metric, appending to `out` (reuse the buffer
    /// between scrapes to avoid reallocating).
    ///
    /// Holds a read lock on the registry's list while encoding; recording into
    /// metrics never touches that lock, so a scrape never blocks the hot path.
    pub fn encode_to(&self, format: Format, out: &mut String) {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let mut labels = String::new();
        let created_series = self.created_series.load(Ordering::Relaxed);
        for entry in &state.entries {
            let mut descriptors = entry.descriptors.iter();
            entry.metrics.visit(&mut |metric| {
                if let Some(descriptor) = descriptors.next() {
                    let created = created_series.then_some(entry.created);
                    let mut encoder =
                        MetricEncoder::text(out, format, descriptor, &mut labels, created);
                    encoder.write_header();
                    metric.encode(&mut encoder);
                }
            });
        }
        if format == Format::OPENMETRICS {
            out.push_str(crate::encoding::OPENMETRICS_EOF);
        }
    }
}

impl Registry {
    /// Every registered metric with the current value of each series, in
    /// registration order.
    ///
    /// ```
    /// use obs_runtime::{Counter, MetricDef, Registry, SeriesValue};
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))?;
    /// jobs.inc_by(3);
    /// let snapshot = registry.snapshot();
    /// assert_eq!(snapshot[0].descriptor.name, "jobs_total");
    /// assert_eq!(snapshot[0].series[0].value, SeriesValue::Counter(3));
    /// # Ok::<(), obs_runtime::RegistryError>(())
    /// ```
    pub fn snapshot(&self) -> Vec<MetricSnapshot> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let mut metrics = Vec::new();
        for entry in &state.entries {
            let mut descriptors = entry.descriptors.iter();
            entry.metrics.visit(&mut |metric| {
                if let Some(descriptor) = descriptors.next() {
                    let mut series = Vec::new();
                    metric.encode(&mut MetricEncoder::snapshot(&mut series, descriptor));
                    metrics.push(MetricSnapshot {
                        descriptor: descriptor.clone(),
                        created: entry.created,
                        series,
                    });
                }
            });
        }
        metrics
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Registry")
            .field(
                "owners",
                &state.entries.iter().map(|e| &e.owner).collect::<Vec<_>>(),
            )
            .field("families", &state.families.len())
            .finish()
    }
}
