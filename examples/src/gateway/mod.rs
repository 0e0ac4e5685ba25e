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
mod front;
mod labels;
mod metrics;
mod router;
mod settings;
mod telemetry;
mod worker;

pub use breaker::*;
pub use client::*;
pub use errors::*;
pub use front::is_tenant_id;
use front::{accept, Front};
pub use labels::*;
pub use metrics::*;
use router::{ExtensionClient, Profile, Router};
pub use settings::*;
pub use telemetry::{export, Registries, Signals, Telemetry};
use worker::Worker;

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
        let signals = settings.telemetry;
        let unread = Registry::new();
        let registries = registries.into().switched(signals, &unread);
        let route: fn(&hyper::http::request::Parts) -> Route = Route::of;
        let layer = ServerLayer::builder()
            .routes(route)
            .register(registries.gateway)?;
        let metrics = GatewayMetrics::register(registries.gateway)?;
        let router_metrics = RouterMetrics::register(registries.router)?;
        let worker_metrics = WorkerMetrics::register(registries.worker)?;
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
        let front = Arc::new(Front::new(
            metrics.clone(),
            router_metrics.clone(),
            router_tx,
            settings.rate_limit,
        ));

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
