//! Parsers and checks for single values: switches, durations, counts,
//! endpoints, resource attributes, log filters. Each returns what it
//! expected on failure, for the error to name.

use super::{Compression, ConfigError};
use std::time::Duration;

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

pub(super) fn parse_switch(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err("`on` or `off`"),
    }
}

/// An `OTEL_*_EXPORTER` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Exporter {
    Otlp,
    Console,
    None,
}

pub(super) fn parse_exporter(value: &str) -> Result<Exporter, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "otlp" => Ok(Exporter::Otlp),
        "console" => Ok(Exporter::Console),
        "none" => Ok(Exporter::None),
        _ => Err("`otlp`, `console` or `none`"),
    }
}

/// `true` or `false`, in any case, as the OpenTelemetry specification
/// defines booleans.
pub(super) fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("`true` or `false`"),
    }
}

/// `gzip`, or `none` for no compression.
pub(super) fn parse_compression(value: &str) -> Result<Compression, &'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "gzip" => Ok(Compression::Gzip),
        "none" => Ok(Compression::None),
        _ => Err("`gzip` or `none`"),
    }
}

/// `name=value,…` headers, values percent-decoded (the W3C Baggage octet
/// format the OpenTelemetry specification gives for
/// `OTEL_EXPORTER_OTLP_HEADERS`). Names are HTTP header names; a decoded
/// value may not hold control characters. A name given twice keeps its
/// last value.
pub(super) fn parse_headers(value: &str) -> Result<Vec<(String, String)>, &'static str> {
    const EXPECTED: &str = "comma-separated `name=value` headers, values percent-encoded \
        (a name of letters, digits and `-`; a value without control characters)";
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let headers = decoded_pairs(value, EXPECTED, |name| name.to_ascii_lowercase())?;
    for (name, value) in &headers {
        if !name.bytes().all(token) || value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(EXPECTED);
        }
    }
    Ok(headers)
}

/// The longest timeout, interval or delay obs accepts: one day. Longer
/// values would overflow the clock arithmetic of the export thread.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// A positive whole number of milliseconds, at most [`MAX_DURATION`].
pub(super) fn parse_millis(value: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "a whole number of milliseconds from 1 to 86400000 (one day), like 5000";
    match value.trim().parse::<u64>() {
        Ok(ms) if ms > 0 => within_limit(Duration::from_millis(ms)).ok_or(EXPECTED),
        _ => Err(EXPECTED),
    }
}

/// A whole number of milliseconds, at most [`MAX_DURATION`]; 0 means at once.
pub(super) fn parse_delay(value: &str) -> Result<Duration, &'static str> {
    const EXPECTED: &str = "a whole number of milliseconds from 0 to 86400000 (one day), like 5000";
    let ms = value.trim().parse::<u64>().map_err(|_| EXPECTED)?;
    within_limit(Duration::from_millis(ms)).ok_or(EXPECTED)
}

/// `duration`, when it is no longer than [`MAX_DURATION`].
fn within_limit(duration: Duration) -> Option<Duration> {
    (duration <= MAX_DURATION).then_some(duration)
}

pub(super) fn parse_count(value: &str) -> Result<usize, &'static str> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a whole number of at least 1"),
    }
}

/// `500ms`, `10s`, `2m`: a positive duration with a unit.
pub(super) fn parse_duration(value: &str) -> Result<Duration, &'static str> {
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

/// An `http://` or `https://` URL with a host and an optional port.
/// `https://` needs TLS, which the `otlp` feature includes and
/// `otlp-plaintext` alone does not.
pub(super) fn check_endpoint(value: &str) -> Result<&str, &'static str> {
    const EXPECTED: &str = "an `http://host:port` or `https://host:port` URL";
    let value = value.trim();
    let rest = match value.strip_prefix("https://") {
        #[cfg(feature = "otlp")]
        Some(rest) => rest,
        #[cfg(not(feature = "otlp"))]
        Some(_) => {
            return Err(
                "an `http://` URL (`https` endpoints need TLS, which the `otlp-plaintext` \
                 feature leaves out: build with the `otlp` feature)",
            )
        }
        None => value.strip_prefix("http://").ok_or(EXPECTED)?,
    };
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
pub(super) fn parse_resource_attributes(
    value: &str,
) -> Result<Vec<(String, String)>, &'static str> {
    const EXPECTED: &str = "comma-separated `key=value` pairs, values percent-encoded";
    decoded_pairs(value, EXPECTED, str::to_owned)
}

/// `key=value` pairs separated by commas, keys trimmed and given as
/// `key(…)` makes them (a key given twice keeps its last value), values
/// trimmed and percent-decoded; empty pairs are skipped. `expected` on a pair
/// without `=`, an empty key or a bad escape.
fn decoded_pairs(
    value: &str,
    expected: &'static str,
    key: impl Fn(&str) -> String,
) -> Result<Vec<(String, String)>, &'static str> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').ok_or(expected)?;
        let name = key(name.trim());
        if name.is_empty() {
            return Err(expected);
        }
        let value = percent_decode(value.trim()).ok_or(expected)?;
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Percent-decodes `value`; `None` when a `%` is not followed by two hex
/// digits or the result is not UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    // `percent_decode_str` passes a stray `%` through unchanged; the
    // specification's format has none, so such a value is malformed.
    let bytes = value.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

pub(super) fn check_log_filter(source: &'static str, filter: &str) -> Result<(), ConfigError> {
    // tracing-subscriber's directive parser slices by byte position and
    // panics on some non-ASCII input (`, ß[`); module paths and levels are
    // ASCII, so anything else is refused before it gets there.
    if !filter.is_ascii() {
        return Err(ConfigError::invalid(
            source,
            filter,
            "`tracing` filter directives in ASCII, like `info` or `my_crate=debug,info`",
        ));
    }
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
