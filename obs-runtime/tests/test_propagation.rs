//! W3C Trace Context propagation: round trips through every carrier, the
//! W3C test suite's invalid `traceparent` headers, the `tracestate` rules,
//! remote parents of spans, and a gateway → router → worker trace exported
//! through the OpenTelemetry SDK.

use http::{HeaderMap, HeaderValue};
use obs_runtime::propagation::{
    self, Carrier, RemoteContext, SetParentError, SpanId, TraceFlags, TraceId, W3cPropagator,
};
use obs_runtime::traced;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use std::collections::{BTreeMap, HashMap};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

const TRACE_ID: &str = "12345678901234567890123456789012";
const SPAN_ID: &str = "1234567890123456";
const TRACEPARENT: &str = "00-12345678901234567890123456789012-1234567890123456-01";

// === helpers ===

fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn extract(headers: &[(&str, &str)]) -> RemoteContext {
    propagation::extract(&pairs(headers))
}

/// The tracestate extracted alongside a valid `traceparent`.
fn tracestate(values: &[&str]) -> String {
    let mut headers = vec![("traceparent", TRACEPARENT)];
    headers.extend(values.iter().map(|value| ("tracestate", *value)));
    let remote = extract(&headers);
    assert!(remote.is_valid());
    remote.trace_state().header()
}

fn trace_id(hex: &str) -> TraceId {
    TraceId::from_hex(hex).unwrap()
}

fn span_id(hex: &str) -> SpanId {
    SpanId::from_hex(hex).unwrap()
}

/// Runs `f` under a scoped subscriber whose spans go through
/// `tracing-opentelemetry` to the SDK's in-memory exporter; returns `f`'s
/// result and the finished spans.
fn exported<T>(f: impl FnOnce() -> T) -> (T, Vec<SpanData>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_propagation")));
    let result = tracing::subscriber::with_default(subscriber, f);
    provider.force_flush().unwrap();
    (result, exporter.get_finished_spans().unwrap())
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span `{name}` among {:?}", names(spans)))
}

fn names(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|span| &*span.name).collect()
}

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
fn flags_keep_only_the_sampled_bit() {
    for (flags, sampled) in [
        ("00", false),
        ("01", true),
        ("08", false),
        ("09", true),
        ("ff", true),
    ] {
        let remote = extract(&[("traceparent", &format!("00-{TRACE_ID}-{SPAN_ID}-{flags}"))]);
        assert!(remote.is_valid(), "{flags}");
        assert_eq!(remote.is_sampled(), sampled, "{flags}");
        let expected = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        assert_eq!(remote.trace_flags(), expected, "{flags}");
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

// === tracestate ===

#[test]
fn tracestate_keeps_members_in_order() {
    assert_eq!(tracestate(&["foo=1,bar=2"]), "foo=1,bar=2");
    assert_eq!(
        tracestate(&["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"]),
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    );
}

#[test]
fn multiple_tracestate_headers_are_combined_in_order() {
    let combined = "foo=1,bar=2,rojo=1,congo=2,baz=3";
    assert_eq!(
        tracestate(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]),
        combined
    );

    let mut headers = HeaderMap::new();
    headers.append("traceparent", HeaderValue::from_static(TRACEPARENT));
    headers.append("tracestate", HeaderValue::from_static("foo=1,bar=2"));
    headers.append("TraceState", HeaderValue::from_static("rojo=1,congo=2"));
    headers.append("TRACESTATE", HeaderValue::from_static("baz=3"));
    assert_eq!(
        propagation::extract(&headers).trace_state().header(),
        combined
    );

    let mut map = BTreeMap::new();
    map.insert("traceparent".to_owned(), TRACEPARENT.to_owned());
    map.insert("TRACESTATE".to_owned(), "foo=1".to_owned());
    map.insert("tracestate".to_owned(), "bar=2".to_owned());
    assert_eq!(
        propagation::extract(&map).trace_state().header(),
        "foo=1,bar=2"
    );
}

#[test]
fn empty_tracestate_members_are_ignored() {
    assert_eq!(tracestate(&[""]), "");
    assert_eq!(tracestate(&["foo=1", ""]), "foo=1");
    assert_eq!(tracestate(&["", "foo=1"]), "foo=1");
    assert_eq!(tracestate(&[",,foo=1,, \t ,bar=2,"]), "foo=1,bar=2");
    assert_eq!(tracestate(&[" , "]), "");
}

#[test]
fn whitespace_around_tracestate_members_is_ignored() {
    assert_eq!(
        tracestate(&["foo=1 \t , \t bar=2, \t baz=3"]),
        "foo=1,bar=2,baz=3"
    );
    assert_eq!(
        tracestate(&["foo=1\t \t,\t \tbar=2,\t \tbaz=3"]),
        "foo=1,bar=2,baz=3"
    );
    for value in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
        assert_eq!(tracestate(&[value]), "foo=1", "{value:?}");
    }
    // Inside a member, spaces belong to the value, or make the key invalid.
    assert_eq!(tracestate(&["foo= 1"]), "foo= 1");
    assert_eq!(tracestate(&["foo=a b"]), "foo=a b");
    assert_eq!(tracestate(&["foo =1,bar=2"]), "bar=2");
}

