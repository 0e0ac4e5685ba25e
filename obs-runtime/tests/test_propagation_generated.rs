//! Generated `traceparent` and `tracestate` headers, 100,000 cases each:
//! extraction never panics, and what obs sends on is always valid, within
//! its limits, stable when read again, and what a plain reading of the
//! grammar keeps.

mod trace_context;

use obs_runtime::propagation::{self, MAX_TRACESTATE_BYTES};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use regex::Regex;
use std::sync::LazyLock;
use trace_context::{extract, tracestate, TRACEPARENT};

const CASES: u32 = 100_000;

fn run<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    if let Err(err) = runner.run(&strategy, check) {
        panic!("{err}");
    }
}

/// `traceparent` values near the grammar: fields valid, of the wrong
/// length or case, all zeros; separators and suffixes right or wrong; and
/// junk. Built from pieces, so that 100,000 cases stay fast.
fn traceparent() -> impl Strategy<Value = String> {
    let version = prop::sample::select(vec!["00", "01", "cc", "ff", "0", "000", "FF", "+0"]);
    let trace_id = prop_oneof![
        any::<u128>().prop_map(|id| format!("{id:032x}")),
        prop::sample::select(vec![
            "0".repeat(32),
            "A".repeat(32),
            "a".repeat(31),
            "a".repeat(33),
            "+".repeat(32),
        ]),
    ];
    let span_id = prop_oneof![
        any::<u64>().prop_map(|id| format!("{id:016x}")),
        prop::sample::select(vec!["0".repeat(16), "B".repeat(16), "b".repeat(15)]),
    ];
    let flags = prop_oneof![
        any::<u8>().prop_map(|flags| format!("{flags:02x}")),
        prop::sample::select(vec!["1".to_owned(), "001".to_owned(), "0g".to_owned()]),
    ];
    let separator = prop::sample::select(vec!["-", "-", "-", "_", ""]);
    let around = prop::sample::select(vec!["", "", " ", "\t", "x"]);
    let suffix = prop::sample::select(vec!["", "", "-", "-what-comes-next", "x", "-01"]);
    let structured = (
        around.clone(),
        version,
        separator.clone(),
        trace_id,
        separator.clone(),
        span_id,
        separator,
        flags,
        suffix,
        around,
    )
        .prop_map(|(a, v, s1, t, s2, p, s3, f, x, b)| format!("{a}{v}{s1}{t}{s2}{p}{s3}{f}{x}{b}"));
    let junk = prop::collection::vec(
        prop::sample::select(vec!['0', 'f', '-', 'A', ' ', 'é', '\0', ',']),
        0..60,
    )
    .prop_map(String::from_iter);
    prop_oneof![4 => structured, 1 => junk]
}

/// `tracestate` list-members: valid simple and multi-tenant keys (with
/// 14- and 15-character system ids), values at and past 256 characters,
/// whitespace, and near misses of each part.
fn member() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "a".to_owned(),
        "rojo".to_owned(),
        "congo".to_owned(),
        "k-_*/9".to_owned(),
        "t0@sys".to_owned(),
        "0t@v".to_owned(),
        format!("t@{}", "v".repeat(14)),
        format!("t@{}", "v".repeat(15)),
        "z".repeat(256),
        "z".repeat(257),
        "Rojo".to_owned(),
        "1a".to_owned(),
        "a@".to_owned(),
        "a@b@c".to_owned(),
        "a.b".to_owned(),
        "é".to_owned(),
        String::new(),
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "1",
            "t61rcWkgMzE",
            "a b",
            "!~",
            " x",
            "x ",
            "",
            "a=b",
            "a\tb",
            "é",
            "\u{7f}",
        ])
        .prop_map(str::to_owned),
        (250usize..=260).prop_map(|len| "v".repeat(len)),
    ];
    let space = prop::sample::select(vec!["", "", "", " ", "\t", " \t "]);
    let separator = prop::sample::select(vec!["=", "=", "=", "", "=="]);
    (space.clone(), key, separator, value, space).prop_map(
        |(before, key, separator, value, after)| format!("{before}{key}{separator}{value}{after}"),
    )
}

