//! Families: dense storage for fixed label sets, a capped map for unbounded
//! ones, handles, and bounded memory under hostile label values.

use obs_runtime::{
    Buckets, Counter, Family, Format, Histogram, LabelSet, LabelValue, MetricDef, MetricGroup,
    Metrics, Registry, RegistryError, DEFAULT_MAX_LABEL_BYTES, DEFAULT_MAX_SERIES,
};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    Cranelift,
    Wasm,
}

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct CompileLabels {
    backend: Backend,
    outcome: Outcome,
    cached: bool,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct RouteLabels {
    #[label(unbounded)]
    route: String,
    outcome: Outcome,
}

#[test]
fn fixed_label_set_cardinality_and_index_round_trip() {
    assert_eq!(CompileLabels::CARDINALITY, Some(3 * 2 * 2));
    assert_eq!(CompileLabels::NAMES, ["backend", "outcome", "cached"]);
    let mut seen = std::collections::HashSet::new();
    for index in 0..12 {
        let labels = CompileLabels::from_index(index).expect("in range");
        assert_eq!(labels.index(), index);
        assert!(seen.insert(labels));
    }
    assert_eq!(CompileLabels::from_index(12), None);
}

#[test]
fn unbounded_label_set_has_no_cardinality() {
    assert_eq!(RouteLabels::CARDINALITY, None);
    assert_eq!(RouteLabels::from_index(0), None);
}

#[test]
fn dense_family_exports_every_combination_from_the_start() {
    let family: Family<CompileLabels, Counter> = Family::new();
    assert_eq!(family.series_count(), 12);
    let labels = CompileLabels {
        backend: Backend::Wasm,
        outcome: Outcome::Failure,
        cached: true,
    };
    let handle = family.get(&labels);
    handle.inc();
    handle.inc_by(4);
    assert_eq!(family.get(&labels).get(), 5);

    let mut total = 0;
    let mut visited = 0;
    family.for_each(|l, counter| {
        visited += 1;
        if *l == labels {
            assert_eq!(counter.get(), 5);
        }
        total += counter.get();
    });
    assert_eq!((visited, total), (12, 5));
    assert_eq!(family.overflow_count(), 0);
}

#[test]
fn sparse_family_creates_series_on_first_use_in_order() {
    let family: Family<RouteLabels, Counter> = Family::new();
    assert_eq!(family.series_count(), 0);
    assert_eq!(family.max_series(), DEFAULT_MAX_SERIES);
    for route in ["/b", "/a", "/b", "/c", "/a", "/b"] {
        family
            .get(&RouteLabels {
                route: route.to_owned(),
                outcome: Outcome::Success,
            })
            .inc();
    }
    let mut seen = Vec::new();
    family.for_each(|labels, counter| seen.push((labels.route.clone(), counter.get())));
    assert_eq!(
        seen,
        [
            ("/b".to_owned(), 3),
            ("/a".to_owned(), 2),
            ("/c".to_owned(), 1)
        ]
    );
}

// The bar: a million distinct (hostile) values keep the family at its
// cap plus one overflow series, and not one increment is lost.
#[test]
fn a_million_distinct_values_stay_within_the_cap() {
    let family: Family<RouteLabels, Counter> = Family::new();
    const VALUES: u64 = 1_000_000;
    for i in 0..VALUES {
        family
            .get(&RouteLabels {
                route: format!("/user/{i}"),
                outcome: Outcome::Failure,
            })
            .inc();
    }
    assert_eq!(family.series_count(), DEFAULT_MAX_SERIES);
    let overflowed = VALUES - DEFAULT_MAX_SERIES as u64;
    assert_eq!(family.overflow_count(), overflowed);

    let mut in_series = 0;
    family.for_each(|_, counter| in_series += counter.get());
    assert_eq!(in_series, DEFAULT_MAX_SERIES as u64);

    // Values already in the family keep their own series after it is full.
    family
        .get(&RouteLabels {
            route: "/user/7".to_owned(),
            outcome: Outcome::Failure,
        })
        .inc();
    assert_eq!(family.overflow_count(), overflowed);

    #[derive(Metrics)]
    struct Routes {
        /// Requests by route.
        requests_total: Family<RouteLabels, Counter>,
    }
    let registry = Registry::new();
    let routes = Routes::register(&registry).unwrap();
    for i in 0..(DEFAULT_MAX_SERIES + 5) {
        routes
            .requests_total
            .get(&RouteLabels {
                route: format!("/r/{i}"),
                outcome: Outcome::Success,
            })
            .inc();
    }
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(text.contains("requests_total{otel_metric_overflow=\"true\"} 5\n"));
    let series = text
        .lines()
        .filter(|l| l.starts_with("requests_total{"))
        .count();
    assert_eq!(series, DEFAULT_MAX_SERIES + 1);
}

#[test]
fn max_series_is_configurable_in_the_derive_and_the_builder() {
    #[derive(Metrics)]
    struct Capped {
        /// Requests by route.
        #[metric(max_series = 3)]
        requests_total: Family<RouteLabels, Counter>,
    }
    let capped = Capped::new_unregistered();
    assert_eq!(capped.requests_total.max_series(), 3);
    assert_eq!(Capped::DESCRIPTORS[0].max_series, Some(3));
    for i in 0..10 {
        capped
            .requests_total
            .get(&RouteLabels {
                route: i.to_string(),
                outcome: Outcome::Success,
            })
            .inc();
    }
    assert_eq!(capped.requests_total.series_count(), 3);
    assert_eq!(capped.requests_total.overflow_count(), 7);

    let built: Family<RouteLabels, Counter> = Family::new().with_max_series(0);
    built
        .get(&RouteLabels {
            route: "/".into(),
            outcome: Outcome::Success,
        })
        .inc();
    assert_eq!((built.series_count(), built.overflow_count()), (0, 1));

    // A fixed family's size is its cardinality, whatever the cap says.
    let fixed: Family<CompileLabels, Counter> = Family::new().with_max_series(1);
    assert_eq!(fixed.max_series(), 12);
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientLabels {
    #[label(unbounded)]
    user_agent: String,
}

/// 2,000 clients with 16 KiB user agents once made a 438 MiB scrape of a
/// histogram family: values over the byte cap now go to the overflow
/// series, never stored, so the scrape stays small.
#[test]
fn long_label_values_go_to_the_overflow_series() {
    assert_eq!(DEFAULT_MAX_LABEL_BYTES, 256);
    #[derive(Metrics)]
    struct Clients {
        /// Request latency by client.
        latency_seconds: Family<ClientLabels, Histogram>,
    }
    let registry = Registry::new();
    let clients = Clients::register(&registry).unwrap();
    for i in 0..2_000 {
        let user_agent = format!("{i:05}{}", "x".repeat(16 * 1024));
        clients
            .latency_seconds
            .get(&ClientLabels { user_agent })
            .observe(0.1);
    }
    // At the cap is kept; one byte more is not.
    let at_cap = "a".repeat(DEFAULT_MAX_LABEL_BYTES);
    let over = "a".repeat(DEFAULT_MAX_LABEL_BYTES + 1);
    for user_agent in [at_cap.clone(), over] {
        clients
            .latency_seconds
            .get(&ClientLabels { user_agent })
            .observe(0.1);
    }
    assert_eq!(clients.latency_seconds.series_count(), 1);
    assert_eq!(clients.latency_seconds.overflow_count(), 2_001);

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(text.len() < 16 * 1024, "{} bytes", text.len());
    assert!(text.contains(&format!(
        "latency_seconds_count{{user_agent=\"{at_cap}\"}} 1\n"
    )));
    assert!(text.contains("latency_seconds_count{otel_metric_overflow=\"true\"} 2001\n"));
    // Nothing is lost: every observation is counted once.
    let counts: u64 = text
        .lines()
        .filter(|line| line.starts_with("latency_seconds_count"))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(counts, 2_002);
}

#[test]
fn max_label_bytes_is_configurable_in_the_derive_and_the_builder() {
    #[derive(Metrics)]
    struct Short {
        /// Requests by client.
        #[metric(max_label_bytes = 4)]
        requests_total: Family<ClientLabels, Counter>,
    }
    let short = Short::new_unregistered();
    assert_eq!(Short::DESCRIPTORS[0].max_label_bytes, Some(4));
    assert_eq!(short.requests_total.max_label_bytes(), 4);
    for user_agent in ["curl", "wget", "httpie"] {
        short
            .requests_total
            .get(&ClientLabels {
                user_agent: user_agent.into(),
            })
            .inc();
    }
    assert_eq!(short.requests_total.series_count(), 2);
    assert_eq!(short.requests_total.overflow_count(), 1);

    let registry = Registry::new();
    let def = MetricDef::new("clients_total", "Requests by client.").max_label_bytes(1024);
    let long = registry
        .register_metric::<Family<ClientLabels, Counter>>(def)
        .unwrap();
    long.get(&ClientLabels {
        user_agent: "u".repeat(1024),
    })
    .inc();
    assert_eq!((long.series_count(), long.overflow_count()), (1, 0));

    // The rule the derive applies at compile time, at registration.
    for (def, message) in [
        (
            MetricDef::new("zero_total", "Requests.").max_label_bytes(0),
            "`max_label_bytes` must be at least 1",
        ),
        (
            MetricDef::new("none_total", "Requests.").max_series(0),
            "`max_series` must be at least 1",
        ),
    ] {
        match registry.register_metric::<Family<ClientLabels, Counter>>(def) {
            Err(RegistryError::Invalid { violation, .. }) => {
                assert_eq!(violation.message, message)
            }
            other => panic!("{other:?}"),
        }
    }
    let unlabeled = MetricDef::new("jobs_total", "Jobs.").max_label_bytes(8);
    match registry.register_metric::<Counter>(unlabeled) {
        Err(RegistryError::Invalid { violation, .. }) => assert_eq!(
            violation.message,
            "`max_label_bytes` is only for families, and `jobs_total` has no labels"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn histogram_families_use_the_declared_buckets() {
    #[derive(Metrics)]
    struct Lowering {
        /// Time to lower one clause.
        #[metric(buckets = [0.01, 0.1, 1.0])]
        lowering_duration_seconds: Family<CompileLabels, Histogram>,
    }
    let lowering = Lowering::new_unregistered();
    let series = lowering.lowering_duration_seconds.get(&CompileLabels {
        backend: Backend::Llvm,
        outcome: Outcome::Success,
        cached: false,
    });
    assert_eq!(series.buckets().bounds(), [0.01, 0.1, 1.0]);
    series.observe(0.05);
    assert_eq!(series.snapshot().cumulative_counts, [0, 1, 1, 1]);

    let custom: Family<RouteLabels, Histogram> =
        Family::with_series(|| Histogram::with_buckets(Buckets::linear(1.0, 1.0, 2).unwrap()));
    let series = custom.get(&RouteLabels {
        route: "/".into(),
        outcome: Outcome::Failure,
    });
    assert_eq!(series.buckets().bounds(), [1.0, 2.0]);
}

#[test]
fn integer_and_static_str_labels_encode_as_text() {
    #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    struct Shard {
        #[label(unbounded)]
        shard: u32,
        #[label(unbounded)]
        offset: i64,
        #[label(unbounded, name = "region")]
        zone: &'static str,
        #[label(unbounded)]
        trace: u128,
        #[label(unbounded)]
        delta: i128,
    }
    #[derive(Metrics)]
    struct Shards {
        /// Messages by shard.
        messages_total: Family<Shard, Counter>,
    }
    let registry = Registry::new();
    let shards = Shards::register(&registry).unwrap();
    shards
        .messages_total
        .get(&Shard {
            shard: 7,
            offset: -3,
            zone: "eu",
            trace: u128::MAX,
            delta: i128::MIN,
        })
        .inc();
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(&format!(
            "messages_total{{shard=\"7\",offset=\"-3\",region=\"eu\",trace=\"{}\",delta=\"{}\"}} 1\n",
            u128::MAX,
            i128::MIN
        )),
        "{text}"
    );
}
