//! W3C Trace Context propagation through spans: round trips through every
//! carrier, remote parents of spans, the OpenTelemetry propagator, and a
//! gateway → router → worker trace exported through the OpenTelemetry SDK.

mod trace_context;

use http::{HeaderMap, HeaderValue};
use obs_runtime::propagation::{
    self, Carrier, RemoteContext, SetParentError, SpanId, TraceId, W3cPropagator,
};
use obs_runtime::traced;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use std::collections::{BTreeMap, HashMap};
use trace_context::{
    exported, extract, names, pairs, span, span_id, trace_id, SPAN_ID, TRACEPARENT, TRACE_ID,
};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

// === inject and round trips ===

#[test]
fn extract_then_inject_gives_the_same_headers_in_every_carrier() {
    let tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    let incoming = [("traceparent", TRACEPARENT), ("tracestate", tracestate)];
    let remote = extract(&incoming);
    let context = remote.context();

    fn round_trip<C: Carrier + Default>(context: &opentelemetry::Context) -> RemoteContext {
        let mut carrier = C::default();
        propagation::inject_context(context, &mut carrier);
        assert_eq!(carrier.get("traceparent"), Some(TRACEPARENT));
        assert_eq!(
            carrier.get("tracestate"),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        propagation::extract(&carrier)
    }
    for back in [
        round_trip::<HeaderMap>(&context),
        round_trip::<Vec<(String, String)>>(&context),
        round_trip::<HashMap<String, String>>(&context),
        round_trip::<BTreeMap<String, String>>(&context),
    ] {
        assert_eq!(back, remote);
    }
}

#[test]
fn inject_replaces_stale_trace_context() {
    let stale = pairs(&[
        (
            "TraceParent",
            "00-11111111111111111111111111111111-1111111111111111-01",
        ),
        ("TRACESTATE", "stale=1"),
        ("content-type", "application/json"),
    ]);

    // A context with a tracestate replaces both headers.
    let remote = extract(&[("traceparent", TRACEPARENT), ("tracestate", "foo=1")]);
    let mut headers = stale.clone();
    propagation::inject_context(&remote.context(), &mut headers);
    assert_eq!(
        headers,
        pairs(&[
            ("content-type", "application/json"),
            ("traceparent", TRACEPARENT),
            ("tracestate", "foo=1"),
        ])
    );

    // One without removes the stale tracestate rather than sending it on.
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let mut headers = stale.clone();
    propagation::inject_context(&remote.context(), &mut headers);
    assert_eq!(
        headers,
        pairs(&[
            ("content-type", "application/json"),
            ("traceparent", TRACEPARENT)
        ])
    );

    // An invalid context leaves the headers alone.
    let mut headers = stale.clone();
    propagation::inject_context(&RemoteContext::default().context(), &mut headers);
    assert_eq!(headers, stale);
}

#[test]
fn inject_writes_nothing_without_an_opentelemetry_layer() {
    let mut headers = HeaderMap::new();
    propagation::inject_current(&mut headers);
    assert!(headers.is_empty());

    let subscriber = tracing_subscriber::registry();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("no.otel");
        let _entered = span.enter();
        propagation::inject(&span, &mut headers);
    });
    assert!(headers.is_empty());
}

/// A capture gives its spans OpenTelemetry ids, so a propagation test can
/// run under it: what `inject_current` writes names the captured span.
#[test]
fn captured_spans_have_ids_that_inject_writes() {
    let (headers, spans) = obs_runtime::testing::capture(|| {
        let parent = tracing::info_span!("client.call");
        let _entered = parent.enter();
        let child = tracing::info_span!("client.send");
        let _entered = child.enter();
        let mut headers = HeaderMap::new();
        propagation::inject_current(&mut headers);
        headers
    });
    let (parent, child) = (spans.span("client.call"), spans.span("client.send"));
    let trace_id = parent.trace_id.clone().expect("a trace id");
    assert_eq!(child.trace_id.as_ref(), Some(&trace_id));
    assert_ne!(child.span_id, parent.span_id);
    let span_id = child.span_id.clone().unwrap();
    assert_eq!(
        headers["traceparent"].to_str().unwrap(),
        format!("00-{trace_id}-{span_id}-01")
    );
}

