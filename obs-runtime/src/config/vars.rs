//! The environment variables obs reads, and [`Config::from_env`] /
//! [`Config::from_vars`], which read them into a [`Config`].

use super::parse::{
    check_endpoint, check_log_filter, parse_bool, parse_compression, parse_count, parse_delay,
    parse_duration, parse_exporter, parse_headers, parse_millis, parse_resource_attributes,
    parse_switch, Exporter,
};
use super::{
    Compression, Config, ConfigError, ConfigWarning, LogFormat, Protocol, Sampler, SignalSettings,
    Temporality, TlsFiles,
};
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
/// `OTEL_EXPORTER_OTLP_HEADERS`: `name=value,…` headers for every signal,
/// values percent-encoded.
pub(crate) const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: headers for traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
/// `OTEL_EXPORTER_OTLP_METRICS_HEADERS`: headers for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
/// `OTEL_EXPORTER_OTLP_COMPRESSION`: `gzip` or `none`, for every signal.
pub(crate) const OTEL_EXPORTER_OTLP_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
/// `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`: the compression of traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: &str =
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION";
/// `OTEL_EXPORTER_OTLP_METRICS_COMPRESSION`: the compression of metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: &str =
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION";
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`: the CA file trusted for every signal.
pub(crate) const OTEL_EXPORTER_OTLP_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE`: the CA file for traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE`: the CA file for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: the client certificate file.
pub(crate) const OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE`: the same, for traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE`: the same, for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: the client certificate's private key.
pub(crate) const OTEL_EXPORTER_OTLP_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY`: the same, for traces.
pub(crate) const OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: &str =
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY`: the same, for metrics.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: &str =
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY";
/// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`: the full URL log records are sent to.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
/// `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL`: the protocol for log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL";
/// `OTEL_EXPORTER_OTLP_LOGS_HEADERS`: headers for log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_HEADERS: &str = "OTEL_EXPORTER_OTLP_LOGS_HEADERS";
/// `OTEL_EXPORTER_OTLP_LOGS_COMPRESSION`: the compression of log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION";
/// `OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE`: the CA file for log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE`: the client certificate for
/// log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE";
/// `OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY`: the client key for log records.
pub(crate) const OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY";
/// `OTEL_LOGS_EXPORTER`: `otlp` exports `tracing` events as OTLP log
/// records; `none` (the default in obs) does not.
pub(crate) const OTEL_LOGS_EXPORTER: &str = "OTEL_LOGS_EXPORTER";
/// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`: `cumulative`,
/// `delta` or `lowmemory`.
pub(crate) const OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
/// `OTEL_SDK_DISABLED`: `true` turns every OpenTelemetry export off.
pub(crate) const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `OTEL_EXPORTER_OTLP_TIMEOUT`: the deadline of one export, in milliseconds.
pub(crate) const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// `OTEL_TRACES_EXPORTER`: `otlp` or `none` (any case).
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
/// `OBS_CATALOG`: `on` or `off`; with `off`, the endpoint does not serve
/// `/catalog`.
pub(crate) const OBS_CATALOG: &str = "OBS_CATALOG";
/// `OBS_CREATED_SERIES`: `on` or `off`; with `on`, OpenMetrics scrapes
/// carry a `_created` sample per counter and histogram series.
pub(crate) const OBS_CREATED_SERIES: &str = "OBS_CREATED_SERIES";
/// `OBS_CATALOG_OUT`: a path; `init` writes the binary's catalog there and
/// ends the process, starting nothing.
pub(crate) const OBS_CATALOG_OUT: &str = "OBS_CATALOG_OUT";
/// `OBS_PROCESS_METRICS`: `on` or `off`; with `off`, `init` registers no
/// process or Tokio runtime metrics.
pub(crate) const OBS_PROCESS_METRICS: &str = "OBS_PROCESS_METRICS";

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
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    OTEL_EXPORTER_OTLP_COMPRESSION,
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
    OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    OTEL_EXPORTER_OTLP_LOGS_COMPRESSION,
    OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
    OTEL_LOGS_EXPORTER,
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
    OTEL_SDK_DISABLED,
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
    OBS_CATALOG,
    OBS_CATALOG_OUT,
    OBS_PROCESS_METRICS,
    OBS_CREATED_SERIES,
];

