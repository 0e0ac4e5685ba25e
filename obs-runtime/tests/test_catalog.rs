//! The catalog: every declared metric and span, registered or not, with
//! what dashboards and checks need (label values, caps, series counts), and
//! JSON that reads back the same or fails with a position.

use obs_runtime::{
    Catalog, Counter, Family, Gauge, Histogram, LabelSet, LabelValue, MetricDef, MetricType,
    Metrics, Objective, Registry, SpanKind, SpanLevel,
};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    #[label(rename = "cranelift_jit")]
    Cranelift,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct CompileLabels {
    backend: Backend,
    cached: bool,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
#[label(unbounded)]
struct TenantLabels {
    #[label(unbounded)]
    tenant: String,
    backend: Backend,
}

/// Never registered: the catalog lists it all the same.
#[derive(Metrics)]
#[metrics(prefix = "catalog")]
struct DeclaredMetrics {
    /// Compilations by backend.
    compile_total: Family<CompileLabels, Counter>,
    /// Work per tenant.
    #[metric(max_series = 50)]
    tenant_work_total: Family<TenantLabels, Counter>,
    /// Time to compile.
    #[metric(buckets = [0.1, 1.0], objective(latency(1.0) = 0.9))]
    compile_seconds: Histogram,
    /// Queue depth.
    queue_depth: Gauge,
}

#[obs_runtime::traced(
    level = "debug",
    kind = "server",
    metrics,
    name = "catalog.handle",
    objective(success = 0.999, latency(0.25) = 0.99)
)]
fn handle(id: u32) -> u32 {
    id
}

#[test]
fn lists_declared_metrics_with_labels_caps_and_series() {
    let catalog = obs_runtime::catalog();
    assert_eq!(catalog.version, obs_runtime::CATALOG_VERSION);

    let compile = catalog.metric("catalog_compile_total").unwrap();
    assert_eq!(compile.metric_type, MetricType::Counter);
    assert_eq!(compile.help, "Compilations by backend.");
    assert_eq!(compile.series, Some(4));
    assert_eq!(compile.series_budget(), 4);
    assert_eq!(
        compile.label("backend").unwrap().fixed_values().unwrap(),
        ["llvm", "cranelift_jit"]
    );
    assert_eq!(
        compile.label("cached").unwrap().fixed_values().unwrap(),
        ["false", "true"]
    );
    assert_eq!(compile.owner, "test_catalog::DeclaredMetrics");
    assert_eq!(compile.module.as_deref(), Some("test_catalog"));
    assert_eq!(compile.crate_name.as_deref(), Some("test_catalog"));
    assert_eq!(compile.max_series, None);

    let tenants = catalog.metric("catalog_tenant_work_total").unwrap();
    assert_eq!(tenants.series, None);
    assert_eq!(
        (tenants.max_series, tenants.max_label_bytes),
        (Some(50), Some(256))
    );
    assert_eq!(
        tenants.series_budget(),
        51,
        "the cap plus the overflow series"
    );
    assert!(tenants.label("tenant").unwrap().unbounded);
    assert_eq!(tenants.label("tenant").unwrap().fixed_values(), None);
    assert!(!tenants.label("backend").unwrap().unbounded);

    let seconds = catalog.metric("catalog_compile_seconds").unwrap();
    assert_eq!(seconds.unit.as_deref(), Some("seconds"));
    assert_eq!(seconds.buckets.as_deref(), Some(&[0.1, 1.0][..]));
    assert_eq!(
        seconds.objectives,
        [Objective::Latency {
            threshold: 1.0,
            target: 0.9
        }]
    );
    let depth = catalog.metric("catalog_queue_depth").unwrap();
    assert_eq!(
        (depth.metric_type, depth.series, depth.buckets.as_ref()),
        (MetricType::Gauge, Some(1), None)
    );

    // Fields keep their declaration order within the group.
    let names: Vec<&str> = catalog
        .metrics
        .iter()
        .filter(|m| m.owner == "test_catalog::DeclaredMetrics")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "catalog_compile_total",
            "catalog_tenant_work_total",
            "catalog_compile_seconds",
            "catalog_queue_depth"
        ]
    );
}

