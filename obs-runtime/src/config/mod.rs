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

mod error;
mod export;
mod parse;
mod values;
mod vars;

pub use error::ConfigError;
pub use export::{ExportSettings, Temporality};
// Used by `init` and the OTLP exporter, when built.
pub use error::ConfigWarning;
#[cfg_attr(
    not(any(feature = "init", feature = "otlp-plaintext")),
    allow(unused_imports)
)]
pub(crate) use export::SHUTDOWN_TIMEOUT;
#[cfg_attr(not(feature = "otlp-plaintext"), allow(unused_imports))]
pub(crate) use parse::MAX_DURATION;
pub use values::{
    Compression, LogFormat, LogWriter, OtlpTarget, Protocol, Sampler, SignalSettings, TlsFiles,
};

use crate::registry::{Registry, RegistrySource};
use parse::{check_endpoint, check_log_filter};
use std::net::SocketAddr;

/// The default `/metrics` listen address: loopback, port 9464.
pub(crate) const DEFAULT_METRICS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

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
/// Everything `init` sets up, read from the environment and adjustable in
/// code before starting.
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
    /// Serve `/catalog` next to `/metrics` (`OBS_CATALOG`, default on).
    pub catalog: bool,
    /// OpenMetrics scrapes of the registry carry `_created` samples
    /// (`OBS_CREATED_SERIES`, default off): see
    /// [`Registry::set_created_series`](crate::Registry::set_created_series).
    pub created_series: bool,
    /// Write the catalog to this path and end the process instead of
    /// starting (`OBS_CATALOG_OUT`, default unset): see [`Config::init`].
    pub catalog_out: Option<std::path::PathBuf>,
    /// The modules the catalog is scoped to (code only; default: the whole
    /// binary). See [`catalog_of`](crate::catalog_of).
    pub catalog_modules: Vec<String>,
    /// Register the process metrics, and those of the Tokio runtime `init`
    /// runs on, on the registry (`OBS_PROCESS_METRICS`, default on; with
    /// the `process` feature, part of `init`). See
    /// [`process`](crate::process).
    pub process_metrics: bool,
    /// The `build_info` gauge `init` registers (code only; default none):
    /// set it with [`Config::build_info`].
    #[cfg(feature = "process")]
    pub build_info: Option<crate::process::BuildInfo>,
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
    /// Headers for every signal (`OTEL_EXPORTER_OTLP_HEADERS`), decoded.
    pub otlp_headers: Vec<(String, String)>,
    /// The compression for every signal (`OTEL_EXPORTER_OTLP_COMPRESSION`,
    /// default none).
    pub otlp_compression: Compression,
    /// TLS files for every signal (`OTEL_EXPORTER_OTLP_CERTIFICATE`,
    /// `…_CLIENT_CERTIFICATE`, `…_CLIENT_KEY`).
    pub otlp_tls: TlsFiles,
    /// Trace export settings.
    pub otlp_traces: SignalSettings,
    /// Metric export settings.
    pub otlp_metrics: SignalSettings,
    /// Log record export settings (off unless `OTEL_LOGS_EXPORTER=otlp`).
    pub otlp_logs: SignalSettings,
    /// How OTLP export runs: deadlines, interval, span queue and batches.
    pub export: ExportSettings,
    /// The registry `/metrics` serves and OTLP exports (code only; default
    /// [`Registry::global`]).
    pub registry: RegistrySource,
    /// Where log lines go (code only; default standard output).
    pub log_writer: Option<LogWriter>,
    /// The values [`Config::from_env`] ignored, as the OpenTelemetry
    /// specification asks for unknown values: each names its variable.
    /// [`init`](crate::init) prints them on standard error.
    pub warnings: Vec<ConfigWarning>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            service_name: None,
            resource_attributes: Vec::new(),
            metrics: true,
            metrics_addr: DEFAULT_METRICS_ADDR,
            catalog: true,
            created_series: false,
            catalog_out: None,
            catalog_modules: Vec::new(),
            process_metrics: true,
            #[cfg(feature = "process")]
            build_info: None,
            tracing: true,
            logs: true,
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            sampler: Sampler::default(),
            otlp_endpoint: None,
            otlp_protocol: None,
            otlp_headers: Vec::new(),
            otlp_compression: Compression::None,
            otlp_tls: TlsFiles::default(),
            otlp_traces: SignalSettings {
                enabled: true,
                ..SignalSettings::default()
            },
            otlp_metrics: SignalSettings {
                enabled: true,
                ..SignalSettings::default()
            },
            otlp_logs: SignalSettings::default(),
            export: ExportSettings::default(),
            registry: Registry::global().into(),
            log_writer: None,
            warnings: Vec::new(),
        }
    }
}