#[test]
fn tracestate_keeps_the_first_32_members() {
    let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
    let first_32 = members[..32].join(",");

    // 32 members, over several headers: all kept.
    let headers: Vec<String> = members[..32]
        .chunks(10)
        .map(|chunk| chunk.join(","))
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    assert_eq!(tracestate(&headers), first_32);

    // 33 members: the 33rd is dropped.
    assert_eq!(tracestate(&[&members.join(",")]), first_32);
    assert_eq!(tracestate(&[&first_32, "bar33=33"]), first_32);

    // Empty, invalid and repeated members do not count toward the 32.
    let mut noisy = vec!["", "BAD=1", " ", "bad@=2", &members[0], "bar01=xx"];
    noisy.extend(members[1..].iter().map(String::as_str));
    assert_eq!(tracestate(&[&noisy.join(",")]), first_32);
}

#[test]
fn repeated_tracestate_keys_keep_the_first() {
    assert_eq!(tracestate(&["foo=1,foo=1"]), "foo=1");
    assert_eq!(tracestate(&["foo=1,foo=2"]), "foo=1");
    assert_eq!(tracestate(&["foo=1", "foo=2"]), "foo=1");
    assert_eq!(
        tracestate(&["foo=1,bar=2,foo=3,baz=4"]),
        "foo=1,bar=2,baz=4"
    );
    assert_eq!(
        tracestate(&["t@sys=1,t@sys=2,t@other=3"]),
        "t@sys=1,t@other=3"
    );
}

#[test]
fn tracestate_drops_invalid_keys_and_keeps_the_rest() {
    let long_key = "z".repeat(257);
    let long_tenant = format!("{}@v", "t".repeat(242));
    let long_system = format!("t@{}", "v".repeat(15));
    for key in [
        "foo ",
        "FOO",
        "Foo",
        "foo.bar",
        "foo@",
        "@foo",
        "foo@@bar",
        "foo@bar@baz",
        "foo@1bar",
        "1foo",
        "_foo",
        "-foo",
        "fo%o",
        "",
        "é",
        &long_key,
        &long_tenant,
        &long_system,
    ] {
        assert_eq!(tracestate(&[&format!("{key}=1,bar=2")]), "bar=2", "{key:?}");
    }
}

