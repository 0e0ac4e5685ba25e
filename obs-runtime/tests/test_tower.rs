//! The tower layers against real axum servers and a real hyper client:
//! exact counts under concurrent load, a trace (and its `tracestate`)
//! across two services, hostile paths and methods with a fixed series
//! count, a panicking handler, body sizes, requests held in flight, and the
//! attributes the OpenTelemetry SDK receives.

use axum::routing::{get, post};
use axum::Router;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use obs_runtime::semconv::attribute;
use obs_runtime::tower::{
    ClientLabels, ClientLayer, ClientService, HttpMethod, MethodLabels, RouteLabels, RouteTemplate,
    ServerLabels, ServerLayer, StatusLabel,
};
use obs_runtime::{Format, Registry};
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, oneshot};
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

/// A user service: a route with a parameter, one that echoes the request's
/// body, one that fails, one that panics.
fn app(layer: ServerLayer) -> Router {
    Router::new()
        .route("/users/{id}", get(|| async { "a user\n" }))
        .route("/echo", post(|body: Bytes| async move { body }))
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

/// Runs `f` under a subscriber that exports spans to memory through the
/// OpenTelemetry SDK; returns what `f` returned and the finished spans.
fn traced<T>(f: impl FnOnce() -> T) -> (T, Vec<SpanData>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_tower")));
    let returned = tracing::subscriber::with_default(subscriber, f);
    provider.force_flush().unwrap();
    (returned, exporter.get_finished_spans().unwrap())
}

/// A hyper client, plain.
fn plain_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A hyper client under `layer`.
fn layered_client(layer: &ClientLayer) -> ClientService<Client<HttpConnector, Full<Bytes>>> {
    tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service(plain_client())
}

/// Service A: `route` answers with what `target`, a URL of service B,
/// answers a GET sent through `client_layer`.
fn forwarding(
    route: &str,
    target: String,
    client_layer: &ClientLayer,
    layer: ServerLayer,
) -> Router {
    let client = layered_client(client_layer);
    let forward = move || {
        let (client, target) = (client.clone(), target.clone());
        async move {
            let request = Request::get(target).body(Full::default()).unwrap();
            let response = client.oneshot(request).await.unwrap();
            let status = response.status();
            (
                status,
                response.into_body().collect().await.unwrap().to_bytes(),
            )
        }
    };
    Router::new().route(route, get(forward)).layer(layer)
}

/// Sends `request` and reads the whole answer.
async fn fetch(
    client: &Client<HttpConnector, Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Bytes) {
    let response: Response<_> = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

/// The value of the sample `series` (a name and its labels, as written) in
/// a text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
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
    let (joined, spans) = traced(|| {
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
    let ((port_b, answers), spans) = traced(|| {
        runtime().block_on(async {
            let addr_b = serve(app(server_b.clone())).await;
            let target = format!("http://{addr_b}/users/7");
            let a = forwarding("/orders/{id}", target, &client_layer, server_a.clone());
            let addr_a = serve(a).await;
            let plain = plain_client();
            let mut answers = Vec::new();
            for (path, traceparent) in [
                ("/orders/1", format!("00-{TRACE_ID}-{SPAN_ID}-01")),
                ("/orders/2", format!("00-{TRACE_ID}-{SPAN_ID}-zz")),
            ] {
                let request = Request::get(format!("http://{addr_a}{path}"))
                    .header("traceparent", traceparent)
                    .body(Full::default())
                    .unwrap();
                answers.push(fetch(&plain, request).await);
            }
            let failing = Request::get(format!("http://{addr_b}/fail"))
                .body(Full::default())
                .unwrap();
            answers.push(fetch(&plain, failing).await);
            (addr_b.port(), answers)
        })
    });
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[2].0, 503);

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

/// A caller's `tracestate` → service A (server layer) → its hyper client
/// (client layer) → service B (server layer): every span's OpenTelemetry
/// context carries the caller's entries, and B receives them, in order, in
/// the `tracestate` header the client layer wrote.
#[test]
fn a_callers_tracestate_is_continued_and_sent_on() {
    let _serial = serial();
    const TRACESTATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    let registry = Registry::new();
    let server_a = ServerLayer::new(&registry).unwrap();
    let server_b = ServerLayer::new(&Registry::new()).unwrap();
    let client_layer = ClientLayer::new(&registry).unwrap();
    let ((status, received), spans) = traced(|| {
        runtime().block_on(async {
            // B answers with the `tracestate` it received.
            let b = Router::new()
                .route(
                    "/tracestate",
                    get(|headers: HeaderMap| async move {
                        let values = headers.get_all("tracestate").iter();
                        let values: Vec<_> = values.map(|v| v.to_str().unwrap()).collect();
                        values.join(" | ")
                    }),
                )
                .layer(server_b);
            let addr_b = serve(b).await;
            let target = format!("http://{addr_b}/tracestate");
            let addr_a = serve(forwarding("/forward", target, &client_layer, server_a)).await;
            let request = Request::get(format!("http://{addr_a}/forward"))
                .header("traceparent", format!("00-{TRACE_ID}-{SPAN_ID}-01"))
                .header("tracestate", TRACESTATE)
                .body(Full::default())
                .unwrap();
            fetch(&plain_client(), request).await
        })
    });
    assert_eq!(status, 200);
    assert_eq!(received, TRACESTATE);

    let caller = TraceId::from_hex(TRACE_ID).unwrap();
    for name in ["GET /forward", "GET", "GET /tracestate"] {
        let span = span(&spans, name);
        assert_eq!(span.span_context.trace_id(), caller, "{name}");
        assert_eq!(
            span.span_context.trace_state().header(),
            TRACESTATE,
            "{name}"
        );
    }
}

/// With `.body_sizes()`, requests of known lengths over TCP: each request
/// and response body observed once, under the request's labels, with its
/// exact length. Without it, neither family is registered.
#[test]
fn body_sizes_are_recorded_exactly_and_only_when_asked_for() {
    let _serial = serial();
    let registry = Registry::new();
    let layer = ServerLayer::builder()
        .body_sizes()
        .register(&registry)
        .unwrap();
    let without = Registry::new();
    let plain_layer = ServerLayer::new(&without).unwrap();
    runtime().block_on(async {
        let (sized, bare) = (serve(app(layer)).await, serve(app(plain_layer)).await);
        let client = plain_client();
        for len in [10, 100, 1000] {
            let body = Bytes::from(vec![b'x'; len]);
            let request = Request::post(format!("http://{sized}/echo"))
                .body(Full::new(body.clone()))
                .unwrap();
            assert_eq!(fetch(&client, request).await, (StatusCode::OK, body));
        }
        for addr in [sized, sized, bare] {
            let request = Request::get(format!("http://{addr}/users/1"))
                .body(Full::default())
                .unwrap();
            let answer = (StatusCode::OK, Bytes::from_static(b"a user\n"));
            assert_eq!(fetch(&client, request).await, answer);
        }
    });

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    let value = |name: &str, method: &str, route: &str, extra: &str| {
        let labels = format!(
            r#"http_request_method="{method}",http_route="{route}",http_response_status_code="200"{extra}"#
        );
        sample(&text, &format!("{name}{{{labels}}}"))
            .unwrap_or_else(|| panic!("{name}{{{labels}}} in {text}"))
    };
    let request = "http_server_request_body_size_bytes";
    let response = "http_server_response_body_size_bytes";
    // (family, method, route, count, sum)
    for (family, method, route, count, sum) in [
        (request, "POST", "/echo", 3.0, 1110.0),
        (response, "POST", "/echo", 3.0, 1110.0),
        (request, "GET", "/users/{id}", 2.0, 0.0),
        (response, "GET", "/users/{id}", 2.0, 14.0),
    ] {
        let what = format!("{family} {method} {route}");
        assert_eq!(
            value(&format!("{family}_count"), method, route, ""),
            count,
            "{what}"
        );
        assert_eq!(
            value(&format!("{family}_sum"), method, route, ""),
            sum,
            "{what}"
        );
    }
    // 10, 100 and 1,000 bytes: one in each of the first three buckets.
    for (le, cumulative) in [("64.0", 1.0), ("256.0", 2.0), ("1024.0", 3.0)] {
        let extra = format!(r#",le="{le}""#);
        let bucket = value(&format!("{request}_bucket"), "POST", "/echo", &extra);
        assert_eq!(bucket, cumulative, "le={le}");
    }
    assert_eq!(text.matches("_body_size_bytes_count{").count(), 4, "{text}");

    let text = without.encode(Format::PROMETHEUS_TEXT);
    let duration = r#"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/users/{id}",http_response_status_code="200"}"#;
    assert_eq!(sample(&text, duration), Some(1.0), "{text}");
    assert!(!text.contains("body_size"), "{text}");
}

/// Requests held in their handler: the gauge counts exactly those in
/// flight, in the layer's metrics and in the exposition, and is back to 0
/// once they are answered.
#[test]
fn active_requests_count_exactly_the_requests_in_flight() {
    let _serial = serial();
    const HELD: usize = 3;
    let registry = Registry::new();
    let layer = ServerLayer::new(&registry).unwrap();
    // Each handler sends the test a way to release it, then waits for it.
    let (started, mut releases) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let held = Router::new()
        .route(
            "/held",
            get(move || {
                let started = started.clone();
                async move {
                    let (release, released) = oneshot::channel();
                    started.send(release).unwrap();
                    released.await.unwrap();
                    "released\n"
                }
            }),
        )
        .layer(layer.clone());
    let labels = MethodLabels {
        http_request_method: HttpMethod::Get,
    };
    let gauge = || {
        layer
            .metrics()
            .http_server_active_requests
            .get(&labels)
            .get()
    };
    let scraped = || {
        let text = registry.encode(Format::PROMETHEUS_TEXT);
        sample(
            &text,
            r#"http_server_active_requests{http_request_method="GET"}"#,
        )
    };
    runtime().block_on(async {
        let addr = serve(held).await;
        let answers: Vec<_> = (0..HELD)
            .map(|_| {
                let request = Request::get(format!("http://{addr}/held"))
                    .body(Full::default())
                    .unwrap();
                tokio::spawn(async move { fetch(&plain_client(), request).await })
            })
            .collect();
        let mut waiting = Vec::new();
        while waiting.len() < HELD {
            waiting.push(releases.recv().await.unwrap());
        }
        assert_eq!(gauge(), HELD as i64);
        assert_eq!(scraped(), Some(HELD as f64));
        for release in waiting {
            release.send(()).unwrap();
        }
        for answer in answers {
            let answer = answer.await.unwrap();
            assert_eq!(answer, (StatusCode::OK, Bytes::from_static(b"released\n")));
        }
    });
    // A request leaves the count before its answer is written.
    assert_eq!(gauge(), 0);
    assert_eq!(scraped(), Some(0.0));
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
