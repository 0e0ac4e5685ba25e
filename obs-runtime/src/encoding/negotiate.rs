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
#[cfg_attr(not(feature = "http"), allow(dead_code))]
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One generated media range, kept structured so the model below
    /// decides without parsing.
    #[derive(Clone, Debug)]
    struct Range {
        kind: &'static str,
        subtype: &'static str,
        version: Option<&'static str>,
        // `Some(Ok(thousandths))`, `Some(Err(garbage))`, or no q at all.
        q: Option<Result<u16, &'static str>>,
        space: &'static str,
    }

    impl Range {
        fn render(&self) -> String {
            let s = self.space;
            let mut out = format!("{s}{}/{}", self.kind, self.subtype);
            if let Some(v) = self.version {
                out += &format!("{s};{s}version={v}");
            }
            match self.q {
                Some(Ok(1000)) => out += &format!(";{s}q=1"),
                Some(Ok(q)) => {
                    let frac = format!("{q:03}");
                    out += &format!(";q=0.{}", frac.trim_end_matches('0'));
                }
                Some(Err(garbage)) => out += &format!(";q={garbage}"),
                None => {}
            }
            out
        }

        /// The model: specificity of the match, if any.
        fn specificity(&self, om: bool) -> Option<u8> {
            let (kind, subtype, versions): (_, _, &[&str]) = if om {
                ("application", "openmetrics-text", &["1.0.0", "0.0.1"])
            } else {
                ("text", "plain", &["0.0.4"])
            };
            match (self.kind, self.subtype) {
                ("*", "*") => Some(1),
                (k, "*") if k.eq_ignore_ascii_case(kind) => Some(2),
                (k, st) if k.eq_ignore_ascii_case(kind) && st.eq_ignore_ascii_case(subtype) => {
                    match self.version {
                        None => Some(3),
                        Some(v) if versions.contains(&v) => Some(4),
                        Some(_) => None,
                    }
                }
                _ => None,
            }
        }
    }

    fn range() -> impl Strategy<Value = Range> {
        (
            prop::sample::select(vec!["text", "application", "*", "TEXT", "image"]),
            prop::sample::select(vec!["plain", "openmetrics-text", "*", "html"]),
            prop::option::of(prop::sample::select(vec![
                "0.0.4", "1.0.0", "0.0.1", "2.0.0",
            ])),
            prop::option::of(prop_oneof![
                (0u16..=1000).prop_map(Ok),
                Just(0u16).prop_map(Ok),
                prop::sample::select(vec!["2", "x", "0.1234", "-1", ""]).prop_map(Err),
            ]),
            prop::sample::select(vec!["", " ", "\t"]),
        )
            .prop_map(|(kind, subtype, version, q, space)| Range {
                kind,
                subtype,
                version,
                q,
                space,
            })
    }

    fn model(headers: &[Vec<Range>]) -> Option<Format> {
        let ranges: Vec<&Range> = headers.iter().flatten().collect();
        if ranges.is_empty() {
            return Some(Format::PROMETHEUS_TEXT);
        }
        let decide = |om: bool| {
            let mut best: Option<(u8, u16)> = None;
            for range in &ranges {
                let q = match range.q {
                    None => 1000,
                    Some(Ok(q)) => q,
                    Some(Err(_)) => continue,
                };
                if let Some(s) = range.specificity(om) {
                    if best.is_none_or(|(b, _)| s > b) {
                        best = Some((s, q));
                    }
                }
            }
            best.filter(|&(_, q)| q > 0).map(|(s, q)| (q, s))
        };
        match (decide(true), decide(false)) {
            (Some(om), Some(text)) if om > text => Some(Format::OPENMETRICS),
            (_, Some(_)) => Some(Format::PROMETHEUS_TEXT),
            (Some(_), None) => Some(Format::OPENMETRICS),
            (None, None) => None,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100_000))]

        #[test]
        fn negotiation_matches_the_model(
            headers in prop::collection::vec(prop::collection::vec(range(), 0..4), 0..3),
        ) {
            let rendered: Vec<String> = headers
                .iter()
                .map(|h| h.iter().map(Range::render).collect::<Vec<_>>().join(","))
                .collect();
            prop_assert_eq!(negotiate(&rendered), model(&headers), "{:?}", rendered);
            // One header or several: the same answer.
            prop_assert_eq!(negotiate([rendered.join(",")]), negotiate(&rendered));
        }

        #[test]
        fn any_accept_text_is_handled_without_panic(accept in "[ -~]{0,40}") {
            let _ = negotiate([&accept]);
            let _ = accepts_gzip([&accept]);
            prop_assert_eq!(Format::from_accept(&accept), negotiate([&accept]).unwrap_or(Format::PROMETHEUS_TEXT));
        }
    }

    #[test]
    fn prometheus_default_accept_gets_openmetrics() {
        let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate([accept]), Some(Format::OPENMETRICS));
        assert_eq!(negotiate(["*/*"]), Some(Format::PROMETHEUS_TEXT));
        assert_eq!(negotiate(["text/plain;version=9.9"]), None);
    }

    #[test]
    fn gzip_follows_q_values() {
        assert!(accepts_gzip(["gzip"]));
        assert!(accepts_gzip(["deflate, gzip;q=0.5"]));
        assert!(accepts_gzip(["*"]));
        assert!(!accepts_gzip(["gzip;q=0"]));
        assert!(!accepts_gzip(["gzip;q=0, *"]));
        assert!(!accepts_gzip(["identity"]));
        assert!(!accepts_gzip(Vec::<&str>::new()));
    }
}
