//! Configuration from the environment: the standard `OTEL_*` variables,
//! `RUST_LOG`, and obs's own `OBS_*` switches.
//!
//! [`Config::from_env`] reads the process environment; [`Config::from_vars`]
//! reads any list of pairs, so parsing is tested without touching the
//! environment. Every value is checked: an unparsable address, an unknown
//! protocol or sampler, a bad switch is a [`ConfigError`] naming the variable
//! and the value, never a panic and never a silent fallback to a default.
//! Empty variables count as unset, as the OpenTelemetry specification says.
//!
//! ```
//! use obs_runtime::{Config, LogFormat, Protocol};
//!
//! let config = Config::from_vars([
//!     ("OTEL_SERVICE_NAME", "checkout"),
//!     ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
//!     ("OBS_METRICS_ADDR", "0.0.0.0:9000"),
//!     ("OBS_LOG_FORMAT", "json"),
//! ])?;
//! assert_eq!(config.service_name.as_deref(), Some("checkout"));
//! assert_eq!(config.log_format, LogFormat::Json);
//! let traces = config.traces_target()?.unwrap();
//! assert_eq!(traces.endpoint, "http://127.0.0.1:4318/v1/traces");
//! assert_eq!(traces.protocol, Protocol::HttpProtobuf);
//!
//! let err = Config::from_vars([("OBS_METRICS_ADDR", "localhost")]).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid OBS_METRICS_ADDR=\"localhost\": expected an IP address and port, like 127.0.0.1:9464"
//! );
//! # Ok::<(), obs_runtime::ConfigError>(())
//! ```
//!
//! Every variable, with its default, is listed in `docs/CONFIGURATION.md`.

