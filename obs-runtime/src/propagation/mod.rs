// This module owns W3C Trace Context on the wire: the `traceparent` and
// `tracestate` grammars (`traceparent.rs`, `tracestate.rs`), the carriers
// headers are read from and written to (`carrier.rs`), the remote context
// extraction yields (`context.rs`), and the OpenTelemetry propagator over
// them (`propagator.rs`); this file ties them to spans (inject, extract,
// set_parent). It may import `opentelemetry`, `tracing-opentelemetry` and
// `http`, and nothing else of obs. Its input comes from the network: it
// never panics on it, and its parsing is linear and bounded in time and
// memory whatever the headers hold.

//! W3C Trace Context propagation (feature `opentelemetry`): carry a trace
//! across HTTP requests and messages in the `traceparent` and `tracestate`
//! headers, as [W3C Trace Context Level 1] and [Level 2] define them.
//!
//! - [`inject`] (or [`inject_current`]) writes a span's context into outgoing
//!   headers: an [`http::HeaderMap`], or any string key/value [`Carrier`]
//!   such as message headers (`Vec<(String, String)>`, `HashMap`, `BTreeMap`).
//! - [`extract`] reads incoming headers into a [`RemoteContext`]; invalid
//!   input gives an invalid one, and the trace starts afresh.
//! - [`set_parent`] makes a [`RemoteContext`] the parent of a span, so the
//!   span continues the caller's trace.
//!
//! Spans get OpenTelemetry ids from `tracing-opentelemetry`: the subscriber
//! needs its layer (the one `obs_runtime`'s init installs, or your own).
//!
//! ```
//! use obs_runtime::propagation;
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("docs")));
//!
//! tracing::subscriber::with_default(subscriber, || {
//!     // An HTTP request arrives with a trace context.
//!     let mut request = http::HeaderMap::new();
//!     request.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
//!     request.insert("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
//!     let remote = propagation::extract(&request);
//!
//!     // The handler's span continues that trace...
//!     let span = tracing::info_span!("router.route");
//!     propagation::set_parent(&span, &remote).unwrap();
//!     let _entered = span.enter();
//!
//!     // ...and hands it on to a message.
//!     let mut message: Vec<(String, String)> = Vec::new();
//!     propagation::inject_current(&mut message);
//!     let next = propagation::extract(&message);
//!     assert_eq!(next.trace_id(), remote.trace_id());
//!     assert_ne!(next.span_id(), remote.span_id()); // the router's span
//!     assert_eq!(next.trace_state().get("congo"), Some("t61rcWkgMzE"));
//! });
//! ```
//!
//! # Conformance
//!
//! Extraction follows Level 1 to the letter: `traceparent` is
//! `version-traceid-parentid-flags` in lowercase hex, version `ff` and
//! all-zero ids are invalid, version `00` is exactly 55 characters, a higher
//! version is read by its first 55 characters when the next one (if any) is
//! `-`, and more than one `traceparent` header is invalid. `tracestate`
//! headers are combined in order; empty, malformed and repeated list-members
//! are dropped one by one (the first of a repeated key wins), and at most 32
//! are kept, within 8 KiB read. The spec leaves the choice between dropping
//! a bad member and dropping the whole list to the vendor; keeping the good
//! members keeps the other vendors' correlation alive.
//!
//! From Level 2, the [`RANDOM_TRACE_ID`] flag is kept and sent on by every
//! span continuing the trace. Outgoing `tracestate` stays within
//! [`MAX_TRACESTATE_BYTES`], leaving out members over 128 characters first.
//!
//! [W3C Trace Context Level 1]: https://www.w3.org/TR/trace-context-1/
//! [Level 2]: https://www.w3.org/TR/trace-context-2/

