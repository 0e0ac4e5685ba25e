//! The typed values of a [`Config`](super::Config): protocol, sampler, log
//! format, OTLP targets and per-signal settings, the log writer.

use super::vars::OTEL_TRACES_SAMPLER_ARG;
use super::ConfigError;
use std::fmt;
use std::io;
use std::path::PathBuf;
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
        match s.trim().to_ascii_lowercase().as_str() {
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
    ///
    /// An unknown name is the outer `Err`, with what was expected (the
    /// caller warns and ignores it); a malformed ratio is the inner one.
    pub(super) fn parse(
        name: &str,
        arg: Option<&str>,
    ) -> Result<Result<Sampler, ConfigError>, &'static str> {
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
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "always_on" => Ok(Sampler::AlwaysOn),
            "always_off" => Ok(Sampler::AlwaysOff),
            "traceidratio" => ratio().map(Sampler::TraceIdRatio),
            "parentbased_always_on" => Ok(Sampler::ParentBasedAlwaysOn),
            "parentbased_always_off" => Ok(Sampler::ParentBasedAlwaysOff),
            "parentbased_traceidratio" => ratio().map(Sampler::ParentBasedTraceIdRatio),
            _ => return Err(SAMPLERS),
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
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            _ => Err("`pretty` or `json`"),
        }
    }
}

/// Where one signal is exported: the full URL, the transport, and the
/// headers, compression and TLS files of its requests.
///
/// ```
/// use obs_runtime::{Compression, OtlpTarget, Protocol};
///
/// let target = OtlpTarget::new("https://otlp.example.com:4317", Protocol::Grpc)
///     .header("authorization", "Bearer abc123")
///     .compression(Compression::Gzip);
/// assert_eq!(target.headers, [("authorization".to_owned(), "Bearer abc123".to_owned())]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpTarget {
    /// The URL requests go to: for HTTP/protobuf the full path
    /// (`http://host:4318/v1/traces`), for gRPC the server
    /// (`http://host:4317`). `https://` needs the `otlp` feature (TLS).
    pub endpoint: String,
    /// The transport.
    pub protocol: Protocol,
    /// Headers sent with every request (gRPC metadata, or HTTP headers),
    /// decoded: `OTEL_EXPORTER_OTLP_HEADERS` values are percent-decoded
    /// when read.
    pub headers: Vec<(String, String)>,
    /// The compression of request bodies.
    pub compression: Compression,
    /// The CA and client certificate files of `https://` endpoints.
    pub tls: TlsFiles,
}

impl OtlpTarget {
    /// A target with no headers, no compression and the system's roots.
    pub fn new(endpoint: impl Into<String>, protocol: Protocol) -> Self {
        OtlpTarget {
            endpoint: endpoint.into(),
            protocol,
            headers: Vec::new(),
            compression: Compression::None,
            tls: TlsFiles::default(),
        }
    }

    /// Adds a header sent with every request, replacing one of the same
    /// name (names are case-insensitive).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Compresses request bodies (or not, with [`Compression::None`]).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The CA and client certificate files.
    pub fn tls(mut self, files: TlsFiles) -> Self {
        self.tls = files;
        self
    }

    /// The headers as HTTP headers, or an error naming the first that is
    /// not a valid header name or value.
    #[cfg(feature = "otlp-plaintext")]
    pub(crate) fn header_map(&self) -> Result<http::HeaderMap, ConfigError> {
        let mut map = http::HeaderMap::new();
        for (name, value) in &self.headers {
            let invalid = |expected: &'static str| {
                ConfigError::invalid("an OTLP header", format!("{name}={value}"), expected)
            };
            let name = http::HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| invalid("a header name of letters, digits and `-`"))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| invalid("a header value without control characters"))?;
            map.append(name, value);
        }
        Ok(map)
    }
}

/// How request bodies are compressed (`OTEL_EXPORTER_OTLP_COMPRESSION`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Bodies as they are (`none`).
    #[default]
    None,
    /// gzip: `Content-Encoding: gzip` over HTTP, `grpc-encoding: gzip` over
    /// gRPC.
    Gzip,
}

/// PEM files for TLS: the CA that signs the collector's certificate (in
/// place of the system's roots), and a client certificate with its key for
/// mutual TLS. Relative paths are read from the working directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsFiles {
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`: the trusted CA certificate(s).
    pub ca_certificate: Option<PathBuf>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: the client's certificate
    /// chain.
    pub client_certificate: Option<PathBuf>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: the client's private key.
    pub client_key: Option<PathBuf>,
}

impl TlsFiles {
    /// No files: the system's roots, no client certificate.
    pub fn new() -> Self {
        TlsFiles::default()
    }

    /// Trusts the CA certificate(s) in `path` instead of the system's roots.
    pub fn ca_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certificate = Some(path.into());
        self
    }

    /// Presents the certificate chain in `certificate`, with the private key
    /// in `key` (mutual TLS).
    pub fn client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.client_certificate = Some(certificate.into());
        self.client_key = Some(key.into());
        self
    }

    /// Each file of `self`, or of `general` where `self` has none.
    pub(super) fn or(&self, general: &TlsFiles) -> TlsFiles {
        TlsFiles {
            ca_certificate: self
                .ca_certificate
                .clone()
                .or_else(|| general.ca_certificate.clone()),
            client_certificate: self
                .client_certificate
                .clone()
                .or_else(|| general.client_certificate.clone()),
            client_key: self
                .client_key
                .clone()
                .or_else(|| general.client_key.clone()),
        }
    }
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
    /// Whether the signal is exported when an endpoint is set:
    /// `OTEL_{TRACES,METRICS,LOGS}_EXPORTER` is `otlp` (or unset, for traces
    /// and metrics).
    pub enabled: bool,
    /// Whether the signal is written to standard output instead, for
    /// development: `OTEL_{TRACES,METRICS}_EXPORTER=console`. (Log lines go
    /// to standard output anyway; `OTEL_LOGS_EXPORTER=console` only keeps
    /// them from OTLP.)
    pub console: bool,
    /// The signal's own headers, added to the general ones (a name given in
    /// both takes the signal's value).
    pub headers: Vec<(String, String)>,
    /// The signal's own compression (`none` included), in place of the
    /// general one.
    pub compression: Option<Compression>,
    /// The signal's own TLS files, each in place of the general one.
    pub tls: TlsFiles,
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
