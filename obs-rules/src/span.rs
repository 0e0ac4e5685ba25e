use crate::case::suggest_snake_case;
use crate::Violation;
use std::fmt;

/// Checks a span name: dot-separated segments, each lowercase
/// `[a-z][a-z0-9_]*` (`spec.parse`, `router.extension.invoke`).
///
/// ```
/// assert!(obs_rules::check_span_name("codegen.lower").is_ok());
/// assert!(obs_rules::check_span_name("Codegen Lower").is_err());
/// ```
pub fn check_span_name(name: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::new("span name must not be empty")
            .help("use dot-separated lowercase segments, e.g. `spec.parse`"));
    }
    let valid = name.split('.').all(|segment| {
        let mut bytes = segment.bytes();
        bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    });
    if !valid {
        let suggestion: Vec<String> = name
            .split(['.', ' ', '/', ':'])
            .map(suggest_snake_case)
            .filter(|s| !s.is_empty())
            .collect();
        return Err(Violation::new(format!(
            "span name `{name}` must be dot-separated lowercase segments (`[a-z][a-z0-9_]*`)"
        ))
        .help(format!("rename it `{}`", suggestion.join("."))));
    }
    Ok(())
}

/// A span's level, as declared in `#[traced(level = "…")]`, from the most
/// verbose. The one representation of a level: the macro parses the
/// attribute into it, generated code names its variant, and the runtime's
/// span catalog holds it.
///
/// ```
/// use obs_rules::SpanLevel;
///
/// let level = SpanLevel::parse("warn").unwrap();
/// assert_eq!((level.as_str(), level.variant(), level.tracing_name()), ("warn", "Warn", "WARN"));
/// assert!(SpanLevel::Debug < SpanLevel::Info);
/// assert!(SpanLevel::parse("verbose").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanLevel {
    /// Very verbose: hot loops, per-item work.
    Trace,
    /// Internal steps useful when debugging.
    Debug,
    /// Entry points and critical paths.
    Info,
    /// Degraded but handled situations.
    Warn,
    /// Failures.
    Error,
}

impl SpanLevel {
    /// Every level, from the most verbose.
    pub const ALL: [SpanLevel; 5] = [
        SpanLevel::Trace,
        SpanLevel::Debug,
        SpanLevel::Info,
        SpanLevel::Warn,
        SpanLevel::Error,
    ];

    /// The lowercase name, as written in the attribute.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanLevel::Trace => "trace",
            SpanLevel::Debug => "debug",
            SpanLevel::Info => "info",
            SpanLevel::Warn => "warn",
            SpanLevel::Error => "error",
        }
    }

    /// The variant's name (`Info`), as generated code spells it.
    pub const fn variant(self) -> &'static str {
        match self {
            SpanLevel::Trace => "Trace",
            SpanLevel::Debug => "Debug",
            SpanLevel::Info => "Info",
            SpanLevel::Warn => "Warn",
            SpanLevel::Error => "Error",
        }
    }

    /// The name of `tracing`'s constant for this level (`INFO`).
    pub const fn tracing_name(self) -> &'static str {
        match self {
            SpanLevel::Trace => "TRACE",
            SpanLevel::Debug => "DEBUG",
            SpanLevel::Info => "INFO",
            SpanLevel::Warn => "WARN",
            SpanLevel::Error => "ERROR",
        }
    }

    /// Reads a level as written in the attribute or a policy.
    pub fn parse(level: &str) -> Result<SpanLevel, Violation> {
        let found = SpanLevel::ALL.into_iter().find(|l| l.as_str() == level);
        found.ok_or_else(|| unknown("span level", level, &SPAN_LEVELS))
    }
}

impl fmt::Display for SpanLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OpenTelemetry span kind, as declared in `#[traced(kind = "…")]`.
///
/// ```
/// use obs_rules::SpanKind;
///
/// assert_eq!(SpanKind::parse("server").unwrap(), SpanKind::Server);
/// assert_eq!(SpanKind::default().as_str(), "internal");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// Work inside the process (the default).
    #[default]
    Internal,
    /// Handling a request from a remote client.
    Server,
    /// A request to a remote server.
    Client,
    /// Sending a message to a broker.
    Producer,
    /// Receiving a message from a broker.
    Consumer,
}

