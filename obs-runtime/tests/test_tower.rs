//! The tower layers against real axum servers and a real hyper client:
//! exact counts under concurrent load, a trace across two services,
//! hostile paths and methods with a fixed series count, a panicking handler,
//! and the attributes the OpenTelemetry SDK receives.

use axum::routing::get;
use axum::Router;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use obs_runtime::semconv::attribute;
use obs_runtime::tower::{
    ClientLabels, ClientLayer, HttpMethod, MethodLabels, RouteLabels, RouteTemplate, ServerLabels,
    ServerLayer, StatusLabel,
};
use obs_runtime::{Format, Registry};
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tower::ServiceExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

/// The tests run one at a time: some record spans under a scoped
/// subscriber, others run with none, and `tracing`'s callsite interest is
/// process-wide (a callsite first hit with no subscriber, while another
/// test installs one, could be cached as never enabled).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A user service: a route with a parameter, one that fails, one that
/// panics.
fn app(layer: ServerLayer) -> Router {
    Router::new()
        .route("/users/{id}", get(|| async { "a user\n" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down\n") }),
        )
        .route(
            "/panic",
            get(|| async {
                panic!("the handler panicked");
                #[allow(unreachable_code)]
                ""
            }),
        )
        .layer(layer)
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn server_labels(
    method: HttpMethod,
    route: &str,
    status: StatusLabel,
) -> ServerLabels<RouteTemplate> {
    ServerLabels {
        method,
        route: RouteTemplate::new(route),
        status,
    }
}

fn count(layer: &ServerLayer, method: HttpMethod, route: &str, status: u16) -> u64 {
    let labels = server_labels(method, route, StatusLabel::Code(status));
    layer
        .metrics()
        .http_server_request_duration_seconds
        .get(&labels)
        .snapshot()
        .count
}

/// Four clients at once over TCP: every request counted once, under its
/// route template and status, and nothing left in flight.
#[test]
fn concurrent_requests_are_counted_exactly_by_route_and_status() {
    let _serial = serial();
    let registry = Registry::new();
    let layer = ServerLayer::new(&registry).unwrap();
    // The server's workers run while the clients send.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = rt.block_on(serve(app(layer.clone())));

    std::thread::scope(|scope| {
        for client in 0..4 {
            scope.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for n in 0..50 {
                    let user = format!("http://{addr}/users/{}", client * 50 + n);
                    assert_eq!(agent.get(&user).call().unwrap().status(), 200);
                    if n % 5 == 0 {
                        let missing = format!("http://{addr}/missing/{client}-{n}");
                        assert_eq!(agent.get(&missing).call().unwrap().status(), 404);
                    }
                    if n % 10 == 0 {
                        let post = agent.post(&user).send_empty().unwrap();
                        assert_eq!(post.status(), 405);
                    }
                }
            });
        }
    });

    assert_eq!(count(&layer, HttpMethod::Get, "/users/{id}", 200), 200);
    assert_eq!(count(&layer, HttpMethod::Get, "_unmatched", 404), 40);
    assert_eq!(count(&layer, HttpMethod::Post, "/users/{id}", 405), 20);
    let metrics = layer.metrics();
    assert_eq!(
        metrics.http_server_request_duration_seconds.series_count(),
        3
    );
    for method in [HttpMethod::Get, HttpMethod::Post] {
        let labels = MethodLabels {
            http_request_method: method,
        };
        assert_eq!(metrics.http_server_active_requests.get(&labels).get(), 0);
    }
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(text.contains(
        r#"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/users/{id}",http_response_status_code="200"} 200"#
    ), "{text}");
}

/// A scan of 100,000 distinct paths and 1,000 invented methods adds two
/// series, and no raw path reaches the exposition.
#[test]
fn hostile_paths_and_methods_add_a_fixed_number_of_series() {
    let _serial = serial();
    let registry = Registry::new();
    let layer = ServerLayer::new(&registry).unwrap();
    let app = app(layer.clone());
    runtime().block_on(async {
        for n in 0..100_000 {
            let request = Request::get(format!("/scan/{n}/{}", n * 7919))
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 404);
        }
        for n in 0..1_000 {
            let request = Request::builder()
                .method(format!("BREW{n}").as_str())
                .uri("/users/1")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 405);
        }
    });
    let metrics = layer.metrics();
    assert_eq!(
        metrics.http_server_request_duration_seconds.series_count(),
        2
    );
    assert_eq!(count(&layer, HttpMethod::Get, "_unmatched", 404), 100_000);
    assert_eq!(count(&layer, HttpMethod::Other, "/users/{id}", 405), 1_000);
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(!text.contains("/scan/") && !text.contains("BREW"));
    assert!(text.lines().count() < 100, "{text}");
}

fn otel() -> (InMemorySpanExporter, SdkTracerProvider) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    (exporter, provider)
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one `{name}` among {:?}", names(spans));
    found[0]
}

fn names(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_ref()).collect()
}

