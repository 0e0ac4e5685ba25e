//! Property tests: label-value and help escaping round-trips for any string,
//! the naming rules of `obs-rules`, and run-time registration of metrics whose
//! names are built at run time.
//!
//! Cases come from a fixed seed so that every run checks the same inputs; set
//! `PROPTEST_RNG_SEED` (and `PROPTEST_CASES`) to explore others.

mod support;

use obs_rules::{
    check_label_name, check_metric_name, check_prefix, suggest_snake_case, MetricType,
    RESERVED_LABEL_NAMES,
};
use obs_runtime::{
    Buckets, Counter, Family, Format, Gauge, Histogram, IntGauge, LabelSet, Metric, MetricDef,
    MetricGroup, Metrics, Registry, RegistryError,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngSeed, TestRunner};
use std::collections::{BTreeMap, HashSet};

// === metrics under test ===

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ValueLabels {
    #[label(unbounded)]
    value: String,
}

#[derive(Metrics)]
#[metrics(prefix = "escape")]
struct EscapeMetrics {
    /// Events by an arbitrary label value.
    #[metric(max_series = 5000)]
    events_total: Family<ValueLabels, Counter>,
}

// === configuration and strategies ===

fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    let env = |name| std::env::var_os(name).is_some();
    ProptestConfig {
        cases: if env("PROPTEST_CASES") {
            default.cases
        } else {
            cases
        },
        rng_seed: if env("PROPTEST_RNG_SEED") {
            default.rng_seed
        } else {
            RngSeed::Fixed(0x0b5e_5ca9)
        },
        failure_persistence: None,
        ..default
    }
}

/// Any string, biased towards the characters that need escaping or that
/// parsers of line-based formats trip on.
fn label_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\\\\"\n\r\t\0{}=, #a-zé日🚀\u{2028}\u{85}]{0,16}",
        prop::collection::vec(
            prop::sample::select(vec![
                "\\", "\"", "\n", "\\n", "\\\"", "\"}", " 1\n", "# EOF", ""
            ]),
            0..8
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Names matching `[a-z][a-z0-9]*(_[a-z0-9]+)*`: the spelling every metric
/// name, prefix and label name must have.
const SNAKE: &str = "[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,4}";

/// A snake_case name with one character that is never allowed put somewhere
/// in it: an uppercase letter or `-` (and a few other non-name characters).
fn misspelled_name() -> impl Strategy<Value = String> {
    (SNAKE, "[A-Z\\-.: /é]", any::<prop::sample::Index>()).prop_map(|(name, bad, at)| {
        let at = at.index(name.len() + 1);
        let mut name = name;
        name.insert_str(at, &bad);
        name
    })
}

/// Names that no metric type accepts.
fn invalid_name() -> impl Strategy<Value = String> {
    prop_oneof![
        misspelled_name(),
        Just(String::new()),
        "[0-9][a-z0-9_]{0,10}",
        "__[a-z0-9_]{0,10}",
        SNAKE.prop_map(|name| format!("{name}_")),
        SNAKE.prop_map(|name| format!("_{name}")),
        (SNAKE, SNAKE).prop_map(|(a, b)| format!("{a}__{b}")),
        any::<String>().prop_filter("not snake_case", |s| !is_snake(s)),
    ]
}

fn is_snake(name: &str) -> bool {
    let mut segments = name.split('_');
    let first_ok = segments
        .next()
        .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_lowercase()));
    first_ok
        && name.split('_').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

const ALL_TYPES: [MetricType; 3] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Histogram,
];

// === an exact reader of the escaped forms ===

/// Reads an escaped string up to its closing `"` (label values, `quoted`)
/// or up to the end of the line (help text). Only the escapes of the format
/// are accepted: `\\`, `\n`, and `\"` where `quote_escape`; a raw line feed
/// is an error, and so is a raw `"` inside OpenMetrics help. Returns the
/// value and what follows it.
fn unescape(input: &str, quoted: bool, quote_escape: bool) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = input.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, '"')) if quote_escape => out.push('"'),
                other => return Err(format!("bad escape `\\{other:?}` in {input:?}")),
            },
            '\n' if !quoted => return Ok((out, &input[at..])),
            '\n' => return Err(format!("raw line feed in {input:?}")),
            '"' if quoted => return Ok((out, &input[at + 1..])),
            '"' if quote_escape => return Err(format!("raw `\"` in {input:?}")),
            c => out.push(c),
        }
    }
    if quoted {
        Err(format!("no closing quote in {input:?}"))
    } else {
        Err(format!("no line feed after {input:?}"))
    }
}