#[test]
fn tracestate_accepts_every_key_the_grammar_allows() {
    let all_chars = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    let vendor_key = format!("{all_chars}@a-z0-9_-*/");
    let max_key = "z".repeat(256);
    let digit_tenant = "0tenant@system";
    let max_tenant = format!("{}@{}", "t".repeat(241), "v".repeat(13));
    for key in [
        all_chars,
        &vendor_key,
        &max_key,
        digit_tenant,
        &max_tenant,
        "a",
        "a@b",
    ] {
        let header = format!("foo=1,{key}=value");
        let remote = extract(&[("traceparent", TRACEPARENT), ("tracestate", &header)]);
        assert_eq!(remote.trace_state().get(key), Some("value"), "{key}");
        assert_eq!(remote.trace_state().get("foo"), Some("1"), "{key}");
    }
}

/// The spec allows a 14-character system id, but `TraceState` refuses it;
/// that member is dropped, and the others are kept, not the whole list.
#[test]
fn a_member_the_sdk_cannot_hold_does_not_cost_the_others() {
    let key = format!("{}@{}", "t".repeat(241), "v".repeat(14));
    assert_eq!(
        tracestate(&["foo=1", &format!("{key}=1"), "bar=2"]),
        "foo=1,bar=2"
    );
}

#[test]
fn tracestate_drops_invalid_values_and_keeps_the_rest() {
    let long = "v".repeat(257);
    for value in ["", "bar=baz", "a\u{1}b", "a\u{7f}", "é", "a\tb", &long] {
        assert_eq!(
            tracestate(&[&format!("foo={value},bar=2")]),
            "bar=2",
            "{value:?}"
        );
    }
    assert_eq!(tracestate(&["foo"]), "");
    assert_eq!(tracestate(&["foo=,bar=3"]), "bar=3");
}

#[test]
fn tracestate_accepts_every_printable_value() {
    let printable: String = (0x20u8..=0x7e)
        .filter(|c| ![b',', b'='].contains(c))
        .map(char::from)
        .collect();
    let max = "v".repeat(256);
    for value in [&printable[..], &max, "!", "a b"] {
        let header = format!("foo={value}");
        let remote = extract(&[("traceparent", TRACEPARENT), ("tracestate", &header)]);
        assert_eq!(remote.trace_state().get("foo"), Some(value), "{value}");
    }
}

// === inject and round trips ===

