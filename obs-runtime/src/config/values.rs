//! The typed values of a [`Config`](super::Config): protocol, sampler, log
//! format, OTLP targets and per-signal settings, the log writer.

use super::vars::{OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG};
use super::ConfigError;
use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::Arc;

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
    pub(super) fn parse(name: &str, arg: Option<&str>) -> Result<Sampler, ConfigError> {
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
/// [`Config::traces_target`](super::Config::traces_target) and
/// [`Config::metrics_target`](super::Config::metrics_target)).
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