/// The label value of the only series of `escape_events_total`, read back.
fn read_back_label_value(exposition: &str) -> Result<String, String> {
    let prefix = "\nescape_events_total{value=\"";
    let start = exposition
        .find(prefix)
        .ok_or_else(|| format!("no series in {exposition:?}"))?;
    let (value, rest) = unescape(&exposition[start + prefix.len()..], true, true)?;
    if !rest.starts_with("} 1\n") {
        return Err(format!("unexpected text after the value: {rest:?}"));
    }
    Ok(value)
}

fn encode_one_label_value(value: &str) -> Registry {
    let registry = Registry::new();
    registry.set_created_series(true);
    let metrics = EscapeMetrics::register(&registry).unwrap();
    metrics
        .events_total
        .get(&ValueLabels {
            value: value.to_owned(),
        })
        .inc();
    registry
}

// === escaping ===

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn label_values_round_trip(value in label_text()) {
        let registry = encode_one_label_value(&value);
        for format in [Format::PROMETHEUS_TEXT, Format::OPENMETRICS] {
            let exposition = registry.encode(format);
            let read = read_back_label_value(&exposition).map_err(TestCaseError::fail)?;
            prop_assert_eq!(read, value.clone());
            // Every line is a comment or a sample: nothing leaked out of the
            // quotes onto a line of its own.
            for line in exposition.lines() {
                prop_assert!(
                    line.starts_with("# ") || line.starts_with("escape_events_"),
                    "stray line {:?} in {:?}", line, exposition
                );
            }
            let samples = exposition.lines().filter(|l| !l.starts_with("# ")).count();
            let want = if format == Format::OPENMETRICS { 2 } else { 1 };
            prop_assert_eq!(samples, want);
        }
    }

    #[test]
    fn help_round_trips(help in label_text()) {
        prop_assume!(!help.trim().is_empty());
        let registry = Registry::new();
        registry
            .register_metric::<IntGauge>(MetricDef::new("probe_value", help.clone()))
            .unwrap();
        // Leading spaces and tabs are trimmed: the text format cannot carry them.
        let help = help.trim_start_matches([' ', '\t']).to_owned();

        // Text format: `\\` and `\n` escaped, quotes as they are.
        let text = registry.encode(Format::PROMETHEUS_TEXT);
        let escaped = text
            .strip_prefix("# HELP probe_value ")
            .ok_or_else(|| TestCaseError::fail("no HELP line"))?;
        let (read, rest) = unescape(escaped, false, false).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&read, &help);
        prop_assert_eq!(rest, "\n# TYPE probe_value gauge\nprobe_value 0\n");

        // OpenMetrics: `\"` too.
        let openmetrics = registry.encode(Format::OPENMETRICS);
        let escaped = openmetrics
            .strip_prefix("# TYPE probe_value gauge\n# HELP probe_value ")
            .ok_or_else(|| TestCaseError::fail("no HELP line"))?;
        let (read, rest) = unescape(escaped, false, true).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&read, &help);
        prop_assert_eq!(rest, "\nprobe_value 0\n# EOF\n");
    }
}

