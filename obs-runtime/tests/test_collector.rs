//! Collectors: metrics read at scrape time appear in both exposition formats
//! and in snapshots (what OTLP export reads), their names are held to obs's
//! rules at registration, and nothing a collector reports (or fails to)
//! makes the exposition invalid.

mod support;

use obs_runtime::{
    CollectedMetric, Collection, Collector, Counter, Format, MetricDef, Registry, RegistryError,
    SeriesValue,
};
use std::sync::atomic::{AtomicU64, Ordering};
use support::{assert_promtool_clean, family, labels, parse_openmetrics};

/// Reports what it was built with, and counts its reads.
struct Queue {
    reads: AtomicU64,
}

impl Collector for Queue {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![
            CollectedMetric::counter("queue_wait_seconds_total", "Time jobs waited, in seconds."),
            CollectedMetric::gauge("queue_depth", "Jobs waiting.").labels(&["queue"]),
            CollectedMetric::counter("queue_reads_total", "Times the queue was read."),
        ]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        let reads = self.reads.fetch_add(1, Ordering::Relaxed) + 1;
        out.add(
            "queue_wait_seconds_total",
            &[],
            SeriesValue::FloatCounter(1.5),
        );
        out.add("queue_depth", &["fast"], SeriesValue::IntGauge(3));
        out.add("queue_depth", &["slow \"lane\"\n"], SeriesValue::Gauge(0.5));
        out.add("queue_reads_total", &[], SeriesValue::Counter(reads));
    }
}

fn queue() -> Queue {
    Queue {
        reads: AtomicU64::new(0),
    }
}

#[test]
fn collected_series_are_read_on_every_scrape_in_both_formats() {
    let registry = Registry::new();
    registry.register_collector(queue()).unwrap();

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(
        text.contains("# TYPE queue_wait_seconds_total counter\nqueue_wait_seconds_total 1.5\n"),
        "{text}"
    );
    assert!(text.contains("queue_depth{queue=\"fast\"} 3\n"), "{text}");
    assert!(
        text.contains("queue_depth{queue=\"slow \\\"lane\\\"\\n\"} 0.5\n"),
        "{text}"
    );
    assert!(text.contains("queue_reads_total 1\n"), "{text}");
    assert_promtool_clean(&text);

    let openmetrics = registry.encode(Format::OPENMETRICS);
    let families = parse_openmetrics(&openmetrics);
    let wait = family(&families, "queue_wait_seconds");
    assert_eq!(
        (wait.kind.as_str(), wait.unit.as_str()),
        ("counter", "seconds")
    );
    assert_eq!(
        wait.samples_named("queue_wait_seconds_total")
            .next()
            .unwrap()
            .value,
        1.5
    );
    let depth = family(&families, "queue_depth");
    let slow = depth
        .samples
        .iter()
        .find(|s| s.labels == labels(&[("queue", "slow \"lane\"\n")]));
    assert_eq!(slow.unwrap().value, 0.5);
    // Read again for the second scrape, not cached.
    let reads = family(&families, "queue_reads");
    assert_eq!(
        reads
            .samples_named("queue_reads_total")
            .next()
            .unwrap()
            .value,
        2.0
    );
}

#[test]
fn snapshots_carry_collected_series() {
    let registry = Registry::new();
    let jobs = registry
        .register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))
        .unwrap();
    jobs.inc();
    registry.register_collector(queue()).unwrap();
    let snapshot = registry.snapshot();
    let names: Vec<&str> = snapshot.iter().map(|m| &*m.descriptor.name).collect();
    assert_eq!(
        names,
        [
            "jobs_total",
            "queue_wait_seconds_total",
            "queue_depth",
            "queue_reads_total"
        ]
    );
    assert_eq!(snapshot[1].series[0].value, SeriesValue::FloatCounter(1.5));
    assert_eq!(snapshot[1].descriptor.unit, Some("seconds"));
    let depth = &snapshot[2].series;
    assert_eq!(depth[0].labels, [("queue".to_owned(), "fast".to_owned())]);
    assert_eq!(depth[0].value, SeriesValue::IntGauge(3));
    assert_eq!(depth.len(), 2);
}

struct Named(CollectedMetric);

impl Collector for Named {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![self.0.clone()]
    }
    fn collect(&self, _: &mut Collection<'_>) {}
}

