//! [`ServerLayer`]: a span, propagation and request metrics for a service
//! that answers HTTP requests.

use super::labels::{HttpMethod, MethodLabels, RouteLabel, RouteLabels, RouteTemplate};
use super::labels::{ServerLabels, StatusLabel};
use super::{protocol_version, span_method, MAX_HOST_BYTES};
use crate::semconv::attribute;
use crate::{propagation, Counter, Family, Histogram, IntGauge, LabelValue, Metrics};
use crate::{MetricGroup, Registry, RegistryError};
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::field::Empty;
use tracing::Span;

/// The metrics of [`ServerLayer`], named as the OpenTelemetry HTTP
/// conventions map to Prometheus.
#[derive(Metrics, Debug)]
pub struct ServerMetrics<R> {
    /// Duration of HTTP server requests, from the request's arrival to its
    /// response's headers.
    #[metric(buckets = semconv::http::DURATION_BUCKETS)]
    pub http_server_request_duration_seconds: Family<ServerLabels<R>, Histogram>,
    /// Number of HTTP server requests in flight.
    pub http_server_active_requests: Family<MethodLabels, IntGauge>,
    /// HTTP server requests whose handler panicked.
    pub http_server_panics_total: Family<RouteLabels<R>, Counter>,
}

/// The body-size histograms of [`ServerLayer`], registered when
/// [`ServerLayerBuilder::body_sizes`] asks for them. A size is recorded when
/// the body knows it exactly (a `content-length`, a full body); a streamed
/// body of unknown length is not.
#[derive(Metrics, Debug)]
pub struct BodySizeMetrics<R> {
    /// Size of HTTP server request bodies.
    #[metric(buckets = exponential(64.0, 4.0, 10))]
    pub http_server_request_body_size_bytes: Family<ServerLabels<R>, Histogram>,
    /// Size of HTTP server response bodies.
    #[metric(buckets = exponential(64.0, 4.0, 10))]
    pub http_server_response_body_size_bytes: Family<ServerLabels<R>, Histogram>,
}

/// The route of a request as the router matched it: axum's `MatchedPath`
/// (with the `axum` feature, when the layer is added with `Router::layer`),
/// else [`RouteTemplate::UNMATCHED`]. What [`ServerLayer::new`] labels
/// requests with; [`ServerLayerBuilder::routes`] replaces it.
pub fn matched_route(parts: &Parts) -> RouteTemplate {
    #[cfg(feature = "axum")]
    if let Some(path) = parts.extensions.get::<axum::extract::MatchedPath>() {
        return RouteTemplate::new(path.as_str());
    }
    let _ = parts;
    RouteTemplate::UNMATCHED
}

/// The default route function.
type MatchedRoute = fn(&Parts) -> RouteTemplate;

/// A [`tower_layer::Layer`] that gives each request to the service it wraps
/// a server span and records its duration.
///
/// Per request:
/// - a span `http.server.request` of kind server, exported under the name
///   the conventions give (`{method} {route}`, or `{method}` when no route
///   matched), continuing the caller's trace from `traceparent` and
///   `tracestate` (a malformed header starts a new trace), with the
///   attributes `http.request.method`, `http.route` (the template, never the
///   raw path), `http.response.status_code` (an integer), `url.scheme`,
///   `server.address`, `server.port` and `network.protocol.version`;
/// - an error status on a 5xx answer, on a service error and on a panic
///   (counted in `http_server_panics_total`, then passed on unchanged);
/// - `http_server_request_duration_seconds` by method, route and status
///   code (with this request's trace as the bucket's exemplar), and
///   `http_server_active_requests` by method.
///
/// With axum, add it with `Router::layer`, so that it sees the matched
/// route:
///
/// ```
/// use obs_runtime::tower::ServerLayer;
/// use obs_runtime::Registry;
///
/// let registry = Registry::new();
/// let layer = ServerLayer::new(&registry)?;
/// # #[cfg(feature = "axum")] {
/// let app: axum::Router = axum::Router::new()
///     .route("/users/{id}", axum::routing::get(|| async { "a user" }))
///     .layer(layer);
/// # }
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
#[derive(Debug)]
pub struct ServerLayer<R = RouteTemplate, F = MatchedRoute> {
    shared: Arc<Shared<R, F>>,
}

