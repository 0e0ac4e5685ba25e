//! Registries: where metrics are registered once and encoded on every scrape.

use crate::descriptor::{EncodeMetric, Metric, MetricDescriptor, MetricGroup, MetricType};
use crate::encoding::{Format, MetricEncoder, MetricSnapshot};
use crate::metrics::histogram::Buckets;
use crate::Violation;
use obs_rules::FamilyLimit;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

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
            created_series: AtomicBool::new(true),
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

    /// Who registered the metric family `name` (a counter may be named with
    /// or without `_total`).
    pub fn owner_of(&self, name: &str) -> Option<String> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let family = name.strip_suffix("_total").unwrap_or(name);
        state
            .families
            .get(family)
            .or_else(|| state.families.get(name))
            .map(|owner| owner.to_string())
    }

    /// Whether OpenMetrics scrapes carry a `_created` sample for each
    /// counter and histogram series (on by default): the time the metric
    /// was registered, which lets a query tell a restart from a reset. Turn
    /// it off when a backend stores each `_created` sample as a series of
    /// its own. The Prometheus text format never has them; OTLP export
    /// keeps the start time either way.
    ///
    /// ```
    /// use obs_runtime::{Counter, Format, MetricDef, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))?;
    /// assert!(registry.encode(Format::OPENMETRICS).contains("jobs_created "));
    /// registry.set_created_series(false);
    /// assert!(!registry.encode(Format::OPENMETRICS).contains("_created"));
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
                    metric.encode(&mut MetricEncoder::snapshot(
                        &mut series,
                        descriptor,
                        entry.created,
                    ));
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

/// A registry that an exporter reads from: one that lives for the whole
/// program (like [`Registry::global`]) or a shared one.
#[derive(Clone, Debug)]
pub enum RegistrySource {
    /// A registry that lives for the whole program.
    Static(&'static Registry),
    /// A shared registry.
    Shared(Arc<Registry>),
}

impl RegistrySource {
    /// The registry.
    pub fn get(&self) -> &Registry {
        match self {
            RegistrySource::Static(registry) => registry,
            RegistrySource::Shared(registry) => registry,
        }
    }
}

impl From<&'static Registry> for RegistrySource {
    fn from(registry: &'static Registry) -> Self {
        RegistrySource::Static(registry)
    }
}

impl From<Arc<Registry>> for RegistrySource {
    fn from(registry: Arc<Registry>) -> Self {
        RegistrySource::Shared(registry)
    }
}

/// The definition of a metric registered at run time with
/// [`Registry::register_metric`].
///
/// ```
/// use obs_runtime::{Buckets, Histogram, MetricDef, Registry};
///
/// let registry = Registry::new();
/// let def = MetricDef::new("upload_duration_seconds", "Time to upload one bundle.")
///     .buckets(Buckets::exponential(0.01, 2.0, 10)?);
/// let upload = registry.register_metric::<Histogram>(def)?;
/// upload.observe(0.3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricDef {
    name: String,
    help: String,
    unit: Option<String>,
    buckets: Option<Buckets>,
    max_series: Option<usize>,
    max_label_bytes: Option<usize>,
}

impl MetricDef {
    /// A metric named `name` (checked when registered) with help text
    /// (leading spaces and tabs are trimmed: the text format cannot carry
    /// them).
    pub fn new(name: impl Into<String>, help: impl Into<String>) -> Self {
        MetricDef {
            name: name.into(),
            help: help.into(),
            unit: None,
            buckets: None,
            max_series: None,
            max_label_bytes: None,
        }
    }

    /// Declares the unit; the name must end in it.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Histogram buckets (histograms only; the default is [`Buckets::DEFAULT`]).
    pub fn buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// The series cap of an unbounded family (at least 1; the default is
    /// [`DEFAULT_MAX_SERIES`](crate::DEFAULT_MAX_SERIES)).
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// The longest label value, in bytes, an unbounded family keeps (at
    /// least 1; the default is
    /// [`DEFAULT_MAX_LABEL_BYTES`](crate::DEFAULT_MAX_LABEL_BYTES)).
    pub fn max_label_bytes(mut self, max_label_bytes: usize) -> Self {
        self.max_label_bytes = Some(max_label_bytes);
        self
    }

    fn into_descriptor<M: Metric>(self) -> Result<MetricDescriptor, RegistryError> {
        let invalid = |violation: Violation| RegistryError::Invalid {
            name: self.name.clone(),
            violation,
        };
        obs_rules::check_metric_name(&self.name, M::TYPE).map_err(invalid)?;
        obs_rules::check_help(&self.name, &self.help).map_err(invalid)?;
        for label in M::LABEL_NAMES {
            obs_rules::check_label_name(label).map_err(invalid)?;
        }
        let unit = match &self.unit {
            Some(unit) => {
                obs_rules::check_declared_unit(&self.name, M::TYPE, unit).map_err(invalid)?;
                obs_rules::unit_of(&self.name, M::TYPE)
            }
            None => obs_rules::unit_of(&self.name, M::TYPE),
        };
        if self.buckets.is_some() && M::TYPE != MetricType::Histogram {
            return Err(invalid(Violation {
                message: format!(
                    "buckets are only for histograms, and `{}` is a {}",
                    self.name,
                    M::TYPE
                ),
                help: Some("remove `.buckets(…)`".into()),
            }));
        }
        let has_labels = !M::LABEL_NAMES.is_empty();
        for (limit, set) in [
            (FamilyLimit::MaxSeries, self.max_series),
            (FamilyLimit::MaxLabelBytes, self.max_label_bytes),
        ] {
            if let Some(value) = set {
                obs_rules::check_family_limit(limit, value, &self.name, has_labels)
                    .map_err(invalid)?;
            }
        }
        let buckets = match M::TYPE {
            MetricType::Histogram => Some(Cow::Owned(
                self.buckets.unwrap_or_default().bounds().to_vec(),
            )),
            _ => None,
        };
        Ok(MetricDescriptor {
            name: Cow::Owned(self.name),
            metric_type: M::TYPE,
            // The text format cannot carry a leading space or tab (readers
            // skip them after `# HELP name`), nor could it say anything.
            help: Cow::Owned(self.help.trim_start_matches([' ', '\t']).to_owned()),
            unit,
            label_names: M::LABEL_NAMES,
            cardinality: M::CARDINALITY,
            buckets,
            max_series: self.max_series,
            max_label_bytes: self.max_label_bytes,
        })
    }
}

/// Why a registration failed. Nothing was registered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The metric family name is already taken.
    Conflict {
        /// The metric that could not be registered.
        name: String,
        /// Who tried to register it.
        owner: String,
        /// Who registered it first.
        existing_owner: String,
    },
    /// A name, unit, label or bucket rule is broken.
    Invalid {
        /// The metric that could not be registered.
        name: String,
        /// The broken rule.
        violation: Violation,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Conflict {
                name,
                owner,
                existing_owner,
            } => write!(
                f,
                "metric `{name}` of `{owner}` is already registered by `{existing_owner}`"
            ),
            RegistryError::Invalid { name, violation } => {
                write!(f, "invalid metric `{name}`: {violation}")
            }
        }
    }
}

impl std::error::Error for RegistryError {}