#[test]
fn names_are_held_to_the_rules_at_registration() {
    let registry = Registry::new();
    let cases = [
        (
            CollectedMetric::counter("queue_reads", "Reads."),
            "counter `queue_reads` must end in `_total`",
        ),
        (
            CollectedMetric::gauge("wait_ms", "Wait."),
            "uses the unit `ms`",
        ),
        (
            CollectedMetric::gauge("build_info", "Build."),
            "ends in `_info`, which the exposition formats reserve",
        ),
        (
            CollectedMetric::info("build", "Build."),
            "info metric `build` must end in `_info`",
        ),
        (
            CollectedMetric::gauge("queue_depth", " "),
            "has no help text",
        ),
        (
            CollectedMetric::gauge("queue_depth", "Depth.").labels(&["le"]),
            "`le`",
        ),
    ];
    for (metric, message) in cases {
        let err = registry.register_collector(Named(metric)).unwrap_err();
        assert!(matches!(err, RegistryError::Invalid { .. }), "{err}");
        assert!(
            err.to_string().contains(message),
            "{err} should say {message}"
        );
    }
    assert!(registry.descriptors().is_empty(), "nothing was registered");
    let info = CollectedMetric::info("build_info", "Build.").labels(&["version"]);
    registry.register_collector(Named(info)).unwrap();
}

#[test]
fn a_taken_name_is_a_conflict() {
    let registry = Registry::new();
    registry
        .register_metric::<Counter>(MetricDef::new("queue_reads_total", "Reads."))
        .unwrap();
    let err = registry.register_collector(queue()).unwrap_err();
    let RegistryError::Conflict { name, owner, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(name, "queue_reads_total");
    assert!(owner.contains("test_collector::Queue"), "{owner}");
    assert_eq!(
        registry.descriptors().len(),
        1,
        "none of the collector's metrics"
    );
}

/// Reports everything a collector must not: each is left out.
struct Careless;

impl Collector for Careless {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![
            CollectedMetric::counter("careless_total", "Careless."),
            CollectedMetric::gauge("careless_depth", "Careless.").labels(&["queue"]),
        ]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        out.add("undeclared", &[], SeriesValue::Gauge(1.0));
        out.add("careless_total", &[], SeriesValue::Gauge(1.0));
        out.add("careless_total", &[], SeriesValue::FloatCounter(-1.0));
        out.add("careless_total", &[], SeriesValue::FloatCounter(f64::NAN));
        out.add("careless_depth", &[], SeriesValue::IntGauge(1));
        out.add("careless_depth", &["a", "b"], SeriesValue::IntGauge(1));
        out.add("careless_depth", &["a"], SeriesValue::IntGauge(1));
        out.add("careless_depth", &["a"], SeriesValue::IntGauge(2));
        for i in 0..obs_runtime::DEFAULT_MAX_SERIES + 10 {
            out.add(
                "careless_depth",
                &[&i.to_string()],
                SeriesValue::IntGauge(0),
            );
        }
    }
}

#[test]
fn what_does_not_fit_its_declaration_is_left_out() {
    let registry = Registry::new();
    registry.register_collector(Careless).unwrap();
    let snapshot = registry.snapshot();
    assert!(snapshot[0].series.is_empty(), "{:?}", snapshot[0].series);
    let depth = &snapshot[1].series;
    assert_eq!(depth.len(), obs_runtime::DEFAULT_MAX_SERIES);
    assert_eq!(depth[0].labels, [("queue".to_owned(), "a".to_owned())]);
    assert_eq!(
        depth[0].value,
        SeriesValue::IntGauge(1),
        "the first of two alike"
    );
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(!text.contains("undeclared"));
    assert_promtool_clean(&text);
}

/// A source that cannot be read, and one that panics.
struct Unreadable;

impl Collector for Unreadable {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![CollectedMetric::gauge(
            "unreadable_bytes",
            "A file that is not there.",
        )]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        if let Ok(text) = std::fs::read_to_string("/nonexistent/obs/unreadable") {
            out.add(
                "unreadable_bytes",
                &[],
                SeriesValue::IntGauge(text.len() as i64),
            );
        }
    }
}

struct Panicking;

impl Collector for Panicking {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![CollectedMetric::gauge("panicking_depth", "Panics.")]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        out.add("panicking_depth", &[], SeriesValue::IntGauge(1));
        panic!("the collector's own bug");
    }
}

#[test]
fn a_collector_that_cannot_read_yields_no_series_and_the_scrape_goes_on() {
    let registry = Registry::new();
    registry.register_collector(Unreadable).unwrap();
    registry.register_collector(Panicking).unwrap();
    registry.register_collector(queue()).unwrap();
    for metric in &registry.snapshot()[..2] {
        assert!(metric.series.is_empty(), "{metric:?}");
    }
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(!text.contains("\npanicking_depth "), "{text}");
    assert!(text.contains("queue_depth{queue=\"fast\"} 3\n"), "{text}");
    assert_promtool_clean(&text);
    parse_openmetrics(&registry.encode(Format::OPENMETRICS));
}