use crate::registry::{Registry, RegistrySource};
use std::borrow::Cow;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// `OTEL_SERVICE_NAME`: the `service.name` resource attribute.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `OTEL_RESOURCE_ATTRIBUTES`: `key=value,…` resource attributes.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL, for every signal.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the full URL traces are sent to.
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`: the full URL metrics are sent to.
pub const OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` or `http/protobuf`, for every signal.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`: the protocol for traces.
pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`: the protocol for metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_TIMEOUT`: the deadline of one export, in milliseconds.
pub const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// `OTEL_TRACES_EXPORTER`: `otlp` or `none`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `OTEL_METRICS_EXPORTER`: `otlp` or `none`.
pub const OTEL_METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";
/// `OTEL_TRACES_SAMPLER`: which spans are sampled.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// `OTEL_TRACES_SAMPLER_ARG`: the ratio of the `*traceidratio` samplers.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// `OTEL_BSP_SCHEDULE_DELAY`: the longest a finished span waits before it is
/// exported, in milliseconds.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// `OTEL_BSP_MAX_QUEUE_SIZE`: finished spans held for export; more are dropped.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: the most spans sent in one request.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// `OTEL_METRIC_EXPORT_INTERVAL`: milliseconds between two OTLP metric exports.
pub const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// `RUST_LOG`: `tracing` filter directives (`info`, `my_crate=debug,info`).
pub const RUST_LOG: &str = "RUST_LOG";
/// `OBS_METRICS`: `on` or `off`; with `off`, no `/metrics` endpoint is opened.
pub const OBS_METRICS: &str = "OBS_METRICS";
/// `OBS_TRACING`: `on` or `off`; with `off`, spans are not recorded.
pub const OBS_TRACING: &str = "OBS_TRACING";
/// `OBS_METRICS_ADDR`: where the `/metrics` endpoint listens.
pub const OBS_METRICS_ADDR: &str = "OBS_METRICS_ADDR";
/// `OBS_LOG_FORMAT`: `pretty` or `json`.
pub const OBS_LOG_FORMAT: &str = "OBS_LOG_FORMAT";
/// `OBS_METRICS_EXPORT_INTERVAL`: time between two OTLP metric exports, with
/// a unit (`500ms`, `10s`, `1m`); wins over `OTEL_METRIC_EXPORT_INTERVAL`.
pub const OBS_METRICS_EXPORT_INTERVAL: &str = "OBS_METRICS_EXPORT_INTERVAL";

/// Every variable [`Config::from_env`] reads.
pub const VARIABLES: &[&str] = &[
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

/// The default `/metrics` listen address: loopback, port 9464.
pub const DEFAULT_METRICS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// An invalid setting, or a part of the pipeline that could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable (or a setting made in code) has a value obs cannot use.
    Invalid {
        /// The variable, or the [`Config`] field the value came from.
        variable: Cow<'static, str>,
        /// The value as given.
        value: String,
        /// What was expected instead.
        expected: Cow<'static, str>,
    },
    /// A part of the pipeline could not start (the `/metrics` address is in
    /// use, the exporter thread could not be spawned).
    Start {
        /// What failed to start.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A global `tracing` subscriber was already installed, by an earlier
    /// `init` or by other code: `init` installs one and cannot replace it.
    AlreadyInitialized,
}

impl ConfigError {
    pub(crate) fn invalid(
        variable: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        ConfigError::Invalid {
            variable: variable.into(),
            value: mask_credentials(value.into()),
            expected: expected.into(),
        }
    }

    /// The variable (or `Config` method) whose value was invalid.
    pub fn variable(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { variable, .. } => Some(variable),
            _ => None,
        }
    }
}

/// `value` with the `user:pass` of every `user:pass@` in a URL replaced by
/// `***`, so an
/// error never shows a credential given in a URL.
fn mask_credentials(value: String) -> String {
    if !value.contains('@') {
        return value;
    }
    let mut masked = String::with_capacity(value.len());
    let mut rest = value.as_str();
    while let Some(scheme_end) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme_end + 3);
        masked.push_str(head);
        let authority_end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                masked.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    masked.push_str(rest);
    masked
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                variable,
                value,
                expected,
            } => write!(f, "invalid {variable}={value:?}: expected {expected}"),
            ConfigError::Start { what, reason } => write!(f, "cannot start {what}: {reason}"),
            ConfigError::AlreadyInitialized => f.write_str(
                "a global tracing subscriber is already installed; call obs_runtime::init once, \
                 before any other subscriber is set",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The OTLP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// OTLP/gRPC (`grpc`), default port 4317.
    Grpc,
    /// OTLP/HTTP with protobuf bodies (`http/protobuf`), default port 4318;
    /// the default protocol, as the OpenTelemetry specification recommends.
    HttpProtobuf,
}

impl Protocol {
    /// The name used in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        }
    }
}

impl FromStr for Protocol {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Err("`grpc` or `http/protobuf` (`http/json` is not supported)"),
            _ => Err("`grpc` or `http/protobuf`"),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which traces are sampled (`OTEL_TRACES_SAMPLER`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Sampler {
    /// `always_on`: every trace.
    AlwaysOn,
    /// `always_off`: no trace.
    AlwaysOff,
    /// `traceidratio`: this fraction of traces, decided from the trace id.
    TraceIdRatio(f64),
    /// `parentbased_always_on` (the default): follow the parent's decision;
    /// sample every root.
    #[default]
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`: follow the parent's decision; sample no root.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`: follow the parent's decision; sample this
    /// fraction of roots.
    ParentBasedTraceIdRatio(f64),
}

const SAMPLERS: &str = "one of `always_on`, `always_off`, `traceidratio`, \
    `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`";

