//! One client for every signal: gRPC (tonic) or HTTP/protobuf (hyper), with
//! the headers, compression and TLS of its [`OtlpTarget`] applied the same
//! way to traces and to metrics, and one retry loop for both.
//!
//! Why not the official `opentelemetry-otlp` exporters: each signal would get
//! its own transport, configured and retried its own way (the metrics one
//! would not even read obs's registry), and export failures would vanish in
//! the SDK's internal log. Here a request is a protobuf message, and sending
//! it is the same code whatever it carries.

use super::report::{FailureLog, Losses};
use super::retry::{error_chain, Backoff, Failure};
use super::self_metrics::Signal;
use super::tls::{self, Connector};
use crate::config::{Compression, ConfigError, OtlpTarget, Protocol};
use http::header::{
    HeaderMap, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `User-Agent` of every export, over both protocols.
pub(super) const OBS_USER_AGENT: &str = concat!("obs/", env!("CARGO_PKG_VERSION"));

/// The largest answer read from a collector over HTTP: an export response
/// is a few bytes (a `partial_success` at most), so a larger body is not
/// read further and counts as a full success, as an undecodable one does.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A request one signal sends, and what its answer says was rejected.
pub(super) trait ExportRequest: Message + Clone + Default + Send + Sync + 'static {
    type Response: Message + Default + Send + Sync + 'static;
    /// The gRPC method the request is sent to.
    const GRPC_PATH: &'static str;
    /// The items (spans, data points) the collector rejected in a
    /// `partial_success`.
    fn rejected(response: &Self::Response) -> u64;
}

impl ExportRequest for ExportTraceServiceRequest {
    type Response = ExportTraceServiceResponse;
    const GRPC_PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    fn rejected(response: &Self::Response) -> u64 {
        let rejected = response
            .partial_success
            .as_ref()
            .map_or(0, |p| p.rejected_spans);
        u64::try_from(rejected).unwrap_or(0)
    }
}

impl ExportRequest for ExportLogsServiceRequest {
    type Response = ExportLogsServiceResponse;
    const GRPC_PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    fn rejected(response: &Self::Response) -> u64 {
        let rejected = response
            .partial_success
            .as_ref()
            .map_or(0, |p| p.rejected_log_records);
        u64::try_from(rejected).unwrap_or(0)
    }
}

impl ExportRequest for ExportMetricsServiceRequest {
    type Response = ExportMetricsServiceResponse;
    const GRPC_PATH: &'static str =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    fn rejected(response: &Self::Response) -> u64 {
        let rejected = response
            .partial_success
            .as_ref()
            .map_or(0, |p| p.rejected_data_points);
        u64::try_from(rejected).unwrap_or(0)
    }
}

/// Sends one signal's requests to its target, and accounts for each: what
/// was delivered or lost (`Losses`), and the failures worth a line
/// (`FailureLog`).
pub(super) struct Client {
    kind: Kind,
    /// The target's headers (gRPC metadata), on every request.
    headers: HeaderMap,
    gzip: bool,
    signal: Signal,
    /// The endpoint, for failure reports.
    endpoint: String,
    failures: FailureLog,
    losses: Arc<Losses>,
}

enum Kind {
    Grpc(tonic::client::Grpc<tonic::transport::Channel>),
    Http {
        // Boxed: the client is several times the size of a gRPC channel.
        client: Box<HttpClient<Connector, Full<Bytes>>>,
        uri: http::Uri,
    },
}