impl<R, F> Clone for ServerLayer<R, F> {
    fn clone(&self) -> Self {
        ServerLayer {
            shared: self.shared.clone(),
        }
    }
}

#[derive(Debug)]
struct Shared<R, F> {
    metrics: Arc<ServerMetrics<R>>,
    sizes: Option<Arc<BodySizeMetrics<R>>>,
    route: F,
}

impl ServerLayer {
    /// A layer labelling requests with [`matched_route`], its metrics
    /// registered with `registry`. Fails, registering nothing, when one of
    /// their names is taken.
    pub fn new(registry: &Registry) -> Result<ServerLayer, RegistryError> {
        ServerLayer::builder().register(registry)
    }

    /// A layer to configure: its routes, and whether it records body sizes.
    pub fn builder() -> ServerLayerBuilder {
        ServerLayerBuilder {
            route: matched_route,
            body_sizes: false,
            _route: PhantomData,
        }
    }
}

impl<R, F> ServerLayer<R, F> {
    /// The metrics, to read in tests.
    pub fn metrics(&self) -> &ServerMetrics<R> {
        &self.shared.metrics
    }
}

/// Configures a [`ServerLayer`].
#[derive(Debug)]
pub struct ServerLayerBuilder<R = RouteTemplate, F = MatchedRoute> {
    route: F,
    body_sizes: bool,
    _route: PhantomData<fn() -> R>,
}

impl<R: RouteLabel, F: Fn(&Parts) -> R + Send + Sync + 'static> ServerLayerBuilder<R, F> {
    /// Labels each request with the route `route` finds for it. With a
    /// [`LabelValue`] enum, every route is known to the catalog and to
    /// dashboards; give unmatched requests a variant of their own (renamed
    /// `_unmatched`, so that their spans carry no `http.route`).
    ///
    /// ```
    /// use obs_runtime::tower::ServerLayer;
    /// use obs_runtime::{LabelValue, Registry};
    ///
    /// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
    /// enum Route {
    ///     #[label(rename = "/jobs/{tenant}")]
    ///     Jobs,
    ///     #[label(rename = "_unmatched")]
    ///     Unmatched,
    /// }
    ///
    /// let registry = Registry::new();
    /// let layer = ServerLayer::builder()
    ///     .routes(|request: &http::request::Parts| match request.uri.path().strip_prefix("/jobs/") {
    ///         Some(_) => Route::Jobs,
    ///         None => Route::Unmatched,
    ///     })
    ///     .register(&registry)?;
    /// # let _ = layer;
    /// # Ok::<(), obs_runtime::RegistryError>(())
    /// ```
    pub fn routes<R2, F2>(self, route: F2) -> ServerLayerBuilder<R2, F2>
    where
        R2: RouteLabel,
        F2: Fn(&Parts) -> R2 + Send + Sync + 'static,
    {
        ServerLayerBuilder {
            route,
            body_sizes: self.body_sizes,
            _route: PhantomData,
        }
    }

    /// Also records request and response body sizes ([`BodySizeMetrics`]).
    pub fn body_sizes(mut self) -> Self {
        self.body_sizes = true;
        self
    }

    /// Registers the metrics with `registry` and makes the layer. Fails when
    /// one of their names is taken.
    pub fn register(self, registry: &Registry) -> Result<ServerLayer<R, F>, RegistryError> {
        let metrics = ServerMetrics::register(registry)?;
        let sizes = match self.body_sizes {
            true => Some(BodySizeMetrics::register(registry)?),
            false => None,
        };
        Ok(ServerLayer {
            shared: Arc::new(Shared {
                metrics,
                sizes,
                route: self.route,
            }),
        })
    }
}

impl<S, R, F> tower_layer::Layer<S> for ServerLayer<R, F> {
    type Service = ServerService<S, R, F>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`ServerLayer`] makes.
#[derive(Debug)]
pub struct ServerService<S, R = RouteTemplate, F = MatchedRoute> {
    inner: S,
    shared: Arc<Shared<R, F>>,
}

