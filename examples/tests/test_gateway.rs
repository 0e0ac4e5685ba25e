//! Gateway → router → worker, over real HTTP on loopback: each request's
//! spans are one trace across the HTTP hop and both channel hops (the
//! caller's trace when it sent a `traceparent`), with the right parents and
//! kinds; tenants are span attributes and never metric labels; the extension
//! histogram and the circuit breakers match the simulation;
//! `OBS_METRICS=off`/`OBS_TRACING=off` open no endpoint and record no span;
//! and the binary serves each component's registry at the address its
//! variable names.

mod support;

use obs_examples::gateway::{
    self, BreakerEvent, BreakerPolicy, BreakerState, BreakerStateLabels, CallLabels, CallOutcome,
    DecisionLabels, Extension, ExtensionLabels, Faults, Gateway, JobLabels, JobOutcome, Outage,
    RateLimit, Registries, Route, RouterMetrics, Settings, Signals, Status, Tally, Telemetry,
    Transition, TransitionLabels, MAX_PAYLOAD_BYTES,
};
use obs_runtime::propagation::{SpanId, TraceId};
use obs_runtime::tower::{HttpMethod, ServerLabels, StatusLabel};
use obs_runtime::{Catalog, Config, LabelValue, LogWriter, Registry, SeriesValue};
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{self, BufRead as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use support::process::{command, Running};
use tracing_subscriber::layer::SubscriberExt as _;

const TENANTS: [&str; 3] = ["acme-corp", "globex-42", "initech-eu"];
const BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

// === helpers ===

/// The tests run one at a time: each runs a server on its own thread under
/// its own `tracing` dispatcher, and `tracing`'s callsite interest is
/// process-wide (a dispatcher that refuses spans, running at the same time
/// as one that records them, could race its cache).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An HTTP client for the gateway that does not fail on 4xx and 5xx
/// answers: the tests' own, for requests the load generator never sends.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// What the gateway answered one request.
#[derive(Debug)]
struct Answer {
    status: u16,
    job: Option<u64>,
    enrichment: Option<String>,
    /// The trace context the answer carried.
    traceparent: Option<String>,
}

fn send(
    agent: &ureq::Agent,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
    traceparent: Option<&str>,
) -> Answer {
    let url = format!("http://{addr}{path}");
    let mut response = match (method, traceparent) {
        ("POST", Some(traceparent)) => agent
            .post(&url)
            .header("traceparent", traceparent)
            .send(body),
        ("POST", None) => agent.post(&url).send(body),
        ("GET", None) => agent.get(&url).call(),
        other => panic!("{other:?}"),
    }
    .unwrap_or_else(|err| panic!("{method} {path}: {err}"));
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let job = header("x-job-id").map(|id| id.parse().unwrap());
    let enrichment = header("x-enrichment");
    let answered = header("traceparent");
    let _ = response.body_mut().read_to_string().unwrap();
    Answer {
        status: response.status().as_u16(),
        job,
        enrichment,
        traceparent: answered,
    }
}

/// Submits one job per entry of `TRACEPARENTS`, each with that header, and
/// expects every one to succeed; returns the trace context each answer
/// carried.
fn submit_traced_jobs(agent: &ureq::Agent, addr: SocketAddr) -> Vec<Option<String>> {
    TRACEPARENTS
        .into_iter()
        .enumerate()
        .map(|(n, traceparent)| {
            let answer = submit(agent, addr, TENANTS[n % 3], Some(traceparent));
            assert_eq!(answer.status, 200);
            answer.traceparent
        })
        .collect()
}

fn submit(
    agent: &ureq::Agent,
    addr: SocketAddr,
    tenant: &str,
    traceparent: Option<&str>,
) -> Answer {
    let path = format!("/jobs/{tenant}");
    send(agent, addr, "POST", &path, b"{\"size\":3}", traceparent)
}

/// Starts a gateway whose spans go through `tracing-opentelemetry` to the
/// SDK's in-memory exporter, runs `f` against it, stops it and returns what
/// `f` returned, the gateway's tally and the finished spans.
fn exported<T>(
    registry: &Registry,
    settings: Settings,
    f: impl FnOnce(&Gateway) -> T,
) -> (T, Tally, Vec<SpanData>) {
    exported_to(registry.into(), settings, f)
}

/// [`exported`], each component's metrics in its own registry.
fn exported_to<T>(
    registries: Registries<'_>,
    settings: Settings,
    f: impl FnOnce(&Gateway) -> T,
) -> (T, Tally, Vec<SpanData>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_gateway")));
    // The server thread keeps the dispatcher current when it starts; `f`
    // runs under it too, so that a client's spans are recorded.
    let dispatch = tracing::Dispatch::new(subscriber);
    let gateway = tracing::dispatcher::with_default(&dispatch, || {
        Gateway::start(registries, settings).unwrap()
    });
    let result = tracing::dispatcher::with_default(&dispatch, || f(&gateway));
    let tally = gateway.tally();
    gateway.shutdown();
    provider.force_flush().unwrap();
    (result, tally, exporter.get_finished_spans().unwrap())
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

fn has_parent(child: &SpanData, parent: &SpanData, remote: bool) -> bool {
    child.parent_span_id == parent.span_context.span_id()
        && child.parent_span_is_remote == remote
        && child.span_context.trace_id() == parent.span_context.trace_id()
}

fn breaker_states(m: &RouterMetrics, extension: Extension) -> Vec<i64> {
    [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ]
    .into_iter()
    .map(|state| {
        let labels = BreakerStateLabels { extension, state };
        m.router_extension_circuit_breaker_state.get(&labels).get()
    })
    .collect()
}

/// Each extension's histogram: exactly the required bounds, and each call
/// the tally saw in the first bucket whose bound is at least its latency.
fn assert_extension_histograms(registry: &Registry, tally: &Tally) {
    let snapshot = registry.snapshot();
    let metric = snapshot
        .iter()
        .find(|m| m.descriptor.name == "router_extension_invocation_duration_seconds")
        .expect("registered");
    assert_eq!(metric.descriptor.buckets.as_deref(), Some(&BUCKETS[..]));
    assert_eq!(metric.descriptor.label_names, ["extension"]);
    assert_eq!(metric.series.len(), Extension::ALL.len());
    for series in &metric.series {
        let SeriesValue::Histogram { bounds, snapshot } = &series.value else {
            panic!("{series:?}");
        };
        assert_eq!(bounds, &BUCKETS);
        let extension = Extension::ALL
            .into_iter()
            .find(|e| series.labels == [("extension".to_owned(), e.as_str().to_owned())])
            .unwrap();
        let latencies: Vec<f64> = tally
            .latencies
            .iter()
            .filter(|(e, _)| *e == extension)
            .map(|&(_, seconds)| seconds)
            .collect();
        let mut expected: Vec<u64> = BUCKETS
            .iter()
            .map(|&bound| latencies.iter().filter(|&&l| l <= bound).count() as u64)
            .collect();
        expected.push(latencies.len() as u64);
        assert_eq!(snapshot.cumulative_counts, expected, "{extension:?}");
        assert_eq!(snapshot.count, latencies.len() as u64);
        assert_eq!(snapshot.sum, support::seconds_sum(&latencies));
        let reached: u64 = [CallOutcome::Ok, CallOutcome::Error, CallOutcome::Timeout]
            .into_iter()
            .map(|outcome| tally.calls.get(&(extension, outcome)).copied().unwrap_or(0))
            .sum();
        assert_eq!(snapshot.count, reached, "{extension:?}");
    }
}

/// Calls, breaker gauges and transitions equal the tally.
fn assert_breakers(m: &RouterMetrics, tally: &Tally) {
    for extension in Extension::ALL {
        for outcome in [
            CallOutcome::Ok,
            CallOutcome::Error,
            CallOutcome::Timeout,
            CallOutcome::ShortCircuited,
        ] {
            let expected = tally.calls.get(&(extension, outcome)).copied();
            let calls = m
                .router_extension_calls_total
                .get(&CallLabels { extension, outcome });
            assert_eq!(
                calls.get(),
                expected.unwrap_or(0),
                "{extension:?} {outcome:?}"
            );
        }
        // The breaker's successes and failures: every call it let through.
        let count = |outcome| tally.calls.get(&(extension, outcome)).copied().unwrap_or(0);
        let labels = ExtensionLabels { extension };
        assert_eq!(
            m.router_extension_circuit_breaker_successes_total
                .get(&labels)
                .get(),
            count(CallOutcome::Ok),
            "{extension:?}"
        );
        assert_eq!(
            m.router_extension_circuit_breaker_failures_total
                .get(&labels)
                .get(),
            count(CallOutcome::Error) + count(CallOutcome::Timeout),
            "{extension:?}"
        );
        // The state the tally's transitions end in, and only that one, at 1.
        let state = tally
            .transitions
            .iter()
            .filter(|event| event.extension == extension)
            .fold(BreakerState::Closed, |state, event| {
                assert_eq!(event.transition.from, state);
                event.transition.to
            });
        let mut expected = vec![0; 3];
        expected[state.index()] = 1;
        assert_eq!(breaker_states(m, extension), expected, "{extension:?}");
    }
    // Routing decisions: one per dispatched job, by policy and provider.
    m.router_routing_decisions_total
        .for_each(|labels: &DecisionLabels, counter| {
            let expected = tally
                .decisions
                .get(&(labels.policy, labels.provider))
                .copied();
            assert_eq!(counter.get(), expected.unwrap_or(0), "{labels:?}");
        });
    let decided: u64 = tally.decisions.values().sum();
    let mut evaluated = 0;
    m.router_policy_evaluation_duration_seconds
        .for_each(|_, histogram| evaluated += histogram.snapshot().count);
    assert_eq!(evaluated, decided);
    // One registry lookup before each extension's first call (a retry
    // looks nothing up); each extension loaded once.
    let retried: u64 = tally.retries.values().sum();
    m.router_extension_retries_total
        .for_each(|labels: &ExtensionLabels, counter| {
            let expected = tally.retries.get(&labels.extension).copied();
            assert_eq!(counter.get(), expected.unwrap_or(0), "{labels:?}");
        });
    let calls: u64 = tally.calls.values().sum::<u64>() - retried;
    let reached = Extension::ALL
        .into_iter()
        .filter(|&extension| tally.calls.keys().any(|(called, _)| *called == extension))
        .count() as u64;
    assert_eq!(
        m.router_extension_registry_extensions.get(),
        Extension::ALL.len() as i64
    );
    assert_eq!(m.router_extension_registry_lookups_total.get(), calls);
    assert_eq!(
        m.router_extension_registry_cache_misses_total.get(),
        reached
    );
    assert_eq!(
        m.router_extension_registry_cache_hits_total.get(),
        calls - reached
    );
    m.router_extension_circuit_breaker_transitions_total
        .for_each(|labels: &TransitionLabels, counter| {
            let expected = tally
                .transitions
                .iter()
                .filter(|event| {
                    event.extension == labels.extension
                        && event.transition
                            == Transition {
                                from: labels.from,
                                to: labels.to,
                            }
                })
                .count() as u64;
            assert_eq!(counter.get(), expected, "{labels:?}");
        });
}

/// No metric has a tenant (or job) label, and no label value is a tenant.
fn assert_no_tenant_labels(registry: &Registry) {
    for metric in registry.snapshot() {
        let names = metric.descriptor.label_names;
        assert!(
            !names.iter().any(|name| {
                ["tenant", "job", "tenant_id", "run_id", "flow_id", "step_id"].contains(name)
            }),
            "{}: {names:?}",
            metric.descriptor.name
        );
        for series in &metric.series {
            for (name, value) in &series.labels {
                assert!(names.contains(&name.as_str()), "{name}");
                assert!(!TENANTS.contains(&value.as_str()), "{name}={value}");
            }
        }
    }
    let scrape = registry.encode(obs_runtime::Format::OPENMETRICS);
    for tenant in TENANTS {
        assert!(!scrape.contains(tenant), "{tenant} in the scrape");
    }
}

// === traces ===

#[test]
fn each_request_is_one_trace_across_both_hops() {
    let _serial = serial();
    let registry = Registry::new();
    // Even requests continue a caller's trace; odd ones start their own; the
    // last sends an invalid `traceparent` (all-zero trace id), which counts
    // as none.
    let traceparents: Vec<Option<String>> = (0..6u64)
        .map(|n| {
            (n % 2 == 0).then(|| format!("00-{:032x}-{:016x}-01", 0xfeed_0000 + n, 0xbeef_0000 + n))
        })
        .chain([Some(format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)))])
        .collect();
    let (answers, _, spans) = exported(&registry, Settings::loopback(7), |gateway| {
        let agent = agent();
        traceparents
            .iter()
            .enumerate()
            .map(|(n, traceparent)| {
                let tenant = TENANTS[n % TENANTS.len()];
                let answer = submit(&agent, gateway.local_addr(), tenant, traceparent.as_deref());
                (tenant, answer)
            })
            .collect::<Vec<_>>()
    });

    // Per request: the HTTP layer's server span, the gateway's admission
    // of the job, the message to the router, the router's message, one
    // registry lookup and one call per extension, its decision, the message
    // to the worker, the worker's step.
    let per_request = 7 + 2 * Extension::ALL.len();
    assert_eq!(spans.len(), per_request * answers.len());
    let mut traces = HashSet::new();
    for ((tenant, answer), traceparent) in answers.iter().zip(&traceparents) {
        assert_eq!(answer.status, 200);
        let job = answer.job.unwrap().to_string();
        let ingest = spans
            .iter()
            .find(|s| s.name == "gateway.ingest" && attribute(s, "run_id").as_deref() == Some(&job))
            .unwrap_or_else(|| panic!("no gateway.ingest for job {job}"));
        // The HTTP layer's server span, named by the conventions.
        let request = spans
            .iter()
            .find(|s| s.span_context.span_id() == ingest.parent_span_id)
            .expect("the server span");
        assert_eq!(request.name, "POST /jobs/{tenant}");
        assert!(has_parent(ingest, request, false));
        let trace = request.span_context.trace_id();
        assert_ne!(trace, TraceId::INVALID);
        assert!(traces.insert(trace), "one trace per request");
        // The answer names the server span in that trace.
        let answered = answer
            .traceparent
            .as_deref()
            .expect("the answer carries its trace");
        assert_eq!(
            answered,
            format!("00-{trace}-{}-01", request.span_context.span_id()),
            "job {job}"
        );

        // The incoming trace, with the caller's span as the remote parent.
        let remote = traceparent
            .as_deref()
            .map(|value| {
                obs_runtime::propagation::extract(&vec![(
                    "traceparent".to_owned(),
                    value.to_owned(),
                )])
            })
            .filter(|remote| remote.is_valid());
        match remote {
            Some(remote) => {
                assert_eq!(trace, remote.trace_id());
                assert_eq!(request.parent_span_id, remote.span_id());
                assert!(request.parent_span_is_remote);
            }
            None => assert_eq!(request.parent_span_id, SpanId::INVALID),
        }

        let in_trace: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .collect();
        assert_eq!(
            in_trace.len(),
            per_request,
            "{:?}",
            in_trace.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        let one = |name: &str| {
            let found: Vec<&SpanData> = in_trace
                .iter()
                .copied()
                .filter(|s| s.name == name)
                .collect();
            assert_eq!(found.len(), 1, "{name}");
            found[0]
        };
        let publish = one("gateway.publish");
        let route = one("router.route");
        let dispatch = one("router.dispatch");
        let step = one("worker.step");
        let invokes: Vec<&SpanData> = in_trace
            .iter()
            .copied()
            .filter(|s| s.name == "router.extension.invoke")
            .collect();

        // HTTP hop, then two channel hops, each to a remote parent.
        assert!(has_parent(publish, ingest, false));
        assert!(has_parent(route, publish, true));
        assert!(has_parent(dispatch, route, false));
        assert!(has_parent(step, dispatch, true));
        let mut called: Vec<String> = invokes
            .iter()
            .map(|invoke| {
                assert!(has_parent(invoke, route, false));
                assert_eq!(invoke.span_kind, SpanKind::Client);
                attribute(invoke, "extension").unwrap()
            })
            .collect();
        called.sort();
        assert_eq!(called, ["auth", "enrich", "quota"]);

        assert_eq!(request.span_kind, SpanKind::Server);
        assert_eq!(publish.span_kind, SpanKind::Producer);
        assert_eq!(route.span_kind, SpanKind::Consumer);
        assert_eq!(dispatch.span_kind, SpanKind::Producer);
        assert_eq!(step.span_kind, SpanKind::Consumer);

        // The correlation values are attributes of every hop's span, each
        // with its step (the HTTP layer's span has the conventions'
        // attributes only: the tenant is known once the gateway reads the
        // path).
        for span in in_trace
            .iter()
            .filter(|s| s.span_context != request.span_context)
        {
            assert_eq!(
                attribute(span, "tenant_id").as_deref(),
                Some(*tenant),
                "{}",
                span.name
            );
            assert_eq!(
                attribute(span, "run_id").as_deref(),
                Some(job.as_str()),
                "{}",
                span.name
            );
            assert_eq!(
                attribute(span, "flow_id").as_deref(),
                Some("default"),
                "{}",
                span.name
            );
            let step_id = match span.name.as_ref() {
                "gateway.ingest" => "ingest",
                "gateway.publish" => "publish",
                "router.route" => "route",
                "router.extension.invoke" => "extension",
                "router.extension.registry.lookup" => "lookup",
                "router.decide" => "decide",
                "router.dispatch" => "dispatch",
                _ => "execute",
            };
            assert_eq!(
                attribute(span, "step_id").as_deref(),
                Some(step_id),
                "{}",
                span.name
            );
        }
        assert_eq!(
            attribute(request, "http.route").as_deref(),
            Some("/jobs/{tenant}")
        );
        assert_eq!(
            attribute(request, "http.response.status_code").as_deref(),
            Some("200")
        );
        assert_eq!(
            attribute(request, "http.request.method").as_deref(),
            Some("POST")
        );
        assert_eq!(attribute(step, "run_id"), Some(job.clone()));

        // The routing decision follows the policy: enriched jobs of tenants
        // `a` to `m` stay on the primary provider, jobs without enrichment
        // go to the secondary one, other tenants alternate.
        let decide = one("router.decide");
        let decision = (attribute(decide, "policy"), attribute(decide, "provider"));
        let decision = (decision.0.as_deref(), decision.1.as_deref());
        match (answer.enrichment.as_deref(), tenant.as_bytes()[0] <= b'm') {
            (Some("skipped"), _) => assert_eq!(decision, (Some("degraded"), Some("secondary"))),
            (_, true) => assert_eq!(decision, (Some("affinity"), Some("primary"))),
            _ => assert!(
                decision.0 == Some("balance") && decision.1.is_some(),
                "{decision:?}"
            ),
        }
    }

    // Histogram exemplars point at these traces.
    for metric in registry.snapshot() {
        for series in metric.series {
            if let SeriesValue::Histogram { snapshot, .. } = series.value {
                for exemplar in snapshot.exemplars.iter().flatten() {
                    let trace = TraceId::from_hex(&exemplar.trace_id_hex()).unwrap();
                    assert!(traces.contains(&trace), "{}", metric.descriptor.name);
                }
            }
        }
    }
}

// === metrics ===

/// A seed and failure rates that make required extensions refuse jobs,
/// the worker fail some, and at least one breaker open.
fn faulty(seed: u64) -> Settings {
    Settings {
        faults: Faults {
            extension_failure_percent: 20,
            outages: Vec::new(),
            worker_failure_percent: 15,
        },
        ..Settings::loopback(seed)
    }
}

/// 40 jobs and one of each request the router never sees; the answers by
/// route and status, as the client counted them.
fn traffic(gateway: &Gateway) -> BTreeMap<(Route, Status), u64> {
    let agent = agent();
    let addr = gateway.local_addr();
    let mut answers = BTreeMap::new();
    let mut count = |route, code: u16| {
        let status = [
            Status::Ok,
            Status::BadRequest,
            Status::NotFound,
            Status::MethodNotAllowed,
            Status::PayloadTooLarge,
            Status::InternalError,
            Status::Unavailable,
        ]
        .into_iter()
        .find(|status| status.code().as_u16() == code)
        .unwrap_or_else(|| panic!("unexpected status {code}"));
        *answers.entry((route, status)).or_default() += 1;
    };
    for n in 0..40 {
        let answer = submit(&agent, addr, TENANTS[n % TENANTS.len()], None);
        count(Route::Jobs, answer.status);
    }
    let too_large = vec![b'x'; MAX_PAYLOAD_BYTES + 1];
    for (method, path, body, route) in [
        ("POST", "/jobs/Not_A_Tenant", &b"{}"[..], Route::Jobs),
        ("GET", "/jobs/acme-corp", &b""[..], Route::Jobs),
        ("POST", "/jobs/acme-corp", &too_large[..], Route::Jobs),
        ("GET", "/healthz", &b""[..], Route::Health),
        ("GET", "/v1/jobs", &b""[..], Route::Unmatched),
    ] {
        count(route, send(&agent, addr, method, path, body, None).status);
    }
    answers
}

#[test]
fn metrics_match_the_simulation_and_tenants_are_never_labels() {
    let _serial = serial();
    let registry = Registry::new();
    let gateway = Gateway::start(&registry, faulty(9)).unwrap();
    let answers = traffic(&gateway);
    let tally = gateway.tally();
    let (r, w) = (gateway.router.clone(), gateway.worker.clone());
    // Requests by route and status (the HTTP layer's durations count
    // them, by method too): what the client received.
    let http = gateway.http();
    let mut recorded: BTreeMap<(Route, u16), u64> = BTreeMap::new();
    http.http_server_request_duration_seconds.for_each(
        |labels: &ServerLabels<Route>, histogram| {
            let StatusLabel::Code(code) = labels.status else {
                panic!("{labels:?}");
            };
            *recorded.entry((labels.route, code)).or_default() += histogram.snapshot().count;
        },
    );
    let expected: BTreeMap<(Route, u16), u64> = answers
        .iter()
        .map(|(&(route, status), &n)| ((route, status.code().as_u16()), n))
        .collect();
    assert_eq!(recorded, expected);
    let mut in_flight = 0;
    http.http_server_active_requests
        .for_each(|_, gauge| in_flight += gauge.get());
    assert_eq!(in_flight, 0);
    gateway.shutdown();

    // The seed exercises every path.
    let answered = |route, status| answers.get(&(route, status)).copied().unwrap_or(0);
    assert!(
        answered(Route::Jobs, Status::Unavailable) > 0,
        "{answers:?}"
    );
    assert!(
        answered(Route::Jobs, Status::InternalError) > 0,
        "{answers:?}"
    );
    assert!(!tally.transitions.is_empty());
    for status in [
        Status::BadRequest,
        Status::MethodNotAllowed,
        Status::PayloadTooLarge,
    ] {
        assert_eq!(answered(Route::Jobs, status), 1, "{status:?}");
    }
    assert_eq!(answered(Route::Health, Status::Ok), 1);
    assert_eq!(answered(Route::Unmatched, Status::NotFound), 1);

    // Jobs: every message the router took ran in the worker unless a
    // required extension refused it.
    assert_eq!(tally.messages, 40);
    let job = |outcome| w.worker_jobs_total.get(&JobLabels { outcome }).get();
    assert_eq!(job(JobOutcome::Done), answered(Route::Jobs, Status::Ok));
    assert_eq!(
        job(JobOutcome::Failed),
        answered(Route::Jobs, Status::InternalError)
    );
    assert_eq!(
        tally.jobs.get(&JobOutcome::Done).copied(),
        Some(job(JobOutcome::Done))
    );
    assert_eq!(
        job(JobOutcome::Done)
            + job(JobOutcome::Failed)
            + answered(Route::Jobs, Status::Unavailable),
        tally.messages
    );
    assert_eq!(r.router_pending_messages.get(), 0);
    assert_eq!(w.worker_pending_messages.get(), 0);

    assert_extension_histograms(&registry, &tally);
    assert_breakers(&r, &tally);
    assert_no_tenant_labels(&registry);
}

#[test]
fn the_same_seed_gives_the_same_metrics() {
    let _serial = serial();
    let run = |seed| {
        let registry = Registry::new();
        let gateway = Gateway::start(&registry, faulty(seed)).unwrap();
        traffic(&gateway);
        let tally = gateway.tally();
        gateway.shutdown();
        // Everything but the HTTP latency, which is real time.
        let mut values = support::values(&registry);
        values.retain(|(name, _)| name != "http_server_request_duration_seconds");
        (tally, values)
    };
    let (first, again, other) = (run(9), run(9), run(10));
    assert_eq!(first, again);
    assert_ne!(first, other);
}

// === circuit breaker ===

#[test]
fn the_breaker_follows_a_scheduled_outage() {
    let _serial = serial();
    let registry = Registry::new();
    let settings = Settings {
        faults: Faults {
            outages: vec![Outage {
                extension: Extension::Enrich,
                messages: 4..=11,
            }],
            ..Faults::default()
        },
        breaker: BreakerPolicy {
            failure_threshold: 3,
            cooldown_calls: 2,
        },
        ..Settings::loopback(3)
    };
    let gateway = Gateway::start(&registry, settings).unwrap();
    let agent = agent();
    let mut states = Vec::new();
    let mut enrichment = Vec::new();
    for n in 0..14 {
        let answer = submit(
            &agent,
            gateway.local_addr(),
            TENANTS[n % TENANTS.len()],
            None,
        );
        // Enrich is optional: its outage never fails a job.
        assert_eq!(answer.status, 200);
        enrichment.push(answer.enrichment.unwrap());
        states.push(gateway.router.breaker_state(Extension::Enrich).unwrap());
    }
    let tally = gateway.tally();
    let m = gateway.router.clone();
    gateway.shutdown();

    // Messages 4-6 time out: open. 7 and 8 are refused; 9 is a trial call
    // (half-open) that times out: open. 10 and 11 are refused; 12 is a trial
    // call that succeeds: closed.
    use BreakerState::{Closed as C, HalfOpen as H, Open as O};
    assert_eq!(states, [C, C, C, C, C, O, O, O, O, O, O, C, C, C]);
    let skipped: Vec<usize> = (1..=14)
        .filter(|&n| enrichment[n - 1] == "skipped")
        .collect();
    assert_eq!(skipped, (4..=11).collect::<Vec<_>>());
    let event = |message, from, to| BreakerEvent {
        message,
        extension: Extension::Enrich,
        transition: Transition { from, to },
    };
    assert_eq!(
        tally.transitions,
        [
            event(6, C, O),
            event(9, O, H),
            event(9, H, O),
            event(12, O, H),
            event(12, H, C),
        ]
    );
    let transitions = |extension, from, to| {
        let labels = TransitionLabels {
            extension,
            from,
            to,
        };
        m.router_extension_circuit_breaker_transitions_total
            .get(&labels)
            .get()
    };
    for extension in Extension::ALL {
        for from in [C, O, H] {
            for to in [C, O, H] {
                let expected = match (extension, from, to) {
                    (Extension::Enrich, C, O) | (Extension::Enrich, H, O) => 1,
                    (Extension::Enrich, O, H) => 2,
                    (Extension::Enrich, H, C) => 1,
                    _ => 0,
                };
                assert_eq!(
                    transitions(extension, from, to),
                    expected,
                    "{extension:?} {from:?} → {to:?}"
                );
            }
        }
        assert_eq!(breaker_states(&m, extension), [1, 0, 0], "{extension:?}");
    }

    // 6 answers, 4 timeouts (at exactly the 1 s timeout), 4 refused.
    let calls = |extension, outcome| {
        m.router_extension_calls_total
            .get(&CallLabels { extension, outcome })
            .get()
    };
    assert_eq!(calls(Extension::Enrich, CallOutcome::Ok), 6);
    assert_eq!(calls(Extension::Enrich, CallOutcome::Timeout), 4);
    assert_eq!(calls(Extension::Enrich, CallOutcome::ShortCircuited), 4);
    assert_eq!(calls(Extension::Enrich, CallOutcome::Error), 0);
    for required in [Extension::Auth, Extension::Quota] {
        assert_eq!(calls(required, CallOutcome::Ok), 14);
    }
    let timeouts = tally
        .latencies
        .iter()
        .filter(|&&(extension, seconds)| extension == Extension::Enrich && seconds == 1.0)
        .count();
    assert_eq!(timeouts, 4);
    assert_extension_histograms(&registry, &tally);
    assert_breakers(&m, &tally);
}

// === switched off by the environment ===

/// Log lines, written to memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Quota (required) times out during message 2: the router calls it once
/// more, the retry times out too, and the job is refused. Enrich (optional)
/// times out during message 3 and is not called again: the job runs without
/// it. Each retry is counted, by extension, as the simulation counts it.
#[test]
fn a_required_extension_is_retried_once_and_an_optional_one_never() {
    let _serial = serial();
    let registry = Registry::new();
    let settings = Settings {
        faults: Faults {
            outages: vec![
                Outage {
                    extension: Extension::Quota,
                    messages: 2..=2,
                },
                Outage {
                    extension: Extension::Enrich,
                    messages: 3..=3,
                },
            ],
            ..Faults::default()
        },
        ..Settings::loopback(3)
    };
    let gateway = Gateway::start(&registry, settings).unwrap();
    let agent = agent();
    let answers: Vec<(u16, Option<String>)> = (0..3)
        .map(|_| {
            let answer = submit(&agent, gateway.local_addr(), TENANTS[0], None);
            (answer.status, answer.enrichment)
        })
        .collect();
    let tally = gateway.tally();
    let m = gateway.router.clone();
    gateway.shutdown();

    let applied = Some("applied".to_owned());
    let skipped = Some("skipped".to_owned());
    assert_eq!(answers, [(200, applied), (503, None), (200, skipped)]);
    assert_eq!(tally.retries, BTreeMap::from([(Extension::Quota, 1)]));
    assert_eq!(tally.calls[&(Extension::Quota, CallOutcome::Timeout)], 2);
    assert_eq!(tally.calls[&(Extension::Quota, CallOutcome::Ok)], 2);
    assert_eq!(tally.calls[&(Extension::Enrich, CallOutcome::Timeout)], 1);
    let retries = |extension| {
        m.router_extension_retries_total
            .get(&ExtensionLabels { extension })
            .get()
    };
    assert_eq!(
        Extension::ALL.map(retries),
        [0, 1, 0],
        "auth, quota, enrich"
    );
}

/// The enrich extension is down from message 2: its breaker opens during
/// message 4 (and logs it).
fn outage() -> Settings {
    Settings {
        faults: Faults {
            outages: vec![Outage {
                extension: Extension::Enrich,
                messages: 2..=100,
            }],
            ..Faults::default()
        },
        ..Settings::loopback(5)
    }
}

const TRACEPARENTS: [&str; 4] = [
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01",
    "00-2af7651916cd43dd8448eb211c80319c-b7ad6b7169203333-01",
    "00-3af7651916cd43dd8448eb211c80319c-b7ad6b7169203334-01",
];

#[test]
fn obs_switches_off_open_no_endpoint_and_record_no_span() {
    let _serial = serial();
    let addr = free_port();
    let lines = Lines::default();
    let writer = lines.clone();
    let obs = Config::from_vars([
        ("OBS_METRICS", "off"),
        ("OBS_TRACING", "off"),
        ("OBS_METRICS_ADDR", &addr.to_string()),
        ("OBS_LOG_FORMAT", "json"),
    ])
    .unwrap()
    .log_writer(LogWriter::new(move || writer.clone()))
    .build()
    .unwrap();
    assert_eq!(obs.metrics_addr(), None);
    assert!(obs.tracer_provider().is_none());
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens on {addr}"
    );

    let registry = Registry::new();
    let gateway = tracing::dispatcher::with_default(obs.dispatch(), || {
        assert!(tracing::info_span!("gateway.ingest").is_disabled());
        Gateway::start(&registry, outage()).unwrap()
    });
    let agent = agent();
    let answered = submit_traced_jobs(&agent, gateway.local_addr());
    // With spans off, no answer carries a trace.
    assert!(answered.iter().all(Option::is_none), "{answered:?}");
    assert_eq!(
        gateway.router.breaker_state(Extension::Enrich),
        Some(BreakerState::Open)
    );
    gateway.shutdown();
    drop(obs);

    // The breaker's log line was written, outside any span: no trace ids.
    let text = lines.text();
    let opened: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("circuit breaker opened"))
        .collect();
    assert_eq!(opened.len(), 1, "{text}");
    assert!(
        !text.contains("trace_id") && !text.contains("span_id"),
        "{text}"
    );
    assert!(!text.contains("\"span\""), "{text}");
    // Metrics are still counted, only not served.
    assert_eq!(gateway_jobs(&registry), TRACEPARENTS.len() as u64,);
}

