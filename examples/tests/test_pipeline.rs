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
    m.lowering_duration_seconds
        .for_each(|_, histogram| lowered += histogram.snapshot().count);
    assert_eq!(lowered as usize, clauses);

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
