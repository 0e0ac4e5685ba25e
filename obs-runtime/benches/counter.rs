//! Labeled counter increments with the label lookup on every call, obs side
//! by side with prometheus, prometheus-client, metrics and measured.
//!
//! `cargo bench -p obs-runtime --bench counter`

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use measured::label::StaticLabelSet;
use measured::lasso::ThreadedRodeo;
use obs_runtime::{Counter, Family, LabelSet, LabelValue};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use std::hint::black_box;
use support::{Group, Target};

// === labels ===

/// The HTTP method: 4 values.
#[derive(
    LabelValue,
    EncodeLabelValue,
    measured::FixedCardinalityLabel,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Debug,
)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// The response class: 3 values.
#[derive(
    LabelValue,
    EncodeLabelValue,
    measured::FixedCardinalityLabel,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Debug,
)]
enum Status {
    Ok,
    ClientError,
    ServerError,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsFixed {
    method: Method,
    status: Status,
}

#[derive(EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientFixed {
    method: Method,
    status: Status,
}

#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MeasuredFixedSet)]
struct MeasuredFixed {
    method: Method,
    status: Status,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsStr {
    #[label(unbounded)]
    route: &'static str,
    #[label(unbounded)]
    method: &'static str,
}

#[derive(EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientStr {
    route: &'static str,
    method: &'static str,
}

#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MeasuredStrSet)]
struct MeasuredStr<'a> {
    #[label(dynamic_with = ThreadedRodeo, default)]
    route: &'a str,
    #[label(dynamic_with = ThreadedRodeo, default)]
    method: &'a str,
}

const ROUTES: [&str; 6] = [
    "/api/v1/users",
    "/api/v1/users/:id",
    "/api/v1/products",
    "/api/v1/products/:id",
    "/api/v1/products/:id/owner",
    "/api/v1/products/:id/purchase",
];
const METHODS: [&str; 2] = ["GET", "POST"];

// === benchmarks ===

fn install_metrics() {
    support::metrics_recorder(metrics_exporter_prometheus::PrometheusBuilder::new);
}

/// 1. Two fixed-cardinality (enum) labels.
fn fixed_labels(c: &mut Criterion) {
    install_metrics();
    let (method, status) = (Method::Post, Status::ClientError);
    let mut group = Group::new(c, "labeled_counter_fixed");
    group.floor();

    let obs: Family<ObsFixed, Counter> = Family::new();
    group.bench("obs", || {
        black_box(&obs)
            .get(black_box(&ObsFixed { method, status }))
            .inc();
    });
    group.target("obs", Target::FloorRatio(1.1));

    let prometheus = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "status"],
    )
    .expect("valid metric");
    group.bench("prometheus", || {
        let (method, status) = black_box((method, status));
        black_box(&prometheus)
            .with_label_values(&[method.as_str(), status.as_str()])
            .inc();
    });

    let client = prometheus_client::metrics::family::Family::<
        ClientFixed,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register("requests", "Requests.", client.clone());
    group.bench("prometheus-client", || {
        black_box(&client)
            .get_or_create(black_box(&ClientFixed { method, status }))
            .inc();
    });

    group.bench("metrics", || {
        let (method, status) = black_box((method, status));
        metrics::counter!("requests_total", "method" => method.as_str(), "status" => status.as_str())
            .increment(1);
    });

    let measured = measured::CounterVec::with_label_set(MeasuredFixedSet {
        method: StaticLabelSet::new(),
        status: StaticLabelSet::new(),
    });
    group.bench("measured", || {
        black_box(&measured).inc(black_box(MeasuredFixed { method, status }));
    });

    let handle = obs.get(&ObsFixed { method, status });
    group.bench("obs (handle kept, no lookup)", || {
        black_box(handle).inc();
    });
    group.finish();
}

/// 2. Two string labels (`&'static str`), 12 series present.
fn string_labels(c: &mut Criterion) {
    install_metrics();
    let (route, method) = (ROUTES[3], METHODS[1]);
    let mut group = Group::new(c, "labeled_counter_str");
    group.floor();

    let obs: Family<ObsStr, Counter> = Family::new();
    let prometheus = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_by_route_total", "Requests."),
        &["route", "method"],
    )
    .expect("valid metric");
    let client = prometheus_client::metrics::family::Family::<
        ClientStr,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let measured = measured::CounterVec::with_label_set(MeasuredStrSet::default());
    for route in ROUTES {
        for method in METHODS {
            obs.get(&ObsStr { route, method }).inc();
            prometheus.with_label_values(&[route, method]).inc();
            client.get_or_create(&ClientStr { route, method }).inc();
            metrics::counter!("requests_by_route_total", "route" => route, "method" => method)
                .increment(1);
            measured.inc(MeasuredStr { route, method });
        }
    }
    assert_eq!(obs.series_count(), ROUTES.len() * METHODS.len());

    group.bench("obs", || {
        let (route, method) = black_box((route, method));
        black_box(&obs).get(&ObsStr { route, method }).inc();
    });
    group.target("obs", Target::FloorRatio(4.0));
    group.bench("prometheus", || {
        let (route, method) = black_box((route, method));
        black_box(&prometheus)
            .with_label_values(&[route, method])
            .inc();
    });
    group.bench("prometheus-client", || {
        let (route, method) = black_box((route, method));
        black_box(&client)
            .get_or_create(&ClientStr { route, method })
            .inc();
    });
    group.bench("metrics", || {
        let (route, method) = black_box((route, method));
        metrics::counter!("requests_by_route_total", "route" => route, "method" => method)
            .increment(1);
    });
    group.bench("measured", || {
        let (route, method) = black_box((route, method));
        black_box(&measured).inc(MeasuredStr { route, method });
    });
    group.finish();
}

criterion_group!(benches, fixed_labels, string_labels);
criterion_main!(benches);