impl Config {
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

    /// Serves `/catalog` next to `/metrics` or not.
    pub fn catalog(mut self, on: bool) -> Self {
        self.catalog = on;
        self
    }

    /// Scopes the catalog (`/catalog`, `OBS_CATALOG_OUT`) to what these
    /// modules declare, each a module path and everything under it, with
    /// obs's own metrics: for binaries that share a crate with others.
    pub fn catalog_modules<I, S>(mut self, modules: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.catalog_modules = modules.into_iter().map(Into::into).collect();
        self
    }

    /// Whether OpenMetrics scrapes carry `_created` samples.
    pub fn created_series(mut self, on: bool) -> Self {
        self.created_series = on;
        self
    }

    /// Registers the process and Tokio runtime metrics or not.
    pub fn process_metrics(mut self, on: bool) -> Self {
        self.process_metrics = on;
        self
    }

    /// Registers a `build_info` gauge: pass [`build_info!()`](crate::build_info!),
    /// which reads the calling crate's version. It does not depend on
    /// [`Config::process_metrics`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), obs_runtime::ConfigError> {
    /// let _obs = obs_runtime::Config::from_env()?
    ///     .build_info(obs_runtime::build_info!())
    ///     .init()?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "process")]
    pub fn build_info(mut self, info: crate::process::BuildInfo) -> Self {
        self.build_info = Some(info);
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

    /// Writes every finished span to standard output (or the log writer),
    /// one line each, instead of exporting traces over OTLP
    /// (`OTEL_TRACES_EXPORTER=console`).
    pub fn console_traces(mut self, on: bool) -> Self {
        self.otlp_traces.console = on;
        if on {
            self.otlp_traces.enabled = false;
        }
        self
    }

    /// Writes the registry to standard output (or the log writer) in the
    /// Prometheus text format on every export interval, instead of exporting
    /// metrics over OTLP (`OTEL_METRICS_EXPORTER=console`).
    pub fn console_metrics(mut self, on: bool) -> Self {
        self.otlp_metrics.console = on;
        if on {
            self.otlp_metrics.enabled = false;
        }
        self
    }

    /// Exports `tracing` events as OTLP log records (`OTEL_LOGS_EXPORTER`,
    /// default off).
    pub fn otlp_logs(mut self, on: bool) -> Self {
        self.otlp_logs.enabled = on;
        self
    }

    /// How OTLP export runs.
    pub fn export(mut self, settings: ExportSettings) -> Self {
        self.export = settings;
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

    /// Where log records go, when `OTEL_LOGS_EXPORTER=otlp` (or
    /// `otlp_logs(true)`) and an endpoint is set: as for traces, with
    /// `/v1/logs`.
    pub fn logs_target(&self) -> Result<Option<OtlpTarget>, ConfigError> {
        self.target(&self.otlp_logs, "/v1/logs", "otlp_logs.endpoint")
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
                .map_err(|expected| ConfigError::invalid(method, endpoint.clone(), expected))?;
            endpoint.trim().to_owned()
        } else if let Some(base) = &self.otlp_endpoint {
            let base = check_endpoint(base).map_err(|expected| {
                ConfigError::invalid("otlp_endpoint", base.clone(), expected)
            })?;
            match protocol {
                Protocol::Grpc => base.to_owned(),
                Protocol::HttpProtobuf => format!("{}{path}", base.trim_end_matches('/')),
            }
        } else {
            return Ok(None);
        };
        // A signal's headers are added to the general ones, taking the
        // value of a name both give.
        let mut headers: Vec<(String, String)> = self
            .otlp_headers
            .iter()
            .filter(|(name, _)| {
                !signal
                    .headers
                    .iter()
                    .any(|(own, _)| own.eq_ignore_ascii_case(name))
            })
            .cloned()
            .collect();
        headers.extend(signal.headers.iter().cloned());
        Ok(Some(OtlpTarget {
            endpoint,
            protocol,
            headers,
            compression: signal.compression.unwrap_or(self.otlp_compression),
            tls: signal.tls.or(&self.otlp_tls),
        }))
    }

    /// Checks the settings made in code the way the environment's are
    /// checked when read.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_log_filter("log_filter", &self.log_filter)?;
        self.traces_target()?;
        self.metrics_target()?;
        self.logs_target()?;
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
        self.export.validate()
    }
}
