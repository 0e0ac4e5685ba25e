//! Generated label values and help texts, 100,000 of each, full of what
//! exposition formats must escape (quotes, backslashes, newlines, control
//! characters, `#`, braces, non-ASCII): both formats written by obs are
//! accepted by the strict OpenMetrics parser and by `promtool`, and every
//! value reads back exactly as it was recorded.
//!
//! The values are generated up front and encoded in large batches, so that
//! the external parsers run a few times rather than once per case.

mod support;

use obs_runtime::{Family, Format, Gauge, LabelSet, MetricDef, Registry, RegistryError};
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::TestRunner;
use support::{assert_promtool_clean, labels, parse_openmetrics, parse_prometheus_text};

const CASES: usize = 100_000;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(unbounded)]
    value: String,
}

/// Strings of up to 24 characters drawn mostly from what needs escaping.
fn hostile_strings(count: usize) -> Vec<String> {
    let alphabet = vec![
        'a', 'Z', '0', ' ', ' ', '"', '"', '\\', '\\', '\n', '\n', '\r', '\t', '\0', '\u{1}',
        '\u{7f}', '{', '}', '=', ',', '#', 'n', 'é', '€', '😀', '\u{2028}', '\u{feff}',
    ];
    let strategy =
        prop::collection::vec(prop::sample::select(alphabet), 0..24).prop_map(String::from_iter);
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[test]
fn generated_label_values_round_trip_through_both_formats() {
    let values = hostile_strings(CASES);
    for (batch, chunk) in values.chunks(25_000).enumerate() {
        let registry = Registry::new();
        let def = MetricDef::new("escaped", "Generated label values.")
            .max_series(chunk.len())
            .max_label_bytes(1024);
        let family = registry
            .register_metric::<Family<Labels, Gauge>>(def)
            .unwrap();
        // A distinct prefix per value: each is its own series.
        let series: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, value)| format!("{i}:{value}"))
            .collect();
        for (i, value) in series.iter().enumerate() {
            family
                .get(&Labels {
                    value: value.clone(),
                })
                .set(i as f64);
        }
        assert_eq!(family.overflow_count(), 0);

        let text = registry.encode(Format::PROMETHEUS_TEXT);
        let openmetrics = registry.encode(Format::OPENMETRICS);
        assert_promtool_clean(&text);
        for families in [
            parse_openmetrics(&openmetrics),
            parse_prometheus_text(&text),
        ] {
            let samples = &families[0].samples;
            assert_eq!(samples.len(), series.len(), "batch {batch}");
            for ((i, value), sample) in series.iter().enumerate().zip(samples) {
                assert_eq!(sample.labels, labels(&[("value", value)]), "batch {batch}");
                assert_eq!(sample.value, i as f64);
            }
        }
    }
}

#[test]
fn generated_help_texts_round_trip_through_both_formats() {
    let helps = hostile_strings(CASES);
    for (batch, chunk) in helps.chunks(10_000).enumerate() {
        let registry = Registry::new();
        let mut registered = Vec::new();
        for (i, help) in chunk.iter().enumerate() {
            let name = format!("generated_{i}");
            match registry.register_metric::<Gauge>(MetricDef::new(&name, help.clone())) {
                Ok(_) => registered.push((name, help)),
                // The one rule on help text: it must say something.
                Err(RegistryError::Invalid { violation, .. }) => {
                    assert!(help.trim().is_empty(), "{help:?}: {violation}");
                    assert_eq!(
                        violation.message,
                        format!("metric `{name}` has no help text")
                    );
                }
                Err(other) => panic!("{help:?}: {other}"),
            }
        }
        assert!(registered.len() > chunk.len() / 2);

        let text = registry.encode(Format::PROMETHEUS_TEXT);
        let openmetrics = registry.encode(Format::OPENMETRICS);
        assert_promtool_clean(&text);
        // Registration trims leading spaces and tabs, which the text format
        // cannot carry; the strict OpenMetrics reader gets the rest exactly.
        // (Python's lax text-format reader strips unescaped whitespace from
        // each line as it likes: it reads names back, promtool judges.)
        let strict = parse_openmetrics(&openmetrics);
        let lax = parse_prometheus_text(&text);
        assert_eq!(strict.len(), registered.len(), "batch {batch}");
        assert_eq!(lax.len(), registered.len(), "batch {batch}");
        for (((name, help), strict), lax) in registered.iter().zip(&strict).zip(&lax) {
            assert_eq!((&strict.name, &lax.name), (name, name));
            assert_eq!(
                strict.help,
                help.trim_start_matches([' ', '\t']),
                "batch {batch}"
            );
        }
    }
}