#[test]
fn extract_then_inject_gives_the_same_headers_in_every_carrier() {
    let tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    let incoming = [("traceparent", TRACEPARENT), ("tracestate", tracestate)];
    let remote = extract(&incoming);
    let context = remote.context();

    fn round_trip<C: Carrier + Default>(context: &opentelemetry::Context) -> RemoteContext {
        let mut carrier = C::default();
        propagation::inject_context(context, &mut carrier);
        assert_eq!(carrier.get("traceparent"), Some(TRACEPARENT));
        assert_eq!(
            carrier.get("tracestate"),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        propagation::extract(&carrier)
    }
    for back in [
        round_trip::<HeaderMap>(&context),
        round_trip::<Vec<(String, String)>>(&context),
        round_trip::<HashMap<String, String>>(&context),
        round_trip::<BTreeMap<String, String>>(&context),
    ] {
        assert_eq!(back, remote);
    }
}

#[test]
fn inject_replaces_stale_trace_context() {
    let stale = pairs(&[
        (
            "TraceParent",
            "00-11111111111111111111111111111111-1111111111111111-01",
        ),
        ("TRACESTATE", "stale=1"),
        ("content-type", "application/json"),
    ]);

    // A context with a tracestate replaces both headers.
    let remote = extract(&[("traceparent", TRACEPARENT), ("tracestate", "foo=1")]);
    let mut headers = stale.clone();
    propagation::inject_context(&remote.context(), &mut headers);
    assert_eq!(
        headers,
        pairs(&[
            ("content-type", "application/json"),
            ("traceparent", TRACEPARENT),
            ("tracestate", "foo=1"),
        ])
    );

    // One without removes the stale tracestate rather than sending it on.
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let mut headers = stale.clone();
    propagation::inject_context(&remote.context(), &mut headers);
    assert_eq!(
        headers,
        pairs(&[
            ("content-type", "application/json"),
            ("traceparent", TRACEPARENT)
        ])
    );

    // An invalid context leaves the headers alone.
    let mut headers = stale.clone();
    propagation::inject_context(&RemoteContext::default().context(), &mut headers);
    assert_eq!(headers, stale);
}

#[test]
fn inject_writes_nothing_without_an_opentelemetry_layer() {
    let mut headers = HeaderMap::new();
    propagation::inject_current(&mut headers);
    assert!(headers.is_empty());

    let ((), _) = obs_runtime::testing::capture(|| {
        let span = tracing::info_span!("no.otel");
        let _entered = span.enter();
        propagation::inject(&span, &mut headers);
    });
    assert!(headers.is_empty());
}

#[test]
fn a_span_continues_the_remote_trace_and_propagates_it() {
    for flags in ["01", "00"] {
        let incoming = [
            ("traceparent", &*format!("00-{TRACE_ID}-{SPAN_ID}-{flags}")),
            ("tracestate", "congo=t61rcWkgMzE"),
        ];
        let remote = extract(&incoming);
        let (outgoing, spans) = exported(|| {
            let span = tracing::info_span!("server.handle");
            propagation::set_parent(&span, &remote).unwrap();
            let mut outgoing = HeaderMap::new();
            propagation::inject(&span, &mut outgoing);
            outgoing
        });
        let next = propagation::extract(&outgoing);
        assert_eq!(next.trace_id(), remote.trace_id());
        assert_ne!(next.span_id(), remote.span_id());
        assert_eq!(next.trace_flags(), remote.trace_flags(), "flags {flags}");
        assert_eq!(next.trace_state(), remote.trace_state());

        // Unsampled spans are not exported; the sampled one is, as the child
        // of the remote span.
        if flags == "01" {
            let server = span(&spans, "server.handle");
            assert_eq!(server.span_context.span_id(), next.span_id());
            assert_eq!(server.span_context.trace_id(), remote.trace_id());
            assert_eq!(server.parent_span_id, remote.span_id());
            assert!(server.parent_span_is_remote);
        } else {
            assert!(spans.is_empty(), "{:?}", names(&spans));
        }
    }
}

#[test]
fn an_invalid_remote_context_starts_a_new_trace() {
    let remote = extract(&[(
        "traceparent",
        "00-00000000000000000000000000000000-1234567890123456-01",
    )]);
    let (outgoing, spans) = exported(|| {
        let span = tracing::info_span!("server.handle");
        propagation::set_parent(&span, &remote).unwrap();
        let _entered = span.enter();
        let mut outgoing = Vec::new();
        propagation::inject_current(&mut outgoing);
        outgoing
    });
    let server = span(&spans, "server.handle");
    assert_ne!(server.span_context.trace_id(), TraceId::INVALID);
    assert_eq!(server.parent_span_id, SpanId::INVALID);
    assert_eq!(
        propagation::extract(&outgoing).trace_id(),
        server.span_context.trace_id()
    );
}

#[test]
fn an_invalid_remote_context_keeps_the_local_parent() {
    let ((), spans) = exported(|| {
        let local = tracing::info_span!("local.parent");
        let _entered = local.enter();
        let child = tracing::info_span!("local.child");
        propagation::set_parent(&child, &RemoteContext::default()).unwrap();
        child.in_scope(|| {});
    });
    let (local, child) = (span(&spans, "local.parent"), span(&spans, "local.child"));
    assert_eq!(child.parent_span_id, local.span_context.span_id());
    assert_eq!(child.span_context.trace_id(), local.span_context.trace_id());
}

#[test]
fn set_parent_after_the_span_started_is_an_error() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let (result, spans) = exported(|| {
        let span = tracing::info_span!("late.parent");
        let _entered = span.enter();
        propagation::set_parent(&span, &remote)
    });
    assert_eq!(result, Err(SetParentError::AlreadyStarted));
    assert_ne!(
        span(&spans, "late.parent").span_context.trace_id(),
        remote.trace_id()
    );
}