/// The names of the variables one signal (or every signal) is set by.
struct SignalVars {
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    compression: &'static str,
    certificate: &'static str,
    client_certificate: &'static str,
    client_key: &'static str,
}

const GENERAL: SignalVars = SignalVars {
    endpoint: OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: OTEL_EXPORTER_OTLP_PROTOCOL,
    headers: OTEL_EXPORTER_OTLP_HEADERS,
    compression: OTEL_EXPORTER_OTLP_COMPRESSION,
    certificate: OTEL_EXPORTER_OTLP_CERTIFICATE,
    client_certificate: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    client_key: OTEL_EXPORTER_OTLP_CLIENT_KEY,
};

const TRACES: SignalVars = SignalVars {
    endpoint: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    protocol: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    headers: OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    compression: OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    certificate: OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    client_certificate: OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    client_key: OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
};

const METRICS: SignalVars = SignalVars {
    endpoint: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    protocol: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    headers: OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    compression: OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
    certificate: OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    client_certificate: OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
    client_key: OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
};

const LOGS: SignalVars = SignalVars {
    endpoint: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    protocol: OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
    headers: OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    compression: OTEL_EXPORTER_OTLP_LOGS_COMPRESSION,
    certificate: OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
    client_certificate: OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
    client_key: OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
};

/// The variables as read, one lookup per name, and the warnings about the
/// values that were ignored.
struct Vars {
    vars: Vec<(String, String)>,
    warnings: Vec<ConfigWarning>,
}

/// Settings one group of [`SignalVars`] gives.
struct Read {
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    headers: Vec<(String, String)>,
    compression: Option<Compression>,
    tls: TlsFiles,
}

impl Vars {
    /// What one signal's (or every signal's) variables say.
    fn read(&mut self, names: &SignalVars) -> Result<Read, ConfigError> {
        Ok(Read {
            endpoint: self.parse(names.endpoint, |s| check_endpoint(s).map(str::to_owned))?,
            protocol: self.protocol(names.protocol)?,
            headers: self
                .parse(names.headers, parse_headers)?
                .unwrap_or_default(),
            compression: self.choice(names.compression, parse_compression),
            tls: TlsFiles {
                ca_certificate: self.get(names.certificate).map(|s| s.trim().into()),
                client_certificate: self.get(names.client_certificate).map(|s| s.trim().into()),
                client_key: self.get(names.client_key).map(|s| s.trim().into()),
            },
        })
    }

    /// A protocol: `http/json`, which the specification defines but obs
    /// does not send, is an error (ignoring it would send protobuf where
    /// JSON was asked for); an unknown name is ignored with a warning.
    fn protocol(&mut self, name: &'static str) -> Result<Option<Protocol>, ConfigError> {
        match self.get(name) {
            Some(value) if value.trim().eq_ignore_ascii_case("http/json") => Err(
                ConfigError::invalid(name, value, Protocol::from_str(value).unwrap_err()),
            ),
            _ => Ok(self.choice(name, Protocol::from_str)),
        }
    }