// The reference parsers, once, on a batch of random values: every value and
// help must come back exactly, and promtool must find nothing to say.
#[test]
fn random_values_through_the_reference_parsers() {
    let mut runner = TestRunner::new(config(1));
    let values = prop::collection::vec(label_text(), 300)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    // Help cannot start with whitespace: both formats skip the blanks that
    // separate it from the metric name.
    let helps: Vec<String> = prop::collection::vec(label_text(), 40)
        .new_tree(&mut runner)
        .unwrap()
        .current()
        .into_iter()
        .map(|help| help.trim_start().to_owned())
        .filter(|help| !help.is_empty())
        .collect();

    let registry = Registry::new();
    registry.set_created_series(true);
    let metrics = EscapeMetrics::register(&registry).unwrap();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen = HashSet::new();
    for value in values.iter().filter(|v| seen.insert(v.as_str())) {
        let n = want.len() as u64 + 1;
        let labels = ValueLabels {
            value: value.clone(),
        };
        metrics.events_total.get(&labels).inc_by(n);
        want.insert(value.clone(), n);
    }
    for (i, help) in helps.iter().enumerate() {
        registry
            .register_metric::<Gauge>(MetricDef::new(format!("probe_{i}"), help.clone()))
            .unwrap()
            .set(i as f64);
    }

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    let openmetrics = registry.encode(Format::OPENMETRICS);
    support::assert_promtool_clean(&text);
    let parsed_text = support::parse_prometheus_text(&text);
    let parsed_openmetrics = support::parse_openmetrics(&openmetrics);
    for (parsed, lax) in [(&parsed_text, true), (&parsed_openmetrics, false)] {
        let events = support::family(parsed, "escape_events");
        let got: BTreeMap<String, u64> = events
            .samples_named("escape_events_total")
            .map(|s| (s.labels["value"].clone(), s.value_text.parse().unwrap()))
            .collect();
        assert_eq!(got, want);
        for (i, help) in helps.iter().enumerate() {
            let read = &support::family(parsed, &format!("probe_{i}")).help;
            if lax {
                // The lax text-format parser strips every line before it
                // unescapes, so trailing whitespace (Python's `str.isspace`)
                // may be lost from help there; the strict parser reads all.
                let trim = |s: &str| {
                    s.trim_end_matches(|c: char| {
                        c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
                    })
                    .to_owned()
                };
                assert_eq!(trim(read), trim(help));
            } else {
                assert_eq!(read, help);
            }
        }
    }
}

// === naming rules ===

proptest! {
    #![proptest_config(config(1024))]

    // Snake_case spelling is never the problem: a snake_case name fails only
    // for what it says (a reserved suffix, `_total`, a non-base unit).
    #[test]
    fn snake_case_names_fail_only_for_reserved_words(name in SNAKE) {
        prop_assert!(check_prefix(&name).is_ok());
        for ty in ALL_TYPES {
            if let Err(violation) = check_metric_name(&name, ty) {
                let why = &violation.message;
                prop_assert!(
                    why.contains("_total`")
                        || why.contains("which the exposition formats reserve")
                        || why.contains("uses the unit")
                        || why.contains("contains the type name"),
                    "{} `{}`: {}", ty, name, violation
                );
            }
        }
    }

    // A segment ending in a digit is no unit, type name, reserved suffix or
    // `_total`: names made of such segments pass for gauges and histograms,
    // and as counters once `_total` is added.
    #[test]
    fn unreserved_names_pass(name in SNAKE, digit in 0u8..10) {
        let name: Vec<String> = name.split('_').map(|segment| format!("{segment}{digit}")).collect();
        let name = name.join("_");
        prop_assert!(check_metric_name(&name, MetricType::Gauge).is_ok(), "{}", name);
        prop_assert!(check_metric_name(&name, MetricType::Histogram).is_ok(), "{}", name);
        let counter = format!("{name}_total");
        prop_assert!(check_metric_name(&counter, MetricType::Counter).is_ok(), "{}", counter);

        let violation = check_metric_name(&name, MetricType::Counter).unwrap_err();
        prop_assert_eq!(violation.message, format!("counter `{name}` must end in `_total`"));
        prop_assert_eq!(violation.help, Some(format!("rename it `{name}_total`")));
    }

    // Gauges and histograms follow the same rules, and a counter named
    // `x_total` passes exactly when a gauge named `x` does.
    #[test]
    fn types_agree(name in SNAKE) {
        let gauge = check_metric_name(&name, MetricType::Gauge);
        prop_assert_eq!(&gauge, &check_metric_name(&name, MetricType::Histogram));
        if !name.ends_with("_total") {
            let counter = check_metric_name(&format!("{name}_total"), MetricType::Counter);
            prop_assert_eq!(gauge.is_ok(), counter.is_ok(), "{}", name);
        }
    }

    #[test]
    fn uppercase_and_dashes_always_fail(name in misspelled_name()) {
        for ty in ALL_TYPES {
            prop_assert!(check_metric_name(&name, ty).is_err(), "{} `{}`", ty, name);
        }
        prop_assert!(check_prefix(&name).is_err(), "{}", name);
        prop_assert!(check_label_name(&name).is_err(), "{}", name);
    }

    #[test]
    fn invalid_spellings_fail_with_a_suggestion(name in invalid_name()) {
        for ty in ALL_TYPES {
            let violation = check_metric_name(&name, ty).unwrap_err();
            let suggestion = suggest_snake_case(&name);
            if !suggestion.is_empty() {
                prop_assert_eq!(violation.help, Some(format!("rename it `{suggestion}`")));
            } else {
                let help = violation.help.unwrap_or_default();
                prop_assert!(
                    help.starts_with("start with a letter") || help.starts_with("choose a"),
                    "{:?}: {}", name, help
                );
            }
        }
        prop_assert!(check_prefix(&name).is_err());
        prop_assert!(check_label_name(&name).is_err());
    }

    // What `rename it …` suggests is itself accepted, and suggesting again
    // changes nothing.
    #[test]
    fn suggestions_are_valid(name in prop_oneof![any::<String>(), invalid_name(), SNAKE.prop_map(String::from)]) {
        let suggestion = suggest_snake_case(&name);
        prop_assume!(!suggestion.is_empty());
        prop_assert_eq!(suggest_snake_case(&suggestion), suggestion.clone());
        prop_assert!(check_prefix(&suggestion).is_ok(), "{:?} → {:?}", name, suggestion);
        prop_assert!(is_snake(&suggestion), "{:?} → {:?}", name, suggestion);
    }

    // Valid names are their own suggestion.
    #[test]
    fn snake_case_names_are_fixed_points(name in SNAKE) {
        prop_assert_eq!(suggest_snake_case(&name), name);
    }

    #[test]
    fn label_names(name in prop_oneof![
        SNAKE.prop_map(String::from),
        prop::sample::select(RESERVED_LABEL_NAMES.to_vec()).prop_map(String::from),
    ]) {
        let reserved = RESERVED_LABEL_NAMES.contains(&name.as_str());
        prop_assert_eq!(check_label_name(&name).is_ok(), !reserved, "{}", name);
    }
}