impl Client {
    /// Called on the export thread, inside its Tokio runtime (the gRPC
    /// channel spawns its connection task there). Connects lazily; a bad
    /// CA or client certificate file is an error here, before anything is
    /// sent.
    pub(super) fn new(
        target: &OtlpTarget,
        signal: Signal,
        timeout: Duration,
        losses: Arc<Losses>,
    ) -> Result<Self, ConfigError> {
        let invalid = |err: &dyn std::fmt::Display| {
            ConfigError::invalid(
                format!("the OTLP {} endpoint", signal.as_str()),
                target.endpoint.clone(),
                format!("a URL ({err})"),
            )
        };
        let headers = target.header_map()?;
        let kind = match target.protocol {
            Protocol::Grpc => {
                let endpoint = tonic::transport::Endpoint::from_shared(target.endpoint.clone())
                    .map_err(|err| invalid(&err))?
                    .user_agent(OBS_USER_AGENT)
                    .map_err(|err| invalid(&err))?
                    .timeout(timeout)
                    .connect_timeout(timeout);
                let connector = tls::connector(&target.tls, tls::Alpn::Http2)?;
                let mut grpc =
                    tonic::client::Grpc::new(endpoint.connect_with_connector_lazy(connector));
                if target.compression == Compression::Gzip {
                    grpc = grpc
                        .send_compressed(tonic::codec::CompressionEncoding::Gzip)
                        .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
                }
                Kind::Grpc(grpc)
            }
            Protocol::HttpProtobuf => {
                let connector = tls::connector(&target.tls, tls::Alpn::Http1)?;
                Kind::Http {
                    client: Box::new(HttpClient::builder(TokioExecutor::new()).build(connector)),
                    uri: target
                        .endpoint
                        .parse::<http::Uri>()
                        .map_err(|err| invalid(&err))?,
                }
            }
        };
        Ok(Client {
            kind,
            headers,
            gzip: target.compression == Compression::Gzip,
            signal,
            endpoint: target.endpoint.clone(),
            failures: FailureLog::new(signal),
            losses,
        })
    }

    /// Sends one request holding `items` spans, points or records, before
    /// `deadline`, and accounts for the outcome: counted as delivered,
    /// rejected or dropped, and reported when it is a failure worth a line.
    pub(super) async fn deliver<R: ExportRequest>(
        &mut self,
        request: &R,
        items: usize,
        deadline: Instant,
    ) {
        let result = self.send(request, deadline).await;
        self.failures.record(&result, &self.endpoint);
        self.losses.settle(self.signal, items, &result);
    }

    /// Sends one request, retrying retryable failures with backoff until
    /// `deadline`; the number of items the collector rejected in a
    /// `partial_success`, or the last failure.
    async fn send<R: ExportRequest>(
        &mut self,
        request: &R,
        deadline: Instant,
    ) -> Result<u64, Failure> {
        let mut backoff = Backoff::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Failure::Permanent("the deadline passed".into()));
            }
            let failure = match tokio::time::timeout(remaining, self.export(request.clone())).await
            {
                Ok(Ok(rejected)) => return Ok(rejected),
                Ok(Err(failure)) => failure,
                Err(_) => return Err(Failure::Permanent("the deadline passed".into())),
            };
            match backoff.wait(&failure, deadline) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(failure),
            }
        }
    }

    /// One attempt; `Ok` with the number of items the collector rejected.
    async fn export<R: ExportRequest>(&mut self, request: R) -> Result<u64, Failure> {
        let response = match &mut self.kind {
            Kind::Grpc(grpc) => {
                grpc.ready().await.map_err(|err| Failure::Retryable {
                    after: None,
                    reason: format!("the connection failed: {}", error_chain(&err)),
                })?;
                let mut request = tonic::Request::new(request);
                *request.metadata_mut() =
                    tonic::metadata::MetadataMap::from_headers(self.headers.clone());
                grpc.unary(
                    request,
                    http::uri::PathAndQuery::from_static(R::GRPC_PATH),
                    tonic_prost::ProstCodec::<R, R::Response>::default(),
                )
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| Failure::grpc(&status))?
            }
            Kind::Http { client, uri } => {
                let mut body = request.encode_to_vec();
                if self.gzip {
                    body = gzip(&body);
                }
                let mut http_request = http::Request::post(uri.clone())
                    .body(Full::new(Bytes::from(body)))
                    .map_err(|err| Failure::Permanent(err.to_string()))?;
                let headers = http_request.headers_mut();
                for (name, value) in &self.headers {
                    headers.append(name, value.clone());
                }
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-protobuf"),
                );
                headers.insert(USER_AGENT, HeaderValue::from_static(OBS_USER_AGENT));
                if self.gzip {
                    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                // A request that never got an answer (connection refused or
                // reset, a failed handshake) may succeed later.
                let response =
                    client
                        .request(http_request)
                        .await
                        .map_err(|err| Failure::Retryable {
                            after: None,
                            reason: format!("the connection failed: {}", error_chain(&err)),
                        })?;
                if !response.status().is_success() {
                    return Err(Failure::http(
                        response.status(),
                        response.headers().get(RETRY_AFTER),
                    ));
                }
                // An empty, oversized or undecodable body is a full success.
                match Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                    .collect()
                    .await
                {
                    Ok(body) => R::Response::decode(body.to_bytes()).unwrap_or_default(),
                    Err(_) => R::Response::default(),
                }
            }
        };
        Ok(R::rejected(&response))
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a `Vec` cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}
