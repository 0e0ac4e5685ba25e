//! [`GrpcServerLayer`] and [`GrpcClientLayer`]: the OpenTelemetry RPC
//! conventions for gRPC services and clients (tonic, or any gRPC over tower
//! and `http`). gRPC is HTTP/2 underneath, so these read what they need from
//! the request path, the `grpc-status` header or trailer, and the metadata,
//! which carries the trace context.

use super::labels::{Interned, StatusLabel};
use super::MAX_HOST_BYTES;
use crate::semconv::{attribute, rpc};
use crate::{propagation, Family, Histogram, LabelSet, Metrics};
use crate::{MetricGroup, Registry, RegistryError};
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;
use tracing::field::Empty;
use tracing::Span;

/// The labels of a gRPC call's duration: the service, the method and the
/// status code, each bounded.
///
/// A call answered `UNIMPLEMENTED` (12) is labelled `_OTHER` for its service
/// and method, which a client chooses freely; every other call names a
/// method the server implements, so the series stay as many as its methods.
#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RpcLabels {
    /// The full service name, such as `helloworld.Greeter`.
    #[label(unbounded)]
    pub rpc_service: &'static str,
    /// The method, such as `SayHello`.
    #[label(unbounded)]
    pub rpc_method: &'static str,
    /// The gRPC status code, `none` when the call ended without one.
    #[label(unbounded)]
    pub rpc_grpc_status_code: StatusLabel,
}

/// The metrics of [`GrpcServerLayer`].
#[derive(Metrics, Debug)]
pub struct GrpcServerMetrics {
    /// Duration of gRPC server calls, from the request's arrival to the
    /// end of the response (its status).
    #[metric(buckets = semconv::http::DURATION_BUCKETS)]
    pub rpc_server_duration_seconds: Family<RpcLabels, Histogram>,
}

/// The metrics of [`GrpcClientLayer`].
#[derive(Metrics, Debug)]
pub struct GrpcClientMetrics {
    /// Duration of gRPC client calls, from sending the request to the end
    /// of the response (its status).
    #[metric(buckets = semconv::http::DURATION_BUCKETS)]
    pub rpc_client_duration_seconds: Family<RpcLabels, Histogram>,
}

/// A [`tower_layer::Layer`] for a gRPC server, such as tonic's
/// `Server::builder().layer(...)`.
///
/// Per call: a span `rpc.server.call` of kind server, exported as
/// `{service}/{method}`, continuing the caller's trace from the metadata,
/// with `rpc.system` (`grpc`), `rpc.service`, `rpc.method`,
/// `rpc.grpc.status_code` (an integer) and `server.address`; an error status
/// for the codes the conventions count as server errors (`UNKNOWN`,
/// `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE`,
/// `DATA_LOSS`); and `rpc_server_duration_seconds` by [`RpcLabels`]. The
/// span and the duration end with the response: at its `grpc-status`
/// header or trailer, or when the response is dropped.
///
/// ```
/// use obs_runtime::tower::GrpcServerLayer;
/// use obs_runtime::Registry;
///
/// let registry = Registry::new();
/// let layer = GrpcServerLayer::new(&registry)?;
/// // tonic::transport::Server::builder().layer(layer).add_service(greeter)
/// # let _ = layer;
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct GrpcServerLayer {
    metrics: Arc<GrpcServerMetrics>,
}

impl GrpcServerLayer {
    /// A layer whose metrics are registered with `registry`. Fails when
    /// their name is taken.
    pub fn new(registry: &Registry) -> Result<GrpcServerLayer, RegistryError> {
        Ok(GrpcServerLayer {
            metrics: GrpcServerMetrics::register(registry)?,
        })
    }

    /// The metrics, to read in tests.
    pub fn metrics(&self) -> &GrpcServerMetrics {
        &self.metrics
    }
}

/// A [`tower_layer::Layer`] for a gRPC client, such as a tonic channel
/// (`Client::new(ServiceBuilder::new().layer(layer).service(channel))`).
///
/// Per call: a span `rpc.client.call` of kind client, a child of the
/// current span, with the attributes of [`GrpcServerLayer`]'s; the trace
/// context set in the request's metadata; an error status for any code but
/// `OK`; and `rpc_client_duration_seconds` by [`RpcLabels`].
///
/// ```
/// use obs_runtime::tower::GrpcClientLayer;
/// use obs_runtime::Registry;
///
/// let registry = Registry::new();
/// let layer = GrpcClientLayer::new(&registry)?;
/// # let _ = layer;
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct GrpcClientLayer {
    metrics: Arc<GrpcClientMetrics>,
}

impl GrpcClientLayer {
    /// A layer whose metrics are registered with `registry`. Fails when
    /// their name is taken.
    pub fn new(registry: &Registry) -> Result<GrpcClientLayer, RegistryError> {
        Ok(GrpcClientLayer {
            metrics: GrpcClientMetrics::register(registry)?,
        })
    }

    /// The metrics, to read in tests.
    pub fn metrics(&self) -> &GrpcClientMetrics {
        &self.metrics
    }
}

