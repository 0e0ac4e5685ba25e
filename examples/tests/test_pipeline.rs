//! The pipeline scenario records exactly what its cycles report.

use obs_examples::pipeline::{
    Backend, BackendLabels, Clause, CompileLabels, Maturity, MaturityLabels, Outcome, Pipeline,
    PipelineMetrics,
};
use obs_runtime::{Format, LabelValue, Registry};

/// Every maturity level, in label order.
fn maturities() -> Vec<Maturity> {
    (0..Maturity::CARDINALITY)
        .filter_map(Maturity::from_index)
        .collect()
}

/// The readiness gauge's value for each maturity level.
fn clauses_by_maturity(m: &PipelineMetrics) -> Vec<(Maturity, i64)> {
    maturities()
        .into_iter()
        .map(|maturity| {
            (
                maturity,
                m.spec_clauses.get(&MaturityLabels { maturity }).get(),
            )
        })
        .collect()
}

/// How many of `spec`'s clauses are at each maturity level, counted from
/// the clauses' own `maturity`.
fn expected_by_maturity(spec: &[Clause]) -> Vec<(Maturity, i64)> {
    maturities()
        .into_iter()
        .map(|maturity| {
            let count = spec.iter().filter(|c| c.maturity == maturity).count();
            (maturity, count as i64)
        })
        .collect()
}

#[test]
fn metrics_match_what_the_cycles_did() {
    let registry = Registry::new();
    let mut pipeline = Pipeline::new(&registry, 7).unwrap();
    // Readiness: after each cycle, the gauge holds that cycle's spec, level
    // by level.
    let reports: Vec<_> = (0..20)
        .map(|cycle| {
            let report = pipeline.run_cycle();
            assert_eq!(report.spec.len(), report.clauses);
            assert_eq!(
                clauses_by_maturity(&pipeline.metrics),
                expected_by_maturity(&report.spec),
                "cycle {cycle}"
            );
            report
        })
        .collect();
    // The seed gives specs with clauses at every level, so the check above
    // saw each level's gauge move.
    for maturity in maturities() {
        assert!(
            reports
                .iter()
                .flat_map(|r| &r.spec)
                .any(|clause| clause.maturity == maturity),
            "no {maturity:?} clause in 20 specs"
        );
    }
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

    // Readiness: one series per maturity level, and which toolchain
    // binaries this machine lacks.
    let mut levels = 0;
    m.spec_clauses.for_each(|_, _| levels += 1);
    assert_eq!(levels, Maturity::CARDINALITY);
    for backend in [Backend::Llvm, Backend::Cranelift, Backend::Wasm] {
        let on_path = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join(backend.toolchain_binary()).is_file())
        });
        let missing = m
            .toolchain_binaries_missing
            .get(&BackendLabels { backend })
            .get();
        assert_eq!(missing, i64::from(!on_path), "{backend:?}");
    }

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
        .all(|s| s.level == "DEBUG" && s.field("backend.name").is_some()));

    // The playbook's attributes: the clause's id is a hash of its text, the
    // same on its lowering and its compilation.
    let executions = spans.all("compile.execute");
    let failed: Vec<_> = executions.iter().filter(|s| s.is_error()).collect();
    assert_eq!(failed.len(), report.failures);
    for (lower, execution) in lowers.iter().zip(&executions) {
        let id = lower.field("clause.id").unwrap();
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(execution.field("clause.id"), Some(id));
        assert!(lower.field("operator.name").is_some());
        let backend = execution.field("backend.name").unwrap();
        let (binary, host) = match backend {
            "llvm" => ("llc", "local"),
            "cranelift" => ("clif-util", "local"),
            _ => ("wasm-opt", "remote"),
        };
        assert_eq!(execution.field("toolchain.binary"), Some(binary));
        assert_eq!(execution.field("host.kind"), Some(host));
        assert!(execution.field("build.cache_hit").is_some());
        // `error.code` only on a failure.
        assert_eq!(
            execution.field("error.code").is_some(),
            execution.is_error(),
            "{execution:?}"
        );
    }
    for execution in &executions {
        let events: Vec<&str> = execution.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(events, ["compile.start", "compile.end"], "{execution:?}");
    }
    eprintln!(
        "verify ancestors: {:?}",
        spans.ancestors(spans.span("verify.run"))
    );
    // Clauses repeat across cycles: later ones are served by the build cache.
    let (_, later) = obs_runtime::testing::capture(|| {
        for _ in 0..5 {
            pipeline.run_cycle();
        }
    });
    let hits = later
        .all("compile.execute")
        .iter()
        .filter(|s| s.field("build.cache_hit") == Some("true"))
        .count();
    assert!(hits > 0, "no cache hit in five cycles");
    assert!(executions
        .iter()
        .all(|s| s.field("build.cache_hit") == Some("false")));

    let blocks = spans
        .span("verify.run")
        .events
        .iter()
        .filter(|e| e.name == "verify.block" && e.level == "WARN")
        .count();
    assert_eq!(blocks, report.blocked);
}

/// In real time, each latency bucket's exemplar leads to the cycle that
/// observed it, and that trace lasts about what the bucket says: at least
/// the simulated seconds (the stages sleep them), not the microseconds a
/// simulated cycle takes.
#[test]
fn a_latency_exemplar_leads_to_a_trace_of_about_its_length() {
    let registry = Registry::new();
    let mut pipeline = Pipeline::new(&registry, 3).unwrap().real_time();
    let (reports, spans) =
        obs_runtime::testing::capture(|| (0..2).map(|_| pipeline.run_cycle()).collect::<Vec<_>>());
    let snapshot = pipeline.metrics.latency_seconds.snapshot();
    let exemplars: Vec<_> = snapshot.exemplars.iter().flatten().collect();
    assert!(!exemplars.is_empty(), "{snapshot:?}");
    let cycles = spans.all("pipeline.cycle");
    assert_eq!(cycles.len(), 2);
    for exemplar in exemplars {
        assert!(reports.iter().any(|r| r.seconds == exemplar.value));
        let cycle = cycles
            .iter()
            .find(|span| span.trace_id.as_deref() == Some(exemplar.trace_id_hex().as_str()))
            .expect("the exemplar's trace is a cycle's");
        let lasted = cycle.duration().unwrap().as_secs_f64();
        // Sleeping never takes less than asked; the upper bound is only a
        // sanity bound, far above any scheduling delay.
        assert!(
            lasted >= exemplar.value,
            "{lasted} s < {} s",
            exemplar.value
        );
        assert!(lasted < exemplar.value * 2.0 + 1.0, "{lasted} s");
    }
}