fn gateway_jobs(registry: &Registry) -> u64 {
    registry
        .snapshot()
        .into_iter()
        .filter(|m| m.descriptor.name == "worker_jobs_total")
        .flat_map(|m| m.series)
        .map(|series| match series.value {
            SeriesValue::Counter(n) => n,
            other => panic!("{other:?}"),
        })
        .sum()
}

#[test]
fn obs_switches_on_serve_metrics_and_carry_the_trace_into_logs() {
    let _serial = serial();
    let lines = Lines::default();
    let writer = lines.clone();
    let registry = Arc::new(Registry::new());
    let obs = Config::from_vars([
        ("OBS_METRICS", "on"),
        ("OBS_TRACING", "on"),
        ("OBS_METRICS_ADDR", "127.0.0.1:0"),
        ("OBS_LOG_FORMAT", "json"),
    ])
    .unwrap()
    .registry(registry.clone())
    .log_writer(LogWriter::new(move || writer.clone()))
    .build()
    .unwrap();
    let metrics_addr = obs.metrics_addr().expect("served");
    assert!(obs.tracer_provider().is_some());

    let gateway = tracing::dispatcher::with_default(obs.dispatch(), || {
        Gateway::start(&*registry, outage()).unwrap()
    });
    let agent = agent();
    submit_traced_jobs(&agent, gateway.local_addr());
    let scrape = agent
        .get(format!("http://{metrics_addr}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    gateway.shutdown();
    drop(obs);

    assert!(
        scrape.contains("router_extension_invocation_duration_seconds_bucket{extension=\"enrich\",le=\"5.0\"} 4\n"),
        "{scrape}"
    );
    assert!(scrape.contains(
        "router_extension_circuit_breaker_transitions_total{extension=\"enrich\",from=\"closed\",to=\"open\"} 1\n"
    ));
    for tenant in TENANTS {
        assert!(!scrape.contains(tenant));
    }
    // The breaker opened during message 4: its log line is in that
    // request's trace.
    let text = lines.text();
    let opened: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("circuit breaker opened"))
        .collect();
    assert_eq!(opened.len(), 1, "{text}");
    assert!(
        opened[0].contains("\"trace_id\":\"3af7651916cd43dd8448eb211c80319c\""),
        "{}",
        opened[0]
    );
}

/// A caller names its flow with `x-flow-id`; every hop carries it. A value
/// that is not an id falls back to `default`.
#[test]
fn the_callers_flow_id_is_carried_on_every_hop() {
    let _serial = serial();
    let registry = Registry::new();
    let ((), _, spans) = exported(&registry, Settings::loopback(7), |gateway| {
        let agent = agent();
        for flow in ["nightly-report", "Not A Flow!"] {
            let url = format!("http://{}/jobs/acme", gateway.local_addr());
            let response = agent
                .post(&url)
                .header("x-flow-id", flow)
                .send(b"{}")
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
        }
    });
    let flows: HashSet<String> = spans
        .iter()
        .filter_map(|span| attribute(span, "flow_id"))
        .collect();
    assert_eq!(
        flows,
        HashSet::from(["nightly-report".to_owned(), "default".to_owned()])
    );
    let hops = spans
        .iter()
        .filter(|span| attribute(span, "flow_id").as_deref() == Some("nightly-report"))
        .count();
    // Every hop but the HTTP layer's span.
    assert_eq!(hops, 6 + 2 * Extension::ALL.len());
}

/// A tenant over its token bucket gets `429` with `retry-after`, counted,
/// and other tenants are not held back. (No refill: the outcome does not
/// depend on timing.)
#[test]
fn a_tenant_over_its_rate_limit_gets_429() {
    let _serial = serial();
    let registry = Registry::new();
    let settings = Settings {
        rate_limit: RateLimit {
            burst: 2,
            per_second: 0.0,
        },
        ..Settings::loopback(3)
    };
    let gateway = Gateway::start(&registry, settings).unwrap();
    let agent = agent();
    let addr = gateway.local_addr();
    let post = |tenant: &str| {
        let response = agent
            .post(format!("http://{addr}/jobs/{tenant}"))
            .send(&b"{}"[..])
            .unwrap();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (response.status().as_u16(), retry)
    };
    assert_eq!(post("acme"), (200, None));
    assert_eq!(post("acme"), (200, None));
    assert_eq!(post("acme"), (429, Some("1".to_owned())));
    assert_eq!(post("globex"), (200, None));
    let labels = ServerLabels {
        method: HttpMethod::Post,
        route: Route::Jobs,
        status: StatusLabel::Code(Status::TooManyRequests.code().as_u16()),
    };
    let limited = gateway
        .http()
        .http_server_request_duration_seconds
        .get(&labels)
        .snapshot()
        .count;
    assert_eq!(limited, 1);
    let m = gateway.metrics.clone();
    gateway.shutdown();
    assert_eq!(m.gateway_rate_limited_requests_total.get(), 1);
}

/// A retried request with the same `idempotency-key` gets the first
/// answer again, marked as a replay, and the job runs once.
#[test]
fn an_idempotency_key_answers_a_retry_without_running_the_job_again() {
    let _serial = serial();
    let registry = Registry::new();
    let gateway = Gateway::start(&registry, Settings::loopback(5)).unwrap();
    let agent = agent();
    let addr = gateway.local_addr();
    let post = |key: &str| {
        let mut response = agent
            .post(format!("http://{addr}/jobs/acme"))
            .header("idempotency-key", key)
            .send(&b"{\"size\":3}"[..])
            .unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (job, replay) = (header("x-job-id"), header("idempotent-replay"));
        let body = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), job, replay, body)
    };
    let first = post("order-17");
    let retry = post("order-17");
    let other = post("order-18");
    let (m, w) = (gateway.metrics.clone(), gateway.worker.clone());
    gateway.shutdown();
    assert_eq!(first.0, 200);
    assert_eq!((retry.0, &retry.1, &retry.3), (first.0, &first.1, &first.3));
    assert_eq!(
        (first.2.as_deref(), retry.2.as_deref()),
        (None, Some("true"))
    );
    assert_ne!(other.1, first.1);
    assert_eq!(m.gateway_idempotency_cache_hits_total.get(), 1);
    assert_eq!(m.gateway_idempotency_cache_misses_total.get(), 2);
    let mut ran = 0;
    w.worker_jobs_total
        .for_each(|_, counter| ran += counter.get());
    assert_eq!(ran, 2, "the retry did not run the job again");
}

