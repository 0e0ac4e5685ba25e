//! Tower layers for HTTP services and their clients: one `.layer(...)` gives
//! every request a span named and attributed by the OpenTelemetry HTTP
//! conventions, W3C trace propagation, and request-duration metrics whose
//! labels are bounded by construction.
//!
//! - [`ServerLayer`] wraps a service that answers requests (axum, hyper
//!   through hyper-util's tower adapter, tonic): it continues the caller's
//!   trace from `traceparent`/`tracestate`, records
//!   `http_server_request_duration_seconds` and
//!   `http_server_active_requests`, marks 5xx answers and panics as errors,
//!   and counts the panics.
//! - [`ClientLayer`] wraps a service that sends requests (hyper's client,
//!   anything tower-based): a client span whose context the request carries,
//!   and `http_client_request_duration_seconds`.
//!
//! Labels stay bounded whatever clients send: the method is one of the nine
//! the conventions know or `_OTHER`, the route is the matched template (never
//! the raw path; [`RouteTemplate::UNMATCHED`] when nothing matched) or a
//! [`LabelValue`] enum of your own, and the status code is the only free
//! label.
//!
//! ```
//! use obs_runtime::tower::ServerLayer;
//! use obs_runtime::Registry;
//!
//! let registry = Registry::new();
//! let layer = ServerLayer::new(&registry)?;
//! // axum:  Router::new().route("/users/{id}", get(user)).layer(layer)
//! // hyper: tower::ServiceBuilder::new().layer(layer).service(service)
//! # let _ = layer;
//! # Ok::<(), obs_runtime::RegistryError>(())
//! ```

mod client;
mod grpc;
mod labels;
mod server;

pub use client::{ClientFuture, ClientLayer, ClientMetrics, ClientService};
pub use grpc::{
    GrpcBody, GrpcClientLayer, GrpcClientMetrics, GrpcFuture, GrpcServerLayer, GrpcServerMetrics,
    GrpcService, RpcLabels,
};
pub use labels::{
    ClientLabels, HttpMethod, MethodLabels, RouteLabel, RouteLabels, RouteTemplate, ServerLabels,
    StatusLabel,
};
pub use server::{
    matched_route, BodySizeMetrics, ServerFuture, ServerLayer, ServerLayerBuilder, ServerMetrics,
    ServerService,
};

use crate::LabelValue;
use http::Version;

/// The `network.protocol.version` of an HTTP version.
fn protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// The method part of a span name: the method, or `HTTP` for one the
/// conventions do not know (so span names stay bounded too).
fn span_method(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Other => "HTTP",
        known => known.as_str(),
    }
}

/// The longest host name DNS allows; a longer `Host` header is not
/// recorded.
const MAX_HOST_BYTES: usize = 253;
