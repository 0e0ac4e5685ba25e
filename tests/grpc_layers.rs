//! The gRPC layers on a real tonic service and a real tonic client (the
//! OTLP trace service, generated from the official protobuf definitions),
//! served by hyper's HTTP/2 connection and by tonic's own server: one trace
//! from client to server through the metadata, the RPC conventions'
//! attributes with integer status codes, error statuses by side, and a
//! fixed series count whatever methods a client invents.

use http::Request;
use obs_runtime::semconv::attribute;
use obs_runtime::tower::{GrpcClientLayer, GrpcServerLayer, RpcLabels, StatusLabel};
use obs_runtime::Registry;
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use std::net::SocketAddr;
use tower::{Layer as _, ServiceExt as _};
use tracing_subscriber::layer::SubscriberExt as _;

const SERVICE: &str = "opentelemetry.proto.collector.trace.v1.TraceService";

/// Accepts an empty export, refuses any other as unavailable.
struct Traces;

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        match request.into_inner().resource_spans.is_empty() {
            true => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            false => Err(tonic::Status::unavailable("try later")),
        }
    }
}

/// What serves the layered service.
#[derive(Clone, Copy, Debug)]
enum Server {
    /// hyper's HTTP/2 connection, one per accepted stream.
    Hyper,
    /// tonic's own, as docs/SERVICES.md shows it:
    /// `Server::builder().layer(layer).add_service(service)`.
    Tonic,
}

/// Serves the layered service on a free port.
async fn serve(layer: GrpcServerLayer, server: Server) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    if let Server::Tonic = server {
        let router = tonic::transport::Server::builder()
            .layer(layer)
            .add_service(TraceServiceServer::new(Traces));
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        tokio::spawn(async move { router.serve_with_incoming(incoming).await.unwrap() });
        return addr;
    }
    let service = layer.layer(TraceServiceServer::new(Traces));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| service.clone().oneshot(request));
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
            });
        }
    });
    addr
}

fn attr(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

fn labels(service: &'static str, method: &'static str, code: u16) -> RpcLabels {
    RpcLabels {
        rpc_service: service,
        rpc_method: method,
        rpc_grpc_status_code: StatusLabel::Code(code),
    }
}

#[test]
fn grpc_calls_are_traced_and_timed_by_the_rpc_conventions() {
    calls_are_traced_and_timed(Server::Hyper);
}

/// The same calls, served by tonic's server with the layer added through
/// its builder.
#[test]
fn grpc_calls_through_tonics_server_are_traced_and_timed_alike() {
    calls_are_traced_and_timed(Server::Tonic);
}

/// Two calls through the client layer (one refused), then a hundred to
/// invented methods: the spans and the durations of both ends.
fn calls_are_traced_and_timed(server: Server) {
    let (server_registry, client_registry) = (Registry::new(), Registry::new());
    let server_layer = GrpcServerLayer::new(&server_registry).unwrap();
    let client_layer = GrpcClientLayer::new(&client_registry).unwrap();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("grpc_layers")));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let addr = serve(server_layer.clone(), server).await;
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let mut client = TraceServiceClient::new(
                tower::ServiceBuilder::new()
                    .layer(client_layer.clone())
                    .service(channel.clone()),
            );
            let root = tracing::info_span!("test.root");
            let ok = {
                let _entered = root.enter();
                client.export(ExportTraceServiceRequest::default()).await
            };
            assert!(ok.is_ok(), "{ok:?}");
            let refused = ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans::default()],
            };
            let refused = client.export(refused).await.unwrap_err();
            assert_eq!(refused.code(), tonic::Code::Unavailable);
            // A hundred invented methods and services, straight to the
            // server: each answered UNIMPLEMENTED.
            for n in 0..100 {
                let request = Request::post(format!("http://{addr}/made.Up{n}/Method{n}"))
                    .header("content-type", "application/grpc")
                    .header("te", "trailers")
                    .body(tonic::body::Body::empty())
                    .unwrap();
                let response = channel.clone().oneshot(request).await.unwrap();
                assert_eq!(response.headers()["grpc-status"], "12");
            }
        })
    });

    let server = server_layer.metrics();
    let duration = &server.rpc_server_duration_seconds;
    assert_eq!(
        duration.get(&labels(SERVICE, "Export", 0)).snapshot().count,
        1
    );
    assert_eq!(
        duration
            .get(&labels(SERVICE, "Export", 14))
            .snapshot()
            .count,
        1
    );
    assert_eq!(
        duration
            .get(&labels("_OTHER", "_OTHER", 12))
            .snapshot()
            .count,
        100
    );
    assert_eq!(duration.series_count(), 3);
    let client = &client_layer.metrics().rpc_client_duration_seconds;
    assert_eq!(
        client.get(&labels(SERVICE, "Export", 0)).snapshot().count,
        1
    );
    assert_eq!(
        client.get(&labels(SERVICE, "Export", 14)).snapshot().count,
        1
    );

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let root = spans.iter().find(|s| s.name == "test.root").unwrap();
    let name = format!("{SERVICE}/Export");
    let calls: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(calls.len(), 4, "two calls, each a client and a server span");
    let client_ok = calls
        .iter()
        .find(|s| {
            s.span_kind == SpanKind::Client && s.parent_span_id == root.span_context.span_id()
        })
        .expect("the first call's client span, under the root");
    let server_ok = calls
        .iter()
        .find(|s| s.parent_span_id == client_ok.span_context.span_id())
        .expect("its server span, the client's child across the metadata");
    assert_eq!(server_ok.span_kind, SpanKind::Server);
    assert_eq!(
        server_ok.span_context.trace_id(),
        root.span_context.trace_id()
    );
    for span in [client_ok, server_ok] {
        assert_eq!(attr(span, attribute::RPC_SYSTEM), Some("grpc".into()));
        assert_eq!(attr(span, attribute::RPC_SERVICE), Some(SERVICE.into()));
        assert_eq!(attr(span, attribute::RPC_METHOD), Some("Export".into()));
        assert_eq!(
            attr(span, attribute::RPC_GRPC_STATUS_CODE),
            Some(Value::I64(0))
        );
        assert_eq!(span.status, Status::Unset);
    }
    let refused: Vec<_> = calls
        .iter()
        .filter(|s| attr(s, attribute::RPC_GRPC_STATUS_CODE) == Some(Value::I64(14)))
        .collect();
    assert_eq!(refused.len(), 2);
    for span in refused {
        assert!(matches!(span.status, Status::Error { .. }), "{}", span.name);
    }
    let unimplemented = spans
        .iter()
        .filter(|s| attr(s, attribute::RPC_GRPC_STATUS_CODE) == Some(Value::I64(12)))
        .count();
    assert_eq!(unimplemented, 100);
}