// === per component ===

/// Each component's metrics are in its own registry: the gateway's with its
/// HTTP layer's, the router's and the worker's apart.
#[test]
fn each_component_keeps_its_own_registry() {
    let _serial = serial();
    let (gateway_registry, router_registry, worker_registry) =
        (Registry::new(), Registry::new(), Registry::new());
    let registries = Registries {
        gateway: &gateway_registry,
        router: &router_registry,
        worker: &worker_registry,
    };
    let gateway = Gateway::start(registries, Settings::loopback(3)).unwrap();
    let agent = agent();
    for tenant in TENANTS {
        assert_eq!(
            submit(&agent, gateway.local_addr(), tenant, None).status,
            200
        );
    }
    gateway.shutdown();
    let names = |registry: &Registry| -> Vec<String> {
        let mut names: Vec<String> = registry
            .snapshot()
            .into_iter()
            .map(|m| m.descriptor.name.to_string())
            .collect();
        names.sort();
        names
    };
    let gateway_names = names(&gateway_registry);
    assert_eq!(
        gateway_names,
        [
            "gateway_idempotency_cache_hits_total",
            "gateway_idempotency_cache_misses_total",
            "gateway_rate_limited_requests_total",
            "http_server_active_requests",
            "http_server_panics_total",
            "http_server_request_duration_seconds",
        ]
    );
    let router_names = names(&router_registry);
    assert_eq!(router_names.len(), 14);
    assert!(router_names.iter().all(|name| name.starts_with("router_")));
    assert_eq!(
        names(&worker_registry),
        [
            "worker_jobs_total",
            "worker_pending_messages",
            "worker_step_duration_seconds",
        ]
    );
    assert_eq!(gateway_jobs(&worker_registry), TENANTS.len() as u64);
}

