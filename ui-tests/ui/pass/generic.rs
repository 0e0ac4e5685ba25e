//! A metrics struct generic over its label set, in both bound styles.
#![deny(warnings)]

use obs_runtime::{
    Counter, Family, Histogram, LabelSet, LabelValue, MetricGroup, Metrics, Registry,
};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    Cranelift,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct BackendLabels {
    backend: Backend,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ModelLabels {
    #[label(unbounded)]
    model: String,
}

#[derive(Metrics)]
#[metrics(prefix = "generic")]
struct M<L: LabelSet> {
    /// Requests, by the caller's labels.
    f_total: Family<L, Counter>,
}

#[derive(Metrics)]
struct Timed<L>
where
    L: LabelSet,
{
    /// Latency, by the caller's labels.
    #[metric(buckets = [0.5, 1.0])]
    latency_seconds: Family<L, Histogram>,
}

// No bound on `L`: the derive bounds its impl by `Family<L, Counter>: Metric`.
#[derive(Metrics)]
struct Unbounded<L> {
    /// Jobs, by the caller's labels.
    jobs_total: Family<L, Counter>,
    /// A field that does not depend on `L` is checked as usual.
    #[metric(buckets = exponential(1.0, 10.0, 3))]
    size_bytes: Histogram,
}

fn main() {
    assert_eq!(M::<BackendLabels>::F_TOTAL, "generic_f_total");
    let fixed = &M::<BackendLabels>::DESCRIPTORS[0];
    assert_eq!(fixed.label_names, ["backend"]);
    assert_eq!(fixed.cardinality, Some(2));
    let open = &M::<ModelLabels>::DESCRIPTORS[0];
    assert_eq!(open.label_names, ["model"]);
    assert_eq!(open.cardinality, None);

    let registry = Registry::new();
    let m = M::<BackendLabels>::register(&registry).expect("registers");
    m.f_total
        .get(&BackendLabels {
            backend: Backend::Cranelift,
        })
        .inc_by(2);
    let timed = Timed::<ModelLabels>::register(&registry).expect("registers");
    timed
        .latency_seconds
        .get(&ModelLabels {
            model: "small".to_owned(),
        })
        .observe(0.75);

    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(r#"generic_f_total{backend="cranelift"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"latency_seconds_bucket{model="small",le="0.5"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(r#"latency_seconds_bucket{model="small",le="1.0"} 1"#),
        "{text}"
    );

    let unbounded = Unbounded::<BackendLabels>::register(&registry).expect("registers");
    unbounded
        .jobs_total
        .get(&BackendLabels {
            backend: Backend::Llvm,
        })
        .inc();
    unbounded.size_bytes.observe(50.0);
    assert_eq!(
        Unbounded::<ModelLabels>::DESCRIPTORS[1].buckets.as_deref(),
        Some(&[1.0, 10.0, 100.0][..])
    );
    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(text.contains(r#"jobs_total{backend="llvm"} 1"#), "{text}");
    assert!(
        text.contains(r#"size_bytes_bucket{le="100.0"} 1"#),
        "{text}"
    );

    // The same generic struct, instantiated twice, conflicts with itself.
    assert!(M::<ModelLabels>::register(&registry).is_err());
}
