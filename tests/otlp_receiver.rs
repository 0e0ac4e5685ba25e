//! An OTLP receiver for tests: the official `opentelemetry-proto` tonic
//! services for gRPC and `POST /v1/traces`, `POST /v1/metrics` for
//! HTTP/protobuf, on one loopback port (hyper serves HTTP/1.1 and HTTP/2
//! prior knowledge side by side). It records every request it accepts.
//!
//! Like a hosted collector, it can demand a header (an `authorization`
//! token), serve TLS with a certificate of a throwaway CA, and demand a
//! client certificate (mTLS); it takes gzip bodies over both protocols.
//!
//! Each test binary that includes it uses part of it.
#![allow(dead_code)]

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tonic::codegen::Service as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

/// How a request arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Grpc,
    Http,
}

/// What a receiver demands of its clients.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A header every request must carry (HTTP header or gRPC metadata);
    /// requests without it are refused with 401 or `UNAUTHENTICATED`.
    pub required_header: Option<(String, String)>,
    /// TLS: the server's certificate chain and key (PEM), and the CA a
    /// client certificate must be signed by, when one is demanded.
    pub tls: Option<ServerTls>,
}

#[derive(Clone, Debug)]
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
    pub client_ca_pem: Option<String>,
}

/// Everything received, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// Requests refused for want of the required header.
    pub unauthenticated: usize,
    /// Requests whose body arrived gzip-compressed.
    pub gzip_requests: usize,
    /// Connections whose TLS handshake failed.
    pub failed_handshakes: usize,
    /// The `user-agent` of the last request.
    pub user_agent: Option<String>,
    pub traces: Vec<(Transport, ExportTraceServiceRequest)>,
    pub metrics: Vec<(Transport, ExportMetricsServiceRequest)>,
    pub logs: Vec<(Transport, ExportLogsServiceRequest)>,
    /// Data points each metrics answer reports as rejected (`partial_success`).
    pub reject_points: i64,
    /// The next metrics requests to refuse, and how.
    pub refuse_metrics: Option<(usize, Refusal)>,
    /// Metrics requests refused so far.
    pub refused_metrics: usize,
}

/// How the receiver refuses a metrics request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `UNAVAILABLE` over gRPC, 503 over HTTP: the exporter should retry.
    Unavailable,
    /// `INVALID_ARGUMENT` over gRPC, 400 over HTTP: it should not.
    Invalid,
}

/// One received span with its resource, ids in lowercase hex.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub transport: Transport,
    pub resource: BTreeMap<String, String>,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub span: Span,
    pub attributes: BTreeMap<String, String>,
}

/// One received log record with its resource and scope, ids in hex.
#[derive(Clone, Debug)]
pub struct ReceivedLog {
    pub transport: Transport,
    pub resource: BTreeMap<String, String>,
    pub scope: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    pub trace_id: String,
    pub span_id: String,
    pub record: LogRecord,
}

/// One received metric with its resource.
#[derive(Clone, Debug)]
pub struct ReceivedMetric {
    pub transport: Transport,
    pub resource: BTreeMap<String, String>,
    pub metric: Metric,
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    https: bool,
    received: Arc<Mutex<Received>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Received>>);

impl Sink {
    fn metrics_answer(
        &self,
        transport: Transport,
        request: ExportMetricsServiceRequest,
    ) -> Result<ExportMetricsServiceResponse, Refusal> {
        let mut rejected = 0;
        let mut refusal = None;
        self.record(|r| {
            if let Some((count, how)) = r.refuse_metrics {
                r.refuse_metrics = (count > 1).then_some((count - 1, how));
                r.refused_metrics += 1;
                refusal = Some(how);
                return;
            }
            r.metrics.push((transport, request));
            rejected = r.reject_points;
        });
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        Ok(ExportMetricsServiceResponse {
            partial_success: (rejected > 0).then(|| ExportMetricsPartialSuccess {
                rejected_data_points: rejected,
                error_message: "rejected by the test".into(),
            }),
        })
    }

