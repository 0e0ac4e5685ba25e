//! The `tracestate` header.

use super::TraceState;

/// The most `tracestate` list-members kept.
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// The most bytes of incoming `tracestate` examined: the headers, combined
/// with a comma between them, are read up to here, and a list-member this
/// limit cuts is left out. Eight times the budget of outgoing headers, so
/// that a list which a proxy could carry is read whole.
pub(super) const MAX_TRACESTATE_READ_BYTES: usize = 8 * 1024;

/// Parses `tracestate` header values, combined in order as one list. Empty
/// list-members and invalid ones are dropped, a repeated key keeps its
/// first entry, and reading stops at the 32nd entry kept or after
/// [`MAX_TRACESTATE_READ_BYTES`], whichever comes first: the cost is linear
/// in the bytes examined, and bounded whatever the headers hold.
pub(super) fn parse_tracestate(headers: &[&str]) -> TraceState {
    let mut members: Vec<(&str, &str)> = Vec::with_capacity(MAX_TRACESTATE_MEMBERS);
    for member in list_members(headers).map(|member| member.trim_matches([' ', '\t'])) {
        let Some((key, value)) = member.split_once('=') else {
            continue; // empty, or not `key=value`
        };
        // At most 31 earlier keys to compare with.
        if valid_key(key) && valid_value(value) && !members.iter().any(|(k, _)| *k == key) {
            members.push((key, value));
            if members.len() == MAX_TRACESTATE_MEMBERS {
                break;
            }
        }
    }
    if let Ok(state) = TraceState::from_key_value(members.iter().copied()) {
        return state;
    }
    // `TraceState` refuses some keys the spec allows (a 14-character system
    // id); it takes the list whole or not at all, so only those are dropped.
    members.retain(|(key, value)| TraceState::NONE.insert(*key, *value).is_ok());
    TraceState::from_key_value(members).unwrap_or_default()
}

/// The list-members of `tracestate` headers combined in order, within their
/// first [`MAX_TRACESTATE_READ_BYTES`]; a member that limit cuts is left out.
fn list_members<'a>(headers: &'a [&'a str]) -> impl Iterator<Item = &'a str> {
    let mut budget = MAX_TRACESTATE_READ_BYTES;
    let examined = headers.iter().map(move |&header| {
        let examined = if header.len() <= budget {
            header
        } else {
            // Up to the last comma before the limit (a char boundary).
            let end = header.as_bytes()[..budget]
                .iter()
                .rposition(|&byte| byte == b',')
                .unwrap_or(0);
            &header[..end]
        };
        // The header, and the comma that joins it to the next one.
        budget = budget.saturating_sub(header.len()).saturating_sub(1);
        examined
    });
    examined.flat_map(|header| header.split(','))
}

/// A `tracestate` key, per Level 1:
///
/// ```text
/// key              = simple-key / multi-tenant-key
/// simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// multi-tenant-key = tenant-id "@" system-id
/// tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// ```
fn valid_key(key: &str) -> bool {
    fn key_char(c: &u8) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'*' | b'/')
    }
    fn identifier(id: &[u8], max_len: usize, first: impl Fn(&u8) -> bool) -> bool {
        match id.split_first() {
            Some((head, rest)) => id.len() <= max_len && first(head) && rest.iter().all(key_char),
            None => false,
        }
    }
    match key.split_once('@') {
        None => identifier(key.as_bytes(), 256, u8::is_ascii_lowercase),
        Some((tenant, system)) => {
            identifier(tenant.as_bytes(), 241, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit()
            }) && identifier(system.as_bytes(), 14, u8::is_ascii_lowercase)
        }
    }
}

/// A `tracestate` value, per Level 1: 1 to 256 printable ASCII characters
/// (0x20 to 0x7E) other than `,` and `=`, not ending in a space.
///
/// ```text
/// value    = 0*255(chr) nblk-chr
/// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
/// chr      = %x20 / nblk-chr
/// ```
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=256).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&c| matches!(c, 0x20..=0x7e) && c != b',' && c != b'=')
        && bytes.last() != Some(&b' ')
}