// === registration of names built at run time ===

fn assert_rejected<M: Metric>(name: &str) -> Result<(), TestCaseError> {
    let registry = Registry::new();
    let Err(err) = registry.register_metric::<M>(MetricDef::new(name, "Help text.")) else {
        return Err(TestCaseError::fail(format!("`{name}` was registered")));
    };
    let expected = check_metric_name(name, M::TYPE).unwrap_err();
    match &err {
        RegistryError::Invalid {
            name: rejected,
            violation,
        } => {
            prop_assert_eq!(rejected, name);
            prop_assert_eq!(violation, &expected);
        }
        other => prop_assert!(false, "want Invalid, got {:?}", other),
    }
    prop_assert_eq!(
        err.to_string(),
        format!("invalid metric `{name}`: {expected}")
    );
    // Nothing was registered…
    prop_assert!(registry.descriptors().is_empty());
    prop_assert_eq!(registry.owner_of(name), None);
    prop_assert_eq!(registry.encode(Format::PROMETHEUS_TEXT), "");
    prop_assert_eq!(registry.encode(Format::OPENMETRICS), "# EOF\n");
    // …and the registry still works.
    registry
        .register_metric::<Gauge>(MetricDef::new("still_works", "Help text."))
        .unwrap();
    prop_assert_eq!(registry.descriptors().len(), 1);
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn registration_rejects_invalid_names(name in invalid_name()) {
        assert_rejected::<Counter>(&name)?;
        assert_rejected::<Gauge>(&name)?;
        assert_rejected::<IntGauge>(&name)?;
        assert_rejected::<Histogram>(&name)?;
        assert_rejected::<Family<ValueLabels, Counter>>(&name)?;
    }

    #[test]
    fn registration_follows_the_rules(name in SNAKE) {
        let registry = Registry::new();
        let result = registry.register_metric::<Gauge>(MetricDef::new(name.clone(), "Help text."));
        match check_metric_name(&name, MetricType::Gauge) {
            Ok(()) => {
                let gauge = result.unwrap();
                gauge.set(1.5);
                let descriptors = registry.descriptors();
                prop_assert_eq!(descriptors.len(), 1);
                prop_assert_eq!(&descriptors[0].name, &name);
                let text = registry.encode(Format::PROMETHEUS_TEXT);
                prop_assert!(text.ends_with(&format!("\n{name} 1.5\n")), "{}", text);
                // The same name again is a conflict, and registers nothing.
                let again = registry.register_metric::<Gauge>(MetricDef::new(name.clone(), "Again."));
                let conflict = matches!(again, Err(RegistryError::Conflict { .. }));
                prop_assert!(conflict, "{:?}", again);
                prop_assert_eq!(registry.descriptors().len(), 1);
            }
            Err(violation) => {
                let invalid = matches!(
                    &result,
                    Err(RegistryError::Invalid { violation: v, .. }) if *v == violation
                );
                prop_assert!(invalid, "{:?}", result);
                prop_assert!(registry.descriptors().is_empty());
            }
        }
    }
}