impl Sampler {
    /// Parses `OTEL_TRACES_SAMPLER` and its `OTEL_TRACES_SAMPLER_ARG` (the
    /// ratio of the `*traceidratio` samplers, 1.0 when unset; ignored by the
    /// others, as the specification says).
    fn parse(name: &str, arg: Option<&str>) -> Result<Sampler, ConfigError> {
        let ratio = || -> Result<f64, ConfigError> {
            let Some(arg) = arg else { return Ok(1.0) };
            match arg.trim().parse::<f64>() {
                Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
                _ => Err(ConfigError::invalid(
                    OTEL_TRACES_SAMPLER_ARG,
                    arg,
                    "a ratio from 0 to 1, like 0.25",
                )),
            }
        };
        Ok(match name.trim() {
            "always_on" => Sampler::AlwaysOn,
            "always_off" => Sampler::AlwaysOff,
            "traceidratio" => Sampler::TraceIdRatio(ratio()?),
            "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
            "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio()?),
            _ => return Err(ConfigError::invalid(OTEL_TRACES_SAMPLER, name, SAMPLERS)),
        })
    }

    /// The OpenTelemetry SDK sampler.
    #[cfg(feature = "opentelemetry")]
    pub fn to_sdk(self) -> opentelemetry_sdk::trace::Sampler {
        use opentelemetry_sdk::trace::Sampler as Sdk;
        match self {
            Sampler::AlwaysOn => Sdk::AlwaysOn,
            Sampler::AlwaysOff => Sdk::AlwaysOff,
            Sampler::TraceIdRatio(ratio) => Sdk::TraceIdRatioBased(ratio),
            Sampler::ParentBasedAlwaysOn => Sdk::ParentBased(Box::new(Sdk::AlwaysOn)),
            Sampler::ParentBasedAlwaysOff => Sdk::ParentBased(Box::new(Sdk::AlwaysOff)),
            Sampler::ParentBasedTraceIdRatio(ratio) => {
                Sdk::ParentBased(Box::new(Sdk::TraceIdRatioBased(ratio)))
            }
        }
    }
}

/// How log lines are written (`OBS_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// `pretty` (the default): one human-readable line per event, coloured
    /// on a terminal.
    #[default]
    Pretty,
    /// `json`: one JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            _ => Err("`pretty` or `json`"),
        }
    }
}

/// Where one signal is exported: the full URL and the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpTarget {
    /// The URL requests go to: for HTTP/protobuf the full path
    /// (`http://host:4318/v1/traces`), for gRPC the server
    /// (`http://host:4317`).
    pub endpoint: String,
    /// The transport.
    pub protocol: Protocol,
}

/// The OTLP settings of one signal, as given (resolved by
/// [`Config::traces_target`] and [`Config::metrics_target`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SignalSettings {
    /// The signal's own endpoint, used as is.
    pub endpoint: Option<String>,
    /// The signal's own protocol.
    pub protocol: Option<Protocol>,
    /// `false` when `OTEL_{TRACES,METRICS}_EXPORTER=none`.
    pub enabled: bool,
}

/// Where log lines go when not to standard output: a function returning a
/// writer, called once per line.
#[derive(Clone)]
pub struct LogWriter(
    #[cfg_attr(not(feature = "init"), allow(dead_code))]
    pub(crate)  Arc<dyn Fn() -> Box<dyn io::Write + Send> + Send + Sync>,
);

impl LogWriter {
    /// Lines go to whatever `make` returns.
    pub fn new<W: io::Write + Send + 'static>(
        make: impl Fn() -> W + Send + Sync + 'static,
    ) -> Self {
        LogWriter(Arc::new(move || Box::new(make())))
    }
}

impl fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogWriter(..)")
    }
}

