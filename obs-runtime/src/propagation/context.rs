//! [`RemoteContext`]: the trace context a caller sent.

use super::traceparent::parse_traceparent;
use super::tracestate::parse_tracestate;
use super::{SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::Context;

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
    pub(super) span_context: SpanContext,
}

impl Default for RemoteContext {
    /// An invalid context: no remote parent.
    fn default() -> Self {
        RemoteContext {
            span_context: SpanContext::empty_context(),
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
        let trace_state = parse_tracestate(tracestates);
        RemoteContext {
            span_context: SpanContext::new(trace_id, span_id, trace_flags, true, trace_state),
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

    /// The trace flags; only the sampled flag is defined by Level 1, and
    /// other bits are cleared.
    pub fn trace_flags(&self) -> TraceFlags {
        self.span_context.trace_flags()
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
        if self.is_valid() {
            Context::new().with_remote_span_context(self.span_context.clone())
        } else {
            Context::new()
        }
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
        self.is_valid().then(|| {
            format!(
                "00-{}-{}-{:02x}",
                self.trace_id(),
                self.span_id(),
                self.trace_flags().to_u8()
            )
        })
    }
}

impl From<RemoteContext> for Context {
    fn from(remote: RemoteContext) -> Context {
        remote.context()
    }
}