/// The binary as a user runs it: the gateway's, the router's and the
/// worker's `/metrics` each at the address its variable names
/// (`OBS_METRICS_ADDR`, `ROUTER_METRICS_ADDR`, `WORKER_METRICS_ADDR`),
/// announced at start-up, and each serving its own component's families
/// only.
#[test]
fn the_binary_serves_each_component_where_its_variable_says() {
    // Three distinct free ports: all bound at once, then released.
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    drop(listeners);
    let [gateway, router, worker] = [addrs[0], addrs[1], addrs[2]];
    let mut binary = Running(
        command(
            env!("CARGO_BIN_EXE_gateway"),
            &[],
            [
                ("OBS_METRICS_ADDR", gateway.to_string()),
                ("ROUTER_METRICS_ADDR", router.to_string()),
                ("WORKER_METRICS_ADDR", worker.to_string()),
                ("RUST_LOG", "off".to_owned()),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    // It runs until stopped, a round every half second: once the second
    // round starts, every endpoint is open and the first round's jobs have
    // gone through all three components. The pipe stays open to the end:
    // closed, it would fail the binary's next line of output.
    let mut stdout = io::BufReader::new(binary.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        let second_round = line == "round 2:";
        printed.push(line);
        if second_round {
            break;
        }
    }
    if printed.last().map(String::as_str) != Some("round 2:") {
        let mut stderr = String::new();
        let _ = io::Read::read_to_string(&mut binary.0.stderr.take().unwrap(), &mut stderr);
        panic!("the gateway stopped before its second round: {stderr}\n{printed:#?}");
    }
    for announced in [
        format!("metrics: curl http://{gateway}/metrics (the catalog: http://{gateway}/catalog)"),
        format!("router metrics: curl http://{router}/metrics"),
        format!("worker metrics: curl http://{worker}/metrics"),
    ] {
        assert!(
            printed.contains(&announced),
            "{announced:?} not in {printed:#?}"
        );
    }

    let agent = agent();
    let families = |addr: SocketAddr| -> BTreeSet<String> {
        let url = format!("http://{addr}/metrics");
        let scrape = agent
            .get(&url)
            .call()
            .and_then(|mut response| response.body_mut().read_to_string())
            .unwrap_or_else(|err| panic!("{url}: {err}"));
        scrape
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let catalog = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/monitoring/gateway/catalog.json"
    ))
    .unwrap();
    let catalog = Catalog::from_json(&catalog).unwrap();
    let declared = |prefix: &str| -> BTreeSet<String> {
        catalog
            .metrics
            .iter()
            .filter(|metric| metric.name.starts_with(prefix))
            .map(|metric| metric.name.clone())
            .collect()
    };
    let (at_gateway, at_router, at_worker) =
        (families(gateway), families(router), families(worker));
    assert_eq!(at_router, declared("router_"));
    assert_eq!(at_worker, declared("worker_"));
    for name in declared("gateway_").iter().chain(&declared("http_server_")) {
        assert!(
            at_gateway.contains(name),
            "{name} not on the gateway's: {at_gateway:#?}"
        );
    }
    assert!(
        at_gateway
            .iter()
            .all(|name| !name.starts_with("router_") && !name.starts_with("worker_")),
        "{at_gateway:#?}"
    );
}

/// Everything one client sees of an answer: status, the headers the
/// gateway sets, the body; and the trace context it carried, apart.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A fixed run of requests: jobs for each tenant (one retried with its
/// idempotency key), a bad tenant, a wrong method, the health check and an
/// unknown path.
fn script(gateway: &Gateway) -> Vec<(Seen, Option<String>)> {
    let agent = agent();
    let addr = gateway.local_addr();
    let mut seen = Vec::new();
    let mut requests: Vec<(&str, String, Option<&str>)> = TENANTS
        .iter()
        .map(|tenant| ("POST", format!("/jobs/{tenant}"), None))
        .collect();
    requests.extend([
        ("POST", "/jobs/acme-corp".to_owned(), Some("order-1")),
        ("POST", "/jobs/acme-corp".to_owned(), Some("order-1")),
        ("POST", "/jobs/Not_A_Tenant".to_owned(), None),
        ("GET", "/jobs/acme-corp".to_owned(), None),
        ("GET", "/healthz".to_owned(), None),
        ("GET", "/v1/jobs".to_owned(), None),
    ]);
    for (method, path, key) in requests {
        let url = format!("http://{addr}{path}");
        let mut response = match (method, key) {
            ("POST", Some(key)) => agent.post(&url).header("idempotency-key", key).send("{}"),
            ("POST", None) => agent.post(&url).send("{}"),
            _ => agent.get(&url).call(),
        }
        .unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        let headers = [
            "content-type",
            "x-job-id",
            "x-enrichment",
            "idempotent-replay",
            "retry-after",
        ]
        .into_iter()
        .filter_map(|name| header(name).map(|value| (name.to_owned(), value)))
        .collect();
        let traceparent = header("traceparent");
        let body = response.body_mut().read_to_string().unwrap();
        let status = response.status().as_u16();
        seen.push((
            Seen {
                status,
                headers,
                body,
            },
            traceparent,
        ));
    }
    seen
}

/// With every component's metrics and tracing off, the service answers
/// exactly as with everything on (statuses, headers, bodies), its
/// registries stay empty, no span reaches the exporter, and no answer
/// carries a trace.
#[test]
fn with_everything_off_the_service_answers_the_same_and_records_nothing() {
    let _serial = serial();
    let run = |telemetry: Telemetry| {
        let registries = [Registry::new(), Registry::new(), Registry::new()];
        let [gateway, router, worker] = &registries;
        let settings = Settings {
            telemetry,
            ..Settings::loopback(11)
        };
        let registries_of = Registries {
            gateway,
            router,
            worker,
        };
        let (seen, _, spans) = exported_to(registries_of, settings, script);
        let families: usize = registries.iter().map(|r| r.snapshot().len()).sum();
        let scraped: String = registries
            .iter()
            .map(|r| r.encode(obs_runtime::Format::PROMETHEUS_TEXT))
            .collect();
        (seen, spans, families, scraped)
    };
    let (on, on_spans, on_families, _) = run(Telemetry::ON);
    let (off, off_spans, off_families, off_scraped) = run(Telemetry::OFF);

    fn answers(seen: &[(Seen, Option<String>)]) -> Vec<&Seen> {
        seen.iter().map(|(seen, _)| seen).collect()
    }
    assert_eq!(answers(&on), answers(&off));
    assert_eq!(
        on.iter().map(|(seen, _)| seen.status).collect::<Vec<_>>(),
        [200, 200, 200, 200, 200, 400, 405, 200, 404]
    );
    assert!(on.iter().all(|(_, traceparent)| traceparent.is_some()));
    assert!(off.iter().all(|(_, traceparent)| traceparent.is_none()));
    assert!(!on_spans.is_empty() && on_families > 0);
    let names: Vec<&str> = off_spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, Vec::<&str>::new());
    assert_eq!((off_families, off_scraped.as_str()), (0, ""));
}

/// The router's tracing off: the gateway's and the worker's spans are
/// still exported, none of the router's, and the worker's step starts a
/// trace of its own (the router carried no context on).
#[test]
fn a_component_with_tracing_off_records_no_span_and_the_others_still_do() {
    let _serial = serial();
    let registry = Registry::new();
    let settings = Settings {
        telemetry: Telemetry {
            router: Signals {
                metrics: true,
                tracing: false,
            },
            ..Telemetry::ON
        },
        ..Settings::loopback(3)
    };
    let (answer, _, spans) = exported(&registry, settings, |gateway| {
        submit(&agent(), gateway.local_addr(), TENANTS[0], None)
    });
    assert_eq!(answer.status, 200);
    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "POST /jobs/{tenant}",
            "gateway.ingest",
            "gateway.publish",
            "worker.step"
        ]
    );
    let step = spans.iter().find(|s| s.name == "worker.step").unwrap();
    assert_eq!(step.parent_span_id, SpanId::INVALID);
    let request = spans.iter().find(|s| s.name == "gateway.ingest").unwrap();
    assert_ne!(
        step.span_context.trace_id(),
        request.span_context.trace_id()
    );
    // Its metrics are still on.
    assert_eq!(gateway_jobs(&registry), 1);
}