    /// One signal's settings: its own variables and its exporter switch
    /// (`enabled` when the switch is unset).
    fn signal(
        &mut self,
        names: &SignalVars,
        exporter: &'static str,
        enabled: bool,
    ) -> Result<SignalSettings, ConfigError> {
        let read = self.read(names)?;
        let exporter = self.choice(exporter, parse_exporter);
        Ok(SignalSettings {
            endpoint: read.endpoint,
            protocol: read.protocol,
            enabled: exporter.map_or(enabled, |e| e == Exporter::Otlp),
            console: exporter == Some(Exporter::Console),
            headers: read.headers,
            compression: read.compression,
            tls: read.tls,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        // The last value wins, as when a variable is set twice; empty values
        // count as unset.
        self.vars
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    }

    /// A value that must parse: a malformed one is an error.
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

    /// One of a few names, in any case: an unknown one is ignored with a
    /// warning, as the OpenTelemetry specification says.
    fn choice<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        let value = self.get(name)?;
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(expected) => {
                let warning = ConfigWarning {
                    variable: name.into(),
                    value: value.to_owned(),
                    expected: expected.into(),
                };
                self.warnings.push(warning);
                None
            }
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
        let mut vars = Vars {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            warnings: Vec::new(),
        };
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

        if let Some(metrics) = vars.choice(OBS_METRICS, parse_switch) {
            config.metrics = metrics;
        }
        if let Some(tracing) = vars.choice(OBS_TRACING, parse_switch) {
            config.tracing = tracing;
        }
        if let Some(catalog) = vars.choice(OBS_CATALOG, parse_switch) {
            config.catalog = catalog;
        }
        if let Some(created) = vars.choice(OBS_CREATED_SERIES, parse_switch) {
            config.created_series = created;
        }
        if let Some(process) = vars.choice(OBS_PROCESS_METRICS, parse_switch) {
            config.process_metrics = process;
        }
        if let Some(path) = vars
            .get(OBS_CATALOG_OUT)
            .filter(|path| !path.trim().is_empty())
        {
            config.catalog_out = Some(path.into());
        }
        if let Some(addr) = vars.parse(OBS_METRICS_ADDR, |s| {
            s.trim()
                .parse::<SocketAddr>()
                .map_err(|_| "an IP address and port, like 127.0.0.1:9464")
        })? {
            config.metrics_addr = addr;
        }
        if let Some(format) = vars.choice(OBS_LOG_FORMAT, LogFormat::from_str) {
            config.log_format = format;
        }
        if let Some(filter) = vars.get(RUST_LOG) {
            check_log_filter(RUST_LOG, filter)?;
            config.log_filter = filter.trim().to_owned();
        }

        // An unknown sampler is ignored with a warning; a malformed ratio is
        // an error.
        let arg = vars.get(OTEL_TRACES_SAMPLER_ARG).map(str::to_owned);
        if let Some(sampler) = vars.choice(OTEL_TRACES_SAMPLER, |name| {
            Sampler::parse(name, arg.as_deref())
        }) {
            config.sampler = sampler?;
        }

        let general = vars.read(&GENERAL)?;
        config.otlp_endpoint = general.endpoint;
        config.otlp_protocol = general.protocol;
        config.otlp_headers = general.headers;
        if let Some(compression) = general.compression {
            config.otlp_compression = compression;
        }
        config.otlp_tls = general.tls;
        config.otlp_traces = vars.signal(&TRACES, OTEL_TRACES_EXPORTER, true)?;
        config.otlp_metrics = vars.signal(&METRICS, OTEL_METRICS_EXPORTER, true)?;
        // Log records leave only when asked for: their volume is the
        // application's to decide (the specification's default is `otlp`).
        config.otlp_logs = vars.signal(&LOGS, OTEL_LOGS_EXPORTER, false)?;
        // `OTEL_SDK_DISABLED=true`: no OpenTelemetry export of any signal;
        // the `/metrics` endpoint and log lines are obs's own and stay.
        if vars.choice(OTEL_SDK_DISABLED, parse_bool) == Some(true) {
            for signal in [
                &mut config.otlp_traces,
                &mut config.otlp_metrics,
                &mut config.otlp_logs,
            ] {
                signal.enabled = false;
                signal.console = false;
            }
        }
        if let Some(temporality) = vars.choice(
            OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
            Temporality::from_str,
        ) {
            config.export.metrics_temporality = temporality;
        }
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
        config.warnings = vars.warnings;
        Ok(config)
    }
}
