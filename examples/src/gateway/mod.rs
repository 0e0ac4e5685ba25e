//! Gateway → router → worker. An HTTP gateway (hyper, on loopback) takes
//! `POST /jobs/{tenant}` requests and publishes each as a message to a
//! router over an in-process channel; the router calls its extensions
//! (auth, quota, enrich), each behind a circuit breaker, and dispatches the
//! job to a worker over a second channel; the worker's answer travels back
//! to the HTTP response. One trace covers it all: the gateway's HTTP layer
//! ([`obs_runtime::tower::ServerLayer`]) continues the caller's
//! `traceparent`, each message carries the trace on in its own
//! `traceparent` header, and the HTTP answer carries it back (its
//! `traceparent` names the HTTP layer's server span), so a caller can find
//! the trace of any answer.
//!
//! ```text
//! client ──HTTP + traceparent──▶ POST /jobs/{tenant}    server    (the HTTP layer's; remote parent: the caller)
//!                                └─ gateway.ingest      internal  the job's admission: tenant, rate limit, idempotency
//!                                   └─ gateway.publish  producer
//!        ──message + traceparent──▶ router.route         consumer  (remote parent: gateway.publish)
//!                                ├─ router.extension.registry.lookup  one per extension: its cache, or a first load
//!                                ├─ router.extension.invoke  client, one per extension
//!                                ├─ router.decide       the routing policy and the provider it picks
//!                                └─ router.dispatch     producer
//!        ──message + traceparent──▶ worker.step          consumer  (remote parent: router.dispatch)
//! ```
//!
//! The correlation values, `tenant_id`, `run_id` (the job), `flow_id` (the
//! caller's `x-flow-id`, else `default`) and `step_id` (the hop: `ingest`,
//! `publish`, `route`, `lookup`, `extension`, `decide`, `dispatch`, `execute`), are span fields
//! on every hop, never metric labels: each tenant, flow and run would be new
//! series, a run id one per request, with no bound. Labels are the route,
//! the method and the status code (the HTTP layer's, bounded by its
//! conventions), the extension, the breaker states, the outcome, all enums
//! but the status code.
//!
//! Each component keeps its own registry ([`Registries`]) and has its own
//! metrics and tracing switches ([`Telemetry`]); the binary serves each
//! registry on its own `/metrics`. The extensions are simulated: their latencies and failures come
//! from a seeded generator, and outages can be scheduled by message number,
//! so a run (and the breakers' states) is reproducible. The breakers count
//! time in messages, not wall-clock time: one opens after
//! [`BreakerPolicy::failure_threshold`] consecutive failures, refuses the
//! next [`BreakerPolicy::cooldown_calls`] calls, then lets one trial call
//! through (half-open) that closes it again or reopens it.

use crate::sim::Rng;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use obs_runtime::tower::{ServerLayer, ServerMetrics};
use obs_runtime::{
    propagation, traced, Counter, Family, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup,
    Metrics, Registry, RegistryError,
};
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::hash::Hash;
use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tower::Layer as _;
use tracing::field::Empty;
use tracing::instrument::WithSubscriber as _;

/// The largest job payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Messages each channel holds before a sender waits.
const QUEUE_CAPACITY: usize = 64;

mod breaker;
mod client;
mod errors;
mod labels;
mod metrics;
mod router;
mod telemetry;
mod worker;

pub use breaker::*;
pub use client::*;
pub use errors::*;
pub use labels::*;
pub use metrics::*;
use router::{ExtensionClient, Profile, Router};
pub use telemetry::{export, Registries, Signals, Telemetry};
use worker::Worker;

// === settings ===

/// When breakers open and half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures (errors or timeouts) that open a closed breaker.
    pub failure_threshold: u32,
    /// Calls an open breaker refuses before it lets a trial call through.
    pub cooldown_calls: u32,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 3,
            cooldown_calls: 2,
        }
    }
}

