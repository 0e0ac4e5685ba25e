//! The environment variables obs reads, and [`Config::from_env`] /
//! [`Config::from_vars`], which read them into a [`Config`].

use super::parse::{
    check_endpoint, check_log_filter, parse_count, parse_delay, parse_duration, parse_exporter,
    parse_millis, parse_resource_attributes, parse_switch,
};
use super::{Config, ConfigError, LogFormat, Protocol, Sampler, SignalSettings};
use std::net::SocketAddr;
use std::str::FromStr;

/// `OTEL_SERVICE_NAME`: the `service.name` resource attribute.
pub(crate) const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `OTEL_RESOURCE_ATTRIBUTES`: `key=value,…` resource attributes.
pub(crate) const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL, for every signal.
pub(crate) const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the full URL traces are sent to.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`: the full URL metrics are sent to.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` or `http/protobuf`, for every signal.
pub(crate) const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`: the protocol for traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`: the protocol for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_TIMEOUT`: the deadline of one export, in milliseconds.
pub(crate) const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// `OTEL_TRACES_EXPORTER`: `otlp` or `none`.
pub(crate) const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `OTEL_METRICS_EXPORTER`: `otlp` or `none`.
pub(crate) const OTEL_METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";
/// `OTEL_TRACES_SAMPLER`: which spans are sampled.
pub(crate) const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// `OTEL_TRACES_SAMPLER_ARG`: the ratio of the `*traceidratio` samplers.
pub(crate) const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// `OTEL_BSP_SCHEDULE_DELAY`: the longest a finished span waits before it is
/// exported, in milliseconds.
pub(crate) const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// `OTEL_BSP_MAX_QUEUE_SIZE`: finished spans held for export; more are dropped.
pub(crate) const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: the most spans sent in one request.
pub(crate) const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// `OTEL_METRIC_EXPORT_INTERVAL`: milliseconds between two OTLP metric exports.
pub(crate) const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// `RUST_LOG`: `tracing` filter directives (`info`, `my_crate=debug,info`).
pub(crate) const RUST_LOG: &str = "RUST_LOG";
/// `OBS_METRICS`: `on` or `off`; with `off`, no `/metrics` endpoint is opened.
pub(crate) const OBS_METRICS: &str = "OBS_METRICS";
/// `OBS_TRACING`: `on` or `off`; with `off`, spans are not recorded.
pub(crate) const OBS_TRACING: &str = "OBS_TRACING";
/// `OBS_METRICS_ADDR`: where the `/metrics` endpoint listens.
pub(crate) const OBS_METRICS_ADDR: &str = "OBS_METRICS_ADDR";
/// `OBS_LOG_FORMAT`: `pretty` or `json`.
pub(crate) const OBS_LOG_FORMAT: &str = "OBS_LOG_FORMAT";
/// `OBS_METRICS_EXPORT_INTERVAL`: time between two OTLP metric exports, with
/// a unit (`500ms`, `10s`, `1m`); wins over `OTEL_METRIC_EXPORT_INTERVAL`.
pub(crate) const OBS_METRICS_EXPORT_INTERVAL: &str = "OBS_METRICS_EXPORT_INTERVAL";

/// Every variable [`Config::from_env`] reads.
pub(crate) const VARIABLES: &[&str] = &[
    OTEL_SERVICE_NAME,
    OTEL_RESOURCE_ATTRIBUTES,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_TRACES_EXPORTER,
    OTEL_METRICS_EXPORTER,
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_METRIC_EXPORT_INTERVAL,
    RUST_LOG,
    OBS_METRICS,
    OBS_TRACING,
    OBS_METRICS_ADDR,
    OBS_LOG_FORMAT,
    OBS_METRICS_EXPORT_INTERVAL,
];

/// The variables as read, one lookup per name.
struct Vars(Vec<(String, String)>);

impl Vars {
    /// One signal's own endpoint, protocol and exporter switch.
    fn signal(
        &self,
        endpoint: &'static str,
        protocol: &'static str,
        exporter: &'static str,
    ) -> Result<SignalSettings, ConfigError> {
        Ok(SignalSettings {
            endpoint: self.parse(endpoint, |s| check_endpoint(s).map(str::to_owned))?,
            protocol: self.parse(protocol, Protocol::from_str)?,
            enabled: self.parse(exporter, parse_exporter)?.unwrap_or(true),
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        // The last value wins, as when a variable is set twice; empty values
        // count as unset.
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    }

    fn parse<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => parse(value)
                .map(Some)
                .map_err(|expected| ConfigError::invalid(name, value, expected)),
        }
    }
}

impl Config {
    /// Every variable obs reads, `OTEL_*`, `RUST_LOG` and `OBS_*`.
    pub const VARIABLES: &'static [&'static str] = VARIABLES;

    /// The defaults, as if no variable were set.
    pub fn new() -> Self {
        Config::default()
    }

    /// Reads the process environment (every name in [`Config::VARIABLES`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut vars = Vec::new();
        for &name in VARIABLES {
            match std::env::var(name) {
                Ok(value) => vars.push((name.to_owned(), value)),
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(value)) => {
                    return Err(ConfigError::invalid(
                        name,
                        value.to_string_lossy(),
                        "valid UTF-8",
                    ))
                }
            }
        }
        Config::from_vars(vars)
    }

    /// Reads the given name/value pairs as if they were the environment;
    /// other names are ignored.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Vars(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        let resource_attributes = match vars.get(OTEL_RESOURCE_ATTRIBUTES) {
            Some(value) => parse_resource_attributes(value).map_err(|expected| {
                ConfigError::invalid(OTEL_RESOURCE_ATTRIBUTES, value, expected)
            })?,
            None => Vec::new(),
        };
        let mut config = Config {
            resource_attributes,
            service_name: vars.get(OTEL_SERVICE_NAME).map(|s| s.trim().to_owned()),
            ..Config::default()
        };

        if let Some(metrics) = vars.parse(OBS_METRICS, parse_switch)? {
            config.metrics = metrics;
        }
        if let Some(tracing) = vars.parse(OBS_TRACING, parse_switch)? {
            config.tracing = tracing;
        }
        if let Some(addr) = vars.parse(OBS_METRICS_ADDR, |s| {
            s.trim()
                .parse::<SocketAddr>()
                .map_err(|_| "an IP address and port, like 127.0.0.1:9464")
        })? {
            config.metrics_addr = addr;
        }
        if let Some(format) = vars.parse(OBS_LOG_FORMAT, LogFormat::from_str)? {
            config.log_format = format;
        }
        if let Some(filter) = vars.get(RUST_LOG) {
            check_log_filter(RUST_LOG, filter)?;
            config.log_filter = filter.trim().to_owned();
        }

        if let Some(name) = vars.get(OTEL_TRACES_SAMPLER) {
            config.sampler = Sampler::parse(name, vars.get(OTEL_TRACES_SAMPLER_ARG))?;
        }

        config.otlp_endpoint = vars.parse(OTEL_EXPORTER_OTLP_ENDPOINT, |s| {
            check_endpoint(s).map(str::to_owned)
        })?;
        config.otlp_protocol = vars.parse(OTEL_EXPORTER_OTLP_PROTOCOL, Protocol::from_str)?;
        config.otlp_traces = vars.signal(
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
            OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
            OTEL_TRACES_EXPORTER,
        )?;
        config.otlp_metrics = vars.signal(
            OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
            OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
            OTEL_METRICS_EXPORTER,
        )?;
        if let Some(timeout) = vars.parse(OTEL_EXPORTER_OTLP_TIMEOUT, parse_millis)? {
            config.export.timeout = timeout;
        }
        if let Some(interval) = vars.parse(OTEL_METRIC_EXPORT_INTERVAL, parse_millis)? {
            config.export.metrics_interval = interval;
        }
        if let Some(interval) = vars.parse(OBS_METRICS_EXPORT_INTERVAL, parse_duration)? {
            config.export.metrics_interval = interval;
        }
        if let Some(delay) = vars.parse(OTEL_BSP_SCHEDULE_DELAY, parse_delay)? {
            config.export.span_schedule_delay = delay;
        }
        if let Some(size) = vars.parse(OTEL_BSP_MAX_QUEUE_SIZE, parse_count)? {
            config.export.span_queue_size = size;
        }
        if let Some(size) = vars.parse(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, parse_count)? {
            config.export.span_batch_size = size;
        }
        Ok(config)
    }
}