impl SpanKind {
    /// Every kind.
    pub const ALL: [SpanKind; 5] = [
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Producer,
        SpanKind::Consumer,
    ];

    /// The lowercase name, as written in the attribute and in `otel.kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    /// The variant's name (`Server`), as generated code spells it.
    pub const fn variant(self) -> &'static str {
        match self {
            SpanKind::Internal => "Internal",
            SpanKind::Server => "Server",
            SpanKind::Client => "Client",
            SpanKind::Producer => "Producer",
            SpanKind::Consumer => "Consumer",
        }
    }

    /// Reads a kind as written in the attribute.
    pub fn parse(kind: &str) -> Result<SpanKind, Violation> {
        let found = SpanKind::ALL.into_iter().find(|k| k.as_str() == kind);
        found.ok_or_else(|| unknown("span kind", kind, &SPAN_KINDS))
    }
}

/// The levels a span may have, from the most verbose.
pub const SPAN_LEVELS: [&str; 5] = [
    SpanLevel::Trace.as_str(),
    SpanLevel::Debug.as_str(),
    SpanLevel::Info.as_str(),
    SpanLevel::Warn.as_str(),
    SpanLevel::Error.as_str(),
];

/// The level of a span whose `level` is not given (and no policy sets one).
pub const DEFAULT_SPAN_LEVEL: &str = SpanLevel::Info.as_str();

/// The fields a `#[traced]` span records itself: its kind, and, with `err`,
/// the error status and its description, the error's type and its message
/// (OpenTelemetry's names). A span's own fields may not use them.
pub const TRACED_KIND_FIELD: &str = "otel.kind";
/// See [`TRACED_KIND_FIELD`]: the fields `err` records.
pub const TRACED_ERROR_FIELDS: [&str; 4] = [
    "otel.status_code",
    "otel.status_description",
    "error.type",
    "exception.message",
];
/// Whether a span or event field is one of the `otel.*` fields that tell
/// the OpenTelemetry layer how to export a span (its kind, its status): they
/// shape the exported span and are left out of log lines and log records.
///
/// ```
/// assert!(obs_rules::is_internal_field(obs_rules::TRACED_KIND_FIELD));
/// assert!(obs_rules::is_internal_field("otel.status_description"));
/// assert!(!obs_rules::is_internal_field("http.route"));
/// ```
pub fn is_internal_field(name: &str) -> bool {
    name.starts_with("otel.")
}

/// See [`TRACED_KIND_FIELD`]: the field `ret` records.
pub const TRACED_RETURN_FIELD: &str = "ret";

/// The OpenTelemetry span kinds.
pub const SPAN_KINDS: [&str; 5] = [
    SpanKind::Internal.as_str(),
    SpanKind::Server.as_str(),
    SpanKind::Client.as_str(),
    SpanKind::Producer.as_str(),
    SpanKind::Consumer.as_str(),
];

/// Checks a span level: one of [`SPAN_LEVELS`].
///
/// ```
/// assert!(obs_rules::check_span_level("info").is_ok());
/// assert!(obs_rules::check_span_level("verbose").is_err());
/// ```
pub fn check_span_level(level: &str) -> Result<(), Violation> {
    SpanLevel::parse(level).map(drop)
}

/// Checks an OpenTelemetry span kind: one of [`SPAN_KINDS`].
///
/// ```
/// assert!(obs_rules::check_span_kind("server").is_ok());
/// assert!(obs_rules::check_span_kind("Server").is_err());
/// ```
pub fn check_span_kind(kind: &str) -> Result<(), Violation> {
    SpanKind::parse(kind).map(drop)
}

pub(crate) fn unknown(what: &str, value: &str, allowed: &[&str]) -> Violation {
    let list: Vec<String> = allowed.iter().map(|v| format!("`{v}`")).collect();
    let lower = value.to_ascii_lowercase();
    let help = if allowed.contains(&lower.as_str()) {
        format!("write `{lower}`")
    } else {
        format!("use one of {}", list.join(", "))
    };
    Violation::new(format!("unknown {what} `{value}`")).help(help)
}
