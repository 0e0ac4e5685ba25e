//! The load generator's HTTP client: each request in a `client.submit` span whose context the request carries.

use super::*;

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

/// An HTTP client for the gateway that does not fail on 4xx and 5xx answers.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// Submits a job for `tenant` to the gateway at `addr`, in a `client` span
/// whose context the request carries in `traceparent`.
#[traced(
    level = "info",
    name = "client.submit",
    kind = "client",
    err,
    fields(tenant_id = tenant, bytes = payload.len(), http.response.status_code = Empty)
)]
pub fn submit(
    agent: &ureq::Agent,
    addr: SocketAddr,
    tenant: &str,
    payload: &[u8],
) -> Result<Answer, ureq::Error> {
    let mut request = agent.post(format!("http://{addr}/jobs/{tenant}"));
    let mut trace_id = None;
    if let Some(headers) = request.headers_mut() {
        propagation::inject_current(headers);
        let sent = propagation::extract(&*headers);
        trace_id = sent.is_valid().then(|| sent.trace_id().to_string());
    }
    let mut response = request.send(payload)?;
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
    let job = header("x-job-id").and_then(|id| id.parse().ok());
    let enrichment = header("x-enrichment");
    let traceparent = header("traceparent");
    let body = response.body_mut().read_to_string()?;
    Ok(Answer {
        status,
        job,
        enrichment,
        body,
        trace_id,
        traceparent,
    })
}