/// Everything `init` sets up, read from the environment and adjustable in
/// code before starting.
///
/// ```no_run
/// # #[cfg(feature = "init")]
/// # fn main() -> Result<(), obs_runtime::ConfigError> {
/// let _guard = obs_runtime::Config::from_env()?
///     .service_name("checkout")
///     .metrics_addr("127.0.0.1:9100".parse().unwrap())
///     .init()?;
/// # Ok(()) }
/// # #[cfg(not(feature = "init"))] fn main() {}
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// `service.name` (`OTEL_SERVICE_NAME`); when unset, the one in
    /// `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<executable>`.
    pub service_name: Option<String>,
    /// Resource attributes (`OTEL_RESOURCE_ATTRIBUTES`), in order.
    pub resource_attributes: Vec<(String, String)>,
    /// Serve `/metrics` (`OBS_METRICS`, default on).
    pub metrics: bool,
    /// Where `/metrics` listens (`OBS_METRICS_ADDR`, default `127.0.0.1:9464`).
    pub metrics_addr: SocketAddr,
    /// Record spans (`OBS_TRACING`, default on).
    pub tracing: bool,
    /// Write log lines for `tracing` events (default on; code only).
    pub logs: bool,
    /// The log format (`OBS_LOG_FORMAT`, default `pretty`).
    pub log_format: LogFormat,
    /// The `tracing` filter (`RUST_LOG`, default `info`).
    pub log_filter: String,
    /// The sampler (`OTEL_TRACES_SAMPLER`, default `parentbased_always_on`).
    pub sampler: Sampler,
    /// The collector's base URL for every signal (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub otlp_endpoint: Option<String>,
    /// The protocol for every signal (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    pub otlp_protocol: Option<Protocol>,
    /// Trace export settings.
    pub otlp_traces: SignalSettings,
    /// Metric export settings.
    pub otlp_metrics: SignalSettings,
    /// The deadline of one export (`OTEL_EXPORTER_OTLP_TIMEOUT`, default 10 s).
    pub otlp_timeout: Duration,
    /// Time between metric exports (`OBS_METRICS_EXPORT_INTERVAL` or
    /// `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s).
    pub metrics_export_interval: Duration,
    /// Finished spans held for export (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    pub span_queue_size: usize,
    /// Spans per export request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    pub span_batch_size: usize,
    /// The longest a finished span waits (`OTEL_BSP_SCHEDULE_DELAY`, default 5 s).
    pub span_schedule_delay: Duration,
    /// The registry `/metrics` serves and OTLP exports (code only; default
    /// [`Registry::global`]).
    pub registry: RegistrySource,
    /// Where log lines go (code only; default standard output).
    pub log_writer: Option<LogWriter>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            service_name: None,
            resource_attributes: Vec::new(),
            metrics: true,
            metrics_addr: DEFAULT_METRICS_ADDR,
            tracing: true,
            logs: true,
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            sampler: Sampler::default(),
            otlp_endpoint: None,
            otlp_protocol: None,
            otlp_traces: SignalSettings {
                enabled: true,
                ..SignalSettings::default()
            },
            otlp_metrics: SignalSettings {
                enabled: true,
                ..SignalSettings::default()
            },
            otlp_timeout: Duration::from_secs(10),
            metrics_export_interval: Duration::from_secs(60),
            span_queue_size: 2048,
            span_batch_size: 512,
            span_schedule_delay: Duration::from_secs(5),
            registry: RegistrySource::Static(Registry::global()),
            log_writer: None,
        }
    }
}

/// The variables as read, one lookup per name.
struct Vars(Vec<(String, String)>);

impl Vars {
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
    /// The defaults, as if no variable were set.
    pub fn new() -> Self {
        Config::default()
    }