/// Which end of a call a layer instruments.
#[derive(Clone, Debug)]
enum Side {
    Server(Arc<GrpcServerMetrics>),
    Client(Arc<GrpcClientMetrics>),
}

impl Side {
    fn duration(&self) -> &Family<RpcLabels, Histogram> {
        match self {
            Side::Server(metrics) => &metrics.rpc_server_duration_seconds,
            Side::Client(metrics) => &metrics.rpc_client_duration_seconds,
        }
    }

    /// Whether a call that ended with `code` failed, as the conventions
    /// say for this side.
    fn failed(&self, code: Option<u16>) -> bool {
        match (self, code) {
            (_, None) => true,
            (Side::Server(_), Some(code)) => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
            (Side::Client(_), Some(code)) => code != 0,
        }
    }
}

impl<S> tower_layer::Layer<S> for GrpcServerLayer {
    type Service = GrpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcService {
            inner,
            side: Side::Server(self.metrics.clone()),
        }
    }
}

impl<S> tower_layer::Layer<S> for GrpcClientLayer {
    type Service = GrpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcService {
            inner,
            side: Side::Client(self.metrics.clone()),
        }
    }
}

/// The service [`GrpcServerLayer`] and [`GrpcClientLayer`] make.
#[derive(Clone, Debug)]
pub struct GrpcService<S> {
    inner: S,
    side: Side,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for GrpcService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<GrpcBody<ResBody>>;
    type Error = S::Error;
    type Future = GrpcFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let call = Call::start(self.side.clone(), &mut request);
        let inner = call.span.in_scope(|| self.inner.call(request));
        GrpcFuture {
            inner,
            call: Some(call),
        }
    }
}

/// The longest service or method name recorded on a span.
const MAX_NAME_BYTES: usize = 256;

/// The service and method of a gRPC path, `/{service}/{method}`.
fn service_and_method(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let valid =
        |name: &str| !name.is_empty() && name.len() <= MAX_NAME_BYTES && !name.contains('/');
    (valid(service) && valid(method)).then_some((service, method))
}

/// The status code a response carries in `headers` (or trailers): an
/// unknown value is `UNKNOWN` (2), as gRPC says.
fn grpc_status(headers: &HeaderMap) -> Option<u16> {
    let value = headers.get("grpc-status")?;
    let code = value
        .to_str()
        .ok()
        .and_then(|text| text.parse::<u16>().ok());
    Some(code.filter(|&code| code <= 16).unwrap_or(2))
}

/// One call in flight: its span, and what its duration is labelled with.
struct Call {
    side: Side,
    span: Span,
    path: Option<(String, String)>,
    started: Instant,
}

impl Call {
    fn start<B>(side: Side, request: &mut Request<B>) -> Call {
        let started = Instant::now();
        let path = service_and_method(request.uri().path())
            .map(|(service, method)| (service.to_owned(), method.to_owned()));
        // The two ends' spans differ in name, kind and parent: a server's
        // is a root (its parent is its caller, not the connection's task).
        macro_rules! call_span {
            ($($parent:ident: $value:expr,)? $name:literal, $kind:literal) => {
                tracing::info_span!(
                    $($parent: $value,)?
                    $name,
                    { attribute::OTEL_NAME } = Empty,
                    { attribute::OTEL_KIND } = $kind,
                    { attribute::RPC_SYSTEM } = rpc::SYSTEM_GRPC,
                    { attribute::RPC_SERVICE } = Empty,
                    { attribute::RPC_METHOD } = Empty,
                    { attribute::RPC_GRPC_STATUS_CODE } = Empty,
                    { attribute::SERVER_ADDRESS } = Empty,
                    { attribute::OTEL_STATUS_CODE } = Empty,
                    { attribute::ERROR_TYPE } = Empty,
                )
            };
        }
        let span = match side {
            Side::Server(_) => call_span!(parent: None, "rpc.server.call", "server"),
            Side::Client(_) => call_span!("rpc.client.call", "client"),
        };
        if !span.is_disabled() {
            if let Some((service, method)) = &path {
                span.record(attribute::OTEL_NAME, format!("{service}/{method}"));
                span.record(attribute::RPC_SERVICE, service.as_str());
                span.record(attribute::RPC_METHOD, method.as_str());
            }
            if let Some(host) = request.uri().host().filter(|h| h.len() <= MAX_HOST_BYTES) {
                span.record(attribute::SERVER_ADDRESS, host);
            }
            match side {
                Side::Server(_) => {
                    let remote = propagation::extract(request.headers());
                    propagation::set_remote_parent(&span, &remote);
                }
                Side::Client(_) => propagation::inject(&span, request.headers_mut()),
            }
        }
        Call {
            side,
            span,
            path,
            started,
        }
    }

