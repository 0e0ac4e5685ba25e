//! What the tower server layer adds to a request: an axum `Router` called
//! in-process, uninstrumented (the floor of the table), under obs's
//! `ServerLayer`, and under what services use today: `tower-http`'s
//! `TraceLayer::new_for_http()` with a hand-written `prometheus-client`
//! middleware (`axum::middleware::from_fn_with_state`, as axum's own metrics
//! example does it) recording a `Family<(method, route, status), Histogram>`
//! over the same buckets as obs and an in-flight gauge. Three more rows
//! split the costs: a pass-through layer (`MapRequestLayer` of the identity:
//! what any `Router::layer` costs, since axum boxes and clones each layered
//! route per request), and each half of the peer alone.
//!
//! Every case runs the same harness: one route, `/users/{id}`, answering a
//! small static body; each iteration builds a `GET /users/42` request (with a
//! `Host` header) and calls `oneshot` on a clone of the router, inside one
//! `block_on` per batch on a current-thread Tokio runtime; the response is
//! dropped unread.
//!
//! Two subscriber situations, in this order, since a process has one global
//! subscriber:
//! - none installed: every span is disabled, what remains is the metrics
//!   (and, for `TraceLayer`, its disabled span and events);
//! - a global `tracing_subscriber::registry()` with a `tracing-opentelemetry`
//!   layer over an OpenTelemetry SDK tracer whose simple processor exports to
//!   an `InMemorySpanExporter`, emptied before each batch (untimed). No level
//!   filter: `TraceLayer`'s DEBUG span and its DEBUG request and response
//!   events are recorded too, as its defaults make them.
//!
//! `cargo bench -p obs-runtime --features axum,http --bench tower -- --warm-up-time 1 --measurement-time 3`

mod support;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use obs_runtime::semconv::http::DURATION_BUCKETS;
use obs_runtime::tower::{HttpMethod, RouteTemplate, ServerLabels, ServerLayer, StatusLabel};
use obs_runtime::Registry;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::Group;
use tokio::runtime::Runtime;
use tower::util::MapRequestLayer;
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;
use tracing_subscriber::layer::SubscriberExt as _;

// === the harness: the same for every case ===

const BASELINE: &str = "no instrumentation";
const PASS_THROUGH: &str = "a pass-through layer";
const TRACE_ONLY: &str = "tower-http TraceLayer alone";
const METRICS_ONLY: &str = "prometheus-client middleware alone";
const OBS: &str = "obs ServerLayer";
const PEER: &str = "tower-http TraceLayer + prometheus-client";
const OBS_OTEL: &str = "obs ServerLayer, OTel subscriber";
const PEER_OTEL: &str = "tower-http TraceLayer + prometheus-client, OTel subscriber";

/// The service: one route with a parameter, a small static body.
fn app() -> Router {
    Router::new().route("/users/{id}", get(|| async { "a user\n" }))
}

/// The request of every iteration.
fn request() -> Request {
    Request::get("/users/42")
        .header(http::header::HOST, "localhost:3000")
        .body(Body::empty())
        .expect("a valid request")
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Sends `iters` requests through `router`, one after the other, and
/// returns the time they took.
fn time_requests(runtime: &Runtime, router: &Router, iters: u64) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let response = router.clone().oneshot(black_box(request())).await;
            black_box(response.expect("infallible"));
        }
        start.elapsed()
    })
}

/// Checks, untimed, that `router` answers the request.
fn answers(runtime: &Runtime, router: &Router) {
    let response = runtime.block_on(router.clone().oneshot(request()));
    assert_eq!(response.expect("infallible").status(), 200);
}

// === the peer: a prometheus-client middleware, as services write it ===

#[derive(EncodeLabelSet, Clone, Debug, Hash, PartialEq, Eq)]
struct PeerLabels {
    method: String,
    route: String,
    status: u16,
}

type DurationFamily = Family<PeerLabels, Histogram, fn() -> Histogram>;