    /// Reads the process environment (every name in [`VARIABLES`]).
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
        config.otlp_traces = SignalSettings {
            endpoint: vars.parse(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, |s| {
                check_endpoint(s).map(str::to_owned)
            })?,
            protocol: vars.parse(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, Protocol::from_str)?,
            enabled: vars
                .parse(OTEL_TRACES_EXPORTER, parse_exporter)?
                .unwrap_or(true),
        };
        config.otlp_metrics = SignalSettings {
            endpoint: vars.parse(OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, |s| {
                check_endpoint(s).map(str::to_owned)
            })?,
            protocol: vars.parse(OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, Protocol::from_str)?,
            enabled: vars
                .parse(OTEL_METRICS_EXPORTER, parse_exporter)?
                .unwrap_or(true),
        };
        if let Some(timeout) = vars.parse(OTEL_EXPORTER_OTLP_TIMEOUT, parse_millis)? {
            config.otlp_timeout = timeout;
        }
        if let Some(interval) = vars.parse(OTEL_METRIC_EXPORT_INTERVAL, parse_millis)? {
            config.metrics_export_interval = interval;
        }
        if let Some(interval) = vars.parse(OBS_METRICS_EXPORT_INTERVAL, parse_duration)? {
            config.metrics_export_interval = interval;
        }
        if let Some(delay) = vars.parse(OTEL_BSP_SCHEDULE_DELAY, parse_delay)? {
            config.span_schedule_delay = delay;
        }
        if let Some(size) = vars.parse(OTEL_BSP_MAX_QUEUE_SIZE, parse_count)? {
            config.span_queue_size = size;
        }
        if let Some(size) = vars.parse(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, parse_count)? {
            config.span_batch_size = size;
        }
        Ok(config)
    }

    /// Sets `service.name`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute (replacing one with the same key).
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.resource_attributes.retain(|(k, _)| *k != key);
        self.resource_attributes.push((key, value.into()));
        self
    }

    /// Serves `/metrics` or not.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    /// Where `/metrics` listens (port 0 picks a free port).
    pub fn metrics_addr(mut self, addr: SocketAddr) -> Self {
        self.metrics_addr = addr;
        self
    }

    /// Records spans or not.
    pub fn tracing(mut self, on: bool) -> Self {
        self.tracing = on;
        self
    }

    /// Writes log lines or not (for applications that format logs themselves).
    pub fn logs(mut self, on: bool) -> Self {
        self.logs = on;
        self
    }

    /// The log format.
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.log_format = format;
        self
    }

    /// The `tracing` filter, in `RUST_LOG` syntax; checked when starting.
    pub fn log_filter(mut self, filter: impl Into<String>) -> Self {
        self.log_filter = filter.into();
        self
    }

    /// The sampler.
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// The collector's base URL for every signal (HTTP/protobuf appends
    /// `/v1/traces` and `/v1/metrics`); checked when starting.
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp_endpoint = Some(url.into());
        self
    }

    /// The full URL traces are sent to; checked when starting.
    pub fn otlp_traces_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp_traces.endpoint = Some(url.into());
        self
    }

    /// The full URL metrics are sent to; checked when starting.
    pub fn otlp_metrics_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp_metrics.endpoint = Some(url.into());
        self
    }

    /// The protocol for every signal.
    pub fn otlp_protocol(mut self, protocol: Protocol) -> Self {
        self.otlp_protocol = Some(protocol);
        self
    }

    /// Exports traces over OTLP when an endpoint is set, or not.
    pub fn otlp_traces(mut self, on: bool) -> Self {
        self.otlp_traces.enabled = on;
        self
    }

    /// Exports metrics over OTLP when an endpoint is set, or not.
    pub fn otlp_metrics(mut self, on: bool) -> Self {
        self.otlp_metrics.enabled = on;
        self
    }

    /// The deadline of one export.
    pub fn otlp_timeout(mut self, timeout: Duration) -> Self {
        self.otlp_timeout = timeout;
        self
    }

    /// Time between two OTLP metric exports.
    pub fn metrics_export_interval(mut self, interval: Duration) -> Self {
        self.metrics_export_interval = interval;
        self
    }

    /// The longest a finished span waits before it is exported.
    pub fn span_schedule_delay(mut self, delay: Duration) -> Self {
        self.span_schedule_delay = delay;
        self
    }

    /// Finished spans held for export; beyond it spans are dropped and counted.
    pub fn span_queue_size(mut self, size: usize) -> Self {
        self.span_queue_size = size;
        self
    }

    /// The registry to serve and export (default: the global one).
    pub fn registry(mut self, registry: impl Into<RegistrySource>) -> Self {
        self.registry = registry.into();
        self
    }

    /// Writes log lines to `writer` instead of standard output.
    pub fn log_writer(mut self, writer: LogWriter) -> Self {
        self.log_writer = Some(writer);
        self
    }

    /// The `service.name` in effect: the one set, else the one in the
    /// resource attributes, else `unknown_service:<executable name>`.
    pub fn effective_service_name(&self) -> String {
        if let Some(name) = &self.service_name {
            return name.clone();
        }
        if let Some((_, name)) = self
            .resource_attributes
            .iter()
            .find(|(key, _)| key == "service.name")
        {
            return name.clone();
        }
        let exe = std::env::current_exe()
            .ok()
            .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        format!("unknown_service:{exe}")
    }

    /// Where traces go, or `None` when they are not exported (no endpoint,
    /// or `OTEL_TRACES_EXPORTER=none`).
    pub fn traces_target(&self) -> Result<Option<OtlpTarget>, ConfigError> {
        self.target(&self.otlp_traces, "/v1/traces", "otlp_traces.endpoint")
    }

    /// Where metrics go, or `None` when they are not exported over OTLP.
    pub fn metrics_target(&self) -> Result<Option<OtlpTarget>, ConfigError> {
        self.target(&self.otlp_metrics, "/v1/metrics", "otlp_metrics.endpoint")
    }

    fn target(
        &self,
        signal: &SignalSettings,
        path: &str,
        method: &'static str,
    ) -> Result<Option<OtlpTarget>, ConfigError> {
        if !signal.enabled {
            return Ok(None);
        }
        let protocol = signal
            .protocol
            .or(self.otlp_protocol)
            .unwrap_or(Protocol::HttpProtobuf);
        // A signal's own endpoint is used as is; the base endpoint gets the
        // signal's path for HTTP (gRPC routes by service name instead).
        let endpoint = if let Some(endpoint) = &signal.endpoint {
            check_endpoint(endpoint)
                .map_err(|expected| ConfigError::invalid(method, endpoint.as_str(), expected))?;
            endpoint.trim().to_owned()
        } else if let Some(base) = &self.otlp_endpoint {
            let base = check_endpoint(base).map_err(|expected| {
                ConfigError::invalid("otlp_endpoint", base.as_str(), expected)
            })?;
            match protocol {
                Protocol::Grpc => base.to_owned(),
                Protocol::HttpProtobuf => format!("{}{path}", base.trim_end_matches('/')),
            }
        } else {
            return Ok(None);
        };
        Ok(Some(OtlpTarget { endpoint, protocol }))
    }

    /// Checks the settings made in code the way the environment's are
    /// checked when read.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_log_filter("log_filter", &self.log_filter)?;
        self.traces_target()?;
        self.metrics_target()?;
        match self.sampler {
            Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio)
                if !(0.0..=1.0).contains(&ratio) =>
            {
                return Err(ConfigError::invalid(
                    "sampler",
                    ratio.to_string(),
                    "a ratio from 0 to 1",
                ))
            }
            _ => {}
        }
        if self.span_queue_size == 0 || self.span_batch_size == 0 {
            return Err(ConfigError::invalid(
                "span_queue_size",
                self.span_queue_size.min(self.span_batch_size).to_string(),
                "at least 1",
            ));
        }
        check_duration("otlp_timeout", self.otlp_timeout, false)?;
        check_duration(
            "metrics_export_interval",
            self.metrics_export_interval,
            false,
        )?;
        check_duration("span_schedule_delay", self.span_schedule_delay, true)
    }
}

