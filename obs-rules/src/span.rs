use crate::case::suggest_snake_case;
use crate::Violation;

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

/// The levels a span may have, from the most verbose.
pub const SPAN_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

/// The OpenTelemetry span kinds.
pub const SPAN_KINDS: &[&str] = &["internal", "server", "client", "producer", "consumer"];

/// Checks a span level: one of [`SPAN_LEVELS`].
///
/// ```
/// assert!(obs_rules::check_span_level("info").is_ok());
/// assert!(obs_rules::check_span_level("verbose").is_err());
/// ```
pub fn check_span_level(level: &str) -> Result<(), Violation> {
    one_of("span level", level, SPAN_LEVELS)
}

/// Checks an OpenTelemetry span kind: one of [`SPAN_KINDS`].
///
/// ```
/// assert!(obs_rules::check_span_kind("server").is_ok());
/// assert!(obs_rules::check_span_kind("Server").is_err());
/// ```
pub fn check_span_kind(kind: &str) -> Result<(), Violation> {
    one_of("span kind", kind, SPAN_KINDS)
}

fn one_of(what: &str, value: &str, allowed: &[&str]) -> Result<(), Violation> {
    if allowed.contains(&value) {
        return Ok(());
    }
    let list: Vec<String> = allowed.iter().map(|v| format!("`{v}`")).collect();
    let lower = value.to_ascii_lowercase();
    let help = if allowed.contains(&lower.as_str()) {
        format!("write `{lower}`")
    } else {
        format!("use one of {}", list.join(", "))
    };
    Err(Violation::new(format!("unknown {what} `{value}`")).help(help))
}
