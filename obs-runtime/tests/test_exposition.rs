//! The encoders: exact output in both formats, and every output checked by
//! `promtool check metrics` (Prometheus text 0.0.4) and by the strict
//! OpenMetrics parser of `prometheus_client`, read back and compared with what
//! was recorded.

mod support;

use obs_runtime::{
    Buckets, Counter, Family, Format, Gauge, Histogram, IntGauge, LabelSet, LabelValue, MetricDef,
    MetricGroup, Metrics, Registry,
};
use support::{
    assert_promtool_clean, family, labels, normalize_created, parse_openmetrics,
    parse_prometheus_text, promtool_check, try_parse_openmetrics, ParsedFamily,
};

// === metrics under test ===

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct CompileLabels {
    outcome: Outcome,
    cached: bool,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct TenantLabels {
    #[label(unbounded)]
    tenant: String,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ShardLabels {
    #[label(unbounded)]
    shard: i64,
    #[label(unbounded)]
    slot: u32,
}

#[derive(Metrics)]
#[metrics(prefix = "jobs")]
struct JobMetrics {
    /// Jobs finished.
    finished_total: Counter,
}

#[derive(Metrics)]
#[metrics(prefix = "node")]
struct NodeMetrics {
    /// Share of blocked artefacts.
    blocked_ratio: Gauge,
    /// Items waiting.
    queue_depth: IntGauge,
}

#[derive(Metrics)]
#[metrics(prefix = "rpc")]
struct RpcMetrics {
    /// Time to serve one call.
    #[metric(buckets = [0.25, 1.0, 4.0])]
    latency_seconds: Histogram,
}

#[derive(Metrics)]
#[metrics(prefix = "pipeline")]
struct CompileMetrics {
    /// Toolchain outcomes.
    compile_total: Family<CompileLabels, Counter>,
}

#[derive(Metrics)]
#[metrics(prefix = "api")]
struct TenantMetrics {
    /// Requests by tenant.
    #[metric(max_series = 2)]
    requests_total: Family<TenantLabels, Counter>,
    /// Request latency by tenant.
    #[metric(max_series = 1, buckets = [0.5])]
    latency_seconds: Family<TenantLabels, Histogram>,
}

#[derive(Metrics)]
#[metrics(prefix = "store")]
struct ShardMetrics {
    /// Keys by shard and slot.
    keys: Family<ShardLabels, IntGauge>,
}

#[derive(Metrics)]
#[metrics(prefix = "bundle")]
struct UnitMetrics {
    /// Size of the last bundle.
    #[metric(unit = "bytes")]
    size_bytes: Gauge,
    /// CPU time spent packaging.
    cpu_seconds_total: Counter,
    /// Free space.
    free_space: Gauge,
}

#[derive(Metrics)]
#[metrics(prefix = "escaping")]
struct HelpMetrics {
    #[metric(help = "Says \"hi\" from C:\\temp\\\nthen a second line.")]
    events_total: Counter,
}

#[derive(Metrics)]
#[metrics(prefix = "labels")]
struct LabelMetrics {
    /// Requests by tenant, whatever the tenant is called.
    #[metric(max_series = 100)]
    requests_total: Family<TenantLabels, Counter>,
}

// === helpers ===

/// Encodes `registry` in both formats, checks the text format with promtool
/// and the OpenMetrics one with the strict parser, and returns
/// `(text, openmetrics with _created normalised, text parsed, openmetrics parsed)`.
#[track_caller]
fn encode_checked(registry: &Registry) -> (String, String, Vec<ParsedFamily>, Vec<ParsedFamily>) {
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    let openmetrics = registry.encode(Format::OPENMETRICS);
    assert_promtool_clean(&text);
    let parsed_text = parse_prometheus_text(&text);
    let parsed_openmetrics = parse_openmetrics(&openmetrics);
    (
        text,
        normalize_created(&openmetrics),
        parsed_text,
        parsed_openmetrics,
    )
}

/// The single sample `name` with `labels` in `family`, by value text.
#[track_caller]
fn value_of(family: &ParsedFamily, name: &str, pairs: &[(&str, &str)]) -> String {
    let wanted = labels(pairs);
    let found: Vec<_> = family
        .samples
        .iter()
        .filter(|s| s.name == name && s.labels == wanted)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "want exactly one sample {name}{wanted:?} in {family:#?}"
    );
    found[0].value_text.clone()
}

// === formats ===

/// A registry whose OpenMetrics scrapes carry `_created` samples (off by
/// default): the expositions below show them.
fn created_registry() -> Registry {
    let registry = Registry::new();
    registry.set_created_series(true);
    registry
}

#[test]
fn content_types() {
    assert_eq!(
        Format::PROMETHEUS_TEXT.content_type(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(
        Format::OPENMETRICS.content_type(),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(
        Format::from_accept(
            "application/openmetrics-text;version=1.0.0;q=0.8, text/plain;version=0.0.4;q=0.5"
        ),
        Format::OPENMETRICS
    );
    assert_eq!(
        Format::from_accept("application/openmetrics-text;q=0, text/plain"),
        Format::PROMETHEUS_TEXT
    );
    assert_eq!(Format::from_accept(""), Format::PROMETHEUS_TEXT);
    assert_eq!(
        Format::from_accept("text/plain;version=0.0.4"),
        Format::PROMETHEUS_TEXT
    );
}

#[test]
fn empty_registry() {
    let registry = created_registry();
    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(text, "");
    assert_eq!(openmetrics, "# EOF\n");
    assert!(parsed_text.is_empty());
    assert!(parsed_openmetrics.is_empty());
}

#[test]
fn counter() {
    let registry = created_registry();
    let jobs = JobMetrics::register(&registry).unwrap();
    jobs.finished_total.inc_by(3);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP jobs_finished_total Jobs finished.\n\
         # TYPE jobs_finished_total counter\n\
         jobs_finished_total 3\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE jobs_finished counter\n\
         # HELP jobs_finished Jobs finished.\n\
         jobs_finished_total 3\n\
         jobs_finished_created <created>\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let jobs = family(parsed, "jobs_finished");
        assert_eq!(jobs.kind, "counter");
        assert_eq!(jobs.help, "Jobs finished.");
        assert_eq!(value_of(jobs, "jobs_finished_total", &[]), "3");
    }
}

#[test]
fn counter_extremes() {
    let registry = created_registry();
    let big = registry
        .register_metric::<Counter>(MetricDef::new("wraps_total", "Counts near the top."))
        .unwrap();
    big.inc_by(u64::MAX);
    let zero = registry
        .register_metric::<Counter>(MetricDef::new("never_total", "Never incremented."))
        .unwrap();
    assert_eq!(zero.get(), 0);

    let (text, openmetrics, _, parsed) = encode_checked(&registry);
    assert!(
        text.contains("\nwraps_total 18446744073709551615\n"),
        "{text}"
    );
    assert!(text.contains("\nnever_total 0\n"), "{text}");
    assert!(openmetrics.contains("\nwraps_total 18446744073709551615\nwraps_created <created>\n"));
    assert_eq!(
        value_of(family(&parsed, "wraps"), "wraps_total", &[]),
        "18446744073709551615"
    );
    assert_eq!(value_of(family(&parsed, "never"), "never_total", &[]), "0");
}

#[test]
fn gauge_and_int_gauge() {
    let registry = created_registry();
    let node = NodeMetrics::register(&registry).unwrap();
    node.blocked_ratio.set(0.25);
    node.queue_depth.set(-7);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP node_blocked_ratio Share of blocked artefacts.\n\
         # TYPE node_blocked_ratio gauge\n\
         node_blocked_ratio 0.25\n\
         # HELP node_queue_depth Items waiting.\n\
         # TYPE node_queue_depth gauge\n\
         node_queue_depth -7\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE node_blocked_ratio gauge\n\
         # UNIT node_blocked_ratio ratio\n\
         # HELP node_blocked_ratio Share of blocked artefacts.\n\
         node_blocked_ratio 0.25\n\
         # TYPE node_queue_depth gauge\n\
         # HELP node_queue_depth Items waiting.\n\
         node_queue_depth -7\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        assert_eq!(
            value_of(
                family(parsed, "node_blocked_ratio"),
                "node_blocked_ratio",
                &[]
            ),
            "0.25"
        );
        assert_eq!(
            value_of(family(parsed, "node_queue_depth"), "node_queue_depth", &[]),
            "-7"
        );
    }
    assert_eq!(
        family(&parsed_openmetrics, "node_blocked_ratio").unit,
        "ratio"
    );
}

#[test]
fn float_values_nan_and_infinities() {
    let cases: &[(&str, f64, &str, &str)] = &[
        // (name, value, as written, as Python reads it back)
        ("probe_nan", f64::NAN, "NaN", "nan"),
        ("probe_pos_inf", f64::INFINITY, "+Inf", "inf"),
        ("probe_neg_inf", f64::NEG_INFINITY, "-Inf", "-inf"),
        ("probe_neg_zero", -0.0, "-0.0", "-0.0"),
        ("probe_zero", 0.0, "0.0", "0.0"),
        ("probe_whole", 42.0, "42.0", "42.0"),
        ("probe_tenth", 0.1, "0.1", "0.1"),
        ("probe_negative", -2.5, "-2.5", "-2.5"),
        ("probe_large", 1e21, "1e21", "1e+21"),
        ("probe_small", 1.5e-7, "1.5e-7", "1.5e-07"),
        (
            "probe_max",
            f64::MAX,
            "1.7976931348623157e308",
            "1.7976931348623157e+308",
        ),
        (
            "probe_min",
            f64::MIN,
            "-1.7976931348623157e308",
            "-1.7976931348623157e+308",
        ),
        ("probe_subnormal", 5e-324, "5e-324", "5e-324"),
        (
            "probe_long",
            123456789.125,
            "123456789.125",
            "123456789.125",
        ),
    ];
    let registry = created_registry();
    for &(name, value, _, _) in cases {
        registry
            .register_metric::<Gauge>(MetricDef::new(name, "A probe value."))
            .unwrap()
            .set(value);
    }
    let int_gauge = registry
        .register_metric::<IntGauge>(MetricDef::new("probe_int_min", "A probe value."))
        .unwrap();
    int_gauge.set(i64::MIN);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    for &(name, value, written, read_back) in cases {
        let line = format!("\n{name} {written}\n");
        assert!(text.contains(&line), "want {line:?} in:\n{text}");
        assert!(
            openmetrics.contains(&line),
            "want {line:?} in:\n{openmetrics}"
        );
        for parsed in [&parsed_text, &parsed_openmetrics] {
            let got = value_of(family(parsed, name), name, &[]);
            assert_eq!(got, read_back, "{name}");
            let got: f64 = got.parse().unwrap();
            assert!(
                got.to_bits() == value.to_bits() || (got.is_nan() && value.is_nan()),
                "{name}: {got} != {value}"
            );
        }
    }
    assert!(
        text.ends_with("probe_int_min -9223372036854775808\n"),
        "{text}"
    );
    assert_eq!(
        value_of(
            family(&parsed_openmetrics, "probe_int_min"),
            "probe_int_min",
            &[]
        ),
        "-9223372036854775808"
    );
}

#[test]
fn histogram_with_buckets() {
    let registry = created_registry();
    let rpc = RpcMetrics::register(&registry).unwrap();
    for seconds in [0.25, 0.5, 0.5, 8.0] {
        rpc.latency_seconds.observe(seconds);
    }

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP rpc_latency_seconds Time to serve one call.\n\
         # TYPE rpc_latency_seconds histogram\n\
         rpc_latency_seconds_bucket{le=\"0.25\"} 1\n\
         rpc_latency_seconds_bucket{le=\"1.0\"} 3\n\
         rpc_latency_seconds_bucket{le=\"4.0\"} 3\n\
         rpc_latency_seconds_bucket{le=\"+Inf\"} 4\n\
         rpc_latency_seconds_count 4\n\
         rpc_latency_seconds_sum 9.25\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE rpc_latency_seconds histogram\n\
         # UNIT rpc_latency_seconds seconds\n\
         # HELP rpc_latency_seconds Time to serve one call.\n\
         rpc_latency_seconds_bucket{le=\"0.25\"} 1\n\
         rpc_latency_seconds_bucket{le=\"1.0\"} 3\n\
         rpc_latency_seconds_bucket{le=\"4.0\"} 3\n\
         rpc_latency_seconds_bucket{le=\"+Inf\"} 4\n\
         rpc_latency_seconds_count 4\n\
         rpc_latency_seconds_sum 9.25\n\
         rpc_latency_seconds_created <created>\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let latency = family(parsed, "rpc_latency_seconds");
        assert_eq!(latency.kind, "histogram");
        let buckets: Vec<(String, String)> = latency
            .samples_named("rpc_latency_seconds_bucket")
            .map(|s| (s.labels["le"].clone(), s.value_text.clone()))
            .collect();
        let want = [("0.25", "1"), ("1.0", "3"), ("4.0", "3"), ("+Inf", "4")];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|&(le, n)| (le.to_owned(), n.to_owned()))
            .collect();
        assert_eq!(buckets, want);
        assert_eq!(value_of(latency, "rpc_latency_seconds_count", &[]), "4");
        assert_eq!(value_of(latency, "rpc_latency_seconds_sum", &[]), "9.25");
    }
    assert_eq!(
        family(&parsed_openmetrics, "rpc_latency_seconds").unit,
        "seconds"
    );
}

#[test]
fn histogram_exemplars_in_openmetrics_only() {
    let registry = created_registry();
    let rpc = RpcMetrics::register(&registry).unwrap();
    let trace = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
    rpc.latency_seconds
        .observe_with_exemplar(0.5, trace, 0x00f0_67aa_0ba9_02b7);
    rpc.latency_seconds.observe(0.5);
    rpc.latency_seconds.observe_with_exemplar(9.0, trace, 0x1);
    // A zero id is no trace: the observation counts, no exemplar is kept.
    rpc.latency_seconds.observe_with_exemplar(0.1, 0, 0x1);

    let (text, openmetrics, _, parsed_openmetrics) = encode_checked(&registry);
    assert!(!text.contains("trace_id"), "{text}");
    let stamp = |line: &str| {
        // The exemplar timestamp varies; check its shape, then hide it.
        let (head, ts) = line.rsplit_once(' ').unwrap();
        let ts: f64 = ts.parse().unwrap();
        assert!(ts > 1.5e9 && ts < 4e9, "{line}");
        format!("{head} <ts>")
    };
    let lines: Vec<String> = openmetrics
        .lines()
        .map(|line| {
            if line.contains(" # {") {
                stamp(line)
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert_eq!(
        lines[3..8],
        [
            "rpc_latency_seconds_bucket{le=\"0.25\"} 1".to_owned(),
            "rpc_latency_seconds_bucket{le=\"1.0\"} 3 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 0.5 <ts>".to_owned(),
            "rpc_latency_seconds_bucket{le=\"4.0\"} 3".to_owned(),
            "rpc_latency_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"0000000000000001\"} 9.0 <ts>".to_owned(),
            "rpc_latency_seconds_count 4".to_owned(),
        ]
    );
    // The strict parser accepted the exemplars (encode_checked parsed it).
    assert_eq!(
        family(&parsed_openmetrics, "rpc_latency_seconds").kind,
        "histogram"
    );
}

#[test]
fn histogram_with_many_generated_buckets() {
    let registry = created_registry();
    let def = MetricDef::new("upload_duration_seconds", "Time to upload one bundle.")
        .buckets(Buckets::exponential(0.001, 2.0, 16).unwrap());
    let upload = registry.register_metric::<Histogram>(def).unwrap();
    let linear = registry
        .register_metric::<Histogram>(
            MetricDef::new("queue_wait_seconds", "Time spent queued.")
                .buckets(Buckets::linear(0.1, 0.1, 10).unwrap()),
        )
        .unwrap();
    for i in 0..100 {
        upload.observe(f64::from(i) * 0.01);
        linear.observe(f64::from(i) * 0.015);
    }
    let (_, _, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let upload = family(parsed, "upload_duration_seconds");
        assert_eq!(
            upload
                .samples_named("upload_duration_seconds_bucket")
                .count(),
            17
        );
        assert_eq!(
            value_of(upload, "upload_duration_seconds_count", &[]),
            "100"
        );
        let linear = family(parsed, "queue_wait_seconds");
        assert_eq!(
            linear.samples_named("queue_wait_seconds_bucket").count(),
            11
        );
    }
}

// OpenMetrics makes `_sum` a counter: it must not be exposed for a histogram
// with negative bucket bounds, nor when negative observations made it
// negative; `_count` goes with it. The text format keeps both. A NaN
// observation is counted but not summed, so it changes no series exposed.
#[test]
fn histogram_sum_that_is_not_a_counter() {
    let registry = created_registry();
    let skew = registry
        .register_metric::<Histogram>(
            MetricDef::new("clock_skew_seconds", "Local clock minus reference clock.")
                .buckets(Buckets::new(vec![-1.0, 0.0, 1.0]).unwrap()),
        )
        .unwrap();
    skew.observe(-2.0);
    skew.observe(0.5);
    let nan = registry
        .register_metric::<Histogram>(
            MetricDef::new("ingest_lag_seconds", "Lag of the ingest pipeline.")
                .buckets(Buckets::new(vec![1.0]).unwrap()),
        )
        .unwrap();
    nan.observe(0.5);
    nan.observe(f64::NAN);
    let negative = registry
        .register_metric::<Histogram>(
            MetricDef::new("drift_seconds", "Drift of the timer.")
                .buckets(Buckets::new(vec![1.0]).unwrap()),
        )
        .unwrap();
    negative.observe(-3.0);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP clock_skew_seconds Local clock minus reference clock.\n\
         # TYPE clock_skew_seconds histogram\n\
         clock_skew_seconds_bucket{le=\"-1.0\"} 1\n\
         clock_skew_seconds_bucket{le=\"0.0\"} 1\n\
         clock_skew_seconds_bucket{le=\"1.0\"} 2\n\
         clock_skew_seconds_bucket{le=\"+Inf\"} 2\n\
         clock_skew_seconds_count 2\n\
         clock_skew_seconds_sum -1.5\n\
         # HELP ingest_lag_seconds Lag of the ingest pipeline.\n\
         # TYPE ingest_lag_seconds histogram\n\
         ingest_lag_seconds_bucket{le=\"1.0\"} 1\n\
         ingest_lag_seconds_bucket{le=\"+Inf\"} 2\n\
         ingest_lag_seconds_count 2\n\
         ingest_lag_seconds_sum 0.5\n\
         # HELP drift_seconds Drift of the timer.\n\
         # TYPE drift_seconds histogram\n\
         drift_seconds_bucket{le=\"1.0\"} 1\n\
         drift_seconds_bucket{le=\"+Inf\"} 1\n\
         drift_seconds_count 1\n\
         drift_seconds_sum -3.0\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE clock_skew_seconds histogram\n\
         # UNIT clock_skew_seconds seconds\n\
         # HELP clock_skew_seconds Local clock minus reference clock.\n\
         clock_skew_seconds_bucket{le=\"-1.0\"} 1\n\
         clock_skew_seconds_bucket{le=\"0.0\"} 1\n\
         clock_skew_seconds_bucket{le=\"1.0\"} 2\n\
         clock_skew_seconds_bucket{le=\"+Inf\"} 2\n\
         clock_skew_seconds_created <created>\n\
         # TYPE ingest_lag_seconds histogram\n\
         # UNIT ingest_lag_seconds seconds\n\
         # HELP ingest_lag_seconds Lag of the ingest pipeline.\n\
         ingest_lag_seconds_bucket{le=\"1.0\"} 1\n\
         ingest_lag_seconds_bucket{le=\"+Inf\"} 2\n\
         ingest_lag_seconds_count 2\n\
         ingest_lag_seconds_sum 0.5\n\
         ingest_lag_seconds_created <created>\n\
         # TYPE drift_seconds histogram\n\
         # UNIT drift_seconds seconds\n\
         # HELP drift_seconds Drift of the timer.\n\
         drift_seconds_bucket{le=\"1.0\"} 1\n\
         drift_seconds_bucket{le=\"+Inf\"} 1\n\
         drift_seconds_created <created>\n\
         # EOF\n"
    );
    assert_eq!(
        value_of(
            family(&parsed_text, "ingest_lag_seconds"),
            "ingest_lag_seconds_sum",
            &[]
        ),
        "0.5"
    );
    let skew = family(&parsed_openmetrics, "clock_skew_seconds");
    assert_eq!(
        value_of(skew, "clock_skew_seconds_bucket", &[("le", "+Inf")]),
        "2"
    );
    assert_eq!(skew.samples_named("clock_skew_seconds_sum").count(), 0);
}

/// `_created` samples are off by default and can be turned on; nothing
/// else changes, and both formats stay valid.
#[test]
fn created_series_are_off_by_default_and_can_be_turned_on() {
    let registry = Registry::new();
    let tenants = TenantMetrics::register(&registry).unwrap();
    let acme = TenantLabels {
        tenant: "acme".into(),
    };
    tenants.requests_total.get(&acme).inc();
    tenants.latency_seconds.get(&acme).observe(0.2);
    let (text, without, _, parsed) = encode_checked(&registry);
    assert!(!without.contains("_created"), "{without}");
    assert_eq!(parsed.len(), 2);

    registry.set_created_series(true);
    let with_created = registry.encode(Format::OPENMETRICS);
    assert_eq!(with_created.matches("_created").count(), 2);
    let stripped: String = with_created
        .lines()
        .filter(|line| !line.contains("_created"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(stripped, without);
    assert_eq!(registry.encode(Format::PROMETHEUS_TEXT), text);
    registry.set_created_series(false);
    assert_eq!(registry.encode(Format::OPENMETRICS), without);
}

#[test]
fn fixed_family() {
    let registry = created_registry();
    let compile = CompileMetrics::register(&registry).unwrap();
    let success = CompileLabels {
        outcome: Outcome::Success,
        cached: false,
    };
    compile.compile_total.get(&success).inc_by(5);
    compile
        .compile_total
        .get(&CompileLabels {
            outcome: Outcome::Failure,
            cached: true,
        })
        .inc();

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    // Every combination is exported from the first scrape, in index order.
    assert_eq!(
        text,
        "# HELP pipeline_compile_total Toolchain outcomes.\n\
         # TYPE pipeline_compile_total counter\n\
         pipeline_compile_total{outcome=\"success\",cached=\"false\"} 5\n\
         pipeline_compile_total{outcome=\"success\",cached=\"true\"} 0\n\
         pipeline_compile_total{outcome=\"failure\",cached=\"false\"} 0\n\
         pipeline_compile_total{outcome=\"failure\",cached=\"true\"} 1\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE pipeline_compile counter\n\
         # HELP pipeline_compile Toolchain outcomes.\n\
         pipeline_compile_total{outcome=\"success\",cached=\"false\"} 5\n\
         pipeline_compile_created{outcome=\"success\",cached=\"false\"} <created>\n\
         pipeline_compile_total{outcome=\"success\",cached=\"true\"} 0\n\
         pipeline_compile_created{outcome=\"success\",cached=\"true\"} <created>\n\
         pipeline_compile_total{outcome=\"failure\",cached=\"false\"} 0\n\
         pipeline_compile_created{outcome=\"failure\",cached=\"false\"} <created>\n\
         pipeline_compile_total{outcome=\"failure\",cached=\"true\"} 1\n\
         pipeline_compile_created{outcome=\"failure\",cached=\"true\"} <created>\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let compile = family(parsed, "pipeline_compile");
        let total = "pipeline_compile_total";
        let get =
            |outcome, cached| value_of(compile, total, &[("outcome", outcome), ("cached", cached)]);
        assert_eq!(get("success", "false"), "5");
        assert_eq!(get("success", "true"), "0");
        assert_eq!(get("failure", "false"), "0");
        assert_eq!(get("failure", "true"), "1");
    }
}

#[test]
fn unbounded_family_with_overflow() {
    let registry = created_registry();
    let api = TenantMetrics::register(&registry).unwrap();
    let tenant = |name: &str| TenantLabels {
        tenant: name.to_owned(),
    };
    api.requests_total.get(&tenant("acme")).inc_by(2);
    api.requests_total.get(&tenant("globex")).inc();
    // Past the cap of 2: both go to the overflow series.
    api.requests_total.get(&tenant("initech")).inc();
    api.requests_total.get(&tenant("umbrella")).inc_by(4);
    api.requests_total.get(&tenant("acme")).inc();
    api.latency_seconds.get(&tenant("acme")).observe(0.25);
    api.latency_seconds.get(&tenant("globex")).observe(2.0);
    assert_eq!(api.requests_total.overflow_count(), 2);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP api_requests_total Requests by tenant.\n\
         # TYPE api_requests_total counter\n\
         api_requests_total{tenant=\"acme\"} 3\n\
         api_requests_total{tenant=\"globex\"} 1\n\
         api_requests_total{otel_metric_overflow=\"true\"} 5\n\
         # HELP api_latency_seconds Request latency by tenant.\n\
         # TYPE api_latency_seconds histogram\n\
         api_latency_seconds_bucket{tenant=\"acme\",le=\"0.5\"} 1\n\
         api_latency_seconds_bucket{tenant=\"acme\",le=\"+Inf\"} 1\n\
         api_latency_seconds_count{tenant=\"acme\"} 1\n\
         api_latency_seconds_sum{tenant=\"acme\"} 0.25\n\
         api_latency_seconds_bucket{otel_metric_overflow=\"true\",le=\"0.5\"} 0\n\
         api_latency_seconds_bucket{otel_metric_overflow=\"true\",le=\"+Inf\"} 1\n\
         api_latency_seconds_count{otel_metric_overflow=\"true\"} 1\n\
         api_latency_seconds_sum{otel_metric_overflow=\"true\"} 2.0\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE api_requests counter\n\
         # HELP api_requests Requests by tenant.\n\
         api_requests_total{tenant=\"acme\"} 3\n\
         api_requests_created{tenant=\"acme\"} <created>\n\
         api_requests_total{tenant=\"globex\"} 1\n\
         api_requests_created{tenant=\"globex\"} <created>\n\
         api_requests_total{otel_metric_overflow=\"true\"} 5\n\
         api_requests_created{otel_metric_overflow=\"true\"} <created>\n\
         # TYPE api_latency_seconds histogram\n\
         # UNIT api_latency_seconds seconds\n\
         # HELP api_latency_seconds Request latency by tenant.\n\
         api_latency_seconds_bucket{tenant=\"acme\",le=\"0.5\"} 1\n\
         api_latency_seconds_bucket{tenant=\"acme\",le=\"+Inf\"} 1\n\
         api_latency_seconds_count{tenant=\"acme\"} 1\n\
         api_latency_seconds_sum{tenant=\"acme\"} 0.25\n\
         api_latency_seconds_created{tenant=\"acme\"} <created>\n\
         api_latency_seconds_bucket{otel_metric_overflow=\"true\",le=\"0.5\"} 0\n\
         api_latency_seconds_bucket{otel_metric_overflow=\"true\",le=\"+Inf\"} 1\n\
         api_latency_seconds_count{otel_metric_overflow=\"true\"} 1\n\
         api_latency_seconds_sum{otel_metric_overflow=\"true\"} 2.0\n\
         api_latency_seconds_created{otel_metric_overflow=\"true\"} <created>\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let requests = family(parsed, "api_requests");
        let total = "api_requests_total";
        assert_eq!(value_of(requests, total, &[("tenant", "acme")]), "3");
        assert_eq!(value_of(requests, total, &[("tenant", "globex")]), "1");
        assert_eq!(
            value_of(requests, total, &[("otel_metric_overflow", "true")]),
            "5"
        );
        assert_eq!(requests.samples_named(total).count(), 3);
    }
}

#[test]
fn unbounded_family_before_first_series() {
    let registry = created_registry();
    let _api = TenantMetrics::register(&registry).unwrap();
    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP api_requests_total Requests by tenant.\n\
         # TYPE api_requests_total counter\n\
         # HELP api_latency_seconds Request latency by tenant.\n\
         # TYPE api_latency_seconds histogram\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE api_requests counter\n\
         # HELP api_requests Requests by tenant.\n\
         # TYPE api_latency_seconds histogram\n\
         # UNIT api_latency_seconds seconds\n\
         # HELP api_latency_seconds Request latency by tenant.\n\
         # EOF\n"
    );
    assert_eq!(parsed_openmetrics.len(), 2);
    assert!(parsed_openmetrics.iter().all(|f| f.samples.is_empty()));
    assert!(parsed_text.iter().all(|f| f.samples.is_empty()));
}

#[test]
fn integer_label_values() {
    let registry = created_registry();
    let store = ShardMetrics::register(&registry).unwrap();
    store
        .keys
        .get(&ShardLabels {
            shard: -3,
            slot: u32::MAX,
        })
        .set(12);
    store
        .keys
        .get(&ShardLabels {
            shard: i64::MIN,
            slot: 0,
        })
        .set(-1);

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(
        text,
        "# HELP store_keys Keys by shard and slot.\n\
         # TYPE store_keys gauge\n\
         store_keys{shard=\"-3\",slot=\"4294967295\"} 12\n\
         store_keys{shard=\"-9223372036854775808\",slot=\"0\"} -1\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE store_keys gauge\n\
         # HELP store_keys Keys by shard and slot.\n\
         store_keys{shard=\"-3\",slot=\"4294967295\"} 12\n\
         store_keys{shard=\"-9223372036854775808\",slot=\"0\"} -1\n\
         # EOF\n"
    );
    for parsed in [&parsed_text, &parsed_openmetrics] {
        let keys = family(parsed, "store_keys");
        assert_eq!(
            value_of(
                keys,
                "store_keys",
                &[("shard", "-3"), ("slot", "4294967295")]
            ),
            "12"
        );
    }
}

#[test]
fn unit_lines() {
    let registry = created_registry();
    let bundle = UnitMetrics::register(&registry).unwrap();
    bundle.size_bytes.set(1536.0);
    bundle.cpu_seconds_total.inc_by(2);
    bundle.free_space.set(0.5);
    let declared = registry
        .register_metric::<Gauge>(
            MetricDef::new("disk_read_bytes", "Bytes read from disk.").unit("bytes"),
        )
        .unwrap();
    declared.set(4096.0);

    let (text, openmetrics, _, parsed) = encode_checked(&registry);
    // The text format has no unit line.
    assert!(!text.contains("UNIT"), "{text}");
    assert_eq!(
        openmetrics,
        "# TYPE bundle_size_bytes gauge\n\
         # UNIT bundle_size_bytes bytes\n\
         # HELP bundle_size_bytes Size of the last bundle.\n\
         bundle_size_bytes 1536.0\n\
         # TYPE bundle_cpu_seconds counter\n\
         # UNIT bundle_cpu_seconds seconds\n\
         # HELP bundle_cpu_seconds CPU time spent packaging.\n\
         bundle_cpu_seconds_total 2\n\
         bundle_cpu_seconds_created <created>\n\
         # TYPE bundle_free_space gauge\n\
         # HELP bundle_free_space Free space.\n\
         bundle_free_space 0.5\n\
         # TYPE disk_read_bytes gauge\n\
         # UNIT disk_read_bytes bytes\n\
         # HELP disk_read_bytes Bytes read from disk.\n\
         disk_read_bytes 4096.0\n\
         # EOF\n"
    );
    assert_eq!(family(&parsed, "bundle_size_bytes").unit, "bytes");
    assert_eq!(family(&parsed, "bundle_cpu_seconds").unit, "seconds");
    assert_eq!(family(&parsed, "bundle_free_space").unit, "");
    assert_eq!(family(&parsed, "disk_read_bytes").unit, "bytes");
}

#[test]
fn help_escaping() {
    let registry = created_registry();
    let _events = HelpMetrics::register(&registry).unwrap();
    let raw_help = "Says \"hi\" from C:\\temp\\\nthen a second line.";
    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    // Text format: backslash and line feed; OpenMetrics: double quote too.
    assert_eq!(
        text,
        "# HELP escaping_events_total Says \"hi\" from C:\\\\temp\\\\\\nthen a second line.\n\
         # TYPE escaping_events_total counter\n\
         escaping_events_total 0\n"
    );
    assert_eq!(
        openmetrics,
        "# TYPE escaping_events counter\n\
         # HELP escaping_events Says \\\"hi\\\" from C:\\\\temp\\\\\\nthen a second line.\n\
         escaping_events_total 0\n\
         escaping_events_created <created>\n\
         # EOF\n"
    );
    assert_eq!(family(&parsed_text, "escaping_events").help, raw_help);
    assert_eq!(
        family(&parsed_openmetrics, "escaping_events").help,
        raw_help
    );
}

#[test]
fn help_with_unicode_and_control_characters() {
    let registry = created_registry();
    let help = "Ünïcödé ✓ 日本語 🚀, tab\there, cr\rthere, nul\0, \\n is not a newline, \"# EOF\"";
    registry
        .register_metric::<Gauge>(MetricDef::new("odd_help", help))
        .unwrap();
    let (_, _, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert_eq!(family(&parsed_text, "odd_help").help, help);
    assert_eq!(family(&parsed_openmetrics, "odd_help").help, help);
}

/// Label values that need escaping or that parsers are known to trip on,
/// with their escaped form (the same in both formats).
const HOSTILE_VALUES: &[(&str, &str)] = &[
    ("say \"hi\"", "say \\\"hi\\\""),
    ("C:\\temp\\", "C:\\\\temp\\\\"),
    ("line one\nline two", "line one\\nline two"),
    ("", ""),
    ("ünïcødé ✓ 日本語 🚀", "ünïcødé ✓ 日本語 🚀"),
    ("{a=\"b\",c=d}", "{a=\\\"b\\\",c=d}"),
    ("tab\tcr\rnul\0end", "tab\tcr\rnul\0end"),
    (" # not a comment ", " # not a comment "),
    ("\\n is two characters", "\\\\n is two characters"),
    ("\\\"", "\\\\\\\""),
    ("\"", "\\\""),
    ("\\", "\\\\"),
    ("\n", "\\n"),
    (
        "line\u{2028}sep\u{85}next\u{b}vt\u{c}ff",
        "line\u{2028}sep\u{85}next\u{b}vt\u{c}ff",
    ),
    ("} 1\nfake_total 2", "} 1\\nfake_total 2"),
    ("# EOF", "# EOF"),
];

#[test]
fn label_escaping() {
    let registry = created_registry();
    let metrics = LabelMetrics::register(&registry).unwrap();
    for (i, &(value, _)) in HOSTILE_VALUES.iter().enumerate() {
        let labels = TenantLabels {
            tenant: value.to_owned(),
        };
        metrics.requests_total.get(&labels).inc_by(i as u64 + 1);
    }

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    let mut want_text = String::from(
        "# HELP labels_requests_total Requests by tenant, whatever the tenant is called.\n\
         # TYPE labels_requests_total counter\n",
    );
    let mut want_openmetrics = String::from(
        "# TYPE labels_requests counter\n\
         # HELP labels_requests Requests by tenant, whatever the tenant is called.\n",
    );
    for (i, &(_, escaped)) in HOSTILE_VALUES.iter().enumerate() {
        let n = i + 1;
        want_text.push_str(&format!(
            "labels_requests_total{{tenant=\"{escaped}\"}} {n}\n"
        ));
        want_openmetrics.push_str(&format!(
            "labels_requests_total{{tenant=\"{escaped}\"}} {n}\n\
             labels_requests_created{{tenant=\"{escaped}\"}} <created>\n"
        ));
    }
    want_openmetrics.push_str("# EOF\n");
    assert_eq!(text, want_text);
    assert_eq!(openmetrics, want_openmetrics);

    for parsed in [&parsed_text, &parsed_openmetrics] {
        let requests = family(parsed, "labels_requests");
        let totals: Vec<_> = requests.samples_named("labels_requests_total").collect();
        assert_eq!(totals.len(), HOSTILE_VALUES.len());
        for (i, &(value, _)) in HOSTILE_VALUES.iter().enumerate() {
            assert_eq!(
                value_of(requests, "labels_requests_total", &[("tenant", value)]),
                (i + 1).to_string(),
                "label value {value:?}"
            );
        }
    }
}

// Every metric type, labeled and not, in one exposition: the families must
// not interleave and each must stay valid next to the others.
#[test]
fn everything_together() {
    let registry = created_registry();
    let jobs = JobMetrics::register(&registry).unwrap();
    let node = NodeMetrics::register(&registry).unwrap();
    let rpc = RpcMetrics::register(&registry).unwrap();
    let compile = CompileMetrics::register(&registry).unwrap();
    let api = TenantMetrics::register(&registry).unwrap();
    let store = ShardMetrics::register(&registry).unwrap();
    let bundle = UnitMetrics::register(&registry).unwrap();
    let _help = HelpMetrics::register(&registry).unwrap();
    let labels_metrics = LabelMetrics::register(&registry).unwrap();

    jobs.finished_total.inc();
    node.blocked_ratio.set(f64::NAN);
    node.queue_depth.dec();
    rpc.latency_seconds.observe(f64::INFINITY);
    compile
        .compile_total
        .get(&CompileLabels {
            outcome: Outcome::Failure,
            cached: false,
        })
        .inc();
    for tenant in ["a", "b", "c", "d"] {
        let labels = TenantLabels {
            tenant: tenant.to_owned(),
        };
        api.requests_total.get(&labels).inc();
        api.latency_seconds.get(&labels).observe(0.1);
    }
    store.keys.get(&ShardLabels { shard: 1, slot: 2 }).inc();
    bundle.size_bytes.set(f64::NEG_INFINITY);
    for &(value, _) in HOSTILE_VALUES {
        let labels = TenantLabels {
            tenant: value.to_owned(),
        };
        labels_metrics.requests_total.get(&labels).inc();
    }

    let (text, openmetrics, parsed_text, parsed_openmetrics) = encode_checked(&registry);
    assert!(text.contains("\nrpc_latency_seconds_sum +Inf\n"), "{text}");
    assert!(openmetrics.contains("\nrpc_latency_seconds_sum +Inf\n"));
    assert!(openmetrics.ends_with("# EOF\n"));
    let names = |parsed: &[ParsedFamily]| -> Vec<String> {
        parsed.iter().map(|f| f.name.clone()).collect()
    };
    let want = [
        "jobs_finished",
        "node_blocked_ratio",
        "node_queue_depth",
        "rpc_latency_seconds",
        "pipeline_compile",
        "api_requests",
        "api_latency_seconds",
        "store_keys",
        "bundle_size_bytes",
        "bundle_cpu_seconds",
        "bundle_free_space",
        "escaping_events",
        "labels_requests",
    ];
    assert_eq!(names(&parsed_openmetrics), want);
    assert_eq!(names(&parsed_text), want);
    let ratio = value_of(
        family(&parsed_openmetrics, "node_blocked_ratio"),
        "node_blocked_ratio",
        &[],
    );
    assert_eq!(ratio, "nan");
}

// The checks above would prove nothing if the tools accepted anything: make
// sure both reject broken expositions.
#[test]
fn reference_parsers_reject_invalid_expositions() {
    let unescaped_newline = "# HELP x_total Help.\n# TYPE x_total counter\nx_total{a=\"b\nc\"} 1\n";
    assert!(!promtool_check(unescaped_newline).success);

    let no_help = "# TYPE x_total counter\nx_total 1\n";
    let verdict = promtool_check(no_help);
    assert!(!verdict.is_clean(), "promtool should lint missing help");
    assert!(
        verdict.report.contains("no help text"),
        "{}",
        verdict.report
    );

    let missing_eof = "# TYPE x counter\n# HELP x Help.\nx_total 1\n";
    assert!(try_parse_openmetrics(missing_eof).is_err());

    let negative_sum = "# TYPE h histogram\n# HELP h Help.\n\
                        h_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 2.0\n# EOF\n";
    assert!(try_parse_openmetrics(negative_sum).is_err());

    let bad_escape = "# TYPE x gauge\n# HELP x Help.\nx{a=\"\\q\"} 1\n# EOF\n";
    let verdict = promtool_check(&bad_escape.replace("# EOF\n", ""));
    assert!(!verdict.success, "promtool should reject `\\q`");
}
