//! Renamed metrics, labels and values; a raw-identifier field; help text from
//! `help = "…"` and from multi-line doc comments.
#![deny(warnings)]

use obs_runtime::{
    Counter, Family, Format, Gauge, LabelSet, LabelValue, MetricGroup, MetricType, Metrics,
    Registry,
};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    #[label(rename = "cranelift_jit")]
    Cranelift,
    #[label(rename = "GPU (CUDA)")]
    Cuda,
}

#[allow(clippy::upper_case_acronyms)]
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    HttpServer,
    IOError,
    r#Async,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(name = "compile_backend")]
    backend: Backend,
    r#type: Kind,
}

#[derive(Metrics)]
#[metrics(prefix = "pipeline")]
struct PipelineMetrics {
    #[metric(name = "lowering_total", help = "Lowerings, by backend and kind.")]
    lowerings: Family<Labels, Counter>,
    /// The kind of the last artefact:
    /// a raw identifier as a field name.
    r#type: Gauge,
    /// Seconds of CPU used.
    #[metric(unit = "seconds")]
    cpu_seconds_total: Counter,
}

fn main() {
    assert_eq!(Backend::VALUES, ["llvm", "cranelift_jit", "GPU (CUDA)"]);
    assert_eq!(Kind::VALUES, ["http_server", "io_error", "async"]);
    assert_eq!(Labels::NAMES, ["compile_backend", "type"]);
    assert_eq!(Labels::CARDINALITY, Some(9));

    assert_eq!(PipelineMetrics::LOWERINGS, "pipeline_lowering_total");
    assert_eq!(PipelineMetrics::TYPE, "pipeline_type");
    assert_eq!(
        PipelineMetrics::CPU_SECONDS_TOTAL,
        "pipeline_cpu_seconds_total"
    );

    let [lowerings, kind, cpu] = PipelineMetrics::DESCRIPTORS else {
        panic!("three descriptors");
    };
    assert_eq!(lowerings.name, "pipeline_lowering_total");
    assert_eq!(lowerings.metric_type, MetricType::Counter);
    assert_eq!(lowerings.help, "Lowerings, by backend and kind.");
    assert_eq!(lowerings.label_names, ["compile_backend", "type"]);
    assert_eq!(lowerings.cardinality, Some(9));
    assert_eq!(kind.name, "pipeline_type");
    assert_eq!(kind.metric_type, MetricType::Gauge);
    assert_eq!(
        kind.help,
        "The kind of the last artefact: a raw identifier as a field name."
    );
    assert_eq!(kind.unit, None);
    assert_eq!(cpu.unit, Some("seconds"));

    let registry = Registry::new();
    let metrics = PipelineMetrics::register(&registry).expect("registers");
    metrics
        .lowerings
        .get(&Labels {
            backend: Backend::Cuda,
            r#type: Kind::IOError,
        })
        .inc();
    metrics.r#type.set(2.0);

    let text = registry.encode(Format::OPENMETRICS);
    assert!(
        text.contains(r#"pipeline_lowering_total{compile_backend="GPU (CUDA)",type="io_error"} 1"#),
        "{text}"
    );
    assert!(text.contains("# TYPE pipeline_lowering counter"), "{text}");
    assert!(
        text.contains(
            "# HELP pipeline_type The kind of the last artefact: a raw identifier as a field name."
        ),
        "{text}"
    );
    assert!(text.contains("pipeline_type 2"), "{text}");
}