    fn record(&self, f: impl FnOnce(&mut Received)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let request = request.into_inner();
        self.record(|r| r.traces.push((Transport::Grpc, request)));
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let request = request.into_inner();
        self.record(|r| r.logs.push((Transport::Grpc, request)));
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        match self.metrics_answer(Transport::Grpc, request.into_inner()) {
            Ok(answer) => Ok(tonic::Response::new(answer)),
            Err(Refusal::Unavailable) => Err(tonic::Status::unavailable("refused by the test")),
            Err(Refusal::Invalid) => Err(tonic::Status::invalid_argument("refused by the test")),
        }
    }
}

impl Receiver {
    /// Starts a receiver on a free loopback port.
    pub fn start() -> Receiver {
        Receiver::start_with(Options::default())
    }

    /// Starts a receiver with `options` on a free loopback port.
    pub fn start_with(options: Options) -> Receiver {
        let https = options.tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Received::default()));
        let sink = Sink(received.clone());
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let thread = thread::Builder::new()
            .name("otlp-receiver".into())
            // The receiver's own HTTP/2 server is instrumented with `tracing`;
            // under a test's global subscriber its spans would be exported
            // to it, and so on. It records nothing.
            .spawn(move || {
                tracing::dispatcher::with_default(&tracing::Dispatch::none(), || {
                    runtime.block_on(serve(listener, sink, options, stopped))
                })
            })
            .unwrap();
        Receiver {
            addr,
            https,
            received,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// From now on, every metrics answer reports `points` data points as
    /// rejected in a `partial_success`.
    pub fn reject_metric_points(&self, points: i64) {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reject_points = points;
    }

    /// The next `count` metrics requests are refused as `how` says, and
    /// not recorded.
    pub fn refuse_metrics(&self, count: usize, how: Refusal) {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refuse_metrics = (count > 0).then_some((count, how));
    }

    /// `http://127.0.0.1:port` (`https://` with TLS): the base endpoint
    /// for both protocols.
    pub fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// A copy of everything received so far.
    pub fn received(&self) -> Received {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let mut spans = Vec::new();
        for (transport, request) in self.received().traces {
            for resource_spans in request.resource_spans {
                let resource = resource_spans
                    .resource
                    .map(|r| attributes(&r.attributes))
                    .unwrap_or_default();
                for scope in resource_spans.scope_spans {
                    for span in scope.spans {
                        spans.push(ReceivedSpan {
                            transport,
                            resource: resource.clone(),
                            name: span.name.clone(),
                            trace_id: hex(&span.trace_id),
                            span_id: hex(&span.span_id),
                            parent_span_id: hex(&span.parent_span_id),
                            attributes: attributes(&span.attributes),
                            span,
                        });
                    }
                }
            }
        }
        spans
    }

    /// Every log record received so far, with its resource and scope name.
    pub fn log_records(&self) -> Vec<ReceivedLog> {
        let mut records = Vec::new();
        for (transport, request) in self.received().logs {
            for resource_logs in request.resource_logs {
                let resource = resource_logs
                    .resource
                    .map(|r| attributes(&r.attributes))
                    .unwrap_or_default();
                for scope in resource_logs.scope_logs {
                    let scope_name = scope.scope.map(|s| s.name).unwrap_or_default();
                    for record in scope.log_records {
                        records.push(ReceivedLog {
                            transport,
                            resource: resource.clone(),
                            scope: scope_name.clone(),
                            body: value_text(record.body.as_ref()),
                            attributes: attributes(&record.attributes),
                            trace_id: hex(&record.trace_id),
                            span_id: hex(&record.span_id),
                            record,
                        });
                    }
                }
            }
        }
        records
    }

    /// Every metric received so far, the latest export last.
    pub fn metrics(&self) -> Vec<ReceivedMetric> {
        let mut metrics = Vec::new();
        for (transport, request) in self.received().metrics {
            for resource_metrics in request.resource_metrics {
                let resource = resource_metrics
                    .resource
                    .map(|r| attributes(&r.attributes))
                    .unwrap_or_default();
                for scope in resource_metrics.scope_metrics {
                    for metric in scope.metrics {
                        metrics.push(ReceivedMetric {
                            transport,
                            resource: resource.clone(),
                            metric,
                        });
                    }
                }
            }
        }
        metrics
    }

    /// Polls `ready` every 20 ms until it returns `Some`, up to `timeout`;
    /// panics with what was received otherwise.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut(&Receiver) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = ready(self) {
                return value;
            }
            if Instant::now() >= deadline {
                panic!("{what} never arrived; received: {:#?}", self.received());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sum of an integer counter's points; -1 for any other metric.
pub fn total(metric: &Metric) -> i64 {
    use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
    let Some(metric::Data::Sum(sum)) = &metric.data else {
        return -1;
    };
    sum.data_points
        .iter()
        .map(|point| match point.value {
            Some(number_data_point::Value::AsInt(n)) => n,
            _ => 0,
        })
        .sum()
}

/// The span named `name` (exactly one).
pub fn span<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let mut matching = spans.iter().filter(|span| span.name == name);
    let span = matching
        .next()
        .unwrap_or_else(|| panic!("no span `{name}` in {spans:#?}"));
    assert!(matching.next().is_none(), "more than one span `{name}`");
    span
}

