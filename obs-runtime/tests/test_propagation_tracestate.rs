//! W3C Trace Context `tracestate`: combining headers, the list-member
//! grammar, repeated keys and the 32-member limit.

mod trace_context;

use http::{HeaderMap, HeaderValue};
use obs_runtime::propagation;
use std::collections::BTreeMap;
use trace_context::{extract, tracestate, TRACEPARENT};

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

/// The spec allows a 14-character system id, but `TraceState` refuses it:
/// obs holds that member apart and sends it on in its place.
#[test]
fn a_fourteen_character_system_id_is_kept_in_its_place() {
    let key = format!("{}@{}", "t".repeat(241), "v".repeat(14));
    let header = format!("foo=1,{key}=1,bar=2");
    assert_eq!(tracestate(&[&header]), header);
    let remote = extract(&[("traceparent", TRACEPARENT), ("tracestate", &header)]);
    assert_eq!(remote.trace_state().header(), "foo=1,bar=2");
    // Held apart, it still counts: first of its key, and one of 32.
    assert_eq!(
        tracestate(&[&format!("{key}=1,{key}=2")]),
        format!("{key}=1")
    );
    let mut members: Vec<String> = (0..32).map(|i| format!("m{i}=1")).collect();
    members.insert(3, format!("{key}=1"));
    let kept = members[..32].join(",");
    assert_eq!(tracestate(&[&members.join(",")]), kept);
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

/// Reading stops after 8 KiB of the combined headers; a member the limit
/// cuts is dropped, one that ends on it is kept.
#[test]
fn tracestate_reads_at_most_8_kib() {
    const LIMIT: usize = 8 * 1024;
    let one_header = |commas: usize| format!("foo=1{}bar=2", ",".repeat(commas));
    let ends_on_the_limit = one_header(LIMIT - "foo=1bar=2".len());
    assert_eq!(ends_on_the_limit.len(), LIMIT);
    assert_eq!(tracestate(&[&ends_on_the_limit]), "foo=1,bar=2");
    assert_eq!(tracestate(&[&one_header(LIMIT - 9)]), "foo=1");
    assert_eq!(tracestate(&[&one_header(1_000_000)]), "foo=1");

    // Headers are combined with a comma, which counts.
    let first = |len: usize| format!("foo=1{}", ",".repeat(len - "foo=1".len()));
    let fits = first(LIMIT - ",bar=2".len());
    assert_eq!(tracestate(&[&fits, "bar=2"]), "foo=1,bar=2");
    assert_eq!(tracestate(&[&first(fits.len() + 1), "bar=2"]), "foo=1");
    assert_eq!(tracestate(&[&first(LIMIT), "bar=2", "baz=3"]), "foo=1");

    // A member cut anywhere, even inside a multi-byte character, is dropped.
    let cut = format!("{}foo=é1", ",".repeat(LIMIT - 5));
    assert_eq!(tracestate(&[&cut]), "");
}

/// Outgoing `tracestate` stays within 4 KiB: members over 128 characters
/// go first, from the end, then others from the end; a list within the
/// budget goes on whole.
#[test]
fn outgoing_tracestate_keeps_within_its_byte_budget() {
    assert_eq!(propagation::MAX_TRACESTATE_BYTES, 4096);
    let long = |i: usize| format!("long{i:02}={}", "v".repeat(250));
    let short = |i: usize| format!("short{i:02}=1");

    // 16 long members (4,111 bytes with commas): the last one goes.
    let members: Vec<String> = (0..16).map(long).collect();
    assert!(members.join(",").len() > 4096);
    assert_eq!(tracestate(&[&members.join(",")]), members[..15].join(","));

    // Short and long mixed: the long ones go first, even earlier ones.
    let mut mixed: Vec<String> = (0..16).map(long).collect();
    mixed.extend((0..16).map(short));
    let sent = tracestate(&[&mixed.join(",")]);
    assert!(sent.len() <= 4096, "{}", sent.len());
    let mut kept: Vec<String> = (0..15).map(long).collect();
    kept.extend((0..16).map(short));
    assert_eq!(sent, kept.join(","));

    // 32 members of 256-character values and keys: 32 * 513 bytes in, and
    // more than the 512 characters the spec asks for go on.
    let max: Vec<String> = (0..32)
        .map(|i| format!("{}{i:02}={}", "k".repeat(254), "v".repeat(256)))
        .collect();
    let sent = tracestate(&[&max.join(",")]);
    assert!((512..=4096).contains(&sent.len()), "{}", sent.len());
    assert_eq!(sent, max[..7].join(","));
}