#[test]
fn a_span_continues_the_remote_trace_and_propagates_it() {
    for flags in ["01", "00", "03", "02"] {
        let incoming = [
            ("traceparent", &*format!("00-{TRACE_ID}-{SPAN_ID}-{flags}")),
            // A 14-character system id, which `TraceState` cannot hold.
            ("tracestate", "congo=t61rcWkgMzE,tenant@fourteen-chars=1"),
        ];
        let remote = extract(&incoming);
        let (outgoing, spans) = exported(|| {
            let span = tracing::info_span!("server.handle");
            propagation::set_parent(&span, &remote).unwrap();
            let mut outgoing = HeaderMap::new();
            propagation::inject(&span, &mut outgoing);
            // A child span sends the same flags and state.
            let mut from_child = HeaderMap::new();
            span.in_scope(|| {
                propagation::inject(&tracing::info_span!("server.child"), &mut from_child)
            });
            assert_eq!(from_child["tracestate"], outgoing["tracestate"]);
            let flags =
                |headers: &HeaderMap| headers["traceparent"].to_str().unwrap()[53..].to_owned();
            assert_eq!(flags(&from_child), flags(&outgoing));
            outgoing
        });
        assert_eq!(outgoing["tracestate"], incoming[1].1);
        let next = propagation::extract(&outgoing);
        assert_eq!(next.trace_id(), remote.trace_id());
        assert_ne!(next.span_id(), remote.span_id());
        // Both flags go on: sampled, and Level 2's random trace id.
        let sent = outgoing["traceparent"].to_str().unwrap();
        assert!(sent.ends_with(&format!("-{flags}")), "{sent}");
        assert_eq!(next.trace_flags(), remote.trace_flags(), "flags {flags}");
        assert_eq!(next.trace_state(), remote.trace_state());

        // Unsampled spans are not exported; the sampled one is, as the child
        // of the remote span.
        if remote.is_sampled() {
            assert_eq!(spans.len(), 2, "{:?}", names(&spans));
            let server = span(&spans, "server.handle");
            assert_eq!(server.span_context.span_id(), next.span_id());
            assert_eq!(server.span_context.trace_id(), remote.trace_id());
            assert_eq!(server.parent_span_id, remote.span_id());
            assert!(server.parent_span_is_remote);
        } else {
            assert!(spans.is_empty(), "{:?}", names(&spans));
        }
    }
}

#[test]
fn an_invalid_remote_context_starts_a_new_trace() {
    let remote = extract(&[(
        "traceparent",
        "00-00000000000000000000000000000000-1234567890123456-01",
    )]);
    let (outgoing, spans) = exported(|| {
        let span = tracing::info_span!("server.handle");
        propagation::set_parent(&span, &remote).unwrap();
        let _entered = span.enter();
        let mut outgoing = Vec::new();
        propagation::inject_current(&mut outgoing);
        outgoing
    });
    let server = span(&spans, "server.handle");
    assert_ne!(server.span_context.trace_id(), TraceId::INVALID);
    assert_eq!(server.parent_span_id, SpanId::INVALID);
    assert_eq!(
        propagation::extract(&outgoing).trace_id(),
        server.span_context.trace_id()
    );
}

#[test]
fn an_invalid_remote_context_keeps_the_local_parent() {
    let ((), spans) = exported(|| {
        let local = tracing::info_span!("local.parent");
        let _entered = local.enter();
        let child = tracing::info_span!("local.child");
        propagation::set_parent(&child, &RemoteContext::default()).unwrap();
        child.in_scope(|| {});
    });
    let (local, child) = (span(&spans, "local.parent"), span(&spans, "local.child"));
    assert_eq!(child.parent_span_id, local.span_context.span_id());
    assert_eq!(child.span_context.trace_id(), local.span_context.trace_id());
}

#[test]
fn set_parent_after_the_span_started_is_an_error() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let (result, spans) = exported(|| {
        let span = tracing::info_span!("late.parent");
        let _entered = span.enter();
        propagation::set_parent(&span, &remote)
    });
    assert_eq!(result, Err(SetParentError::AlreadyStarted));
    assert_ne!(
        span(&spans, "late.parent").span_context.trace_id(),
        remote.trace_id()
    );
}

#[test]
fn set_parent_needs_an_opentelemetry_layer() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let result = tracing::subscriber::with_default(tracing_subscriber::registry(), || {
        propagation::set_parent(&tracing::info_span!("no.otel"), &remote)
    });
    assert_eq!(result, Err(SetParentError::NoOpenTelemetryLayer));
    // A capture has one: the captured span continues the remote trace.
    let (result, spans) = obs_runtime::testing::capture(|| {
        let span = tracing::info_span!("server.handle");
        let set = propagation::set_parent(&span, &remote);
        span.in_scope(|| {});
        set
    });
    assert_eq!(result, Ok(()));
    assert_eq!(
        spans.span("server.handle").trace_id.as_deref(),
        Some(TRACE_ID)
    );
    // A disabled span (no subscriber at all) is left alone.
    assert_eq!(
        propagation::set_parent(&tracing::Span::none(), &remote),
        Ok(())
    );
}