fn attr(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

/// A handler that panics: the panic passes on, the span is an error, the
/// panic is counted and nothing stays in flight.
#[test]
fn a_panicking_handler_is_an_error_span_and_a_counted_panic() {
    let _serial = serial();
    let registry = Registry::new();
    let layer = ServerLayer::new(&registry).unwrap();
    let app = app(layer.clone());
    let (exporter, provider) = otel();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_tower")));
    let joined = tracing::subscriber::with_default(subscriber, || {
        runtime().block_on(async {
            let request = Request::get("/panic")
                .body(axum::body::Body::empty())
                .unwrap();
            tokio::spawn(app.oneshot(request)).await
        })
    });
    assert!(joined.unwrap_err().is_panic());

    let metrics = layer.metrics();
    let route = RouteTemplate::new("/panic");
    let panics = RouteLabels {
        method: HttpMethod::Get,
        route,
    };
    assert_eq!(metrics.http_server_panics_total.get(&panics).get(), 1);
    let unanswered = server_labels(HttpMethod::Get, "/panic", StatusLabel::None);
    let duration = &metrics.http_server_request_duration_seconds;
    assert_eq!(duration.get(&unanswered).snapshot().count, 1);
    let labels = MethodLabels {
        http_request_method: HttpMethod::Get,
    };
    assert_eq!(metrics.http_server_active_requests.get(&labels).get(), 0);

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let server = span(&spans, "GET /panic");
    assert!(
        matches!(server.status, Status::Error { .. }),
        "{:?}",
        server.status
    );
    assert_eq!(attr(server, attribute::ERROR_TYPE), Some("panic".into()));
    assert_eq!(attr(server, attribute::HTTP_RESPONSE_STATUS_CODE), None);
}

/// A caller's traceparent → service A (server layer) → its hyper client
/// (client layer) → service B (server layer): one trace, each span the
/// child of the one before, named and attributed by the conventions, the
/// status code an integer, a 5xx an error; a malformed traceparent starts a
/// new trace.
#[test]
fn one_trace_crosses_two_services_through_the_layers() {
    let _serial = serial();
    let (registry_a, registry_b) = (Registry::new(), Registry::new());
    let server_a = ServerLayer::new(&registry_a).unwrap();
    let server_b = ServerLayer::new(&registry_b).unwrap();
    let client_layer = ClientLayer::new(&registry_a).unwrap();
    let (exporter, provider) = otel();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_tower")));
    let (port_b, answers) = tracing::subscriber::with_default(subscriber, || {
        runtime().block_on(async {
            let addr_b = serve(app(server_b.clone())).await;
            let client = tower::ServiceBuilder::new()
                .layer(client_layer.clone())
                .service(Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>());
            let a = Router::new()
                .route(
                    "/orders/{id}",
                    get(move || {
                        let client = client.clone();
                        async move {
                            let uri = format!("http://{addr_b}/users/7");
                            let request = Request::get(uri).body(Full::default()).unwrap();
                            let response = client.oneshot(request).await.unwrap();
                            response.status()
                        }
                    }),
                )
                .layer(server_a.clone());
            let addr_a = serve(a).await;
            let plain = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let mut answers = Vec::new();
            for (path, traceparent) in [
                ("/orders/1", format!("00-{TRACE_ID}-{SPAN_ID}-01")),
                ("/orders/2", format!("00-{TRACE_ID}-{SPAN_ID}-zz")),
            ] {
                let request = Request::get(format!("http://{addr_a}{path}"))
                    .header("traceparent", traceparent)
                    .body(Full::default())
                    .unwrap();
                let response: Response<_> = plain.request(request).await.unwrap();
                let status = response.status();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                answers.push((status, body));
            }
            let failing = Request::get(format!("http://{addr_b}/fail"))
                .body(Full::default())
                .unwrap();
            let failed = plain.request(failing).await.unwrap();
            answers.push((failed.status(), Bytes::new()));
            (addr_b.port(), answers)
        })
    });
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[2].0, 503);

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let caller = TraceId::from_hex(TRACE_ID).unwrap();
    let in_trace = |name: &str| -> Vec<&SpanData> {
        spans
            .iter()
            .filter(|s| s.name == name && s.span_context.trace_id() == caller)
            .collect()
    };
    let (orders, clients, users) = (
        in_trace("GET /orders/{id}"),
        in_trace("GET"),
        in_trace("GET /users/{id}"),
    );
    assert_eq!(
        (orders.len(), clients.len(), users.len()),
        (1, 1, 1),
        "{:?}",
        names(&spans)
    );
    let (order, client, user) = (orders[0], clients[0], users[0]);
    assert_eq!(order.parent_span_id, SpanId::from_hex(SPAN_ID).unwrap());
    assert_eq!(client.parent_span_id, order.span_context.span_id());
    assert_eq!(user.parent_span_id, client.span_context.span_id());
    assert_eq!(
        (
            order.span_kind.clone(),
            client.span_kind.clone(),
            user.span_kind.clone()
        ),
        (SpanKind::Server, SpanKind::Client, SpanKind::Server)
    );
    assert_eq!(
        attr(user, attribute::HTTP_RESPONSE_STATUS_CODE),
        Some(Value::I64(200))
    );
    assert_eq!(
        attr(user, attribute::HTTP_ROUTE),
        Some("/users/{id}".into())
    );
    assert_eq!(
        attr(user, attribute::HTTP_REQUEST_METHOD),
        Some("GET".into())
    );
    assert_eq!(attr(user, attribute::URL_SCHEME), Some("http".into()));
    assert_eq!(
        attr(user, attribute::SERVER_ADDRESS),
        Some("127.0.0.1".into())
    );
    assert_eq!(
        attr(user, attribute::SERVER_PORT),
        Some(Value::I64(port_b.into()))
    );
    assert_eq!(
        attr(user, attribute::NETWORK_PROTOCOL_VERSION),
        Some("1.1".into())
    );
    assert_eq!(
        attr(client, attribute::HTTP_RESPONSE_STATUS_CODE),
        Some(Value::I64(200))
    );
    assert_eq!(
        attr(client, attribute::URL_FULL),
        Some(format!("http://127.0.0.1:{port_b}/users/7").into())
    );
    assert_eq!(user.status, Status::Unset);

    // The malformed traceparent: a trace of its own, no remote parent.
    let second: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "GET /orders/{id}" && s.span_context.trace_id() != caller)
        .collect();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].parent_span_id, SpanId::INVALID);

    let fail = span(&spans, "GET /fail");
    assert!(matches!(fail.status, Status::Error { .. }));
    assert_eq!(attr(fail, attribute::ERROR_TYPE), Some("503".into()));

    let client_labels = ClientLabels {
        http_request_method: HttpMethod::Get,
        http_response_status_code: StatusLabel::Code(200),
    };
    let client_count = client_layer
        .metrics()
        .http_client_request_duration_seconds
        .get(&client_labels)
        .snapshot()
        .count;
    assert_eq!(client_count, 2);
}

