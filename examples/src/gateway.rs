//! Gateway → router → worker. An HTTP gateway (hyper, on loopback) takes
//! `POST /jobs/{tenant}` requests and publishes each as a message to a
//! router over an in-process channel; the router calls its extensions
//! (auth, quota, enrich), each behind a circuit breaker, and dispatches the
//! job to a worker over a second channel; the worker's answer travels back
//! to the HTTP response. One trace covers it all: the gateway continues the
//! caller's `traceparent`, each message carries the trace on in its own
//! `traceparent` header, and the HTTP answer carries it back (its
//! `traceparent` names the `gateway.request` span), so a caller can find the
//! trace of any answer.
//!
//! ```text
//! client ──HTTP + traceparent──▶ gateway.request        server    (remote parent: the caller)
//!                                └─ gateway.publish     producer
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
//! the status, the extension, the breaker states, the outcome, all enums. The extensions are simulated: their latencies and failures come
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
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use obs_runtime::{
    propagation, traced, Counter, Family, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup,
    Metrics, Registry, RegistryError,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tracing::field::Empty;

/// The largest job payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Messages each channel holds before a sender waits.
const QUEUE_CAPACITY: usize = 64;

// === labels ===

/// A route of the gateway's HTTP API.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Route {
    /// `POST /jobs/{tenant}`: run a job for a tenant.
    #[label(rename = "/jobs/{tenant}")]
    Jobs,
    /// `GET /healthz`.
    #[label(rename = "/healthz")]
    Health,
    /// Any other path (answered 404).
    Unmatched,
}