#[test]
fn lists_spans_and_the_red_metrics_of_traced_functions() {
    assert_eq!(handle(3), 3);
    let catalog = obs_runtime::catalog();
    let span = catalog.span("catalog.handle").unwrap();
    assert_eq!(
        (span.level, span.kind, span.metrics),
        (SpanLevel::Debug, SpanKind::Server, true)
    );
    assert_eq!(span.module, "test_catalog");
    assert!(span.file.ends_with("test_catalog.rs"));
    assert_eq!(
        span.objectives,
        [
            Objective::Success { target: 0.999 },
            Objective::Latency {
                threshold: 0.25,
                target: 0.99
            }
        ]
    );

    let calls = catalog.metric("obs_function_calls_total").unwrap();
    assert_eq!(
        calls.label("function").unwrap().fixed_values().unwrap(),
        ["catalog.handle"]
    );
    assert_eq!(
        calls.label("module").unwrap().fixed_values().unwrap(),
        ["test_catalog"]
    );
    assert_eq!(
        calls.label("result").unwrap().fixed_values().unwrap(),
        ["ok", "error", "cancelled"]
    );
    assert_eq!(calls.series, Some(3));
    let durations = catalog.metric("obs_function_duration_seconds").unwrap();
    assert_eq!(durations.series, Some(1));
    assert_eq!(
        durations.buckets.as_deref(),
        Some(&obs_runtime::DURATION_BUCKETS[..])
    );
    // Listed once, though the first call registered them globally too.
    assert_eq!(
        catalog
            .metrics
            .iter()
            .filter(|m| m.name == "obs_function_calls_total")
            .count(),
        1
    );
}

#[test]
fn lists_metrics_registered_at_run_time_in_the_global_registry() {
    Registry::global()
        .register_metric::<Counter>(MetricDef::new(
            "catalog_runtime_total",
            "Defined at run time.",
        ))
        .unwrap();
    let catalog = obs_runtime::catalog();
    let runtime = catalog.metric("catalog_runtime_total").unwrap();
    assert!(
        runtime.owner.starts_with("the metric registered at "),
        "{}",
        runtime.owner
    );
    assert_eq!(runtime.module, None);
}

#[test]
fn json_reads_back_the_same() {
    let catalog = obs_runtime::catalog();
    let json = catalog.to_json();
    assert!(json.ends_with("}\n"));
    assert!(json.contains("\"type\": \"counter\""), "{json}");
    assert!(json.contains("\"kind\": \"latency\""), "{json}");
    assert_eq!(Catalog::from_json(&json).unwrap(), catalog);
}

fn error(json: &str) -> String {
    Catalog::from_json(json).unwrap_err().to_string()
}

#[test]
fn malformed_catalogs_are_errors_with_their_position() {
    assert_eq!(error("not json"), "line 1, column 2: expected ident");
    assert_eq!(
        error("{\"metrics\": []}"),
        "line 1, column 15: missing field `version`"
    );
    assert_eq!(
        error("{\"version\": 1,\n\"metrics\": [{\"name\": \"x_total\", \"type\": \"summary\"}], \"spans\": []}"),
        "line 2, column 50: unknown metric type `summary` (help: use one of `counter`, `gauge`, `histogram`)"
    );
    assert_eq!(
        error(r#"{"version": 1, "metrics": [], "spans": [{"name": "a", "level": "loud"}]}"#),
        "line 1, column 70: unknown span level `loud` (help: use one of `trace`, `debug`, `info`, `warn`, `error`)"
    );
    assert_eq!(
        error(r#"{"version": "1", "metrics": [], "spans": []}"#),
        "line 1, column 15: invalid type: string \"1\", expected u32"
    );
    assert_eq!(
        error(r#"{"version": 2, "metrics": [], "spans": []}"#),
        "catalog version 2 is newer than this obs reads (version 1): upgrade obs"
    );
    let label = |label: &str| {
        format!(
            r#"{{"version": 1, "spans": [], "metrics": [{{"name": "x_total", "type": "counter", "help": "X.", "owner": "o", "labels": [{label}]}}]}}"#
        )
    };
    assert_eq!(
        error(&label(r#"{"name": "a"}"#)),
        "label `a` of `x_total` lists no values and is not `unbounded`"
    );
    assert_eq!(
        error(&label(
            r#"{"name": "a", "values": ["b"], "unbounded": true}"#
        )),
        "label `a` of `x_total` both lists values and is `unbounded`"
    );
    assert!(Catalog::from_json(&label(r#"{"name": "a", "values": ["b"]}"#)).is_ok());
}

#[test]
fn objectives_that_break_the_rules_are_refused() {
    let span = |objectives: &str| {
        format!(
            r#"{{"version": 1, "metrics": [], "spans": [{{"name": "a", "level": "info", "kind": "internal",
            "target": "t", "module": "m", "file": "f.rs", "line": 1, "objectives": [{objectives}]}}]}}"#
        )
    };
    assert!(Catalog::from_json(&span(r#"{"kind": "success", "target": 0.99}"#)).is_ok());
    assert_eq!(
        error(&span(r#"{"kind": "success", "target": 1.5}"#)),
        "objective of `a`: objective target `1.5` must be a share between 0 and 1, both excluded (help: a target of 1 or more leaves no error budget; write e.g. `0.999` for 99.9%)"
    );
    assert_eq!(
        error(&span(r#"{"kind": "latency", "threshold": 0.3, "target": 0.99}"#)),
        "objective of `a`: latency threshold `0.3` is not a bucket bound (help: the nearest bounds are `0.25` and `0.5`; use one, or add `0.3` to the buckets)"
    );
    assert!(error(&span(r#"{"kind": "availability", "target": 0.99}"#))
        .contains("unknown variant `availability`"));
}