#[test]
fn set_parent_needs_an_opentelemetry_layer() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let (result, _) = obs_runtime::testing::capture(|| {
        propagation::set_parent(&tracing::info_span!("no.otel"), &remote)
    });
    assert_eq!(result, Err(SetParentError::NoOpenTelemetryLayer));
    // A disabled span (no subscriber at all) is left alone.
    assert_eq!(
        propagation::set_parent(&tracing::Span::none(), &remote),
        Ok(())
    );
}

#[test]
fn the_macro_hook_sets_the_remote_parent() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let ((), spans) = exported(|| {
        let span = tracing::info_span!("hooked.span");
        obs_runtime::__private::set_remote_parent(&span, &remote);
        span.in_scope(|| {});
    });
    let hooked = span(&spans, "hooked.span");
    assert_eq!(hooked.span_context.trace_id(), remote.trace_id());
    assert_eq!(hooked.parent_span_id, remote.span_id());
}

#[test]
fn a_disabled_span_injects_the_current_span() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_propagation")))
        .with(LevelFilter::INFO);
    let headers = tracing::subscriber::with_default(subscriber, || {
        let outer = tracing::info_span!("outer.enabled");
        let _entered = outer.enter();
        let inner = tracing::debug_span!("inner.disabled");
        assert!(inner.is_disabled());
        let mut headers = HeaderMap::new();
        propagation::inject(&inner, &mut headers);
        headers
    });
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let outer = span(&spans, "outer.enabled");
    assert_eq!(
        propagation::extract(&headers).span_id(),
        outer.span_context.span_id()
    );
}