/// The HTTP status of an answer: the codes the gateway sends.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Status {
    /// The job ran (or the health check passed).
    #[label(rename = "200")]
    Ok,
    /// The tenant id is not valid.
    #[label(rename = "400")]
    BadRequest,
    /// No such route.
    #[label(rename = "404")]
    NotFound,
    /// The route exists, with another method.
    #[label(rename = "405")]
    MethodNotAllowed,
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`].
    #[label(rename = "413")]
    PayloadTooLarge,
    /// The tenant is over its rate limit.
    #[label(rename = "429")]
    TooManyRequests,
    /// The worker failed the job.
    #[label(rename = "500")]
    InternalError,
    /// A required extension failed or its breaker is open.
    #[label(rename = "503")]
    Unavailable,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> StatusCode {
        match self {
            Status::Ok => StatusCode::OK,
            Status::BadRequest => StatusCode::BAD_REQUEST,
            Status::NotFound => StatusCode::NOT_FOUND,
            Status::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Status::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Status::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Status::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Status::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An extension the router calls for every job, in this order.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Extension {
    /// Checks the tenant's credentials: fast, required.
    Auth,
    /// Checks the tenant's quota: required.
    Quota,
    /// Adds reference data to the job: slow, optional (a job runs without it).
    Enrich,
}

impl Extension {
    /// Every extension, in calling order.
    pub const ALL: [Extension; 3] = [Extension::Auth, Extension::Quota, Extension::Enrich];

    /// Whether a job fails when this extension does.
    pub fn is_required(self) -> bool {
        !matches!(self, Extension::Enrich)
    }

    /// The simulated answer time (a range, in microseconds) and timeout.
    fn profile(self) -> Profile {
        match self {
            Extension::Auth => Profile {
                micros: 300..=4_000,
                timeout_micros: 50_000,
            },
            Extension::Quota => Profile {
                micros: 1_000..=30_000,
                timeout_micros: 100_000,
            },
            Extension::Enrich => Profile {
                micros: 20_000..=700_000,
                timeout_micros: 1_000_000,
            },
        }
    }
}

/// How an extension call ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CallOutcome {
    /// It answered.
    Ok,
    /// It answered with an error.
    Error,
    /// It did not answer before its timeout.
    Timeout,
    /// Its breaker was open: the extension was not called.
    ShortCircuited,
}

/// A circuit breaker's state.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused without calling the extension.
    Open,
    /// One trial call goes through; its result closes or reopens the breaker.
    HalfOpen,
}

/// How a job ended in the worker.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum JobOutcome {
    /// The step ran.
    Done,
    /// The step failed.
    Failed,
}

/// Labels of HTTP requests: 21 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct RequestLabels {
    /// The route (its template, never the path: the path holds the tenant).
    pub route: Route,
    /// The status sent.
    pub status: Status,
}

/// Labels by route: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct RouteLabels {
    /// The route.
    pub route: Route,
}

/// How the router chose where a job runs.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Policy {
    /// The tenant is pinned to the primary provider (tenant ids `a` to `m`).
    Affinity,
    /// Other tenants alternate between the providers.
    Balance,
    /// A job without enrichment goes to the secondary provider.
    Degraded,
}

/// Where a job runs.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Provider {
    /// The primary worker pool.
    Primary,
    /// The secondary worker pool.
    Secondary,
}

/// Labels of routing decisions: 6 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct DecisionLabels {
    /// The policy that decided.
    pub policy: Policy,
    /// The provider it chose.
    pub provider: Provider,
}

/// Labels by policy: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PolicyLabels {
    /// The policy.
    pub policy: Policy,
}

/// Labels by extension: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ExtensionLabels {
    /// The extension.
    pub extension: Extension,
}

/// Labels of extension calls: 12 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct CallLabels {
    /// The extension.
    pub extension: Extension,
    /// How the call ended.
    pub outcome: CallOutcome,
}

/// Labels of breaker states: 9 series, one of each extension's three at 1.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct BreakerStateLabels {
    /// The extension the breaker guards.
    pub extension: Extension,
    /// A state.
    pub state: BreakerState,
}

/// Labels of breaker transitions: 27 series (4 transitions per extension
/// can happen).
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TransitionLabels {
    /// The extension the breaker guards.
    pub extension: Extension,
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// Labels of jobs: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct JobLabels {
    /// How the job ended.
    pub outcome: JobOutcome,
}

// === metrics ===

/// Everything the gateway, the router and the worker record.
#[derive(Metrics, Debug)]
pub struct GatewayMetrics {
    /// HTTP requests answered, by route and status.
    pub gateway_requests_total: Family<RequestLabels, Counter>,
    /// Time to answer one HTTP request, by route.
    #[metric(
        buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0],
        objective(latency(0.25) = 0.99)
    )]
    pub gateway_request_duration_seconds: Family<RouteLabels, Histogram>,
    /// HTTP requests being answered now.
    pub gateway_in_flight_requests: IntGauge,
    /// Messages published to the router and not yet taken.
    pub router_pending_messages: IntGauge,
    /// Extension calls, by extension and outcome; short-circuited calls never
    /// reached the extension.
    pub router_extension_calls_total: Family<CallLabels, Counter>,
    /// Time an extension took to answer, or to time out, by extension.
    #[metric(buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])]
    pub router_extension_invocation_duration_seconds: Family<ExtensionLabels, Histogram>,
    /// Each extension's circuit-breaker state: 1 for the current state, 0
    /// for the two others.
    pub router_extension_circuit_breaker_state: Family<BreakerStateLabels, IntGauge>,
    /// Circuit-breaker state changes, by extension.
    pub router_extension_circuit_breaker_transitions_total: Family<TransitionLabels, Counter>,
    /// Calls a breaker let through that succeeded, by extension: what
    /// closes a half-open breaker.
    pub router_extension_circuit_breaker_successes_total: Family<ExtensionLabels, Counter>,
    /// Calls a breaker let through that failed or timed out, by extension:
    /// what opens it.
    pub router_extension_circuit_breaker_failures_total: Family<ExtensionLabels, Counter>,
    /// Requests refused because their tenant was over its rate limit.
    pub gateway_rate_limited_requests_total: Counter,
    /// Requests with an `idempotency-key` answered again from the cache,
    /// without running the job twice.
    pub gateway_idempotency_cache_hits_total: Counter,
    /// Requests with an `idempotency-key` seen for the first time.
    pub gateway_idempotency_cache_misses_total: Counter,
    /// Routing decisions, by policy and provider.
    pub router_routing_decisions_total: Family<DecisionLabels, Counter>,
    /// Time to evaluate the routing policy (simulated), by policy.
    #[metric(buckets = [0.00002, 0.00005, 0.0001, 0.0002, 0.0005])]
    pub router_policy_evaluation_duration_seconds: Family<PolicyLabels, Histogram>,
    /// Extensions in the router's registry.
    pub router_extension_registry_extensions: IntGauge,
    /// Registry lookups, one before each extension call.
    pub router_extension_registry_lookups_total: Counter,
    /// Lookups answered from the registry's cache of loaded extensions.
    pub router_extension_registry_cache_hits_total: Counter,
    /// Lookups that had to load the extension first.
    pub router_extension_registry_cache_misses_total: Counter,
    /// Jobs dispatched to the worker and not yet taken.
    pub worker_pending_messages: IntGauge,
    /// Jobs the worker ran, by outcome.
    pub worker_jobs_total: Family<JobLabels, Counter>,
    /// Time the worker's step took (simulated).
    #[metric(buckets = exponential(0.005, 2.0, 8))]
    pub worker_step_duration_seconds: Histogram,
}

impl GatewayMetrics {
    /// The state `extension`'s breaker gauge reads: the one at 1.
    pub fn breaker_state(&self, extension: Extension) -> Option<BreakerState> {
        [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
        ]
        .into_iter()
        .find(|&state| {
            let labels = BreakerStateLabels { extension, state };
            self.router_extension_circuit_breaker_state
                .get(&labels)
                .get()
                == 1
        })
    }
}

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
}

impl Settings {
    /// A free port on 127.0.0.1, no faults, the default breaker policy and
    /// rate limit.
    pub fn loopback(seed: u64) -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed,
            faults: Faults::default(),
            breaker: BreakerPolicy::default(),
            rate_limit: RateLimit::default(),
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

/// Per-tenant token buckets.
#[derive(Debug)]
struct Limiter {
    limit: RateLimit,
    buckets: HashMap<String, (f64, Instant)>,
    order: VecDeque<String>,
}

impl Limiter {
    /// Takes one token from `tenant`'s bucket; `false` when it is empty.
    fn admit(&mut self, tenant: &str) -> bool {
        let now = Instant::now();
        if !self.buckets.contains_key(tenant) {
            if self.order.len() == REMEMBERED {
                if let Some(oldest) = self.order.pop_front() {
                    self.buckets.remove(&oldest);
                }
            }
            self.order.push_back(tenant.to_owned());
            self.buckets
                .insert(tenant.to_owned(), (f64::from(self.limit.burst), now));
        }
        let Some((tokens, updated)) = self.buckets.get_mut(tenant) else {
            return false;
        };
        let refill = now.duration_since(*updated).as_secs_f64() * self.limit.per_second;
        *tokens = (*tokens + refill).min(f64::from(self.limit.burst));
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
#[derive(Debug, Default)]
struct Idempotency {
    answers: HashMap<(String, String), Kept>,
    order: VecDeque<(String, String)>,
}

impl Idempotency {
    fn keep(&mut self, key: (String, String), kept: Kept) {
        if self.order.len() == REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.answers.remove(&oldest);
            }
        }
        if self.answers.insert(key.clone(), kept).is_none() {
            self.order.push_back(key);
        }
    }
}

/// The `idempotency-key` header, when it is 1 to 128 visible ASCII
/// characters.
fn idempotency_key(headers: &hyper::HeaderMap) -> Option<String> {
    let key = headers.get("idempotency-key")?.to_str().ok()?;
    ((1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| key.to_owned())
}

// === circuit breaker ===

/// A change of a breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// A circuit breaker whose clock is the calls it sees: no wall-clock time,
/// so a run is reproducible.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: BreakerState,
    /// Consecutive failures while closed.
    failures: u32,
    /// Calls refused since it opened.
    refused: u32,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        CircuitBreaker {
            policy,
            state: BreakerState::Closed,
            failures: 0,
            refused: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to call: `true` if the call may go ahead. An open breaker
    /// refuses [`BreakerPolicy::cooldown_calls`] calls, then half-opens (the
    /// transition returned) and lets the next one through as a trial.
    pub fn acquire(&mut self) -> (bool, Option<Transition>) {
        match self.state {
            BreakerState::Closed | BreakerState::HalfOpen => (true, None),
            BreakerState::Open if self.refused < self.policy.cooldown_calls => {
                self.refused += 1;
                (false, None)
            }
            BreakerState::Open => (true, Some(self.set(BreakerState::HalfOpen))),
        }
    }

    /// Records the result of a call [`acquire`](Self::acquire) let through.
    pub fn record(&mut self, ok: bool) -> Option<Transition> {
        match (self.state, ok) {
            (BreakerState::Closed, true) => {
                self.failures = 0;
                None
            }
            (BreakerState::Closed, false) => {
                self.failures += 1;
                (self.failures >= self.policy.failure_threshold)
                    .then(|| self.set(BreakerState::Open))
            }
            (BreakerState::HalfOpen, true) => Some(self.set(BreakerState::Closed)),
            (BreakerState::HalfOpen, false) => Some(self.set(BreakerState::Open)),
            // No call goes through an open breaker.
            (BreakerState::Open, _) => None,
        }
    }

    fn set(&mut self, to: BreakerState) -> Transition {
        let from = std::mem::replace(&mut self.state, to);
        self.failures = 0;
        self.refused = 0;
        Transition { from, to }
    }
}

// === errors ===

/// Why an extension call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionError {
    /// The extension answered with an error.
    Failed,
    /// The extension did not answer in time.
    TimedOut,
    /// The breaker is open: the extension was not called.
    CircuitOpen,
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExtensionError::Failed => "the extension answered with an error",
            ExtensionError::TimedOut => "the extension timed out",
            ExtensionError::CircuitOpen => "circuit open: the extension was not called",
        })
    }
}

impl std::error::Error for ExtensionError {}

/// A worker step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepError {
    /// The job.
    pub job: u64,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {} failed in the worker", self.job)
    }
}

impl std::error::Error for StepError {}

/// Why a gateway could not start.
#[derive(Debug)]
pub enum StartError {
    /// Its metrics clash with metrics already registered.
    Register(RegistryError),
    /// It could not listen, or start its runtime.
    Io(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Register(err) => write!(f, "cannot register the metrics: {err}"),
            StartError::Io(err) => write!(f, "cannot start the gateway: {err}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Register(err) => Some(err),
            StartError::Io(err) => Some(err),
        }
    }
}

impl From<RegistryError> for StartError {
    fn from(err: RegistryError) -> Self {
        StartError::Register(err)
    }
}

impl From<io::Error> for StartError {
    fn from(err: io::Error) -> Self {
        StartError::Io(err)
    }
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

/// A running gateway: an HTTP server on its own thread and Tokio runtime,
/// with its router and worker as tasks. The thread records spans with the
/// `tracing` dispatcher that was current when it started.
#[derive(Debug)]
pub struct Gateway {
    /// The metrics, registered.
    pub metrics: Arc<GatewayMetrics>,
    addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Gateway {
    /// Registers the metrics with `registry`, listens on `settings.addr`
    /// and starts serving.
    pub fn start(registry: &Registry, settings: Settings) -> Result<Gateway, StartError> {
        let metrics = GatewayMetrics::register(registry)?;
        for extension in Extension::ALL {
            let closed = BreakerStateLabels {
                extension,
                state: BreakerState::Closed,
            };
            metrics
                .router_extension_circuit_breaker_state
                .get(&closed)
                .set(1);
        }
        metrics
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
            metrics: metrics.clone(),
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
            worker: worker_tx,
            message: 0,
            tally: tally.clone(),
        };
        let worker = Worker {
            metrics: metrics.clone(),
            rng: Rng::new(settings.seed),
            failure_percent: settings.faults.worker_failure_percent,
            tally: tally.clone(),
        };
        let front = Arc::new(Front {
            metrics: metrics.clone(),
            router: router_tx,
            next_job: AtomicU64::new(1),
            limiter: Mutex::new(Limiter {
                limit: settings.rate_limit,
                buckets: HashMap::new(),
                order: VecDeque::new(),
            }),
            idempotency: Mutex::default(),
        });

        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("gateway".to_owned())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    runtime.block_on(async move {
                        tokio::spawn(router.run(router_rx));
                        tokio::spawn(worker.run(worker_rx));
                        accept(listener, front, stopped).await;
                    });
                });
                // Dropping the runtime here cancels the connections, the
                // router and the worker (idle once every answer is sent).
            })?;
        Ok(Gateway {
            metrics,
            addr,
            tally,
            stop: Some(stop),
            thread: Some(thread),
        })
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
    router: mpsc::Sender<Message>,
    next_job: AtomicU64,
    limiter: Mutex<Limiter>,
    idempotency: Mutex<Idempotency>,
}

async fn accept(
    listener: tokio::net::TcpListener,
    front: Arc<Front>,
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
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(front.clone(), request));
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}

/// Answers one HTTP request, in the caller's trace when it sent one.
#[traced(
    level = "info",
    name = "gateway.request",
    kind = "server",
    remote_parent = propagation::extract(request.headers()),
    fields(
        http.request.method = %request.method(),
        url.path = request.uri().path(),
        http.route = Empty,
        tenant_id = Empty,
        run_id = Empty,
        flow_id = Empty,
        step_id = "ingest",
        http.response.status_code = Empty
    )
)]
async fn handle(
    front: Arc<Front>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let m = &front.metrics;
    m.gateway_in_flight_requests.inc();
    let (route, status, response) = respond(&front, request).await;
    m.gateway_in_flight_requests.dec();
    let span = tracing::Span::current();
    if route != Route::Unmatched {
        span.record("http.route", route.as_str());
    }
    span.record("http.response.status_code", status.code().as_u16());
    m.gateway_requests_total
        .get(&RequestLabels { route, status })
        .inc();
    m.gateway_request_duration_seconds
        .get(&RouteLabels { route })
        .observe_in_trace(started.elapsed().as_secs_f64());
    // The answer carries this request's trace context (`traceparent`, and
    // `tracestate` when there is one), so a caller can find its trace; with
    // spans off it carries none.
    let mut response = response;
    propagation::inject_current(response.headers_mut());
    Ok(response)
}

async fn respond(
    front: &Front,
    request: Request<Incoming>,
) -> (Route, Status, Response<Full<Bytes>>) {
    let path = request.uri().path();
    let route = match path.strip_prefix("/jobs/") {
        Some(_) => Route::Jobs,
        None if path == "/healthz" => Route::Health,
        None => Route::Unmatched,
    };
    let (status, response) = match route {
        Route::Unmatched => text(Status::NotFound, "no such route\n"),
        Route::Health if request.method() == Method::GET => text(Status::Ok, "ok\n"),
        Route::Health => text(Status::MethodNotAllowed, "use GET\n"),
        Route::Jobs if request.method() != Method::POST => {
            text(Status::MethodNotAllowed, "use POST\n")
        }
        Route::Jobs => run_job(front, request).await,
    };
    (route, status, response)
}

/// `POST /jobs/{tenant}`: publishes the job and waits for its answer.
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
            .answers
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
            .keep(key, kept);
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
    front.metrics.router_pending_messages.inc();
    front.router.send(message).await.map_err(|_| {
        front.metrics.router_pending_messages.dec();
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

// === the router ===

/// An extension's simulated answer times.
struct Profile {
    micros: RangeInclusive<u64>,
    timeout_micros: u64,
}

/// The router's side of one extension: its breaker and its simulated
/// behaviour.
struct ExtensionClient {
    extension: Extension,
    rng: Rng,
    breaker: CircuitBreaker,
}

impl ExtensionClient {
    /// Calls the (simulated) extension during message `message`: the
    /// outcome and the seconds it took.
    fn call(
        &mut self,
        message: u64,
        outages: &[Outage],
        failure_percent: u64,
    ) -> (CallOutcome, f64) {
        let profile = self.extension.profile();
        let timeout = profile.timeout_micros as f64 / 1e6;
        let down = outages
            .iter()
            .any(|o| o.extension == self.extension && o.messages.contains(&message));
        if down {
            return (CallOutcome::Timeout, timeout);
        }
        if self.rng.percent(failure_percent) {
            return if self.rng.percent(50) {
                (CallOutcome::Timeout, timeout)
            } else {
                (CallOutcome::Error, *profile.micros.start() as f64 / 1e6)
            };
        }
        let micros = self
            .rng
            .between(*profile.micros.start(), *profile.micros.end());
        (CallOutcome::Ok, micros as f64 / 1e6)
    }
}

struct Router {
    metrics: Arc<GatewayMetrics>,
    extensions: Vec<ExtensionClient>,
    /// The extensions the registry has loaded (their manifests read): a
    /// first lookup of each loads it, later ones are served from here.
    loaded: [bool; Extension::ALL.len()],
    outages: Vec<Outage>,
    failure_percent: u64,
    worker: mpsc::Sender<Work>,
    /// The router's clock: messages taken so far.
    message: u64,
    tally: Arc<Mutex<Tally>>,
}

impl Router {
    async fn run(mut self, mut messages: mpsc::Receiver<Message>) {
        while let Some(message) = messages.recv().await {
            self.metrics.router_pending_messages.dec();
            self.route(message).await;
        }
    }

    /// Calls every extension for the message, then dispatches it to the
    /// worker, or answers at once when a required extension failed.
    #[traced(
        level = "info",
        name = "router.route",
        kind = "consumer",
        remote_parent = propagation::extract(&message.headers),
        fields(
            tenant_id = message.correlation.tenant_id.as_str(),
            run_id = message.correlation.run_id,
            flow_id = message.correlation.flow_id.as_str(),
            step_id = "route",
            sequence = Empty
        )
    )]
    async fn route(&mut self, message: Message) {
        self.message += 1;
        self.tally().messages = self.message;
        tracing::Span::current().record("sequence", self.message);
        let mut enriched = true;
        for extension in Extension::ALL {
            self.lookup(extension, &message.correlation);
            if let Err(err) = self.invoke(extension, &message.correlation) {
                if extension.is_required() {
                    let _ = message.reply.send(Reply::Rejected(extension, err));
                    return;
                }
                enriched = false;
            }
        }
        self.decide(&message.correlation, enriched);
        let work = Work {
            headers: message_headers(message.job),
            correlation: message.correlation,
            job: message.job,
            payload: message.payload,
            enriched,
            reply: message.reply,
        };
        self.dispatch(work).await;
    }

    /// Decides where the job runs: the policy that applies, and the provider
    /// it picks.
    #[traced(
        level = "info",
        name = "router.decide",
        fields(
            policy = Empty,
            provider = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "decide"
        )
    )]
    fn decide(&mut self, correlation: &Correlation, enriched: bool) -> Provider {
        let pinned = correlation
            .tenant_id
            .as_bytes()
            .first()
            .is_some_and(|c| *c <= b'm');
        let policy = match (enriched, pinned) {
            (false, _) => Policy::Degraded,
            (true, true) => Policy::Affinity,
            (true, false) => Policy::Balance,
        };
        let provider = match policy {
            Policy::Affinity => Provider::Primary,
            Policy::Degraded => Provider::Secondary,
            Policy::Balance if self.message.is_multiple_of(2) => Provider::Primary,
            Policy::Balance => Provider::Secondary,
        };
        let span = tracing::Span::current();
        span.record("policy", policy.as_str());
        span.record("provider", provider.as_str());
        // Simulated: a few tens of microseconds, the same for the same run.
        let seconds = (20 + (correlation.run_id % 7) * 15) as f64 / 1e6;
        let m = &self.metrics;
        m.router_policy_evaluation_duration_seconds
            .get(&PolicyLabels { policy })
            .observe(seconds);
        m.router_routing_decisions_total
            .get(&DecisionLabels { policy, provider })
            .inc();
        *self
            .tally()
            .decisions
            .entry((policy, provider))
            .or_default() += 1;
        provider
    }

    /// Finds the extension in the registry before a call: from its cache,
    /// or by loading it on its first use.
    #[traced(
        level = "info",
        name = "router.extension.registry.lookup",
        fields(
            extension = extension.as_str(),
            cache_hit = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "lookup"
        )
    )]
    fn lookup(&mut self, extension: Extension, correlation: &Correlation) {
        let m = &self.metrics;
        m.router_extension_registry_lookups_total.inc();
        let loaded = &mut self.loaded[extension.index()];
        let hit = *loaded;
        *loaded = true;
        tracing::Span::current().record("cache_hit", hit);
        let counter = match hit {
            true => &m.router_extension_registry_cache_hits_total,
            false => &m.router_extension_registry_cache_misses_total,
        };
        counter.inc();
    }

    /// One extension call, through its breaker.
    #[traced(
        level = "info",
        name = "router.extension.invoke",
        kind = "client",
        err,
        metrics,
        objective(success = 0.99),
        fields(
            extension = extension.as_str(),
            breaker = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "extension"
        )
    )]
    fn invoke(
        &mut self,
        extension: Extension,
        correlation: &Correlation,
    ) -> Result<(), ExtensionError> {
        let client = &mut self.extensions[extension.index()];
        let (permitted, half_opened) = client.breaker.acquire();
        let breaker = client.breaker.state();
        if let Some(transition) = half_opened {
            self.transition(extension, transition);
        }
        tracing::Span::current().record("breaker", breaker.as_str());
        let m = &self.metrics;
        if !permitted {
            let outcome = CallOutcome::ShortCircuited;
            m.router_extension_calls_total
                .get(&CallLabels { extension, outcome })
                .inc();
            *self.tally().calls.entry((extension, outcome)).or_default() += 1;
            return Err(ExtensionError::CircuitOpen);
        }

        let client = &mut self.extensions[extension.index()];
        let (outcome, seconds) = client.call(self.message, &self.outages, self.failure_percent);
        let transition = client.breaker.record(outcome == CallOutcome::Ok);
        let recorded = match outcome {
            CallOutcome::Ok => &m.router_extension_circuit_breaker_successes_total,
            _ => &m.router_extension_circuit_breaker_failures_total,
        };
        recorded.get(&ExtensionLabels { extension }).inc();
        m.router_extension_invocation_duration_seconds
            .get(&ExtensionLabels { extension })
            .observe_in_trace(seconds);
        m.router_extension_calls_total
            .get(&CallLabels { extension, outcome })
            .inc();
        {
            let mut tally = self.tally();
            *tally.calls.entry((extension, outcome)).or_default() += 1;
            tally.latencies.push((extension, seconds));
        }
        if let Some(transition) = transition {
            self.transition(extension, transition);
        }
        match outcome {
            CallOutcome::Ok => Ok(()),
            CallOutcome::Timeout => Err(ExtensionError::TimedOut),
            CallOutcome::Error | CallOutcome::ShortCircuited => Err(ExtensionError::Failed),
        }
    }

    /// Records a breaker transition: gauges, counter, tally and a log line
    /// (in the trace of the message that caused it).
    fn transition(&self, extension: Extension, Transition { from, to }: Transition) {
        let m = &self.metrics;
        m.router_extension_circuit_breaker_state
            .get(&BreakerStateLabels {
                extension,
                state: from,
            })
            .set(0);
        m.router_extension_circuit_breaker_state
            .get(&BreakerStateLabels {
                extension,
                state: to,
            })
            .set(1);
        m.router_extension_circuit_breaker_transitions_total
            .get(&TransitionLabels {
                extension,
                from,
                to,
            })
            .inc();
        self.tally().transitions.push(BreakerEvent {
            message: self.message,
            extension,
            transition: Transition { from, to },
        });
        let opened = to == BreakerState::Open;
        let (extension, from, to) = (extension.as_str(), from.as_str(), to.as_str());
        if opened {
            tracing::warn!(extension, from, to, "circuit breaker opened");
        } else {
            tracing::info!(extension, from, to, "circuit breaker state changed");
        }
    }

    /// Sends the job to the worker, its headers carrying this span's
    /// context.
    #[traced(
        level = "info",
        name = "router.dispatch",
        kind = "producer",
        fields(
            tenant_id = work.correlation.tenant_id.as_str(),
            run_id = work.correlation.run_id,
            flow_id = work.correlation.flow_id.as_str(),
            step_id = "dispatch",
            messaging.destination.name = "worker"
        )
    )]
    async fn dispatch(&self, mut work: Work) {
        propagation::inject_current(&mut work.headers);
        self.metrics.worker_pending_messages.inc();
        if let Err(mpsc::error::SendError(work)) = self.worker.send(work).await {
            self.metrics.worker_pending_messages.dec();
            let _ = work.reply.send(Reply::Failed(StepError { job: work.job }));
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === the worker ===

struct Worker {
    metrics: Arc<GatewayMetrics>,
    rng: Rng,
    failure_percent: u64,
    tally: Arc<Mutex<Tally>>,
}

impl Worker {
    async fn run(mut self, mut jobs: mpsc::Receiver<Work>) {
        while let Some(work) = jobs.recv().await {
            self.metrics.worker_pending_messages.dec();
            let reply = match self.step(&work) {
                Ok(digest) => Reply::Done {
                    enriched: work.enriched,
                    digest,
                },
                Err(err) => Reply::Failed(err),
            };
            let _ = work.reply.send(reply);
        }
    }

    /// Runs the job's one step (simulated: a seeded duration, and a seeded
    /// failure rate).
    #[traced(
        level = "info",
        name = "worker.step",
        kind = "consumer",
        err,
        remote_parent = propagation::extract(&work.headers),
        fields(
            tenant_id = work.correlation.tenant_id.as_str(),
            run_id = work.correlation.run_id,
            flow_id = work.correlation.flow_id.as_str(),
            step_id = "execute",
            bytes = work.payload.len(),
            enriched = work.enriched
        )
    )]
    fn step(&mut self, work: &Work) -> Result<u64, StepError> {
        let micros = self.rng.between(5_000, 60_000) + work.payload.len() as u64 * 10;
        self.metrics
            .worker_step_duration_seconds
            .observe_in_trace(micros as f64 / 1e6);
        let result = if self.rng.percent(self.failure_percent) {
            Err(StepError { job: work.job })
        } else {
            Ok(fnv1a(&work.payload))
        };
        let outcome = match result {
            Ok(_) => JobOutcome::Done,
            Err(_) => JobOutcome::Failed,
        };
        self.metrics
            .worker_jobs_total
            .get(&JobLabels { outcome })
            .inc();
        *self
            .tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .jobs
            .entry(outcome)
            .or_default() += 1;
        result
    }
}

/// The job's "result": a hash of its payload.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// === the client ===

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
    tracing::Span::current().record("http.response.status_code", status);
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
