//! Every bucket form: a literal list (floats, integers, negative bounds), the
//! generated `exponential` and `linear` forms, the default, and buckets on a
//! histogram family.
#![deny(warnings)]

use obs_runtime::{Buckets, Family, Histogram, LabelSet, MetricGroup, Metrics, Registry};

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
}

#[derive(Metrics)]
struct BucketMetrics {
    /// Listed bounds.
    #[metric(buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])]
    invoke_seconds: Histogram,
    /// Integer and negative bounds.
    #[metric(buckets = [-10, -0.5, 0, 1e3])]
    drift_seconds: Histogram,
    /// Doubling bounds.
    #[metric(buckets = exponential(0.001, 2.0, 4))]
    latency_seconds: Histogram,
    /// Evenly spaced bounds.
    #[metric(buckets = linear(-1.0, 0.5, 5))]
    offset_seconds: Histogram,
    /// The default bounds.
    queue_seconds: Histogram,
    /// Bounds for every series of a family.
    #[metric(buckets = linear(100, 100, 3))]
    payload_bytes: Family<Labels, Histogram>,
    /// A single bound.
    #[metric(buckets = [1])]
    step_seconds: Histogram,
}

fn bounds(index: usize) -> &'static [f64] {
    BucketMetrics::DESCRIPTORS[index]
        .buckets
        .as_deref()
        .expect("histograms have buckets")
}

fn main() {
    assert_eq!(bounds(0), [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]);
    assert_eq!(bounds(1), [-10.0, -0.5, 0.0, 1000.0]);
    assert_eq!(bounds(2), [0.001, 0.002, 0.004, 0.008]);
    assert_eq!(bounds(3), [-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert_eq!(bounds(4), Buckets::DEFAULT);
    assert_eq!(bounds(5), [100.0, 200.0, 300.0]);
    assert_eq!(bounds(6), [1.0]);
    // The generated forms match the runtime's.
    assert_eq!(
        bounds(2),
        Buckets::exponential(0.001, 2.0, 4).unwrap().bounds()
    );
    assert_eq!(bounds(3), Buckets::linear(-1.0, 0.5, 5).unwrap().bounds());

    let registry = Registry::new();
    let metrics = BucketMetrics::register(&registry).expect("registers");
    assert_eq!(metrics.latency_seconds.buckets().bounds(), bounds(2));
    metrics.latency_seconds.observe(0.003);
    metrics
        .payload_bytes
        .get(&Labels { cached: true })
        .observe(150.0);

    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(r#"latency_seconds_bucket{le="0.002"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(r#"latency_seconds_bucket{le="0.004"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"latency_seconds_bucket{le="+Inf"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"payload_bytes_bucket{cached="true",le="200.0"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"payload_bytes_bucket{cached="true",le="100.0"} 0"#),
        "{text}"
    );
}
