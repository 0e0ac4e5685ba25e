//! HTTP content negotiation for the exposition formats: `Accept` media
//! ranges with q-values, `q=0` refusals, wildcards, several headers and the
//! `version` parameter (RFC 9110 §12.5.1).

use super::Format;

/// The formats offered, each with its media type and the `version`
/// parameters it satisfies.
const OFFERS: [(Format, &str, &str, &[&str]); 2] = [
    (
        Format::OPENMETRICS,
        "application",
        "openmetrics-text",
        &["1.0.0", "0.0.1"],
    ),
    (Format::PROMETHEUS_TEXT, "text", "plain", &["0.0.4"]),
];

/// Chooses the format for the given `Accept` header values (all of a
/// request's `Accept` headers, in order). `None` when the client refuses
/// every format offered (the endpoint answers `406 Not Acceptable`); no
/// header at all means the Prometheus text format.
///
/// For each format, the most specific matching range decides its q-value
/// (exact type with version, exact type, `type/*`, `*/*`); the highest
/// q-value above 0 wins, and on a tie the more specific match, then the
/// Prometheus text format. A range with an unparsable q-value or a `version` the
/// format does not speak matches nothing.
///
/// `["*/*", "application/openmetrics-text;q=0"]` chooses the text format;
/// `["text/plain;version=9.9"]` chooses nothing.
pub(crate) fn negotiate<I, S>(headers: I) -> Option<Format>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    // Per offer: (specificity, q in thousandths) of its best-matching range.
    let mut best: [Option<(u8, u16)>; 2] = [None; 2];
    let mut any = false;
    for header in headers {
        for range in header.as_ref().split(',') {
            if range.trim().is_empty() {
                continue;
            }
            any = true;
            let Some(range) = MediaRange::parse(range) else {
                continue;
            };
            for (slot, offer) in best.iter_mut().zip(OFFERS) {
                if let Some(specificity) = range.matches(offer) {
                    if slot.is_none_or(|(s, _)| specificity > s) {
                        *slot = Some((specificity, range.q));
                    }
                }
            }
        }
    }
    if !any {
        return Some(Format::PROMETHEUS_TEXT);
    }
    OFFERS
        .iter()
        .zip(best)
        .filter_map(|((format, ..), slot)| slot.map(|(s, q)| (*format, s, q)))
        .filter(|&(_, _, q)| q > 0)
        // Highest q, then most specific; `max_by_key` keeps the last of
        // equals, so the Prometheus text format wins full ties (`*/*`).
        .max_by_key(|&(_, s, q)| (q, s))
        .map(|(format, ..)| format)
}

struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    version: Option<&'a str>,
    q: u16,
}

impl<'a> MediaRange<'a> {
    fn parse(range: &'a str) -> Option<Self> {
        let mut parts = range.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let mut parsed = MediaRange {
            kind: kind.trim(),
            subtype: subtype.trim(),
            version: None,
            q: 1000,
        };
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => parsed.q = parse_q(value)?,
                "version" => parsed.version = Some(value),
                _ => {}
            }
        }
        Some(parsed)
    }

    /// How specifically this range names `offer` (higher is more specific),
    /// or `None` when it does not match it.
    fn matches(&self, (_, kind, subtype, versions): (Format, &str, &str, &[&str])) -> Option<u8> {
        let version_ok = self.version.is_none_or(|v| versions.contains(&v));
        if self.kind == "*" && self.subtype == "*" {
            Some(1)
        } else if !self.kind.eq_ignore_ascii_case(kind) {
            None
        } else if self.subtype == "*" {
            Some(2)
        } else if !self.subtype.eq_ignore_ascii_case(subtype) || !version_ok {
            None
        } else if self.version.is_some() {
            Some(4)
        } else {
            Some(3)
        }
    }
}

/// A q-value (`0`, `1`, `0.` up to three decimals) in thousandths.
fn parse_q(value: &str) -> Option<u16> {
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// Whether an `Accept-Encoding` header value (all of them, in order) allows
/// `gzip`: named or through `*`, with a q-value above 0, the more specific
/// entry deciding.
pub(crate) fn accepts_gzip<I, S>(headers: I) -> bool
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let (mut named, mut any) = (None, None);
    for header in headers {
        for coding in header.as_ref().split(',') {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1000), |(_, v)| parse_q(v.trim()));
            let Some(q) = q else { continue };
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                named = Some(q);
            } else if name == "*" {
                any = Some(q);
            }
        }
    }
    named.or(any).is_some_and(|q| q > 0)
}
