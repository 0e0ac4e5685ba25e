//! The `traceparent` header.

use super::{SpanId, TraceFlags, TraceId};

/// The `random-trace-id` flag of Level 2: at least the right-most 7 bytes
/// of the trace id are random. A trace that is continued keeps it, and
/// [`RemoteContext::has_random_trace_id`](super::RemoteContext::has_random_trace_id)
/// reads it.
///
/// ```
/// use obs_runtime::propagation::{self, TraceFlags, RANDOM_TRACE_ID};
///
/// let headers = vec![(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
/// )];
/// let remote = propagation::extract(&headers);
/// assert_eq!(remote.trace_flags(), TraceFlags::SAMPLED | RANDOM_TRACE_ID);
/// assert!(remote.has_random_trace_id());
/// ```
pub const RANDOM_TRACE_ID: TraceFlags = TraceFlags::new(0x02);

/// The flags Level 2 defines: sampled and random trace id. Others are
/// cleared when read, and never sent.
const KNOWN_FLAGS: TraceFlags = TraceFlags::new(0x03);

/// Length of a version-00 `traceparent`, and of the part of a higher version
/// that this version knows.
const TRACEPARENT_LEN: usize = 55;

/// Parses a `traceparent` value. Ids are lowercase hex of exact length and
/// not all zeros; version `ff` is invalid; version `00` is exactly 55
/// characters; a higher version must have `-` after its first 55 characters,
/// if it goes on (forward compatibility). Surrounding spaces and tabs (HTTP
/// optional whitespace) are ignored. Flags other than sampled and random
/// trace id are cleared.
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
        TraceFlags::new(flags) & KNOWN_FLAGS,
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

/// A version-00 `traceparent`, with the flags Level 2 defines.
pub(super) fn format_traceparent(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> String {
    format!(
        "00-{trace_id}-{span_id}-{:02x}",
        (flags & KNOWN_FLAGS).to_u8()
    )
}
