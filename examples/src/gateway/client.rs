//! The load generator's HTTP client: hyper-util's client under obs's
//! [`ClientLayer`], each submission in a `client.submit` span, each request
//! in the layer's client span, whose context the request carries.

use super::*;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use obs_runtime::tower::{ClientLayer, ClientMetrics, ClientService};
use tower::ServiceExt as _;

// The client layer's metrics, in the load generator's catalog: the binary
// registers them with obs's registry beside the gateway's.
obs_runtime::declare_metrics!(ClientMetrics);

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the gateway answered a job submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The job id, when the gateway took the job.
    pub job: Option<u64>,
    /// `x-enrichment`: `applied` or `skipped`, when the job ran.
    pub enrichment: Option<String>,
    /// The body.
    pub body: String,
    /// The trace the request was sent in, when spans are recorded.
    pub trace_id: Option<String>,
    /// The `traceparent` the answer carried: the gateway's span in that
    /// trace.
    pub traceparent: Option<String>,
}

/// A request that got no answer: it could not connect, the connection
/// broke, or it timed out.
pub type SendError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP client for the gateway, blocking (it runs its own current-thread
/// Tokio runtime): hyper-util's client under [`ClientLayer`], so each
/// request is a client span whose `traceparent` it carries, timed in
/// `http_client_request_duration_seconds` by method and status code.
#[derive(Debug)]
pub struct LoadClient {
    runtime: tokio::runtime::Runtime,
    http: ClientService<Client<HttpConnector, Full<Bytes>>>,
    layer: ClientLayer,
}

impl LoadClient {
    /// A client whose layer's metrics are registered with `registry`.
    pub fn new(registry: &Registry) -> Result<LoadClient, StartError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let layer = ClientLayer::new(registry)?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        Ok(LoadClient {
            runtime,
            http: layer.layer(client),
            layer,
        })
    }

    /// The client layer's metrics.
    pub fn metrics(&self) -> &ClientMetrics {
        self.layer.metrics()
    }

    /// Sends `method` to `url` with `body`, and reads the whole answer.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        body: impl Into<Bytes>,
    ) -> Result<Response<Bytes>, SendError> {
        let request = Request::builder()
            .method(method)
            .uri(url)
            .body(Full::new(body.into()))?;
        let http = self.http.clone();
        self.runtime.block_on(async move {
            let answer = async {
                let response = http.oneshot(request).await?;
                let (parts, body) = response.into_parts();
                let body = body.collect().await?.to_bytes();
                Ok::<_, SendError>(Response::from_parts(parts, body))
            };
            tokio::time::timeout(REQUEST_TIMEOUT, answer).await?
        })
    }
}

/// Submits a job for `tenant` to the gateway at `addr`, in a
/// `client.submit` span; the client layer's span, its child, carries the
/// trace in `traceparent`.
#[traced(
    level = "info",
    name = "client.submit",
    err,
    fields(tenant_id = tenant, bytes = payload.len(), http.response.status_code = Empty)
)]
pub fn submit(
    client: &LoadClient,
    addr: SocketAddr,
    tenant: &str,
    payload: &[u8],
) -> Result<Answer, SendError> {
    // The trace this submission is in, as the layer will send it.
    let mut sent = Vec::new();
    propagation::inject_current(&mut sent);
    let sent = propagation::extract(&sent);
    let trace_id = sent.is_valid().then(|| sent.trace_id().to_string());
    let url = format!("http://{addr}/jobs/{tenant}");
    let response = client.send(Method::POST, &url, payload.to_vec())?;
    let status = response.status().as_u16();
    // An integer over OTLP (a `u64` would arrive as text).
    tracing::Span::current().record("http.response.status_code", i64::from(status));
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    Ok(Answer {
        status,
        job: header("x-job-id").and_then(|id| id.parse().ok()),
        enrichment: header("x-enrichment"),
        traceparent: header("traceparent"),
        body: String::from_utf8_lossy(response.body()).into_owned(),
        trace_id,
    })
}
