//! [`RemoteContext`]: the trace context a caller sent.

use super::traceparent::{format_traceparent, parse_traceparent, RANDOM_TRACE_ID};
use super::tracestate::{format_tracestate, parse_tracestate, HeldApart};
use super::{SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::Context;
use std::sync::Arc;

/// The trace context a caller sent: the caller's trace id, its span id (the
/// parent of the spans continuing the trace), trace flags and `tracestate`.
///
/// [`extract`](super::extract) returns one; it is invalid when the headers were missing or
/// malformed, and a span given an invalid one as parent starts a new trace.
///
/// ```
/// use obs_runtime::propagation::{self, RemoteContext};
///
/// let headers = vec![
///     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
///     ("tracestate".to_owned(), "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE".to_owned()),
/// ];
/// let remote = propagation::extract(&headers);
/// assert!(remote.is_valid() && remote.is_sampled());
/// assert_eq!(remote.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");
/// assert_eq!(remote.trace_state().header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
///
/// let garbage = vec![("traceparent".to_owned(), "00-not-a-trace-01".to_owned())];
/// assert!(!propagation::extract(&garbage).is_valid());
/// assert_eq!(RemoteContext::default().trace_id(), propagation::TraceId::INVALID);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteContext {
    span_context: SpanContext,
    held: Arc<[HeldApart]>,
}

/// What a span continuing a remote trace sends on beside its OpenTelemetry
/// span context, which cannot carry it: Level 2's random-trace-id flag,
/// which the SDK clears on spans it does not sample, and the members
/// `TraceState` refuses. A value of the OpenTelemetry `Context`, so the
/// span's children inherit it with the trace.
#[derive(Debug)]
pub(super) struct Passed {
    pub(super) trace_id: TraceId,
    pub(super) random_trace_id: bool,
    pub(super) held: Arc<[HeldApart]>,
}

impl Default for RemoteContext {
    /// An invalid context: no remote parent.
    fn default() -> Self {
        RemoteContext {
            span_context: SpanContext::empty_context(),
            held: Arc::new([]),
        }
    }
}

impl RemoteContext {
    /// Parses header values: every `traceparent` value and every
    /// `tracestate` value, in the order received.
    pub(super) fn from_headers(traceparents: &[&str], tracestates: &[&str]) -> Self {
        // Two `traceparent` headers cannot be told apart: neither is used.
        let [traceparent] = traceparents else {
            return RemoteContext::default();
        };
        let Some((trace_id, span_id, trace_flags)) = parse_traceparent(traceparent) else {
            // The spec: no `tracestate` without a valid `traceparent`.
            return RemoteContext::default();
        };
        let (trace_state, held) = parse_tracestate(tracestates);
        RemoteContext {
            span_context: SpanContext::new(trace_id, span_id, trace_flags, true, trace_state),
            held: held.into(),
        }
    }

    /// Whether the headers held a valid trace context. An invalid one has
    /// [`TraceId::INVALID`] and [`SpanId::INVALID`] as ids.
    pub fn is_valid(&self) -> bool {
        self.span_context.is_valid()
    }

    /// The caller's trace id.
    pub fn trace_id(&self) -> TraceId {
        self.span_context.trace_id()
    }

    /// The caller's span id: the parent of the span that continues the trace.
    pub fn span_id(&self) -> SpanId {
        self.span_context.span_id()
    }

    /// The trace flags: sampled, and [`RANDOM_TRACE_ID`](super::RANDOM_TRACE_ID)
    /// (Level 2); other bits are cleared.
    pub fn trace_flags(&self) -> TraceFlags {
        self.span_context.trace_flags()
    }

    /// Whether the caller set the `random-trace-id` flag (Level 2): at least
    /// the right-most 7 bytes of the trace id are random. Spans continuing
    /// the trace keep the flag.
    pub fn has_random_trace_id(&self) -> bool {
        self.trace_flags() & RANDOM_TRACE_ID == RANDOM_TRACE_ID
    }

    /// Whether the caller sampled (recorded) its span.
    pub fn is_sampled(&self) -> bool {
        self.span_context.is_sampled()
    }

    /// The vendors' `tracestate` entries, validated, in the order received.
    pub fn trace_state(&self) -> &TraceState {
        self.span_context.trace_state()
    }

    /// The OpenTelemetry span context, marked remote.
    pub fn span_context(&self) -> &SpanContext {
        &self.span_context
    }

    /// An OpenTelemetry context with this remote span as its span (empty if
    /// invalid), for OpenTelemetry APIs that take a parent context.
    pub fn context(&self) -> Context {
        self.within(&Context::new())
    }

    /// `context` with this remote span as its span, and what obs sends on
    /// beside it; `context` itself if invalid.
    pub(super) fn within(&self, context: &Context) -> Context {
        if !self.is_valid() {
            return context.clone();
        }
        context
            .with_remote_span_context(self.span_context.clone())
            .with_value(Passed {
                trace_id: self.trace_id(),
                random_trace_id: self.has_random_trace_id(),
                held: Arc::clone(&self.held),
            })
    }

    /// The `traceparent` value that forwards this context unchanged, as a
    /// pass-through service would send it; `None` if invalid.
    ///
    /// ```
    /// let headers = vec![(
    ///     "traceparent".to_owned(),
    ///     "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future".to_owned(),
    /// )];
    /// let remote = obs_runtime::propagation::extract(&headers);
    /// // A future version is read, and sent on as version 00.
    /// assert_eq!(
    ///     remote.traceparent().as_deref(),
    ///     Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    /// );
    /// ```
    pub fn traceparent(&self) -> Option<String> {
        self.is_valid()
            .then(|| format_traceparent(self.trace_id(), self.span_id(), self.trace_flags()))
    }

    /// The `tracestate` value that forwards this context unchanged; `None`
    /// if invalid or without members. It holds every member kept, including
    /// a multi-tenant key with a 14-character system id, which
    /// [`trace_state`](Self::trace_state) cannot hold, within
    /// [`MAX_TRACESTATE_BYTES`](super::MAX_TRACESTATE_BYTES).
    ///
    /// ```
    /// let key = "tenant@fourteen-chars"; // a 14-character system id
    /// let headers = vec![
    ///     ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
    ///     ("tracestate".to_owned(), format!("rojo=1,{key}=2")),
    /// ];
    /// let remote = obs_runtime::propagation::extract(&headers);
    /// assert_eq!(remote.tracestate().as_deref(), Some("rojo=1,tenant@fourteen-chars=2"));
    /// assert_eq!(remote.trace_state().get(key), None);
    /// ```
    pub fn tracestate(&self) -> Option<String> {
        self.is_valid()
            .then(|| format_tracestate(self.trace_state(), &self.held))
            .flatten()
    }
}

impl From<RemoteContext> for Context {
    fn from(remote: RemoteContext) -> Context {
        remote.context()
    }
}