impl<S: Clone, R, F> Clone for ServerService<S, R, F> {
    fn clone(&self) -> Self {
        ServerService {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, R, F, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for ServerService<S, R, F>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: RouteLabel,
    F: Fn(&Parts) -> R + Send + Sync + 'static,
    ReqBody: Body,
    ResBody: Body,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ServerFuture<S::Future, R, F>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let method = HttpMethod::of(&parts.method);
        let route = (self.shared.route)(&parts);
        let span = server_span(&parts, method, route);
        let request_bytes = body.size_hint().exact();
        let request = Request::from_parts(parts, body);
        let labels = MethodLabels {
            http_request_method: method,
        };
        self.shared
            .metrics
            .http_server_active_requests
            .get(&labels)
            .inc();
        let pending = Pending {
            shared: self.shared.clone(),
            method,
            route,
            started,
            request_bytes,
        };
        // A disabled span has nothing to enter: the request goes straight in.
        let inner = match span.is_disabled() {
            true => self.inner.call(request),
            false => span.in_scope(|| self.inner.call(request)),
        };
        ServerFuture {
            inner,
            span,
            pending: Some(pending),
        }
    }
}

/// The server span of a request, its parent the caller's context.
fn server_span<R: RouteLabel>(parts: &Parts, method: HttpMethod, route: R) -> Span {
    // A root: a request's parent is its caller, not whatever span the
    // connection's task happens to be in.
    let span = tracing::info_span!(
        parent: None,
        "http.server.request",
        { attribute::OTEL_NAME } = Empty,
        { attribute::OTEL_KIND } = "server",
        { attribute::HTTP_REQUEST_METHOD } = method.as_str(),
        { attribute::HTTP_REQUEST_METHOD_ORIGINAL } = Empty,
        { attribute::HTTP_ROUTE } = Empty,
        { attribute::HTTP_RESPONSE_STATUS_CODE } = Empty,
        { attribute::URL_SCHEME } = parts.uri.scheme_str().unwrap_or("http"),
        { attribute::SERVER_ADDRESS } = Empty,
        { attribute::SERVER_PORT } = Empty,
        { attribute::NETWORK_PROTOCOL_VERSION } = protocol_version(parts.version),
        { attribute::OTEL_STATUS_CODE } = Empty,
        { attribute::ERROR_TYPE } = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let name = match route.matched() {
        true => {
            span.record(attribute::HTTP_ROUTE, route.text());
            format!("{} {}", span_method(method), route.text())
        }
        false => span_method(method).to_owned(),
    };
    span.record(attribute::OTEL_NAME, name);
    if method == HttpMethod::Other && parts.method.as_str().len() <= MAX_METHOD_BYTES {
        span.record(
            attribute::HTTP_REQUEST_METHOD_ORIGINAL,
            parts.method.as_str(),
        );
    }
    // HTTP/2 names the server in `:authority` (the URI); HTTP/1.1 in `Host`.
    let authority = parts.uri.authority().cloned().or_else(|| {
        let host = parts.headers.get(http::header::HOST)?.to_str().ok()?;
        host.parse::<http::uri::Authority>().ok()
    });
    if let Some(authority) = authority.filter(|a| a.host().len() <= MAX_HOST_BYTES) {
        span.record(attribute::SERVER_ADDRESS, authority.host());
        if let Some(port) = authority.port_u16() {
            span.record(attribute::SERVER_PORT, i64::from(port));
        }
    }
    propagation::set_remote_parent(&span, &propagation::extract(&parts.headers));
    span
}

/// The longest unknown method recorded as `http.request.method_original`.
const MAX_METHOD_BYTES: usize = 32;

/// What a request records when it ends. Dropped unfinished (the
/// connection closed first), it only leaves the in-flight count.
struct Pending<R, F> {
    shared: Arc<Shared<R, F>>,
    method: HttpMethod,
    route: R,
    started: Instant,
    request_bytes: Option<u64>,
}

/// How a request ended.
enum End<'a> {
    Answered {
        status: u16,
        response_bytes: Option<u64>,
    },
    Failed(&'a str),
    Panicked,
}

impl<R: RouteLabel, F> Pending<R, F> {
    fn finish(self, span: &Span, end: End<'_>) {
        let metrics = &self.shared.metrics;
        let (status, response_bytes) = match end {
            End::Answered {
                status,
                response_bytes,
            } => {
                span.record(attribute::HTTP_RESPONSE_STATUS_CODE, i64::from(status));
                // The error type is formatted only for a span that keeps it.
                if status >= 500 && !span.is_disabled() {
                    span.record(attribute::OTEL_STATUS_CODE, "error");
                    span.record(attribute::ERROR_TYPE, status.to_string());
                }
                (StatusLabel::Code(status), response_bytes)
            }
            End::Failed(error_type) => {
                span.record(attribute::OTEL_STATUS_CODE, "error");
                span.record(attribute::ERROR_TYPE, error_type);
                (StatusLabel::None, None)
            }
            End::Panicked => {
                span.record(attribute::OTEL_STATUS_CODE, "error");
                span.record(attribute::ERROR_TYPE, "panic");
                let labels = RouteLabels {
                    method: self.method,
                    route: self.route,
                };
                metrics.http_server_panics_total.get(&labels).inc();
                (StatusLabel::None, None)
            }
        };
        let labels = ServerLabels {
            method: self.method,
            route: self.route,
            status,
        };
        metrics
            .http_server_request_duration_seconds
            .get(&labels)
            .observe_in_trace(self.started.elapsed().as_secs_f64());
        if let Some(sizes) = &self.shared.sizes {
            for (histogram, bytes) in [
                (
                    &sizes.http_server_request_body_size_bytes,
                    self.request_bytes,
                ),
                (&sizes.http_server_response_body_size_bytes, response_bytes),
            ] {
                if let Some(bytes) = bytes {
                    histogram.get(&labels).observe(bytes as f64);
                }
            }
        }
    }
}

impl<R, F> Drop for Pending<R, F> {
    fn drop(&mut self) {
        let labels = MethodLabels {
            http_request_method: self.method,
        };
        self.shared
            .metrics
            .http_server_active_requests
            .get(&labels)
            .dec();
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ServerService`]: the inner future, polled
    /// in the request's span.
    pub struct ServerFuture<Fut, R, F> {
        #[pin]
        inner: Fut,
        span: Span,
        pending: Option<Pending<R, F>>,
    }
}

impl<Fut, R, F, ResBody, E> Future for ServerFuture<Fut, R, F>
where
    Fut: Future<Output = Result<Response<ResBody>, E>>,
    R: RouteLabel,
    ResBody: Body,
{
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let inner = this.inner;
        let polled = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
        let mut finish = |end| {
            if let Some(pending) = this.pending.take() {
                pending.finish(this.span, end);
            }
        };
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => {
                match &result {
                    Ok(response) => finish(End::Answered {
                        status: response.status().as_u16(),
                        response_bytes: response.body().size_hint().exact(),
                    }),
                    Err(_) => finish(End::Failed(std::any::type_name::<E>())),
                }
                Poll::Ready(result)
            }
            Err(panic) => {
                finish(End::Panicked);
                resume_unwind(panic)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv::http as conv;

    #[test]
    fn metric_names_and_buckets_are_the_conventions() {
        let names: Vec<_> = ServerMetrics::<RouteTemplate>::DESCRIPTORS
            .iter()
            .map(|d| d.name.as_ref())
            .collect();
        assert_eq!(
            names,
            [
                conv::SERVER_REQUEST_DURATION_METRIC,
                conv::SERVER_ACTIVE_REQUESTS_METRIC,
                conv::SERVER_PANICS_METRIC
            ]
        );
        let buckets = ServerMetrics::<RouteTemplate>::DESCRIPTORS[0]
            .buckets
            .as_deref();
        assert_eq!(buckets, Some(&conv::DURATION_BUCKETS[..]));
        let sizes: Vec<_> = BodySizeMetrics::<RouteTemplate>::DESCRIPTORS
            .iter()
            .map(|d| d.name.as_ref())
            .collect();
        assert_eq!(
            sizes,
            [
                conv::SERVER_REQUEST_BODY_SIZE_METRIC,
                conv::SERVER_RESPONSE_BODY_SIZE_METRIC
            ]
        );
    }
}
