//! W3C Trace Context `traceparent`: valid headers, the W3C test suite's
//! invalid ones, and header lookup in every carrier.

mod trace_context;

use http::{HeaderMap, HeaderValue};
use obs_runtime::propagation::{self, RemoteContext, SpanId, TraceFlags, TraceId, RANDOM_TRACE_ID};
use std::collections::{BTreeMap, HashMap};
use trace_context::{extract, pairs, span_id, trace_id, SPAN_ID, TRACEPARENT, TRACE_ID};

// === traceparent: valid ===

#[test]
fn valid_traceparent_is_extracted() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    assert!(remote.is_valid());
    assert_eq!(remote.trace_id(), trace_id(TRACE_ID));
    assert_eq!(remote.span_id(), span_id(SPAN_ID));
    assert_eq!(remote.trace_flags(), TraceFlags::SAMPLED);
    assert!(remote.is_sampled());
    assert!(remote.span_context().is_remote());
    assert!(remote.trace_state().header().is_empty());
    assert_eq!(remote.traceparent().as_deref(), Some(TRACEPARENT));
}

#[test]
fn flags_keep_the_sampled_and_random_bits() {
    let both = TraceFlags::SAMPLED | RANDOM_TRACE_ID;
    for (flags, expected) in [
        ("00", TraceFlags::default()),
        ("01", TraceFlags::SAMPLED),
        ("02", RANDOM_TRACE_ID),
        ("03", both),
        ("08", TraceFlags::default()),
        ("09", TraceFlags::SAMPLED),
        ("0a", RANDOM_TRACE_ID),
        ("ff", both),
    ] {
        let remote = extract(&[("traceparent", &format!("00-{TRACE_ID}-{SPAN_ID}-{flags}"))]);
        assert!(remote.is_valid(), "{flags}");
        assert_eq!(remote.trace_flags(), expected, "{flags}");
        assert_eq!(remote.is_sampled(), expected.is_sampled(), "{flags}");
        assert_eq!(
            remote.has_random_trace_id(),
            expected & RANDOM_TRACE_ID == RANDOM_TRACE_ID,
            "{flags}"
        );
        let sent = format!("00-{TRACE_ID}-{SPAN_ID}-{:02x}", expected.to_u8());
        assert_eq!(remote.traceparent(), Some(sent), "{flags}");
    }
}