/// The load generator's client is hyper-util's under obs's `ClientLayer`:
/// a submission's span, the layer's client span (its child), the HTTP
/// layer's server span (the client span its remote parent) are one trace;
/// the client's duration is counted by method and status.
#[test]
fn the_load_generators_client_layer_carries_the_trace_to_the_gateway() {
    let _serial = serial();
    let registry = Registry::new();
    let client_registry = Registry::new();
    let (answer, _, spans) = exported(&registry, Settings::loopback(3), |gateway| {
        let client = gateway::LoadClient::new(&client_registry).unwrap();
        let answer = gateway::submit(&client, gateway.local_addr(), "acme", b"{}").unwrap();
        let labels = obs_runtime::tower::ClientLabels {
            http_request_method: HttpMethod::Post,
            http_response_status_code: StatusLabel::Code(200),
        };
        let count = client
            .metrics()
            .http_client_request_duration_seconds
            .get(&labels)
            .snapshot()
            .count;
        assert_eq!(count, 1);
        answer
    });
    assert_eq!(answer.status, 200);
    let named = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let submit = named("client.submit");
    let call = named("POST");
    let server = named("POST /jobs/{tenant}");
    assert_eq!(call.span_kind, SpanKind::Client);
    assert!(has_parent(call, submit, false));
    assert!(has_parent(server, call, true));
    assert_eq!(
        answer.trace_id,
        Some(submit.span_context.trace_id().to_string())
    );
    assert_eq!(
        answer.traceparent,
        Some(format!(
            "00-{}-{}-01",
            server.span_context.trace_id(),
            server.span_context.span_id()
        ))
    );
}