#[test]
fn registration_rejects_other_broken_definitions() {
    let cases: Vec<(MetricDef, &str)> = vec![
        (
            MetricDef::new("jobs_total", ""),
            "invalid metric `jobs_total`: metric `jobs_total` has no help text",
        ),
        (
            MetricDef::new("jobs_total", " \n\t"),
            "invalid metric `jobs_total`: metric `jobs_total` has no help text",
        ),
        (
            MetricDef::new("jobs_total", "Jobs.").unit("ms"),
            "invalid metric `jobs_total`: unit `ms` is not a base unit",
        ),
        (
            MetricDef::new("jobs_total", "Jobs.").unit("seconds"),
            "invalid metric `jobs_total`: the declared unit `seconds` does not match",
        ),
        (
            MetricDef::new("jobs_total", "Jobs.").buckets(Buckets::default()),
            "invalid metric `jobs_total`: `buckets` are only for histograms",
        ),
    ];
    for (def, message) in cases {
        let registry = Registry::new();
        let err = registry.register_metric::<Counter>(def).unwrap_err();
        assert!(matches!(err, RegistryError::Invalid { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with(message),
            "{err} does not start with {message}"
        );
        assert!(registry.descriptors().is_empty());
        assert_eq!(registry.encode(Format::OPENMETRICS), "# EOF\n");
    }
}

// Whatever obs accepts, promtool's linter accepts: names built from words
// that trip linters (abbreviated and prefixed units, type names, reserved
// suffixes) are either refused by obs or pass `promtool check metrics`.
#[test]
fn accepted_names_pass_promtool() {
    use obs_runtime::{Counter, Format, Gauge, Histogram, MetricDef, Registry};
    const WORDS: &[&str] = &[
        "requests",
        "s",
        "ms",
        "kb",
        "b",
        "m",
        "h",
        "d",
        "seconds",
        "bytes",
        "gauge",
        "counter",
        "histogram",
        "milliseconds",
        "kilobytes",
        "microjoules",
        "ratio",
        "total",
        "count",
        "sum",
        "bucket",
        "info",
        "created",
        "queue",
        "depth",
        "x2",
        "sec",
        "tb",
    ];
    let registry = Registry::new();
    let mut accepted = 0;
    let mut refused = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for i in 0..3_000 {
        let len = 1 + next(4);
        let mut name: Vec<&str> = (0..len).map(|_| WORDS[next(WORDS.len())]).collect();
        let counter = i % 3 == 0;
        if counter {
            name.push("total");
        }
        let name = format!("n{i}_{}", name.join("_"));
        let def = MetricDef::new(name.clone(), "Generated.");
        let result = match i % 3 {
            0 => registry.register_metric::<Counter>(def).map(drop),
            1 => registry.register_metric::<Gauge>(def).map(drop),
            _ => registry.register_metric::<Histogram>(def).map(drop),
        };
        match result {
            Ok(()) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    assert!(
        accepted > 100 && refused > 100,
        "{accepted} accepted, {refused} refused"
    );
    support::assert_promtool_clean(&registry.encode(Format::PROMETHEUS_TEXT));
}