#[test]
fn header_names_match_in_any_case() {
    for (name, state_name) in [
        ("traceparent", "tracestate"),
        ("TraceParent", "TraceState"),
        ("TrAcEpArEnT", "TrAcEsTaTe"),
        ("TRACEPARENT", "TRACESTATE"),
    ] {
        let headers = [(name, TRACEPARENT), (state_name, "foo=1")];
        let vec = pairs(&headers);
        let hash: HashMap<String, String> = vec.iter().cloned().collect();
        let btree: BTreeMap<String, String> = vec.iter().cloned().collect();
        let mut header_map = HeaderMap::new();
        for (name, value) in &vec {
            header_map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        for remote in [
            propagation::extract(&vec),
            propagation::extract(&hash),
            propagation::extract(&btree),
            propagation::extract(&header_map),
        ] {
            assert_eq!(remote.trace_id(), trace_id(TRACE_ID), "{name}");
            assert_eq!(remote.trace_state().get("foo"), Some("1"), "{state_name}");
        }
    }
}

#[test]
fn wrong_header_names_are_ignored() {
    for name in ["trace-parent", "trace.parent", "trace_parent"] {
        assert!(!extract(&[(name, TRACEPARENT)]).is_valid(), "{name}");
    }
    let remote = extract(&[("traceparent", TRACEPARENT), ("trace-state", "foo=1")]);
    assert_eq!(remote.trace_state().get("foo"), None);
}

#[test]
fn optional_whitespace_around_traceparent_is_ignored() {
    for value in [
        format!(" {TRACEPARENT}"),
        format!("\t{TRACEPARENT}"),
        format!("{TRACEPARENT} "),
        format!("{TRACEPARENT}\t"),
        format!("\t {TRACEPARENT} \t"),
    ] {
        let remote = extract(&[("traceparent", &value)]);
        assert_eq!(remote.trace_id(), trace_id(TRACE_ID), "{value:?}");
    }
}

#[test]
fn a_future_version_is_read_by_its_known_fields() {
    for value in [
        format!("cc-{TRACE_ID}-{SPAN_ID}-01"),
        format!("cc-{TRACE_ID}-{SPAN_ID}-01-what-the-future-will-be-like"),
        format!("01-{TRACE_ID}-{SPAN_ID}-01-"),
        format!("fe-{TRACE_ID}-{SPAN_ID}-00-x"),
    ] {
        let remote = extract(&[("traceparent", &value), ("tracestate", "foo=1")]);
        assert!(remote.is_valid(), "{value}");
        assert_eq!(remote.trace_id(), trace_id(TRACE_ID), "{value}");
        assert_eq!(remote.span_id(), span_id(SPAN_ID), "{value}");
        assert_eq!(remote.trace_state().get("foo"), Some("1"), "{value}");
        // Sent on as the version this implementation knows.
        let forwarded = remote.traceparent().unwrap();
        assert!(
            forwarded.starts_with("00-") && forwarded.len() == 55,
            "{forwarded}"
        );
    }
}

// === traceparent: invalid ===

/// Invalid `traceparent` values: the W3C test suite's cases (test/test.py),
/// and the ones `opentelemetry_sdk`'s propagator accepts.
#[test]
fn invalid_traceparent_gives_no_remote_parent() {
    #[rustfmt::skip]
    let cases = [
        // version
        (".0-12345678901234567890123456789012-1234567890123456-01", "version illegal character"),
        ("0.-12345678901234567890123456789012-1234567890123456-01", "version illegal character"),
        ("000-12345678901234567890123456789012-1234567890123456-01", "version too long"),
        ("0000-12345678901234567890123456789012-1234567890123456-01", "version too long"),
        ("0-12345678901234567890123456789012-1234567890123456-01", "version too short"),
        ("ff-12345678901234567890123456789012-1234567890123456-01", "version ff"),
        ("FF-12345678901234567890123456789012-1234567890123456-01", "version uppercase"),
        ("A0-12345678901234567890123456789012-1234567890123456-01", "version uppercase"),
        ("+0-12345678901234567890123456789012-1234567890123456-01", "version sign"),
        // version 00 is exactly 55 characters
        ("00-12345678901234567890123456789012-1234567890123456-01.", "v00 trailing character"),
        ("00-12345678901234567890123456789012-1234567890123456-01-", "v00 trailing dash"),
        ("00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like", "v00 extra field"),
        // a future version must be followed by `-`
        ("cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like", "future version, no dash"),
        ("cc-12345678901234567890123456789012-1234567890123456-0", "future version too short"),
        ("cc-1234567890123456789012345678901-1234567890123456-01-x", "future version short trace id"),
        // trace id
        ("00-00000000000000000000000000000000-1234567890123456-01", "trace id all zero"),
        ("00-.2345678901234567890123456789012-1234567890123456-01", "trace id illegal character"),
        ("00-1234567890123456789012345678901.-1234567890123456-01", "trace id illegal character"),
        ("00-123456789012345678901234567890123-1234567890123456-01", "trace id too long"),
        ("00-1234567890123456789012345678901-1234567890123456-01", "trace id too short"),
        ("00-0012345678901234567890123456789012-1234567890123456-01", "trace id too long, leading zeros"),
        ("00-+2345678901234567890123456789012-1234567890123456-01", "trace id sign"),
        ("00-ABCDEF78901234567890123456789012-1234567890123456-01", "trace id uppercase"),
        // parent id
        ("00-12345678901234567890123456789012-0000000000000000-01", "parent id all zero"),
        ("00-12345678901234567890123456789012-.234567890123456-01", "parent id illegal character"),
        ("00-12345678901234567890123456789012-123456789012345.-01", "parent id illegal character"),
        ("00-12345678901234567890123456789012-12345678901234567-01", "parent id too long"),
        ("00-12345678901234567890123456789012-123456789012345-01", "parent id too short"),
        ("00-12345678901234567890123456789012-ABCDEF7890123456-01", "parent id uppercase"),
        ("00-00000000000000000000000000000000-0000000000000000-01", "both ids zero"),
        // flags
        ("00-12345678901234567890123456789012-1234567890123456-.0", "flags illegal character"),
        ("00-12345678901234567890123456789012-1234567890123456-0.", "flags illegal character"),
        ("00-12345678901234567890123456789012-1234567890123456-001", "flags too long"),
        ("00-12345678901234567890123456789012-1234567890123456-1", "flags too short"),
        ("00-12345678901234567890123456789012-1234567890123456-0A", "flags uppercase"),
        ("00-12345678901234567890123456789012-1234567890123456-", "flags empty"),
        ("00-12345678901234567890123456789012-1234567890123456", "flags missing"),
        // shape
        ("00-ab-cd-01", "short fields"),
        ("00_12345678901234567890123456789012_1234567890123456_01", "wrong separator"),
        ("0012345678901234567890123456789012-1234567890123456-01-", "missing separator"),
        ("", "empty"),
        ("   ", "blank"),
        ("hello, world", "garbage"),
        ("00-12345678901234567890123456789012-1234567890123456-01\n", "newline"),
        ("00-1234567890123456789012345678901é-1234567890123456-01", "non-ASCII"),
    ];
    for (value, why) in cases {
        let remote = extract(&[("traceparent", value), ("tracestate", "foo=1")]);
        assert!(!remote.is_valid(), "{why}: {value:?}");
        assert_eq!(remote.trace_id(), TraceId::INVALID, "{why}");
        assert_eq!(remote.span_id(), SpanId::INVALID, "{why}");
        // No tracestate without a valid traceparent.
        assert_eq!(remote.trace_state().header(), "", "{why}");
        assert_eq!(remote.traceparent(), None, "{why}");
    }
}

#[test]
fn missing_traceparent_gives_no_remote_parent() {
    assert!(!extract(&[]).is_valid());
    let remote = extract(&[("tracestate", "foo=1,bar=2")]);
    assert!(!remote.is_valid());
    assert!(remote.trace_state().header().is_empty());
    assert_eq!(RemoteContext::default(), remote);
}

#[test]
fn duplicated_traceparent_gives_no_remote_parent() {
    let other = "00-12345678901234567890123456789011-1234567890123456-01";
    assert!(!extract(&[("traceparent", TRACEPARENT), ("traceparent", other)]).is_valid());
    assert!(!extract(&[("traceparent", TRACEPARENT), ("TraceParent", TRACEPARENT)]).is_valid());

    let mut headers = HeaderMap::new();
    headers.append("traceparent", HeaderValue::from_static(TRACEPARENT));
    headers.append("traceparent", HeaderValue::from_static(TRACEPARENT));
    assert!(!propagation::extract(&headers).is_valid());

    let mut map = HashMap::new();
    map.insert("traceparent".to_owned(), TRACEPARENT.to_owned());
    map.insert("TRACEPARENT".to_owned(), other.to_owned());
    assert!(!propagation::extract(&map).is_valid());
}

#[test]
fn a_header_value_that_is_not_text_counts_as_invalid() {
    let mut headers = HeaderMap::new();
    headers.append("traceparent", HeaderValue::from_static(TRACEPARENT));
    headers.append("traceparent", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    assert!(!propagation::extract(&headers).is_valid());
}