/// How often the router calls a required extension again after it failed
/// or timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls after the first, at most; 0 for none.
    pub retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { retries: 1 }
    }
}

/// An extension that times out on every call while the router handles the
/// messages numbered `messages` (from 1, in arrival order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    /// The extension down.
    pub extension: Extension,
    /// The messages during which it is down.
    pub messages: RangeInclusive<u64>,
}

/// Injected failures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Extension calls that fail, in percent: half of them answer an error
    /// at once, half time out.
    pub extension_failure_percent: u64,
    /// Scheduled outages.
    pub outages: Vec<Outage>,
    /// Worker steps that fail, in percent.
    pub worker_failure_percent: u64,
}

/// How to run a gateway.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen; port 0 for a free one.
    pub addr: SocketAddr,
    /// Seeds the simulated latencies and failures.
    pub seed: u64,
    /// Injected failures.
    pub faults: Faults,
    /// The breakers' policy.
    pub breaker: BreakerPolicy,
    /// Each tenant's rate limit.
    pub rate_limit: RateLimit,
    /// Retries of required extensions.
    pub retry: RetryPolicy,
    /// Each component's metrics and tracing switches.
    pub telemetry: Telemetry,
}

impl Settings {
    /// A free port on 127.0.0.1, no faults, the default breaker policy,
    /// rate limit and retries, every signal on.
    pub fn loopback(seed: u64) -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed,
            faults: Faults::default(),
            breaker: BreakerPolicy::default(),
            rate_limit: RateLimit::default(),
            retry: RetryPolicy::default(),
            telemetry: Telemetry::ON,
        }
    }
}

/// A token bucket per tenant: `burst` requests at once, refilled at
/// `per_second`. A request over it gets `429 Too Many Requests`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// The most requests a tenant may send at once.
    pub burst: u32,
    /// Requests per second a tenant's bucket regains.
    pub per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            burst: 100,
            per_second: 50.0,
        }
    }
}

/// The most tenants (rate-limit buckets) and idempotency keys the gateway
/// remembers; beyond them the oldest are forgotten, so memory stays bounded
/// whatever ids clients send.
const REMEMBERED: usize = 10_000;