// What `opentelemetry_sdk`'s `TraceContextPropagator` (0.33) does and what
// obs does instead:
//
// - Injection is replaced: its `traceparent` sends only the sampled flag,
//   so a trace continued through it loses Level 2's random-trace-id flag
//   (and the SDK clears all flags on a span it does not sample, so obs
//   carries the flag in the `Context`, see `context::Passed`); its
//   `tracestate` has no byte budget; and it writes an empty `tracestate` for a span without entries: obs
//   sends none (the spec: vendors SHOULD avoid sending empty headers) and,
//   on a `Carrier`, removes a stale one rather than forwarding the incoming
//   request's.
// - Extraction is replaced. Its `traceparent` parser splits on `-` and
//   parses each part as an integer, so it accepts short fields
//   (`00-ab-cd-01`), a leading `+`, 34-digit trace ids with leading zeros,
//   3-digit flags (`001`) and a version-00 header with a trailing `-`; it
//   reads only the first of duplicated `traceparent` headers. Its
//   `tracestate` parser reads only the first header, drops the whole list
//   for one bad member, keeps repeated keys, counts empty members toward the
//   32, accepts empty values and non-printable characters in values, simple
//   keys starting with a digit, and multi-tenant keys with an empty system
//   id, a system id starting with a digit or a tenant id over 241
//   characters.
// - `TraceState` itself is reused as the container, with one workaround: it
//   refuses a 14-character system id, which the spec allows: such members
//   are held apart, carried in the `Context` beside it, and put back in
//   their places on inject (see `tracestate::HeldApart`).

mod carrier;
mod context;
mod propagator;
mod traceparent;
mod tracestate;

pub use carrier::Carrier;
pub use context::RemoteContext;
pub use propagator::W3cPropagator;
pub use traceparent::RANDOM_TRACE_ID;
pub use tracestate::MAX_TRACESTATE_BYTES;

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::Context;
use std::fmt;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

pub use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};

/// The `traceparent` header name.
pub const TRACEPARENT: &str = "traceparent";
/// The `tracestate` header name.
pub const TRACESTATE: &str = "tracestate";

// === inject / extract ===

/// Reads the trace context from incoming headers. Header names are matched
/// in any case; invalid or missing headers give an invalid
/// [`RemoteContext`], which starts a new trace.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("TraceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".parse().unwrap());
/// let remote = obs_runtime::propagation::extract(&headers);
/// assert!(remote.is_valid());
/// assert!(!remote.is_sampled());
/// ```
pub fn extract<C: Carrier + ?Sized>(carrier: &C) -> RemoteContext {
    RemoteContext::from_headers(&carrier.get_all(TRACEPARENT), &carrier.get_all(TRACESTATE))
}

/// Writes `span`'s trace context into outgoing headers: `traceparent`, and
/// `tracestate` when it has entries. Existing values of those headers are
/// replaced, and a `tracestate` is removed when the span has no entries.
///
/// If `span` is disabled (filtered out by level), the current span's context
/// is written instead, so a level filter does not break the trace. Nothing
/// is written when there is no span with an OpenTelemetry context (no
/// `tracing-opentelemetry` layer).
///
/// Reading the context starts the span's OpenTelemetry span: call
/// [`set_parent`] before this.
pub fn inject<C: Carrier + ?Sized>(span: &tracing::Span, carrier: &mut C) {
    let context = if span.is_disabled() {
        tracing::Span::current().context()
    } else {
        span.context()
    };
    inject_context(&context, carrier);
}

/// Writes the current span's trace context into outgoing headers (see
/// [`inject`]).
///
/// ```
/// use obs_runtime::propagation;
/// use opentelemetry::trace::TracerProvider as _;
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// #[obs_runtime::traced(name = "gateway.forward", kind = "client")]
/// fn forward() -> http::HeaderMap {
///     let mut headers = http::HeaderMap::new();
///     propagation::inject_current(&mut headers);
///     headers
/// }
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("docs")));
/// let headers = tracing::subscriber::with_default(subscriber, forward);
/// assert!(propagation::extract(&headers).is_valid());
/// ```
pub fn inject_current<C: Carrier + ?Sized>(carrier: &mut C) {
    inject(&tracing::Span::current(), carrier);
}

/// Writes the trace context of an OpenTelemetry [`Context`]'s span into
/// outgoing headers; nothing if the context has no valid span.
///
/// ```
/// let incoming = vec![
///     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
///     ("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned()),
/// ];
/// let remote = obs_runtime::propagation::extract(&incoming);
/// let mut outgoing = http::HeaderMap::new();
/// obs_runtime::propagation::inject_context(&remote.context(), &mut outgoing);
/// assert_eq!(outgoing["traceparent"], incoming[0].1);
/// assert_eq!(outgoing["tracestate"], "congo=t61rcWkgMzE");
/// ```
pub fn inject_context<C: Carrier + ?Sized>(context: &Context, carrier: &mut C) {
    let Some(outgoing) = Outgoing::of(context) else {
        return;
    };
    carrier.set(TRACEPARENT, outgoing.traceparent);
    match outgoing.tracestate {
        Some(tracestate) => carrier.set(TRACESTATE, tracestate),
        // Not sent empty, and not left over from the incoming request.
        None => carrier.remove(TRACESTATE),
    }
}

