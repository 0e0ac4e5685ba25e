//! Registries: conflicts are errors naming both owners, a failed registration
//! registers nothing, and descriptors can be enumerated.

use obs_runtime::{
    Counter, Format, Gauge, Histogram, IntGauge, MetricDef, MetricGroup, MetricType, Metrics,
    Registry, RegistryError,
};

mod checkout {
    /// Metrics of the checkout flow.
    #[derive(obs_runtime::Metrics, Debug)]
    #[metrics(prefix = "shop")]
    pub struct CheckoutMetrics {
        /// Orders placed.
        pub orders_total: obs_runtime::Counter,
    }
}

mod billing {
    /// Metrics of billing, which reuse a checkout name by mistake.
    #[derive(obs_runtime::Metrics, Debug)]
    #[metrics(prefix = "shop")]
    pub struct BillingMetrics {
        /// Invoices sent.
        pub invoices_total: obs_runtime::Counter,
        /// Orders placed (again).
        pub orders_total: obs_runtime::Counter,
    }
}

#[test]
fn conflicting_groups_name_both_owners_and_register_nothing() {
    let registry = Registry::new();
    checkout::CheckoutMetrics::register(&registry).unwrap();
    let err = billing::BillingMetrics::register(&registry).unwrap_err();
    assert_eq!(
        err,
        RegistryError::Conflict {
            name: "shop_orders_total".into(),
            owner: "test_registry::billing::BillingMetrics".into(),
            existing_owner: "test_registry::checkout::CheckoutMetrics".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "metric `shop_orders_total` of `test_registry::billing::BillingMetrics` is already registered by `test_registry::checkout::CheckoutMetrics`"
    );
    // `shop_invoices_total` came before the conflict and was not registered.
    assert_eq!(registry.owner_of("shop_invoices_total"), None);
    let names: Vec<_> = registry.descriptors().into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["shop_orders_total"]);
}

#[test]
fn counter_and_gauge_sharing_a_family_name_conflict() {
    let registry = Registry::new();
    registry
        .register_metric::<Gauge>(MetricDef::new("jobs", "Jobs in flight."))
        .unwrap();
    let err = registry
        .register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs finished."))
        .unwrap_err();
    match err {
        RegistryError::Conflict {
            name,
            owner,
            existing_owner,
        } => {
            assert_eq!(name, "jobs_total");
            assert!(owner.contains("test_registry.rs:"), "{owner}");
            assert!(
                existing_owner.contains("test_registry.rs:"),
                "{existing_owner}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn runtime_names_follow_the_compile_time_rules() {
    let registry = Registry::new();
    let cases: [(Result<(), RegistryError>, &str); 6] = [
        (
            registry
                .register_metric::<Histogram>(MetricDef::new("latency_ms", "Latency."))
                .map(drop),
            "invalid metric `latency_ms`: metric name `latency_ms` uses the unit `ms`; Prometheus names use base units (help: rename it `latency_seconds` and record seconds as `f64`)",
        ),
        (
            registry
                .register_metric::<Gauge>(MetricDef::new("Queue-Depth", "Depth."))
                .map(drop),
            "invalid metric `Queue-Depth`: metric name `Queue-Depth` must be lowercase snake_case (`[a-z_][a-z0-9_]*`) (help: rename it `queue_depth`)",
        ),
        (
            registry
                .register_metric::<IntGauge>(MetricDef::new("depth", " "))
                .map(drop),
            "invalid metric `depth`: metric `depth` has no help text (help: say in one sentence what it measures, e.g. `Jobs finished.`)",
        ),
        (
            registry
                .register_metric::<Gauge>(MetricDef::new("size", "Size.").unit("bytes"))
                .map(drop),
            "invalid metric `size`: the declared unit `bytes` does not match the name `size`, which must end in `_bytes` (help: rename it `size_bytes`)",
        ),
        (
            registry
                .register_metric::<Counter>(
                    MetricDef::new("a_total", "A.").buckets(obs_runtime::Buckets::default()),
                )
                .map(drop),
            "invalid metric `a_total`: `buckets` are only for histograms, and `a_total` is a counter (help: remove `buckets`)",
        ),
        (
            registry
                .register_metric::<Counter>(MetricDef::new("__up_total", "Up."))
                .map(drop),
            "invalid metric `__up_total`: metric name `__up_total` starts with `__`, which is reserved for Prometheus internals (help: rename it `up_total`)",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(result.unwrap_err().to_string(), expected);
    }
    assert!(
        registry.descriptors().is_empty(),
        "nothing may be registered"
    );
    assert_eq!(registry.encode(Format::PROMETHEUS_TEXT), "");
}

#[test]
fn runtime_metrics_get_units_and_buckets_in_their_descriptor() {
    let registry = Registry::new();
    let upload = registry
        .register_metric::<Histogram>(
            MetricDef::new("upload_seconds", "Upload time.")
                .unit("seconds")
                .buckets(obs_runtime::Buckets::new(vec![0.5, 1.0]).unwrap()),
        )
        .unwrap();
    upload.observe(0.7);
    let descriptor = &registry.descriptors()[0];
    assert_eq!(descriptor.metric_type, MetricType::Histogram);
    assert_eq!(descriptor.unit, Some("seconds"));
    assert_eq!(descriptor.buckets.as_deref(), Some(&[0.5, 1.0][..]));
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(
        text.contains("upload_seconds_bucket{le=\"1.0\"} 1\n"),
        "{text}"
    );
}

#[test]
fn derived_descriptors_describe_every_field() {
    #[derive(Metrics)]
    #[metrics(prefix = "pipeline")]
    struct PipelineMetrics {
        /// Total duration from spec ingest to distribution.
        #[metric(buckets = exponential(0.001, 2.0, 4))]
        latency_seconds: Histogram,
        /// Bundle size.
        #[metric(name = "bundle_size_bytes", unit = "bytes")]
        bundle: IntGauge,
        #[metric(help = "Cycles run.")]
        cycles_total: Counter,
    }
    let d = PipelineMetrics::DESCRIPTORS;
    assert_eq!(PipelineMetrics::LATENCY_SECONDS, "pipeline_latency_seconds");
    assert_eq!(PipelineMetrics::BUNDLE, "pipeline_bundle_size_bytes");
    assert_eq!(PipelineMetrics::CYCLES_TOTAL, "pipeline_cycles_total");
    assert!(PipelineMetrics::OWNER.ends_with("::PipelineMetrics"));
    assert_eq!(
        d[0].buckets.as_deref(),
        Some(&[0.001, 0.002, 0.004, 0.008][..])
    );
    assert_eq!(
        d[0].help,
        "Total duration from spec ingest to distribution."
    );
    assert_eq!(d[1].unit, Some("bytes"));
    assert_eq!(d[1].metric_type, MetricType::Gauge);
    assert_eq!(d[2].help, "Cycles run.");
    assert_eq!(d[2].cardinality, Some(1));
    assert_eq!(d[2].family_name(), "pipeline_cycles");
}

#[test]
fn the_global_registry_is_one_per_process() {
    #[derive(Metrics)]
    struct GlobalOnly {
        /// Registered once in the global registry.
        global_only_total: Counter,
    }
    let first = GlobalOnly::register(Registry::global()).unwrap();
    first.global_only_total.inc();
    assert!(GlobalOnly::register(Registry::global()).is_err());
    assert!(std::ptr::eq(Registry::global(), Registry::global()));
    let text = Registry::global().encode(Format::PROMETHEUS_TEXT);
    assert!(text.contains("global_only_total 1\n"));
}
