//! Wall-clock time as the exposition formats and OTLP write it: seconds or
//! nanoseconds since the Unix epoch (0 for a clock set before 1970).

use std::time::SystemTime;

/// Seconds since the Unix epoch, now: `_created` lines and exemplar
/// timestamps.
pub(crate) fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// Nanoseconds since the Unix epoch, now: OTLP data point times.
#[cfg_attr(not(feature = "otlp-plaintext"), allow(dead_code))]
pub(crate) fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}