/// Up to `headers` headers of up to `members` list-members each.
fn tracestate_headers(headers: usize, members: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::collection::vec(member(), 0..=members).prop_map(|members| members.join(",")),
        0..=headers,
    )
}

#[test]
fn generated_traceparents_are_read_or_refused_and_sent_on_valid() {
    run(traceparent(), |value| {
        let remote = extract(&[("traceparent", &value)]);
        let Some(sent) = remote.traceparent() else {
            prop_assert!(!remote.is_valid());
            return Ok(());
        };
        prop_assert_eq!(sent.len(), 55);
        prop_assert!(sent.starts_with("00-"));
        prop_assert!(!remote.trace_id().to_string().bytes().all(|b| b == b'0'));
        let again = extract(&[("traceparent", &sent)]);
        prop_assert_eq!(again, remote);
        Ok(())
    });
}

#[test]
fn generated_tracestates_are_sent_on_valid_within_limits_and_stable() {
    run(tracestate_headers(3, 16), |headers| {
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let sent = tracestate(&headers);
        prop_assert!(sent.len() <= MAX_TRACESTATE_BYTES, "{}", sent.len());
        let members: Vec<(&str, &str)> = if sent.is_empty() {
            Vec::new()
        } else {
            sent.split(',')
                .map(|m| m.split_once('=').unwrap())
                .collect()
        };
        prop_assert!(members.len() <= 32);
        for (i, (key, value)) in members.iter().enumerate() {
            prop_assert!(valid_key(key), "{key:?}");
            prop_assert!(valid_value(value), "{value:?}");
            prop_assert!(members[..i].iter().all(|(k, _)| k != key), "{key} twice");
        }
        // Read again, it is sent on unchanged.
        prop_assert_eq!(tracestate(&[&sent]), sent.clone());

        // Within the read limit and the budget, it is the plain reading.
        let plain = plain_reading(&headers);
        if headers.join(",").len() <= 8 * 1024 && plain.len() <= MAX_TRACESTATE_BYTES {
            prop_assert_eq!(sent, plain);
        }
        Ok(())
    });
}

#[test]
fn no_tracestate_is_read_without_a_valid_traceparent() {
    run(tracestate_headers(2, 4), |headers| {
        let mut pairs = vec![("traceparent", &TRACEPARENT[1..])];
        pairs.extend(headers.iter().map(|header| ("tracestate", header.as_str())));
        let remote = extract(&pairs);
        prop_assert!(!remote.is_valid());
        prop_assert_eq!(remote.tracestate(), None);
        prop_assert_eq!(
            propagation::extract(&Vec::<(String, String)>::new()),
            remote
        );
        Ok(())
    });
}

/// The headers joined with commas, split into members, each trimmed of
/// spaces and tabs; empty and invalid members dropped; the first of each
/// key kept; the first 32 kept.
fn plain_reading(headers: &[&str]) -> String {
    let mut kept: Vec<(&str, &str)> = Vec::new();
    for member in headers.iter().flat_map(|header| header.split(',')) {
        let member = member.trim_matches([' ', '\t']);
        if let Some((key, value)) = member.split_once('=') {
            if valid_key(key) && valid_value(value) && kept.iter().all(|(k, _)| *k != key) {
                kept.push((key, value));
            }
        }
    }
    kept.truncate(32);
    let members: Vec<String> = kept.iter().map(|(k, v)| format!("{k}={v}")).collect();
    members.join(",")
}

/// The key grammar, written from the spec's ABNF as a regular expression.
fn valid_key(key: &str) -> bool {
    static KEY: LazyLock<Regex> = LazyLock::new(|| {
        let simple = "[a-z][a-z0-9_*/-]{0,255}";
        let multi_tenant = "[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13}";
        Regex::new(&format!("^(?:{simple}|{multi_tenant})$")).unwrap()
    });
    KEY.is_match(key)
}

/// The value grammar: `0*255(chr) nblk-chr`, printable ASCII but `,` `=`.
fn valid_value(value: &str) -> bool {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[\x20-\x2B\x2D-\x3C\x3E-\x7E]{0,255}[\x21-\x2B\x2D-\x3C\x3E-\x7E]$").unwrap()
    });
    VALUE.is_match(value)
}
