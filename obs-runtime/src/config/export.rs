//! [`ExportSettings`]: how OTLP export runs, shared by [`Config`](super::Config)
//! and the OTLP exporter's builder, so both set and check it the same way.

use super::parse::check_duration;
use super::ConfigError;
use std::time::Duration;

/// How long stopping export may take in all: dropping `init`'s guard or an
/// OTLP exporter, or a span processor's flush.
#[cfg_attr(
    not(any(feature = "init", feature = "otlp-plaintext")),
    allow(dead_code)
)]
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// How OTLP export runs: the deadline of each export, the metrics
/// interval, and the span queue and batches.
///
/// ```
/// use obs_runtime::{Config, ExportSettings};
/// use std::time::Duration;
///
/// let settings = ExportSettings::default()
///     .timeout(Duration::from_secs(3))
///     .metrics_interval(Duration::from_secs(15));
/// let config = Config::new().export(settings);
/// assert_eq!(config.export.timeout, Duration::from_secs(3));
/// assert_eq!(config.export.span_queue_size, 2048);
/// assert!(config.validate().is_ok());
///
/// let err = ExportSettings::default().timeout(Duration::ZERO).validate().unwrap_err();
/// assert_eq!(err.variable(), Some("timeout"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportSettings {
    /// The deadline of one export, retries included
    /// (`OTEL_EXPORTER_OTLP_TIMEOUT`, default 10 s).
    pub timeout: Duration,
    /// Time between two metric exports (`OBS_METRICS_EXPORT_INTERVAL` or
    /// `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s).
    pub metrics_interval: Duration,
    /// Finished spans held for export; beyond it, spans are dropped and
    /// counted (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    pub span_queue_size: usize,
    /// Spans per export request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default
    /// 512).
    pub span_batch_size: usize,
    /// The longest a finished span waits before it is exported
    /// (`OTEL_BSP_SCHEDULE_DELAY`, default 5 s; 0 exports at once).
    pub span_schedule_delay: Duration,
    /// The temporality of exported counters and histograms
    /// (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, default
    /// cumulative).
    pub metrics_temporality: Temporality,
}

/// The aggregation temporality of exported counters and histograms, as
/// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` names it. Gauges are
/// gauges whatever it says.
///
/// ```
/// use obs_runtime::{Config, Temporality};
///
/// let config = Config::from_vars([("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta")])?;
/// assert_eq!(config.export.metrics_temporality, Temporality::Delta);
/// # Ok::<(), obs_runtime::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Temporality {
    /// Totals since the metric was registered (`cumulative`), as Prometheus
    /// reads them.
    #[default]
    Cumulative,
    /// What happened since the previous export (`delta`): each point starts
    /// where the last one ended.
    Delta,
    /// `lowmemory`: delta for synchronous counters and histograms,
    /// cumulative for the rest. Every obs counter and histogram is
    /// synchronous, so this is [`Temporality::Delta`] in effect.
    LowMemory,
}

impl Temporality {
    /// Whether counters and histograms are exported as deltas.
    pub const fn is_delta(self) -> bool {
        matches!(self, Temporality::Delta | Temporality::LowMemory)
    }
}

impl std::str::FromStr for Temporality {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cumulative" => Ok(Temporality::Cumulative),
            "delta" => Ok(Temporality::Delta),
            "lowmemory" => Ok(Temporality::LowMemory),
            _ => Err("`cumulative`, `delta` or `lowmemory`"),
        }
    }
}

impl Default for ExportSettings {
    fn default() -> Self {
        ExportSettings {
            timeout: Duration::from_secs(10),
            metrics_interval: Duration::from_secs(60),
            span_queue_size: 2048,
            span_batch_size: 512,
            span_schedule_delay: Duration::from_secs(5),
            metrics_temporality: Temporality::Cumulative,
        }
    }
}

impl ExportSettings {
    /// The deadline of one export, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time between two metric exports.
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        self.metrics_interval = interval;
        self
    }

    /// Finished spans held for export.
    pub fn span_queue_size(mut self, size: usize) -> Self {
        self.span_queue_size = size;
        self
    }

    /// Spans per export request.
    pub fn span_batch_size(mut self, size: usize) -> Self {
        self.span_batch_size = size;
        self
    }

    /// The longest a finished span waits before it is exported.
    pub fn span_schedule_delay(mut self, delay: Duration) -> Self {
        self.span_schedule_delay = delay;
        self
    }

    /// The temporality of exported counters and histograms.
    pub fn metrics_temporality(mut self, temporality: Temporality) -> Self {
        self.metrics_temporality = temporality;
        self
    }

    /// Checks every value, naming the first field that is out of range:
    /// durations from 1 ms to one day (the schedule delay may be 0), sizes
    /// of at least 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_duration("timeout", self.timeout, false)?;
        check_duration("metrics_interval", self.metrics_interval, false)?;
        check_duration("span_schedule_delay", self.span_schedule_delay, true)?;
        for (field, size) in [
            ("span_queue_size", self.span_queue_size),
            ("span_batch_size", self.span_batch_size),
        ] {
            if size == 0 {
                return Err(ConfigError::invalid(field, "0", "at least 1"));
            }
        }
        Ok(())
    }
}
