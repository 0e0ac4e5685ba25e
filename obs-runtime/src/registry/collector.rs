//! [`Collector`]: metrics whose values are read when the registry is scraped
//! or exported (process statistics, a runtime's counters), not recorded into
//! cells. They cost nothing between scrapes: nothing of theirs is on the
//! recording path.

use super::{RegistryError, VisitMetrics};
use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::MetricEncoder;
use crate::metric::EncodeMetric;
use crate::snapshot::{SeriesSnapshot, SeriesValue};
use std::borrow::Cow;
use std::panic::{self, AssertUnwindSafe};

/// Metrics read at scrape time: on every [`Registry::encode`] and
/// [`Registry::snapshot`] (so `/metrics` and OTLP export alike), a
/// registered collector reads the current values and adds them to a
/// [`Collection`].
///
/// [`describe`](Collector::describe) declares its metrics once, when it is
/// registered with [`Registry::register_collector`]: their names, help and
/// labels are checked with the rules `#[derive(Metrics)]` applies, and a
/// broken one is an error, not a panic. A collector that cannot read its
/// source (a file missing) adds nothing, and its metrics have no series
/// until it can; one that panics has no series in that scrape.
///
/// [`Registry::encode`]: super::Registry::encode
/// [`Registry::snapshot`]: super::Registry::snapshot
/// [`Registry::register_collector`]: super::Registry::register_collector
///
/// ```
/// use obs_runtime::{CollectedMetric, Collection, Collector, Format, Registry, SeriesValue};
///
/// struct Uptime(std::time::Instant);
///
/// impl Collector for Uptime {
///     fn describe(&self) -> Vec<CollectedMetric> {
///         vec![CollectedMetric::gauge("app_uptime_seconds", "Seconds since the app started.")]
///     }
///
///     fn collect(&self, out: &mut Collection<'_>) {
///         let seconds = self.0.elapsed().as_secs_f64();
///         out.add("app_uptime_seconds", &[], SeriesValue::Gauge(seconds));
///     }
/// }
///
/// let registry = Registry::new();
/// registry.register_collector(Uptime(std::time::Instant::now()))?;
/// assert!(registry.encode(Format::PROMETHEUS_TEXT).contains("\napp_uptime_seconds "));
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
pub trait Collector: Send + Sync + 'static {
    /// The metrics this collector reports, read once when it is registered.
    fn describe(&self) -> Vec<CollectedMetric>;

    /// Adds the current series of its metrics to `out`. Runs on every
    /// scrape and export, on the thread that asked, under the registry's
    /// read lock: keep it short and never block on the application.
    fn collect(&self, out: &mut Collection<'_>);
}

/// One metric a [`Collector`] reports: a counter, a gauge or an info
/// metric, with the names of its labels.
///
/// ```
/// use obs_runtime::CollectedMetric;
///
/// let cpu = CollectedMetric::counter("process_cpu_seconds_total", "CPU time used, in seconds.");
/// let build = CollectedMetric::info("build_info", "The build.").labels(&["version"]);
/// # let _ = (cpu, build);
/// ```
#[derive(Clone, Debug)]
pub struct CollectedMetric {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    kind: Kind,
    label_names: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Info,
}