/// Rejects a duration set in code that is longer than [`MAX_DURATION`], or
/// zero unless `zero_ok`, naming `field`.
pub(crate) fn check_duration(
    field: &'static str,
    duration: Duration,
    zero_ok: bool,
) -> Result<(), ConfigError> {
    if (duration.is_zero() && !zero_ok) || within_limit(duration).is_none() {
        return Err(ConfigError::invalid(
            field,
            format!("{duration:?}"),
            if zero_ok {
                "a duration of at most one day"
            } else {
                "a positive duration of at most one day"
            },
        ));
    }
    Ok(())
}

fn parse_switch(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err("`on` or `off`"),
    }
}

fn parse_exporter(value: &str) -> Result<bool, &'static str> {
    match value.trim() {
        "otlp" => Ok(true),
        "none" => Ok(false),
        _ => Err("`otlp` or `none`"),
    }
}

/// The longest timeout, interval or delay obs accepts: one day. Longer
/// values would overflow the clock arithmetic of the export thread.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// A positive whole number of milliseconds, at most [`MAX_DURATION`].
fn parse_millis(value: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "a whole number of milliseconds from 1 to 86400000 (one day), like 5000";
    match value.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => within_limit(Duration::from_millis(ms)).ok_or(EXPECTED),
        _ => Err(EXPECTED),
    }
}