/// Counts the events that reach it, and the spans.
#[derive(Clone, Default)]
struct Recorded {
    events: Arc<Mutex<Vec<String>>>,
    spans: Arc<Mutex<usize>>,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorded {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.events.lock().unwrap().push(message.0);
    }

    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        *self.spans.lock().unwrap() += 1;
    }
}

/// Every component's tracing off: no span at all, but the router's log
/// line (its breaker opening) is still written.
#[test]
fn tracing_off_keeps_a_components_log_lines() {
    let _serial = serial();
    let seen = Recorded::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    let settings = Settings {
        telemetry: Telemetry {
            gateway: Signals {
                metrics: true,
                tracing: false,
            },
            router: Signals {
                metrics: true,
                tracing: false,
            },
            worker: Signals {
                metrics: true,
                tracing: false,
            },
        },
        ..outage()
    };
    let registry = Registry::new();
    let gateway = tracing::subscriber::with_default(subscriber, || {
        Gateway::start(&registry, settings).unwrap()
    });
    let agent = agent();
    submit_traced_jobs(&agent, gateway.local_addr());
    gateway.shutdown();
    assert_eq!(*seen.spans.lock().unwrap(), 0);
    let events = seen.events.lock().unwrap();
    let opened = events
        .iter()
        .filter(|message| message.as_str() == "circuit breaker opened")
        .count();
    assert_eq!(opened, 1, "{events:?}");
}