    /// Ends the call with `code`, `None` when it ended without a status.
    fn finish(self, code: Option<u16>) {
        let span = &self.span;
        if let Some(code) = code {
            span.record(attribute::RPC_GRPC_STATUS_CODE, i64::from(code));
        }
        if self.side.failed(code) {
            span.record(attribute::OTEL_STATUS_CODE, "error");
            match code {
                Some(code) => span.record(attribute::ERROR_TYPE, i64::from(code)),
                None => span.record(attribute::ERROR_TYPE, "_OTHER"),
            };
        }
        // A client names any service and method it likes; an implemented
        // one answers something other than UNIMPLEMENTED.
        let named = self.path.as_ref().filter(|_| code != Some(12));
        let (service, method) = match named {
            Some((service, method)) => (NAMES.intern(service), NAMES.intern(method)),
            None => (OTHER, OTHER),
        };
        let labels = RpcLabels {
            rpc_service: service,
            rpc_method: method,
            rpc_grpc_status_code: code.map_or(StatusLabel::None, StatusLabel::Code),
        };
        let _entered = span.enter();
        self.side
            .duration()
            .get(&labels)
            .observe_in_trace(self.started.elapsed().as_secs_f64());
    }
}

/// The label of a service or method a server does not implement, or of
/// names beyond the interned bound.
const OTHER: &str = "_OTHER";

/// Service and method names, interned so that a call's labels cost no
/// allocation; names beyond the bound are [`OTHER`].
static NAMES: Interned = Interned::new(OTHER);

pin_project_lite::pin_project! {
    /// The response future of [`GrpcService`].
    pub struct GrpcFuture<Fut> {
        #[pin]
        inner: Fut,
        call: Option<Call>,
    }
}

impl<Fut, ResBody, E> Future for GrpcFuture<Fut>
where
    Fut: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<GrpcBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = match this.call {
            Some(call) => call.span.in_scope(|| this.inner.poll(cx)),
            None => this.inner.poll(cx),
        };
        let result = ready!(polled);
        let call = this.call.take();
        Poll::Ready(match result {
            // A trailers-only response (an error, typically) has its status
            // in the headers; any other has it in the trailers.
            Ok(response) => match (call, grpc_status(response.headers())) {
                (Some(call), Some(code)) => {
                    call.finish(Some(code));
                    Ok(response.map(|body| GrpcBody {
                        inner: body,
                        call: None,
                    }))
                }
                (call, _) => Ok(response.map(|body| GrpcBody { inner: body, call })),
            },
            Err(err) => {
                if let Some(call) = call {
                    call.finish(None);
                }
                Err(err)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A gRPC response body: the call ends at its `grpc-status` trailer, at
    /// its end without one, or when it is dropped unfinished.
    pub struct GrpcBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }

    impl<B> PinnedDrop for GrpcBody<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(call) = this.project().call.take() {
                call.finish(None);
            }
        }
    }
}

impl<B: Body> Body for GrpcBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        let end = match &frame {
            Some(Ok(frame)) => frame.trailers_ref().map(grpc_status),
            Some(Err(_)) | None => Some(None),
        };
        if let Some(code) = end {
            if let Some(call) = this.call.take() {
                call.finish(code);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semconv;

    #[test]
    fn paths_split_into_service_and_method() {
        let path = "/helloworld.Greeter/SayHello";
        assert_eq!(
            service_and_method(path),
            Some(("helloworld.Greeter", "SayHello"))
        );
        for bad in ["", "/", "//", "/a", "/a/", "//b", "/a/b/c", "a/b"] {
            assert_eq!(service_and_method(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_are_read_and_unknown_ones_are_unknown() {
        let mut headers = HeaderMap::new();
        assert_eq!(grpc_status(&headers), None);
        for (value, code) in [("0", 0), ("14", 14), ("17", 2), ("x", 2), ("-1", 2)] {
            headers.insert("grpc-status", value.parse().unwrap());
            assert_eq!(grpc_status(&headers), Some(code), "{value}");
        }
    }

    #[test]
    fn names_are_the_conventions() {
        assert_eq!(
            GrpcServerMetrics::DESCRIPTORS[0].name,
            semconv::rpc::SERVER_DURATION_METRIC
        );
        assert_eq!(
            GrpcClientMetrics::DESCRIPTORS[0].name,
            semconv::rpc::CLIENT_DURATION_METRIC
        );
        // The derive reads `semconv::http::DURATION_BUCKETS` from obs-rules'
        // table: every layer's histogram has the conventions' set.
        for descriptor in [
            &GrpcServerMetrics::DESCRIPTORS[0],
            &GrpcClientMetrics::DESCRIPTORS[0],
            &crate::tower::ClientMetrics::DESCRIPTORS[0],
        ] {
            let buckets = descriptor.buckets.as_deref();
            assert_eq!(
                buckets,
                Some(&semconv::http::DURATION_BUCKETS[..]),
                "{}",
                descriptor.name
            );
        }
        assert_eq!(
            RpcLabels::NAMES,
            [
                semconv::label::RPC_SERVICE,
                semconv::label::RPC_METHOD,
                semconv::label::RPC_GRPC_STATUS_CODE
            ]
        );
    }
}