struct PeerMetrics {
    duration: DurationFamily,
    in_flight: Gauge,
}

impl PeerMetrics {
    fn register(registry: &mut prometheus_client::registry::Registry) -> Arc<PeerMetrics> {
        let metrics = PeerMetrics {
            duration: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
            in_flight: Gauge::default(),
        };
        registry.register(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            metrics.duration.clone(),
        );
        registry.register(
            "http_server_active_requests",
            "Number of HTTP server requests in flight.",
            metrics.in_flight.clone(),
        );
        Arc::new(metrics)
    }
}

async fn track(State(metrics): State<Arc<PeerMetrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => "_unmatched".to_owned(),
    };
    let method = request.method().to_string();
    metrics.in_flight.inc();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    let labels = PeerLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    metrics
        .duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

fn peer_metrics_app(metrics: &Arc<PeerMetrics>) -> Router {
    app().layer(from_fn_with_state(metrics.clone(), track))
}

fn peer_app(metrics: &Arc<PeerMetrics>) -> Router {
    peer_metrics_app(metrics).layer(TraceLayer::new_for_http())
}

// === benchmarks ===

fn server_layer(c: &mut Criterion) {
    let runtime = runtime();
    let registry = Registry::new();
    let obs_layer = ServerLayer::new(&registry).expect("names free");
    let obs_app = app().layer(obs_layer.clone());
    let mut peer_registry = prometheus_client::registry::Registry::default();
    let peer_metrics = PeerMetrics::register(&mut peer_registry);
    let peer_app = peer_app(&peer_metrics);
    let no_subscriber = [
        (BASELINE, app()),
        // What `Router::layer` costs whatever the layer does: axum boxes
        // and clones each layered route per request.
        (
            PASS_THROUGH,
            app().layer(MapRequestLayer::new(|r: Request| r)),
        ),
        (OBS, obs_app.clone()),
        (PEER, peer_app.clone()),
        (TRACE_ONLY, app().layer(TraceLayer::new_for_http())),
        (METRICS_ONLY, peer_metrics_app(&peer_metrics)),
    ];
    for (_, router) in &no_subscriber {
        answers(&runtime, router);
    }
    check_counts(&obs_layer, &peer_metrics, 1);

    let mut group = Group::new(c, "tower_server_layer");
    group.floor_is(BASELINE);
    for (id, router) in &no_subscriber {
        group.bench_timed(id, || {}, |iters| time_requests(&runtime, router, iters));
    }

    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    for router in [&obs_app, &peer_app] {
        answers(&runtime, router);
    }
    let spans = exporter.get_finished_spans().expect("spans");
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(
        names,
        ["GET /users/{id}", "request"],
        "obs's span, then tower-http's"
    );

    for (id, router) in [(OBS_OTEL, &obs_app), (PEER_OTEL, &peer_app)] {
        group.bench_timed(
            id,
            || exporter.reset(),
            |iters| time_requests(&runtime, router, iters),
        );
    }
    for (id, other) in [(OBS, PEER), (OBS_OTEL, PEER_OTEL)] {
        group.compare_overheads(id, other);
    }
    group.finish();
}

/// Both layers recorded `at_least` requests to the route, in the same
/// series shape.
fn check_counts(obs: &ServerLayer, peer: &PeerMetrics, at_least: u64) {
    let labels = ServerLabels {
        method: HttpMethod::Get,
        route: RouteTemplate::new("/users/{id}"),
        status: StatusLabel::Code(200),
    };
    let duration = &obs.metrics().http_server_request_duration_seconds;
    assert!(duration.get(&labels).snapshot().count >= at_least);
    let peer_labels = PeerLabels {
        method: "GET".to_owned(),
        route: "/users/{id}".to_owned(),
        status: 200,
    };
    assert!(peer.duration.get(&peer_labels).is_some());
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = server_layer
}
criterion_main!(benches);
