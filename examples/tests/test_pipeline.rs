//! The pipeline scenario records exactly what its cycles report.

use obs_examples::pipeline::{Backend, CompileLabels, Outcome, Pipeline};
use obs_runtime::{Format, Registry};

#[test]
fn metrics_match_what_the_cycles_did() {
    let registry = Registry::new();
    let mut pipeline = Pipeline::new(&registry, 7).unwrap();
    let reports: Vec<_> = (0..20).map(|_| pipeline.run_cycle()).collect();
    let m = &pipeline.metrics;

    let clauses: usize = reports.iter().map(|r| r.clauses).sum();
    let failures: usize = reports.iter().map(|r| r.failures).sum();
    let mut compiled = 0;
    let mut failed = 0;
    m.compile_total.for_each(|labels, counter| {
        compiled += counter.get();
        if labels.outcome == Outcome::Failure {
            failed += counter.get();
        }
    });
    assert_eq!(compiled as usize, clauses);
    assert_eq!(failed as usize, failures);
    assert_eq!(m.cycles_total.get(), 20);
    assert_eq!(m.latency_seconds.snapshot().count, 20);
    let last = reports.last().unwrap();
    assert_eq!(m.bundle_size_bytes.get(), last.bundle_bytes);

    let mut lowered = 0;
    let mut lowering_seconds = 0.0;
    m.lowering_duration_seconds.for_each(|_, histogram| {
        let snapshot = histogram.snapshot();
        lowered += snapshot.count;
        lowering_seconds += snapshot.sum;
    });
    assert_eq!(lowered as usize, clauses);

    // `pipeline_latency_seconds` is spec ingest to distribution: every
    // stage of each cycle, of which lowering is only a part.
    let latency = m.latency_seconds.snapshot();
    let reported: f64 = reports.iter().map(|r| r.seconds).sum();
    assert!(
        (latency.sum - reported).abs() < 1e-6,
        "{} against {reported}",
        latency.sum
    );
    assert!(
        latency.sum > lowering_seconds + 20.0 * 0.01,
        "{} against {lowering_seconds}",
        latency.sum
    );

    // The same seed gives the same values.
    let again = Registry::new();
    let mut twin = Pipeline::new(&again, 7).unwrap();
    let twin_reports: Vec<_> = (0..20).map(|_| twin.run_cycle()).collect();
    assert_eq!(reports, twin_reports);
    let llvm_ok = CompileLabels {
        backend: Backend::Llvm,
        outcome: Outcome::Success,
    };
    assert_eq!(
        m.compile_total.get(&llvm_ok).get(),
        twin.metrics.compile_total.get(&llvm_ok).get()
    );

    let text = registry.encode(Format::OPENMETRICS);
    assert!(text.contains("# UNIT pipeline_bundle_size_bytes bytes\n"));
    assert!(text.contains("pipeline_cycles_total 20\n"));
}

#[test]
fn a_cycle_is_one_trace_of_its_stages() {
    let registry = Registry::new();
    let mut pipeline = Pipeline::new(&registry, 11).unwrap();
    let (report, spans) = obs_runtime::testing::capture(|| pipeline.run_cycle());

    let root = spans.span("pipeline.cycle");
    assert_eq!(root.parent, None);
    assert_eq!(root.field("cycle"), Some("1"));
    let stages: Vec<&str> = spans
        .children(root)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let mut expected = vec!["spec.parse", "plan.compile_graph"];
    for _ in 0..report.clauses {
        expected.extend(["codegen.lower", "compile.execute"]);
    }
    expected.extend(["verify.run", "distribute.package"]);
    assert_eq!(stages, expected);

    let lowers = spans.all("codegen.lower");
    assert_eq!(lowers.len(), report.clauses);
    assert!(lowers
        .iter()
        .all(|s| s.level == "DEBUG" && s.field("backend").is_some()));

    let executions = spans.all("compile.execute");
    let failed: Vec<_> = executions.iter().filter(|s| s.is_error()).collect();
    assert_eq!(failed.len(), report.failures);
    for execution in &executions {
        let events: Vec<&str> = execution.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(events, ["compile.start", "compile.end"], "{execution:?}");
    }
    eprintln!(
        "verify ancestors: {:?}",
        spans.ancestors(spans.span("verify.run"))
    );
    let blocks = spans
        .span("verify.run")
        .events
        .iter()
        .filter(|e| e.name == "verify.block" && e.level == "WARN")
        .count();
    assert_eq!(blocks, report.blocked);
}