/// Attributes as text: strings as they are, other values as their `Debug`.
pub fn attributes(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), value_text(kv.value.as_ref())))
        .collect()
}

fn value_text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(n)) => n.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(x)) => x.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Lowercase hex, as W3C trace context and obs's logs write ids.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn serve(
    listener: TcpListener,
    sink: Sink,
    options: Options,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let gzip = tonic::codec::CompressionEncoding::Gzip;
    let traces = TraceServiceServer::new(sink.clone()).accept_compressed(gzip);
    let metrics = MetricsServiceServer::new(sink.clone()).accept_compressed(gzip);
    let logs = LogsServiceServer::new(sink.clone()).accept_compressed(gzip);
    let acceptor = options.tls.as_ref().map(tls_acceptor);
    let required = options.required_header.clone();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (sink, traces, metrics, logs) =
            (sink.clone(), traces.clone(), metrics.clone(), logs.clone());
        let (acceptor, required) = (acceptor.clone(), required.clone());
        connections.spawn(async move {
            let service_sink = sink.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let (sink, mut traces, mut metrics, mut logs) = (
                    service_sink.clone(),
                    traces.clone(),
                    metrics.clone(),
                    logs.clone(),
                );
                let required = required.clone();
                async move {
                    let path = request.uri().path().to_owned();
                    let grpc_request = path.starts_with("/opentelemetry.proto.collector.");
                    let headers = request.headers();
                    let user_agent = headers
                        .get(hyper::header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let encoding = if grpc_request {
                        "grpc-encoding"
                    } else {
                        "content-encoding"
                    };
                    let gzip = headers.get(encoding).is_some_and(|v| v == "gzip");
                    let authenticated = required.as_ref().is_none_or(|(name, value)| {
                        headers
                            .get(name.as_str())
                            .is_some_and(|v| v == value.as_str())
                    });
                    sink.record(|r| {
                        r.user_agent = user_agent;
                        r.gzip_requests += usize::from(gzip);
                        r.unauthenticated += usize::from(!authenticated);
                    });
                    if !authenticated {
                        return Ok::<_, Infallible>(if grpc_request {
                            grpc_status(16, "missing or wrong credentials")
                        } else {
                            plain(StatusCode::UNAUTHORIZED, Bytes::new())
                        });
                    }
                    let response: Response<Body> = if path
                        .starts_with("/opentelemetry.proto.collector.trace.v1.TraceService/")
                    {
                        grpc(traces.call(request).await)
                    } else if path
                        .starts_with("/opentelemetry.proto.collector.metrics.v1.MetricsService/")
                    {
                        grpc(metrics.call(request).await)
                    } else if path
                        .starts_with("/opentelemetry.proto.collector.logs.v1.LogsService/")
                    {
                        grpc(logs.call(request).await)
                    } else {
                        http_protobuf(&sink, &path, request).await
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match acceptor {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                    Err(_) => sink.record(|r| r.failed_handshakes += 1),
                },
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

fn grpc(response: Result<Response<tonic::body::Body>, Infallible>) -> Response<Body> {
    match response {
        Ok(response) => response.map(|body| {
            body.map_err(|status| Box::new(status) as BoxError)
                .boxed_unsync()
        }),
        Err(never) => match never {},
    }
}

async fn http_protobuf(sink: &Sink, path: &str, request: Request<Incoming>) -> Response<Body> {
    let content_type = request
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let gzip = request
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return plain(StatusCode::BAD_REQUEST, Bytes::new()),
    };
    let body = if gzip {
        let mut decoded = Vec::new();
        match std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut decoded)
        {
            Ok(_) => Bytes::from(decoded),
            Err(_) => return plain(StatusCode::BAD_REQUEST, Bytes::new()),
        }
    } else {
        body
    };
    if content_type != "application/x-protobuf" {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, Bytes::new());
    }
    match path {
        "/v1/traces" => match ExportTraceServiceRequest::decode(body) {
            Ok(request) => {
                sink.record(|r| r.traces.push((Transport::Http, request)));
                plain(
                    StatusCode::OK,
                    ExportTraceServiceResponse::default().encode_to_vec().into(),
                )
            }
            Err(_) => plain(StatusCode::BAD_REQUEST, Bytes::new()),
        },
        "/v1/metrics" => match ExportMetricsServiceRequest::decode(body) {
            Ok(request) => match sink.metrics_answer(Transport::Http, request) {
                Ok(answer) => plain(StatusCode::OK, answer.encode_to_vec().into()),
                Err(Refusal::Unavailable) => plain(StatusCode::SERVICE_UNAVAILABLE, Bytes::new()),
                Err(Refusal::Invalid) => plain(StatusCode::BAD_REQUEST, Bytes::new()),
            },
            Err(_) => plain(StatusCode::BAD_REQUEST, Bytes::new()),
        },
        "/v1/logs" => match ExportLogsServiceRequest::decode(body) {
            Ok(request) => {
                sink.record(|r| r.logs.push((Transport::Http, request)));
                plain(
                    StatusCode::OK,
                    ExportLogsServiceResponse::default().encode_to_vec().into(),
                )
            }
            Err(_) => plain(StatusCode::BAD_REQUEST, Bytes::new()),
        },
        _ => plain(StatusCode::NOT_FOUND, Bytes::new()),
    }
}

/// A trailers-only gRPC answer with `code` (16 is `UNAUTHENTICATED`).
fn grpc_status(code: u32, message: &str) -> Response<Body> {
    let mut response = plain(StatusCode::OK, Bytes::new());
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", code.into());
    headers.insert(
        "grpc-message",
        hyper::header::HeaderValue::from_str(message).unwrap(),
    );
    response
}

fn tls_acceptor(tls: &ServerTls) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match &tls.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(cert.unwrap()).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A throwaway CA, and certificates it signs, for TLS tests (PEM).
pub struct TestCa {
    pub cert_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A certificate and its private key (PEM).
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert_pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A server certificate for `127.0.0.1` and `localhost`.
    pub fn server(&self) -> Leaf {
        self.leaf(rcgen::ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub fn client(&self) -> Leaf {
        self.leaf(rcgen::ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, usage: rcgen::ExtendedKeyUsagePurpose) -> Leaf {
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        params.extended_key_usages = vec![usage];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// Writes `contents` to a new file in the system's temporary directory.
pub fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("obs-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn plain(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-protobuf"),
    );
    response
}

/// A loopback port nothing listens on: bound, then released.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A collector that accepts connections and never answers: every export to
/// it runs into its deadline. Stops when dropped.
pub struct SilentCollector {
    addr: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentCollector {
    pub fn start() -> SilentCollector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                match listener.accept() {
                    // Bounded: a test's exporter opens a handful at most.
                    Ok((stream, _)) if held.len() < 64 => held.push(stream),
                    Ok(_) => {}
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        SilentCollector {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SilentCollector {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