impl CollectedMetric {
    /// A counter: its name ends in `_total`; its series are
    /// [`SeriesValue::Counter`] or [`SeriesValue::FloatCounter`].
    pub fn counter(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, help, Kind::Counter)
    }

    /// A gauge; its series are [`SeriesValue::Gauge`] or
    /// [`SeriesValue::IntGauge`].
    pub fn gauge(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, help, Kind::Gauge)
    }

    /// An info metric: a gauge named `…_info` whose series are 1, the
    /// information in their labels (`build_info{version="1.2.0"}`).
    pub fn info(name: impl Into<Cow<'static, str>>, help: impl Into<Cow<'static, str>>) -> Self {
        Self::new(name, help, Kind::Info)
    }

    /// The names of its labels, in the order [`Collection::add`] takes
    /// their values. Their values are not known in advance: keep them few.
    pub fn labels(mut self, names: &'static [&'static str]) -> Self {
        self.label_names = names;
        self
    }

    fn new(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        kind: Kind,
    ) -> Self {
        CollectedMetric {
            name: name.into(),
            help: help.into(),
            kind,
            label_names: &[],
        }
    }

    /// Checks the metric with obs's rules and describes it.
    pub(super) fn into_descriptor(self) -> Result<MetricDescriptor, RegistryError> {
        let invalid = |violation| RegistryError::Invalid {
            name: self.name.to_string(),
            violation,
        };
        let metric_type = match self.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge | Kind::Info => MetricType::Gauge,
        };
        match self.kind {
            Kind::Info => obs_rules::check_info_metric_name(&self.name),
            _ => obs_rules::check_metric_name(&self.name, metric_type),
        }
        .map_err(invalid)?;
        obs_rules::check_help(&self.name, &self.help).map_err(invalid)?;
        for label in self.label_names {
            obs_rules::check_label_name(label).map_err(invalid)?;
        }
        let unit = match self.kind {
            Kind::Info => None,
            _ => obs_rules::unit_of(&self.name, metric_type),
        };
        Ok(MetricDescriptor {
            unit,
            metric_type,
            help: Cow::Owned(self.help.trim_start_matches([' ', '\t']).to_owned()),
            name: self.name,
            label_names: self.label_names,
            // Read at scrape time: no value is known in advance.
            label_values: &[],
            cardinality: match (self.kind, self.label_names.is_empty()) {
                (Kind::Info, _) | (_, true) => Some(1),
                _ => None,
            },
            buckets: None,
            max_series: None,
            max_label_bytes: None,
            objectives: &[],
        })
    }
}

/// The series one [`Collector::collect`] call reports, by metric.
pub struct Collection<'a> {
    descriptors: &'a [MetricDescriptor],
    series: Vec<Vec<SeriesSnapshot>>,
}

impl<'a> Collection<'a> {
    fn new(descriptors: &'a [MetricDescriptor]) -> Self {
        Collection {
            descriptors,
            series: vec![Vec::new(); descriptors.len()],
        }
    }

    /// Adds one series of the declared metric `name`, with one value per
    /// declared label, in order.
    ///
    /// Left out, so that the exposition stays valid whatever a collector
    /// does: a series of an undeclared metric, with the wrong number of
    /// label values, of another type than its metric (a gauge value for a
    /// counter), a counter below zero or `NaN`, the same labels twice, or
    /// past [`DEFAULT_MAX_SERIES`](crate::DEFAULT_MAX_SERIES) series of one
    /// metric.
    pub fn add(&mut self, name: &str, label_values: &[&str], value: SeriesValue) {
        let Some(at) = self.descriptors.iter().position(|d| d.name == name) else {
            return;
        };
        let descriptor = &self.descriptors[at];
        let fits = match (descriptor.metric_type, &value) {
            (MetricType::Counter, SeriesValue::Counter(_)) => true,
            (MetricType::Counter, SeriesValue::FloatCounter(x)) => *x >= 0.0,
            (MetricType::Gauge, SeriesValue::Gauge(_) | SeriesValue::IntGauge(_)) => true,
            _ => false,
        };
        let series = &mut self.series[at];
        if !fits
            || label_values.len() != descriptor.label_names.len()
            || series.len() >= obs_rules::DEFAULT_MAX_SERIES
        {
            return;
        }
        let labels: Vec<(String, String)> = descriptor
            .label_names
            .iter()
            .zip(label_values)
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        if series.iter().any(|s| s.labels == labels) {
            return;
        }
        series.push(SeriesSnapshot { labels, value });
    }
}

/// A registered collector and the descriptors of its metrics.
pub(super) struct Collecting<C> {
    pub(super) collector: C,
    pub(super) descriptors: Vec<MetricDescriptor>,
}

impl<C: Collector> VisitMetrics for Collecting<C> {
    fn visit(&self, visit: &mut dyn FnMut(&dyn EncodeMetric)) {
        let mut out = Collection::new(&self.descriptors);
        // A collector that panics reports nothing in this scrape, and the
        // scrape goes on.
        let read = panic::catch_unwind(AssertUnwindSafe(|| self.collector.collect(&mut out)));
        if read.is_err() {
            out.series.iter_mut().for_each(Vec::clear);
        }
        for series in &out.series {
            visit(&CollectedSeries(series));
        }
    }
}

/// One metric's series, as a collector read them.
struct CollectedSeries<'a>(&'a [SeriesSnapshot]);

impl crate::metric::Sealed for CollectedSeries<'_> {}

impl EncodeMetric for CollectedSeries<'_> {
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        for series in self.0 {
            encoder.series(series);
        }
    }
}
