//! [`ClientLayer`]: a client span, injected trace context and a request
//! duration histogram for a service that sends HTTP requests.

use super::labels::{ClientLabels, HttpMethod, StatusLabel};
use super::{protocol_version, span_method, MAX_HOST_BYTES};
use crate::semconv::attribute;
use crate::{propagation, Family, Histogram, LabelValue, MetricGroup, Metrics};
use crate::{Registry, RegistryError};
use http::{Request, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::field::Empty;
use tracing::Span;

/// The metrics of [`ClientLayer`], named as the OpenTelemetry HTTP
/// conventions map to Prometheus.
#[derive(Metrics, Debug)]
pub struct ClientMetrics {
    /// Duration of HTTP client requests, from sending the request to its
    /// response's headers.
    #[metric(buckets = semconv::http::DURATION_BUCKETS)]
    pub http_client_request_duration_seconds: Family<ClientLabels, Histogram>,
}

/// A [`tower_layer::Layer`] for a service that sends HTTP requests (hyper's
/// client, or any tower service taking an `http::Request`).
///
/// Per request:
/// - a span `http.client.request` of kind client, a child of the current
///   span, exported under the method's name, with the attributes
///   `http.request.method`, `server.address`, `server.port`, `url.scheme`,
///   `url.full` (without the query, which may hold secrets),
///   `network.protocol.version` and `http.response.status_code` (an
///   integer); an error status on a 4xx or 5xx answer and on a failure;
/// - `traceparent` (and `tracestate`) set on the request from that span, so
///   the server continues the trace;
/// - `http_client_request_duration_seconds` by method and status code
///   (`none` when no response arrived).
///
/// ```
/// use obs_runtime::tower::ClientLayer;
/// use obs_runtime::Registry;
///
/// let registry = Registry::new();
/// let layer = ClientLayer::new(&registry)?;
/// // tower::ServiceBuilder::new().layer(layer).service(hyper_client)
/// # let _ = layer;
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientLayer {
    metrics: Arc<ClientMetrics>,
}

impl ClientLayer {
    /// A layer whose metrics are registered with `registry`. Fails when
    /// their name is taken.
    pub fn new(registry: &Registry) -> Result<ClientLayer, RegistryError> {
        Ok(ClientLayer {
            metrics: ClientMetrics::register(registry)?,
        })
    }

    /// The metrics, to read in tests.
    pub fn metrics(&self) -> &ClientMetrics {
        &self.metrics
    }
}

impl<S> tower_layer::Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`ClientLayer`] makes.
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
    metrics: Arc<ClientMetrics>,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for ClientService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ClientFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let started = Instant::now();
        let method = HttpMethod::of(request.method());
        let span = client_span(&request, method);
        propagation::inject(&span, request.headers_mut());
        let inner = span.in_scope(|| self.inner.call(request));
        ClientFuture {
            inner,
            span,
            pending: Some((self.metrics.clone(), method, started)),
        }
    }
}

fn client_span<B>(request: &Request<B>, method: HttpMethod) -> Span {
    let uri = request.uri();
    let span = tracing::info_span!(
        "http.client.request",
        { attribute::OTEL_NAME } = span_method(method),
        { attribute::OTEL_KIND } = "client",
        { attribute::HTTP_REQUEST_METHOD } = method.as_str(),
        { attribute::HTTP_RESPONSE_STATUS_CODE } = Empty,
        { attribute::SERVER_ADDRESS } = Empty,
        { attribute::SERVER_PORT } = Empty,
        { attribute::URL_SCHEME } = Empty,
        { attribute::URL_FULL } = Empty,
        { attribute::NETWORK_PROTOCOL_VERSION } = protocol_version(request.version()),
        { attribute::OTEL_STATUS_CODE } = Empty,
        { attribute::ERROR_TYPE } = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(host) = uri.host().filter(|host| host.len() <= MAX_HOST_BYTES) {
        span.record(attribute::SERVER_ADDRESS, host);
        let scheme = uri.scheme_str().unwrap_or("http");
        span.record(attribute::URL_SCHEME, scheme);
        let default_port = if scheme == "https" { 443 } else { 80 };
        span.record(
            attribute::SERVER_PORT,
            i64::from(uri.port_u16().unwrap_or(default_port)),
        );
        let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
        span.record(
            attribute::URL_FULL,
            format!("{scheme}://{host}{port}{}", uri.path()),
        );
    }
    span
}

pin_project_lite::pin_project! {
    /// The response future of [`ClientService`]: the inner future, polled
    /// in the request's span.
    pub struct ClientFuture<Fut> {
        #[pin]
        inner: Fut,
        span: Span,
        pending: Option<(Arc<ClientMetrics>, HttpMethod, Instant)>,
    }
}

impl<Fut, ResBody, E> Future for ClientFuture<Fut>
where
    Fut: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let Some((metrics, method, started)) = this.pending.take() else {
            return Poll::Ready(result);
        };
        let span = &*this.span;
        let status = match &result {
            Ok(response) => {
                let status = response.status().as_u16();
                span.record(attribute::HTTP_RESPONSE_STATUS_CODE, i64::from(status));
                if status >= 400 {
                    span.record(attribute::OTEL_STATUS_CODE, "error");
                    span.record(attribute::ERROR_TYPE, response.status().as_str());
                }
                StatusLabel::Code(status)
            }
            Err(_) => {
                span.record(attribute::OTEL_STATUS_CODE, "error");
                span.record(attribute::ERROR_TYPE, std::any::type_name::<E>());
                StatusLabel::None
            }
        };
        let labels = ClientLabels {
            http_request_method: method,
            http_response_status_code: status,
        };
        metrics
            .http_client_request_duration_seconds
            .get(&labels)
            .observe_in_trace(started.elapsed().as_secs_f64());
        Poll::Ready(result)
    }
}