/// The gateway's routes, as an enum: the catalog then knows every route.
#[derive(obs_runtime::LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Route {
    #[label(rename = "/jobs/{tenant}")]
    Jobs,
    #[label(rename = "_unmatched")]
    Unmatched,
}

obs_runtime::declare_metrics!(
    obs_runtime::tower::ServerMetrics<Route>,
    objective(http_server_request_duration_seconds: latency(0.25) = 0.99),
);

/// Declared at its route type, the server layer's metrics are in the
/// module's catalog, each route a known value of `http_route`, with the
/// latency objective the service declared, before any request and without
/// registering.
#[test]
fn declared_server_metrics_are_in_the_catalog_with_every_route() {
    let _serial = serial();
    let catalog = obs_runtime::catalog_of(&[module_path!()]);
    let duration = catalog
        .metrics
        .iter()
        .find(|m| m.name == "http_server_request_duration_seconds")
        .expect("declared");
    assert_eq!(
        duration.objectives,
        [obs_runtime::Objective::Latency {
            threshold: 0.25,
            target: 0.99
        }]
    );
    let route = duration
        .labels
        .iter()
        .find(|l| l.name == "http_route")
        .unwrap();
    assert_eq!(
        route.fixed_values(),
        Some(&["/jobs/{tenant}".to_owned(), "_unmatched".to_owned()][..])
    );
    let method = duration
        .labels
        .iter()
        .find(|l| l.name == "http_request_method")
        .unwrap();
    assert_eq!(method.fixed_values().map(<[String]>::len), Some(10));
    let status = duration
        .labels
        .iter()
        .find(|l| l.name == "http_response_status_code")
        .unwrap();
    assert!(status.unbounded);
    // Undeclared, the other layers' metrics are not in the module's catalog.
    let undeclared = |m: &&obs_runtime::CatalogMetric| {
        m.name.starts_with("http_client") || m.name.starts_with("rpc_")
    };
    assert_eq!(catalog.metrics.iter().find(undeclared), None);

    let registry = Registry::new();
    let layer = ServerLayer::builder()
        .routes(
            |parts: &http::request::Parts| match parts.uri.path().starts_with("/jobs/") {
                true => Route::Jobs,
                false => Route::Unmatched,
            },
        )
        .register(&registry)
        .unwrap();
    let app = Router::new()
        .route("/jobs/{tenant}", get(|| async { "ok" }))
        .layer(layer.clone());
    runtime().block_on(async {
        for path in ["/jobs/acme", "/elsewhere"] {
            let request = Request::get(path).body(axum::body::Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
    });
    let jobs = ServerLabels {
        method: HttpMethod::Get,
        route: Route::Jobs,
        status: StatusLabel::Code(200),
    };
    let duration = &layer.metrics().http_server_request_duration_seconds;
    assert_eq!(duration.get(&jobs).snapshot().count, 1);
    let unmatched = ServerLabels {
        route: Route::Unmatched,
        status: StatusLabel::Code(404),
        ..jobs
    };
    assert_eq!(duration.get(&unmatched).snapshot().count, 1);
}