/// A map that remembers at most [`REMEMBERED`] keys: a new key beyond
/// them makes it forget the oldest. What the rate limiter and the
/// idempotency cache keep per client-chosen id.
#[derive(Debug)]
struct Remembered<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Remembered<K, V> {
    fn default() -> Self {
        Remembered {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Clone + Eq + Hash, V> Remembered<K, V> {
    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Sets `key` to `value`; a new key may make the oldest forgotten.
    fn insert(&mut self, key: K, value: V) {
        if !self.map.contains_key(&key) {
            if self.order.len() == REMEMBERED {
                if let Some(oldest) = self.order.pop_front() {
                    self.map.remove(&oldest);
                }
            }
            self.order.push_back(key.clone());
        }
        self.map.insert(key, value);
    }

    /// The value of `key`, inserted with `new` when the key is new.
    fn get_mut_or_insert<Q>(&mut self, key: &Q, new: impl FnOnce() -> V) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if !self.map.contains_key(key) {
            self.insert(key.to_owned(), new());
        }
        self.map.get_mut(key)
    }
}

/// Per-tenant token buckets: tokens and when they were last counted.
#[derive(Debug)]
struct Limiter {
    limit: RateLimit,
    buckets: Remembered<String, (f64, Instant)>,
}

impl Limiter {
    /// Takes one token from `tenant`'s bucket; `false` when it is empty.
    fn admit(&mut self, tenant: &str) -> bool {
        let now = Instant::now();
        let burst = f64::from(self.limit.burst);
        let Some((tokens, updated)) = self.buckets.get_mut_or_insert(tenant, || (burst, now))
        else {
            return false;
        };
        let refill = now.duration_since(*updated).as_secs_f64() * self.limit.per_second;
        *tokens = (*tokens + refill).min(burst);
        *updated = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A finished answer, kept under its idempotency key.
#[derive(Clone, Debug)]
struct Kept {
    status: Status,
    body: String,
    job: u64,
}

/// Answers by (tenant, idempotency key), oldest forgotten first.
type Idempotency = Remembered<(String, String), Kept>;

/// The `idempotency-key` header, when it is 1 to 128 visible ASCII
/// characters.
fn idempotency_key(headers: &hyper::HeaderMap) -> Option<String> {
    let key = headers.get("idempotency-key")?.to_str().ok()?;
    ((1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| key.to_owned())
}

// === the simulation's own account ===

/// A breaker transition, as the router saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerEvent {
    /// The router's message number (from 1) during which it happened.
    pub message: u64,
    /// The extension whose breaker changed.
    pub extension: Extension,
    /// The change.
    pub transition: Transition,
}

/// What the router and the worker did, kept apart from the metrics so that
/// tests can compare the two.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Messages the router took.
    pub messages: u64,
    /// Extension calls by extension and outcome.
    pub calls: BTreeMap<(Extension, CallOutcome), u64>,
    /// Every call that reached an extension, with its (simulated) seconds,
    /// in order.
    pub latencies: Vec<(Extension, f64)>,
    /// Every breaker transition, in order.
    pub transitions: Vec<BreakerEvent>,
    /// Jobs by outcome.
    pub jobs: BTreeMap<JobOutcome, u64>,
    /// Routing decisions by policy and provider.
    pub decisions: BTreeMap<(Policy, Provider), u64>,
    /// Retried calls, by extension.
    pub retries: BTreeMap<Extension, u64>,
}

// === messages ===

/// The correlation values of one job, carried on every hop as span fields:
/// `tenant_id`, `run_id` (the job), `flow_id` (the caller's `x-flow-id`,
/// else `default`) and, per hop, `step_id`. They are never metric labels:
/// every tenant, run and flow would be a new series, and a run id a new one
/// per request.
#[derive(Clone, Debug)]
struct Correlation {
    tenant_id: String,
    run_id: u64,
    flow_id: String,
}

/// The flow a request names in `x-flow-id`, when it is an id like a
/// tenant's; `default` otherwise.
fn flow_id(headers: &hyper::HeaderMap) -> String {
    headers
        .get("x-flow-id")
        .and_then(|value| value.to_str().ok())
        .filter(|flow| is_tenant_id(flow))
        .unwrap_or("default")
        .to_owned()
}

/// The message the gateway publishes to the router. The trace context
/// travels in `headers`, as it would through a broker.
struct Message {
    headers: Vec<(String, String)>,
    correlation: Correlation,
    job: u64,
    payload: Bytes,
    reply: oneshot::Sender<Reply>,
}

/// The message the router dispatches to the worker.
struct Work {
    headers: Vec<(String, String)>,
    correlation: Correlation,
    job: u64,
    payload: Bytes,
    enriched: bool,
    reply: oneshot::Sender<Reply>,
}

/// The answer that goes back to the HTTP request.
enum Reply {
    Done { enriched: bool, digest: u64 },
    Rejected(Extension, ExtensionError),
    Failed(StepError),
}

fn message_headers(job: u64) -> Vec<(String, String)> {
    vec![("job-id".to_owned(), job.to_string())]
}

// === the gateway ===

/// A running gateway, with its router and worker: a server thread with a
/// Tokio runtime. Each component records under the `tracing` dispatcher
/// that was current when it started (or none, with its tracing off).
#[derive(Debug)]
pub struct Gateway {
    /// The gateway's own metrics, registered (its HTTP layer's are
    /// [`Gateway::http`]).
    pub metrics: Arc<GatewayMetrics>,
    /// The router's metrics, registered.
    pub router: Arc<RouterMetrics>,
    /// The worker's metrics, registered.
    pub worker: Arc<WorkerMetrics>,
    layer: HttpLayer,
    addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The gateway's HTTP layer: the server span, propagation and request
/// metrics, labelled with the gateway's routes.
type HttpLayer = ServerLayer<Route, fn(&hyper::http::request::Parts) -> Route>;

impl Gateway {
    /// Registers each component's metrics with its registry (all in one
    /// when given one `&Registry`), listens on `settings.addr` and starts
    /// serving.
    pub fn start<'a>(
        registries: impl Into<Registries<'a>>,
        settings: Settings,
    ) -> Result<Gateway, StartError> {
        let registries = registries.into();
        let signals = settings.telemetry;
        let route: fn(&hyper::http::request::Parts) -> Route = Route::of;
        let layer = ServerLayer::builder().routes(route);
        let layer = match signals.gateway.metrics {
            true => layer.register(registries.gateway)?,
            false => layer.register(&Registry::new())?,
        };
        let metrics = telemetry::register::<GatewayMetrics>(registries.gateway, signals.gateway)?;
        let router_metrics =
            telemetry::register::<RouterMetrics>(registries.router, signals.router)?;
        let worker_metrics =
            telemetry::register::<WorkerMetrics>(registries.worker, signals.worker)?;
        for extension in Extension::ALL {
            let closed = BreakerStateLabels {
                extension,
                state: BreakerState::Closed,
            };
            router_metrics
                .router_extension_circuit_breaker_state
                .get(&closed)
                .set(1);
        }
        router_metrics
            .router_extension_registry_extensions
            .set(Extension::ALL.len() as i64);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind(settings.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };

        let tally = Arc::new(Mutex::new(Tally::default()));
        let (router_tx, router_rx) = mpsc::channel(QUEUE_CAPACITY);
        let (worker_tx, worker_rx) = mpsc::channel(QUEUE_CAPACITY);
        let router = Router {
            metrics: router_metrics.clone(),
            worker_metrics: worker_metrics.clone(),
            extensions: Extension::ALL
                .into_iter()
                .map(|extension| ExtensionClient {
                    extension,
                    rng: Rng::new(settings.seed.wrapping_add(extension.index() as u64 + 1)),
                    breaker: CircuitBreaker::new(settings.breaker),
                })
                .collect(),
            loaded: [false; Extension::ALL.len()],
            outages: settings.faults.outages.clone(),
            failure_percent: settings.faults.extension_failure_percent,
            retry: settings.retry,
            worker: worker_tx,
            message: 0,
            tally: tally.clone(),
        };
        let worker = Worker {
            metrics: worker_metrics.clone(),
            rng: Rng::new(settings.seed),
            failure_percent: settings.faults.worker_failure_percent,
            tally: tally.clone(),
        };
        let front = Arc::new(Front {
            metrics: metrics.clone(),
            router_metrics: router_metrics.clone(),
            router: router_tx,
            next_job: AtomicU64::new(1),
            limiter: Mutex::new(Limiter {
                limit: settings.rate_limit,
                buckets: Remembered::default(),
            }),
            idempotency: Mutex::default(),
        });

        let current = tracing::dispatcher::get_default(Clone::clone);
        let dispatch = [signals.gateway, signals.router, signals.worker]
            .map(|signals| telemetry::dispatch(&current, signals));
        let [gateway_dispatch, router_dispatch, worker_dispatch] = dispatch;
        let http = layer.clone();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("gateway".to_owned())
            .spawn(move || {
                let thread_dispatch = gateway_dispatch.clone();
                tracing::dispatcher::with_default(&thread_dispatch, || {
                    runtime.block_on(async move {
                        tokio::spawn(router.run(router_rx).with_subscriber(router_dispatch));
                        tokio::spawn(worker.run(worker_rx).with_subscriber(worker_dispatch));
                        accept(listener, http, front, gateway_dispatch, stopped).await;
                    });
                });
                // Dropping the runtime here cancels the connections, the
                // router and the worker (idle once every answer is sent).
            })?;
        Ok(Gateway {
            metrics,
            router: router_metrics,
            worker: worker_metrics,
            layer,
            addr,
            tally,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The HTTP layer's metrics: request durations by method, route and
    /// status code, requests in flight by method, handler panics.
    pub fn http(&self) -> &ServerMetrics<Route> {
        self.layer.metrics()
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the router and the worker did so far.
    pub fn tally(&self) -> Tally {
        self.tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops listening and waits for the server's thread to end; requests
    /// still in flight are dropped.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What every connection shares.
struct Front {
    metrics: Arc<GatewayMetrics>,
    /// The router's, for its queue's depth.
    router_metrics: Arc<RouterMetrics>,
    router: mpsc::Sender<Message>,
    next_job: AtomicU64,
    limiter: Mutex<Limiter>,
    idempotency: Mutex<Idempotency>,
}

async fn accept(
    listener: tokio::net::TcpListener,
    layer: HttpLayer,
    front: Arc<Front>,
    dispatch: tracing::Dispatch,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let front = front.clone();
        let service = layer.layer(tower::service_fn(move |request| {
            handle(front.clone(), request)
        }));
        let connection = async move {
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await
            {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        };
        tokio::spawn(connection.with_subscriber(dispatch.clone()));
    }
}

/// Answers one HTTP request, in the HTTP layer's server span (which
/// continues the caller's trace, and records the route, the status and the
/// duration).
async fn handle(
    front: Arc<Front>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = match Route::of_path(request.uri().path()) {
        Route::Unmatched => text(Status::NotFound, "no such route\n").1,
        Route::Health if request.method() == Method::GET => text(Status::Ok, "ok\n").1,
        Route::Health => text(Status::MethodNotAllowed, "use GET\n").1,
        Route::Jobs if request.method() != Method::POST => {
            text(Status::MethodNotAllowed, "use POST\n").1
        }
        Route::Jobs => run_job(&front, request).await.1,
    };
    // The answer carries this request's trace context (`traceparent`, and
    // `tracestate` when there is one), so a caller can find its trace; with
    // spans off it carries none.
    propagation::inject_current(response.headers_mut());
    Ok(response)
}

/// `POST /jobs/{tenant}`: admits the job (its tenant, rate limit and
/// idempotency key), publishes it and waits for its answer.
#[traced(
    level = "info",
    name = "gateway.ingest",
    fields(
        tenant_id = Empty,
        run_id = Empty,
        flow_id = Empty,
        step_id = "ingest"
    )
)]
async fn run_job(front: &Front, request: Request<Incoming>) -> (Status, Response<Full<Bytes>>) {
    let tenant = request.uri().path()["/jobs/".len()..].to_owned();
    if !is_tenant_id(&tenant) {
        return text(
            Status::BadRequest,
            "a tenant id is 1 to 63 characters: a-z, 0-9 and -\n",
        );
    }
    let span = tracing::Span::current();
    span.record("tenant_id", tenant.as_str());
    let flow = flow_id(request.headers());
    span.record("flow_id", flow.as_str());
    let m = &front.metrics;
    let admitted = front
        .limiter
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .admit(&tenant);
    if !admitted {
        m.gateway_rate_limited_requests_total.inc();
        let (status, mut response) = text(Status::TooManyRequests, "rate limit exceeded\n");
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return (status, response);
    }
    let key = idempotency_key(request.headers()).map(|key| (tenant.clone(), key));
    if let Some(key) = &key {
        let kept = front
            .idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        match kept {
            Some(kept) => {
                m.gateway_idempotency_cache_hits_total.inc();
                span.record("run_id", kept.job);
                let (status, mut response) = text(kept.status, kept.body);
                let headers = response.headers_mut();
                headers.insert("x-job-id", HeaderValue::from(kept.job));
                headers.insert("idempotent-replay", HeaderValue::from_static("true"));
                return (status, response);
            }
            None => m.gateway_idempotency_cache_misses_total.inc(),
        }
    }
    let payload = match Limited::new(request.into_body(), MAX_PAYLOAD_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => return text(Status::PayloadTooLarge, "payload too large\n"),
    };
    let job = front.next_job.fetch_add(1, Ordering::Relaxed);
    span.record("run_id", job);

    let (reply, answer) = oneshot::channel();
    let message = Message {
        headers: message_headers(job),
        correlation: Correlation {
            tenant_id: tenant,
            run_id: job,
            flow_id: flow,
        },
        job,
        payload,
        reply,
    };
    if publish(front, message).await.is_err() {
        return text(Status::Unavailable, "the router is not running\n");
    }
    let (status, body, enriched) = match answer.await {
        Ok(Reply::Done { enriched, digest }) => {
            let how = if enriched { "enriched" } else { "not enriched" };
            let body = format!("job {job} done ({how}), digest {digest:016x}\n");
            (Status::Ok, body, Some(enriched))
        }
        Ok(Reply::Rejected(extension, err)) => {
            let body = format!("job {job} refused: {}: {err}\n", extension.as_str());
            (Status::Unavailable, body, None)
        }
        Ok(Reply::Failed(err)) => (Status::InternalError, format!("{err}\n"), None),
        Err(_) => (
            Status::Unavailable,
            format!("job {job} lost: the router stopped\n"),
            None,
        ),
    };
    // A final answer is kept under its key; a refusal the caller may retry
    // (503) is not.
    if let Some(key) = key.filter(|_| status != Status::Unavailable) {
        let kept = Kept {
            status,
            body: body.clone(),
            job,
        };
        front
            .idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, kept);
    }
    let (status, mut response) = text(status, body);
    let headers = response.headers_mut();
    headers.insert("x-job-id", HeaderValue::from(job));
    if let Some(enriched) = enriched {
        let value = if enriched { "applied" } else { "skipped" };
        headers.insert("x-enrichment", HeaderValue::from_static(value));
    }
    (status, response)
}

/// Sends the message to the router, its headers carrying this span's
/// context.
#[traced(
    level = "info",
    name = "gateway.publish",
    kind = "producer",
    fields(
        tenant_id = message.correlation.tenant_id.as_str(),
        run_id = message.correlation.run_id,
        flow_id = message.correlation.flow_id.as_str(),
        step_id = "publish",
        messaging.destination.name = "router"
    )
)]
async fn publish(front: &Front, mut message: Message) -> Result<(), RouterStopped> {
    propagation::inject_current(&mut message.headers);
    front.router_metrics.router_pending_messages.inc();
    front.router.send(message).await.map_err(|_| {
        front.router_metrics.router_pending_messages.dec();
        RouterStopped
    })
}

/// The router's channel is closed.
#[derive(Debug)]
struct RouterStopped;

fn text(status: Status, body: impl Into<String>) -> (Status, Response<Full<Bytes>>) {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status.code();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    (status, response)
}

/// 1 to 63 characters, lowercase letters, digits and `-`, not starting
/// with `-`: the tenant ids the gateway knows how to route.
pub fn is_tenant_id(tenant: &str) -> bool {
    (1..=63).contains(&tenant.len())
        && !tenant.starts_with('-')
        && tenant
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::{Remembered, REMEMBERED};

    /// However many ids clients send, the map holds at most `REMEMBERED`,
    /// forgetting the oldest; setting a key it holds forgets nothing.
    #[test]
    fn remembered_keeps_at_most_its_bound_oldest_forgotten_first() {
        let mut map = Remembered::default();
        for n in 0..=REMEMBERED {
            map.insert(n.to_string(), n);
        }
        assert_eq!(map.map.len(), REMEMBERED);
        assert_eq!(map.get("0"), None);
        assert_eq!(map.get("1"), Some(&1));
        map.insert("1".to_owned(), 7);
        assert_eq!(
            (map.map.len(), map.get("1"), map.get("2")),
            (REMEMBERED, Some(&7), Some(&2))
        );
        *map.get_mut_or_insert("new", || 0).unwrap() += 5;
        assert_eq!((map.get("new"), map.get("1")), (Some(&5), None));
    }
}