/// The headers that carry a context's span to the next hop.
pub(super) struct Outgoing {
    pub(super) traceparent: String,
    /// `None` when the span has no entries: the spec asks not to send an
    /// empty header.
    pub(super) tracestate: Option<String>,
}

impl Outgoing {
    /// `None` if the context has no valid span.
    pub(super) fn of(context: &Context) -> Option<Outgoing> {
        let span = context.span();
        let span_context = span.span_context();
        if !span_context.is_valid() {
            return None;
        }
        let trace_id = span_context.trace_id();
        let passed = context
            .get::<context::Passed>()
            .filter(|passed| passed.trace_id == trace_id);
        let mut flags = span_context.trace_flags();
        if passed.is_some_and(|passed| passed.random_trace_id) {
            flags = flags | RANDOM_TRACE_ID;
        }
        let held = passed.map_or(&[][..], |passed| &passed.held);
        Some(Outgoing {
            traceparent: traceparent::format_traceparent(trace_id, span_context.span_id(), flags),
            tracestate: tracestate::format_tracestate(span_context.trace_state(), held),
        })
    }
}

// === set_parent ===

/// Makes `remote` the parent of `span`: the span joins the caller's trace,
/// with the caller's span as its (remote) parent, and inherits its
/// `tracestate`.
///
/// Call it right after creating the span, before entering it or injecting
/// its context: the OpenTelemetry span starts then, and its parent is
/// fixed ([`SetParentError::AlreadyStarted`]). If `remote` is invalid, the
/// span keeps its local parent, or, if it has none, starts a new trace. A
/// disabled span is left alone.
///
/// ```
/// use obs_runtime::propagation::{self, SetParentError};
/// use opentelemetry::trace::TracerProvider as _;
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let subscriber = tracing_subscriber::registry()
///     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("docs")));
/// let headers = vec![(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )];
///
/// tracing::subscriber::with_default(subscriber, || {
///     let remote = propagation::extract(&headers);
///     let span = tracing::info_span!("worker.consume", otel.kind = "consumer");
///     propagation::set_parent(&span, &remote).unwrap();
///     span.in_scope(|| { /* work, in the caller's trace */ });
///     assert_eq!(propagation::set_parent(&span, &remote), Err(SetParentError::AlreadyStarted));
/// });
/// ```
pub fn set_parent(span: &tracing::Span, remote: &RemoteContext) -> Result<(), SetParentError> {
    if !remote.is_valid() {
        return Ok(());
    }
    match span.set_parent(remote.context()) {
        Ok(()) | Err(tracing_opentelemetry::SetParentError::SpanDisabled) => Ok(()),
        Err(tracing_opentelemetry::SetParentError::AlreadyStarted) => {
            Err(SetParentError::AlreadyStarted)
        }
        Err(tracing_opentelemetry::SetParentError::LayerNotFound) => {
            Err(SetParentError::NoOpenTelemetryLayer)
        }
    }
}

/// For `#[traced]`: makes `remote` the parent of the span it just created,
/// before entering it. Errors (no OpenTelemetry layer) leave the span as it
/// is, like a span created without a remote parent.
#[doc(hidden)]
pub fn set_remote_parent(span: &tracing::Span, remote: &RemoteContext) {
    let _ = set_parent(span, remote);
}

/// Why [`set_parent`] could not set a span's parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetParentError {
    /// The span's OpenTelemetry span had started (the span was entered, or
    /// its context read), so its parent is fixed. Set the parent right after
    /// creating the span.
    AlreadyStarted,
    /// The subscriber has no `tracing-opentelemetry` layer, so spans have no
    /// OpenTelemetry context to give a parent to.
    NoOpenTelemetryLayer,
}

impl fmt::Display for SetParentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetParentError::AlreadyStarted => {
                "the span has already started; set its remote parent right after creating it"
            }
            SetParentError::NoOpenTelemetryLayer => {
                "the subscriber has no tracing-opentelemetry layer"
            }
        })
    }
}

impl std::error::Error for SetParentError {}