/// A whole number of milliseconds, at most [`MAX_DURATION`]; 0 means at once.
fn parse_delay(value: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "a whole number of milliseconds from 0 to 86400000 (one day), like 5000";
    let ms = value.trim().parse::<u64>().map_err(|_| EXPECTED)?;
    within_limit(Duration::from_millis(ms)).ok_or(EXPECTED)
}

/// `duration`, when it is no longer than [`MAX_DURATION`].
fn within_limit(duration: Duration) -> Option<Duration> {
    (duration <= MAX_DURATION).then_some(duration)
}

fn parse_count(value: &str) -> Result<usize, &'static str> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a whole number of at least 1"),
    }
}

/// `500ms`, `10s`, `2m`: a positive duration with a unit.
fn parse_duration(value: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str =
        "a positive duration of at most one day with a unit: `500ms`, `10s` or `1m`";
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).ok_or(EXPECTED)?;
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().map_err(|_| EXPECTED)?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60).ok_or(EXPECTED)?),
        _ => return Err(EXPECTED),
    };
    if duration.is_zero() {
        return Err(EXPECTED);
    }
    within_limit(duration).ok_or(EXPECTED)
}

/// An `http://` URL with a host and an optional port. `https://` needs TLS,
/// which this build of obs does not include.
fn check_endpoint(value: &str) -> Result<&str, &'static str> {
    const EXPECTED: &str = "an `http://host:port` URL";
    let value = value.trim();
    if value.starts_with("https://") {
        return Err(
            "an `http://` URL (`https` endpoints need TLS, which obs does not include: \
             send to a local collector over `http`)",
        );
    }
    let rest = value.strip_prefix("http://").ok_or(EXPECTED)?;
    if rest.contains(char::is_whitespace) {
        return Err(EXPECTED);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // `[::1]:4317` or `host:4317`; an IPv6 address needs its brackets.
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, after) = bracketed.split_once(']').ok_or(EXPECTED)?;
            if ip.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(EXPECTED);
            }
            (ip, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty()
        && (authority.starts_with('[')
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')));
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok());
    if !host_ok || !port_ok {
        return Err(EXPECTED);
    }
    Ok(value)
}

/// `key1=value1,key2=value2`, values percent-encoded (W3C Baggage octets).
fn parse_resource_attributes(value: &str) -> Result<Vec<(String, String)>, &'static str> {
    const EXPECTED: &str = "comma-separated `key=value` pairs, values percent-encoded";
    let mut attributes: Vec<(String, String)> = Vec::new();
    for pair in value.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').ok_or(EXPECTED)?;
        let key = key.trim();
        if key.is_empty() {
            return Err(EXPECTED);
        }
        let value = percent_decode(value.trim()).ok_or(EXPECTED)?;
        attributes.retain(|(k, _)| k != key);
        attributes.push((key.to_owned(), value));
    }
    Ok(attributes)
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn check_log_filter(source: &'static str, filter: &str) -> Result<(), ConfigError> {
    #[cfg(feature = "init")]
    {
        if let Err(err) = tracing_subscriber::EnvFilter::builder().parse(filter.trim()) {
            return Err(ConfigError::invalid(
                source,
                filter,
                format!(
                    "`tracing` filter directives, like `info` or `my_crate=debug,info` ({err})"
                ),
            ));
        }
    }
    #[cfg(not(feature = "init"))]
    let _ = (source, filter);
    Ok(())
}
