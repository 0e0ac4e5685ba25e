//! Parsers and checks for single values: switches, durations, counts,
//! endpoints, resource attributes, log filters. Each returns what it
//! expected on failure, for the error to name.

use super::ConfigError;
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

pub(super) fn parse_exporter(value: &str) -> Result<bool, &'static str> {
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

/// An `http://` URL with a host and an optional port. `https://` needs TLS,
/// which this build of obs does not include.
pub(super) fn check_endpoint(value: &str) -> Result<&str, &'static str> {
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
pub(super) fn parse_resource_attributes(
    value: &str,
) -> Result<Vec<(String, String)>, &'static str> {
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
