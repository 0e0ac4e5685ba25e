//! The `tracestate` header.

use super::TraceState;

/// The most `tracestate` list-members kept.
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// The most bytes of incoming `tracestate` examined: the headers, combined
/// with a comma between them, are read up to here, and a list-member this
/// limit cuts is left out. Eight times the budget of outgoing headers, so
/// that a list which a proxy could carry is read whole.
pub(super) const MAX_TRACESTATE_READ_BYTES: usize = 8 * 1024;

/// The most bytes of outgoing `tracestate`. Twice the 512 characters the
/// spec asks every vendor to propagate, and well within the 8 KiB header
/// lines that proxies accept.
pub const MAX_TRACESTATE_BYTES: usize = 4 * 1024;

/// List-members longer than this are the first left out of an outgoing
/// `tracestate` over [`MAX_TRACESTATE_BYTES`], as the spec describes.
const LONG_MEMBER: usize = 128;

/// A valid list-member that `TraceState` cannot hold (it refuses a
/// 14-character system id, which the spec allows), with its place in the
/// list; obs carries it beside the `TraceState` and sends it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HeldApart {
    pub(super) position: usize,
    pub(super) key: String,
    pub(super) value: String,
}

/// Parses `tracestate` header values, combined in order as one list. Empty
/// list-members and invalid ones are dropped, a repeated key keeps its
/// first entry, and reading stops at the 32nd entry kept or after
/// [`MAX_TRACESTATE_READ_BYTES`], whichever comes first: the cost is linear
/// in the bytes examined, and bounded whatever the headers hold.
///
/// Returns the members `TraceState` holds, and those it refuses.
pub(super) fn parse_tracestate(headers: &[&str]) -> (TraceState, Vec<HeldApart>) {
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
        return (state, Vec::new());
    }
    // `TraceState` takes the list whole or not at all: the members it
    // refuses are held apart.
    let mut held = Vec::new();
    let mut position = 0;
    members.retain(|&(key, value)| {
        let holds = TraceState::NONE.insert(key, value).is_ok();
        if !holds {
            held.push(HeldApart {
                position,
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
        position += 1;
        holds
    });
    (
        TraceState::from_key_value(members).unwrap_or_default(),
        held,
    )
}

/// The outgoing `tracestate`: the members of `state`, with those `held`
/// apart back in their places (unless `state` now has their key), within
/// [`MAX_TRACESTATE_BYTES`]. Over the budget, whole members are left out:
/// first those over 128 characters, from the end, then others from the
/// end. `None` when no member is left: an empty header is not sent.
pub(super) fn format_tracestate(state: &TraceState, held: &[HeldApart]) -> Option<String> {
    let mut members: Vec<(&str, &str)> = state.into_iter().collect();
    for member in held {
        if members.len() < MAX_TRACESTATE_MEMBERS && state.get(&member.key).is_none() {
            let position = member.position.min(members.len());
            members.insert(position, (&member.key, &member.value));
        }
    }
    let len = |(key, value): &(&str, &str)| key.len() + 1 + value.len();
    // Members and the commas between them.
    let mut total = members.iter().map(len).sum::<usize>() + members.len().saturating_sub(1);
    for long_first in [true, false] {
        let mut index = members.len();
        while total > MAX_TRACESTATE_BYTES && index > 0 {
            index -= 1;
            if !long_first || len(&members[index]) > LONG_MEMBER {
                total -= len(&members[index]) + usize::from(members.len() > 1);
                members.remove(index);
            }
        }
    }
    (!members.is_empty()).then(|| {
        let mut header = String::with_capacity(total);
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                header.push(',');
            }
            header.push_str(key);
            header.push('=');
            header.push_str(value);
        }
        header
    })
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

/// A `tracestate` key, per Level 1 and Level 2 (the grammar is the same):
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

/// A `tracestate` value, per Level 1 and Level 2: 1 to 256 printable ASCII characters
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