#[test]
fn the_propagator_conforms_through_opentelemetry_apis() {
    let propagator = W3cPropagator::new();
    let fields: Vec<&str> = propagator.fields().collect();
    assert_eq!(fields, ["traceparent", "tracestate"]);

    let mut headers = HashMap::new();
    headers.insert("traceparent".to_owned(), TRACEPARENT.to_owned());
    headers.insert("tracestate".to_owned(), "foo=1,FOO=2,foo=3".to_owned());
    let context = propagator.extract(&headers);
    let span = context.span();
    let extracted = span.span_context();
    assert_eq!(extracted.trace_id(), trace_id(TRACE_ID));
    assert_eq!(extracted.trace_state().header(), "foo=1");

    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject_context(&context, &mut out);
    assert_eq!(out["traceparent"], TRACEPARENT);
    assert_eq!(out["tracestate"], "foo=1");

    // What the SDK's propagator accepts and W3C does not.
    headers.insert("traceparent".to_owned(), format!("{TRACEPARENT}-"));
    assert!(!propagator
        .extract(&headers)
        .span()
        .span_context()
        .is_valid());

    // No empty tracestate is sent.
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject_context(&remote.context(), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}

// === gateway → router → worker ===

#[traced(level = "info", name = "gateway.forward", kind = "client")]
fn gateway_forward() -> HeaderMap {
    let mut request = HeaderMap::new();
    request.insert("content-type", HeaderValue::from_static("application/json"));
    propagation::inject_current(&mut request);
    request
}

/// The router receives the HTTP request, continues its trace, and publishes
/// a message carrying the context in its headers.
fn router_receive(request: &HeaderMap) -> Vec<(String, String)> {
    let remote = propagation::extract(request);
    let span = tracing::info_span!("router.route", otel.kind = "server");
    propagation::set_parent(&span, &remote).unwrap();
    span.in_scope(router_publish)
}

#[traced(level = "info", name = "router.publish", kind = "producer")]
fn router_publish() -> Vec<(String, String)> {
    let mut message = vec![("message-id".to_owned(), "42".to_owned())];
    propagation::inject_current(&mut message);
    message
}

/// The worker consumes the message and continues the same trace.
fn worker_consume(message: Vec<(String, String)>) {
    let remote = propagation::extract(&message);
    let span = tracing::info_span!("worker.consume", otel.kind = "consumer");
    propagation::set_parent(&span, &remote).unwrap();
    span.in_scope(worker_step);
}

#[traced(level = "info", name = "worker.step")]
fn worker_step() {}

#[test]
fn a_trace_crosses_http_and_a_message_into_a_worker() {
    let (message, spans) = exported(|| {
        let request = gateway_forward();
        assert!(request.contains_key("traceparent"));
        let message = router_receive(&request);
        worker_consume(message.clone());
        message
    });
    assert_eq!(message[0], ("message-id".to_owned(), "42".to_owned()));

    let gateway = span(&spans, "gateway.forward");
    let route = span(&spans, "router.route");
    let publish = span(&spans, "router.publish");
    let consume = span(&spans, "worker.consume");
    let step = span(&spans, "worker.step");
    assert_eq!(spans.len(), 5, "{:?}", names(&spans));

    // One trace.
    let trace = gateway.span_context.trace_id();
    assert_ne!(trace, TraceId::INVALID);
    for span in &spans {
        assert_eq!(span.span_context.trace_id(), trace, "{}", span.name);
    }

    // The gateway is the root; each hop's first span has the previous hop's
    // last span as its remote parent; spans within a hop are local children.
    assert_eq!(gateway.parent_span_id, SpanId::INVALID);
    assert_eq!(route.parent_span_id, gateway.span_context.span_id());
    assert!(route.parent_span_is_remote);
    assert_eq!(publish.parent_span_id, route.span_context.span_id());
    assert!(!publish.parent_span_is_remote);
    assert_eq!(consume.parent_span_id, publish.span_context.span_id());
    assert!(consume.parent_span_is_remote);
    assert_eq!(step.parent_span_id, consume.span_context.span_id());
    assert!(!step.parent_span_is_remote);

    // Kinds, from `#[traced(kind = …)]` and `otel.kind`.
    assert_eq!(gateway.span_kind, SpanKind::Client);
    assert_eq!(route.span_kind, SpanKind::Server);
    assert_eq!(publish.span_kind, SpanKind::Producer);
    assert_eq!(consume.span_kind, SpanKind::Consumer);
    assert_eq!(step.span_kind, SpanKind::Internal);
}

// === #[traced(remote_parent = …)] ===

#[traced(level = "info", name = "queue.consume", kind = "consumer", remote_parent = headers_context)]
fn consume(headers_context: &RemoteContext) -> u32 {
    7
}

#[test]
fn traced_takes_a_remote_parent() {
    let remote = extract(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )]);
    assert!(remote.is_valid());
    let (value, spans) = exported(|| consume(&remote));
    assert_eq!(value, 7);
    let consumed = span(&spans, "queue.consume");
    assert_eq!(
        consumed.span_context.trace_id(),
        trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(consumed.parent_span_id, span_id("00f067aa0ba902b7"));
    assert_eq!(consumed.span_kind, SpanKind::Consumer);

    // An invalid context leaves the span a root of a new trace.
    let (_, spans) = exported(|| consume(&RemoteContext::default()));
    let fresh = span(&spans, "queue.consume");
    assert_ne!(
        fresh.span_context.trace_id(),
        trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(fresh.parent_span_id, opentelemetry::trace::SpanId::INVALID);
}

// === exemplars of #[traced(metrics)] ===

#[traced(level = "info", name = "red.exemplar", metrics)]
fn measured_step() -> u32 {
    1
}

#[test]
fn red_durations_carry_the_trace_as_an_exemplar() {
    let (_, spans) = exported(measured_step);
    let span = span(&spans, "red.exemplar");
    let red = obs_runtime::function_metrics("red.exemplar").expect("called");
    let exemplar = red
        .duration()
        .exemplars
        .into_iter()
        .flatten()
        .next()
        .expect("the first call keeps an exemplar");
    assert_eq!(
        exemplar.trace_id_hex(),
        span.span_context.trace_id().to_string()
    );
    assert_eq!(
        exemplar.span_id_hex(),
        span.span_context.span_id().to_string()
    );
}
