//! The `traceparent` header.

use super::{SpanId, TraceFlags, TraceId};

/// Length of a version-00 `traceparent`, and of the part of a higher version
/// that this version knows.
const TRACEPARENT_LEN: usize = 55;

/// Parses a `traceparent` value. Ids are lowercase hex of exact length and
/// not all zeros; version `ff` is invalid; version `00` is exactly 55
/// characters; a higher version must have `-` after its first 55 characters,
/// if it goes on (forward compatibility). Surrounding spaces and tabs (HTTP
/// optional whitespace) are ignored. Flags other than sampled are cleared.
pub(super) fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let bytes = value.trim_matches([' ', '\t']).as_bytes();
    if bytes.len() < TRACEPARENT_LEN {
        return None;
    }
    let version = lower_hex(&bytes[0..2])?;
    let fits_version = match version {
        0xff => false,
        0x00 => bytes.len() == TRACEPARENT_LEN,
        _ => bytes.get(TRACEPARENT_LEN).is_none_or(|&b| b == b'-'),
    };
    if !fits_version || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let trace_id = lower_hex(&bytes[3..35])?;
    let span_id = u64::try_from(lower_hex(&bytes[36..52])?).ok()?;
    let flags = u8::try_from(lower_hex(&bytes[53..55])?).ok()?;
    if trace_id == 0 || span_id == 0 {
        return None;
    }
    Some((
        TraceId::from(trace_id),
        SpanId::from(span_id),
        TraceFlags::new(flags) & TraceFlags::SAMPLED,
    ))
}

/// The value of lowercase hex digits (at most 32); `None` for any other
/// character, uppercase included.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u128::from(nibble))
    })
}