#[test]
fn the_macro_hook_sets_the_remote_parent() {
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let ((), spans) = exported(|| {
        let span = tracing::info_span!("hooked.span");
        obs_runtime::__private::set_remote_parent(&span, &remote);
        span.in_scope(|| {});
    });
    let hooked = span(&spans, "hooked.span");
    assert_eq!(hooked.span_context.trace_id(), remote.trace_id());
    assert_eq!(hooked.parent_span_id, remote.span_id());
}

#[test]
fn a_disabled_span_injects_the_current_span() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_propagation")))
        .with(LevelFilter::INFO);
    let headers = tracing::subscriber::with_default(subscriber, || {
        let outer = tracing::info_span!("outer.enabled");
        let _entered = outer.enter();
        let inner = tracing::debug_span!("inner.disabled");
        assert!(inner.is_disabled());
        let mut headers = HeaderMap::new();
        propagation::inject(&inner, &mut headers);
        headers
    });
    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    let outer = span(&spans, "outer.enabled");
    assert_eq!(
        propagation::extract(&headers).span_id(),
        outer.span_context.span_id()
    );
}

#[test]
fn the_propagator_conforms_through_opentelemetry_apis() {
    let propagator = W3cPropagator::new();
    let fields: Vec<&str> = propagator.fields().collect();
    assert_eq!(fields, ["traceparent", "tracestate"]);

    let mut headers = HashMap::new();
    headers.insert("traceparent".to_owned(), TRACEPARENT.to_owned());
    headers.insert("tracestate".to_owned(), "foo=1,FOO=2,foo=3".to_owned());
    let context = propagator.extract(&headers);
    let span = context.span();
    let extracted = span.span_context();
    assert_eq!(extracted.trace_id(), trace_id(TRACE_ID));
    assert_eq!(extracted.trace_state().header(), "foo=1");

    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject_context(&context, &mut out);
    assert_eq!(out["traceparent"], TRACEPARENT);
    assert_eq!(out["tracestate"], "foo=1");

    // What the SDK's propagator accepts and W3C does not.
    headers.insert("traceparent".to_owned(), format!("{TRACEPARENT}-"));
    assert!(!propagator
        .extract(&headers)
        .span()
        .span_context()
        .is_valid());

    // Level 2's random-trace-id flag goes on.
    let random = format!("00-{TRACE_ID}-{SPAN_ID}-03");
    headers.insert("traceparent".to_owned(), random.clone());
    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject_context(&propagator.extract(&headers), &mut out);
    assert_eq!(out["traceparent"], random);

    // No empty tracestate is sent.
    let remote = extract(&[("traceparent", TRACEPARENT)]);
    let mut out: HashMap<String, String> = HashMap::new();
    propagator.inject_context(&remote.context(), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}

// === gateway → router → worker ===

#[traced(level = "info", name = "gateway.forward", kind = "client")]
fn gateway_forward() -> HeaderMap {
    let mut request = HeaderMap::new();
    request.insert("content-type", HeaderValue::from_static("application/json"));
    propagation::inject_current(&mut request);
    request
}

/// The router receives the HTTP request, continues its trace, and publishes
/// a message carrying the context in its headers.
fn router_receive(request: &HeaderMap) -> Vec<(String, String)> {
    let remote = propagation::extract(request);
    let span = tracing::info_span!("router.route", otel.kind = "server");
    propagation::set_parent(&span, &remote).unwrap();
    span.in_scope(router_publish)
}

#[traced(level = "info", name = "router.publish", kind = "producer")]
fn router_publish() -> Vec<(String, String)> {
    let mut message = vec![("message-id".to_owned(), "42".to_owned())];
    propagation::inject_current(&mut message);
    message
}

/// The worker consumes the message and continues the same trace.
fn worker_consume(message: Vec<(String, String)>) {
    let remote = propagation::extract(&message);
    let span = tracing::info_span!("worker.consume", otel.kind = "consumer");
    propagation::set_parent(&span, &remote).unwrap();
    span.in_scope(worker_step);
}

#[traced(level = "info", name = "worker.step")]
fn worker_step() {}

#[test]
fn a_trace_crosses_http_and_a_message_into_a_worker() {
    let (message, spans) = exported(|| {
        let request = gateway_forward();
        assert!(request.contains_key("traceparent"));
        let message = router_receive(&request);
        worker_consume(message.clone());
        message
    });
    assert_eq!(message[0], ("message-id".to_owned(), "42".to_owned()));

    let gateway = span(&spans, "gateway.forward");
    let route = span(&spans, "router.route");
    let publish = span(&spans, "router.publish");
    let consume = span(&spans, "worker.consume");
    let step = span(&spans, "worker.step");
    assert_eq!(spans.len(), 5, "{:?}", names(&spans));

    // One trace.
    let trace = gateway.span_context.trace_id();
    assert_ne!(trace, TraceId::INVALID);
    for span in &spans {
        assert_eq!(span.span_context.trace_id(), trace, "{}", span.name);
    }

    // The gateway is the root; each hop's first span has the previous hop's
    // last span as its remote parent; spans within a hop are local children.
    assert_eq!(gateway.parent_span_id, SpanId::INVALID);
    assert_eq!(route.parent_span_id, gateway.span_context.span_id());
    assert!(route.parent_span_is_remote);
    assert_eq!(publish.parent_span_id, route.span_context.span_id());
    assert!(!publish.parent_span_is_remote);
    assert_eq!(consume.parent_span_id, publish.span_context.span_id());
    assert!(consume.parent_span_is_remote);
    assert_eq!(step.parent_span_id, consume.span_context.span_id());
    assert!(!step.parent_span_is_remote);

    // Kinds, from `#[traced(kind = …)]` and `otel.kind`.
    assert_eq!(gateway.span_kind, SpanKind::Client);
    assert_eq!(route.span_kind, SpanKind::Server);
    assert_eq!(publish.span_kind, SpanKind::Producer);
    assert_eq!(consume.span_kind, SpanKind::Consumer);
    assert_eq!(step.span_kind, SpanKind::Internal);
}

// === #[traced(remote_parent = …)] ===

#[traced(level = "info", name = "queue.consume", kind = "consumer", remote_parent = headers_context)]
fn consume(headers_context: &RemoteContext) -> u32 {
    7
}

#[test]
fn traced_takes_a_remote_parent() {
    let remote = extract(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )]);
    assert!(remote.is_valid());
    let (value, spans) = exported(|| consume(&remote));
    assert_eq!(value, 7);
    let consumed = span(&spans, "queue.consume");
    assert_eq!(
        consumed.span_context.trace_id(),
        trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(consumed.parent_span_id, span_id("00f067aa0ba902b7"));
    assert_eq!(consumed.span_kind, SpanKind::Consumer);

    // An invalid context leaves the span a root of a new trace.
    let (_, spans) = exported(|| consume(&RemoteContext::default()));
    let fresh = span(&spans, "queue.consume");
    assert_ne!(
        fresh.span_context.trace_id(),
        trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(fresh.parent_span_id, opentelemetry::trace::SpanId::INVALID);
}

// === exemplars of #[traced(metrics)] ===

#[traced(level = "info", name = "red.exemplar", metrics)]
fn measured_step() -> u32 {
    1
}

#[traced(level = "info", name = "red.exemplar_async", metrics)]
async fn measured_async_step() -> u32 {
    std::future::ready(1).await
}

#[test]
fn red_durations_carry_the_trace_as_an_exemplar() {
    assert_exemplar_of("red.exemplar", measured_step);
}

/// An async call records after its last poll, outside its span: the
/// exemplar still carries the call's own span, not its caller's.
#[test]
fn async_red_durations_carry_their_own_span_as_an_exemplar() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_exemplar_of("red.exemplar_async", || {
        let caller = tracing::info_span!("red.caller");
        caller.in_scope(|| runtime.block_on(measured_async_step()))
    });
}

fn assert_exemplar_of(name: &str, call: impl FnOnce() -> u32) {
    let (_, spans) = exported(call);
    let span = span(&spans, name);
    let red = obs_runtime::function_metrics(name).expect("called");
    let exemplar = red
        .duration()
        .exemplars
        .into_iter()
        .flatten()
        .next()
        .expect("the first call keeps an exemplar");
    assert_eq!(
        exemplar.trace_id_hex(),
        span.span_context.trace_id().to_string()
    );
    assert_eq!(
        exemplar.span_id_hex(),
        span.span_context.span_id().to_string()
    );
}
