//! W3C Trace Context propagation (feature `opentelemetry`): carry a trace
//! across HTTP requests and messages in the `traceparent` and `tracestate`
//! headers, as [W3C Trace Context Level 1] defines them.
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
//! are kept. The spec leaves the choice between dropping a bad member and
//! dropping the whole list to the vendor; keeping the good members keeps the
//! other vendors' correlation alive.
//!
//! [W3C Trace Context Level 1]: https://www.w3.org/TR/trace-context-1/

// What `opentelemetry_sdk`'s `TraceContextPropagator` (0.33) does and what
// obs does instead:
//
// - Injection is reused: its `traceparent` is exactly Level 1 (version 00,
//   lowercase hex, only the sampled flag). Wrapped because it writes an
//   empty `tracestate` for a span without entries: obs sends none (the spec:
//   vendors SHOULD avoid sending empty headers) and, on a `Carrier`, removes
//   a stale one rather than forwarding the incoming request's.
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
//   refuses a 14-character system id, which the spec allows (see
//   `parse_tracestate`).

use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::Context;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::LazyLock;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

pub use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};

/// The `traceparent` header name.
pub const TRACEPARENT: &str = "traceparent";
/// The `tracestate` header name.
pub const TRACESTATE: &str = "tracestate";

/// The most `tracestate` list-members kept.
const MAX_TRACESTATE_MEMBERS: usize = 32;

// === Carrier ===

/// Headers that trace context can be written to and read from: string keys
/// and values, looked up without regard to ASCII case.
///
/// Implemented for [`http::HeaderMap`], `HashMap<String, String>`,
/// `BTreeMap<String, String>` and `Vec<(String, String)>` (message headers
/// as most brokers model them). For another carrier, implement
/// [`get`](Carrier::get) and [`set`](Carrier::set), and
/// [`get_all`](Carrier::get_all) when a name can hold several values:
///
/// ```
/// use obs_runtime::propagation::{self, Carrier};
///
/// struct Metadata(Vec<(String, String)>);
///
/// impl Carrier for Metadata {
///     fn get(&self, name: &str) -> Option<&str> {
///         self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
///     }
///     fn set(&mut self, name: &str, value: String) {
///         self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
///         self.0.push((name.to_owned(), value));
///     }
/// }
///
/// let metadata = Metadata(vec![(
///     "TraceParent".into(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
/// )]);
/// assert!(propagation::extract(&metadata).is_valid());
/// ```
pub trait Carrier {
    /// The first value stored under `name` (compared ignoring ASCII case).
    fn get(&self, name: &str) -> Option<&str>;

    /// Every value stored under `name` (compared ignoring ASCII case), in
    /// order. The default returns [`get`](Carrier::get)'s value.
    fn get_all(&self, name: &str) -> Vec<&str> {
        self.get(name).into_iter().collect()
    }

    /// Stores `value` under `name`, replacing every value stored under
    /// `name` in any case.
    fn set(&mut self, name: &str, value: String);

    /// Removes every value stored under `name` (in any case). [`inject`]
    /// calls it to drop a stale `tracestate` when the injected span has
    /// none; the default does nothing, which is right for carriers that
    /// start empty.
    fn remove(&mut self, name: &str) {
        let _ = name;
    }
}

impl Carrier for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        // `HeaderMap` lookups are case-insensitive already.
        self.get(name).map(header_text)
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        self.get_all(name).iter().map(header_text).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::try_from(value),
        ) else {
            return; // never for the names and values written here
        };
        self.insert(name, value);
    }

    fn remove(&mut self, name: &str) {
        self.remove(name);
    }
}

/// A header value's text; one that is not visible ASCII reads as empty,
/// which no trace context field accepts, rather than vanishing (a second
/// `traceparent` must still count as one).
fn header_text(value: &http::HeaderValue) -> &str {
    value.to_str().unwrap_or("")
}

/// The values of `pairs` whose key is `name` in any case, in order: the
/// lookup of every string carrier.
fn values_named<'a, 'n, P>(
    pairs: P,
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n, P>
where
    P: IntoIterator<Item = (&'a String, &'a String)>,
{
    pairs
        .into_iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl<S: BuildHasher> Carrier for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        match HashMap::get(self, name) {
            Some(value) => Some(value),
            None => values_named(self, name).next(),
        }
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        // Keys that differ only in case are read in key order, so the
        // result does not depend on the hasher.
        let mut found: Vec<(&String, &String)> = self.iter().collect();
        found.sort_unstable();
        values_named(found, name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
        self.insert(name.to_owned(), value);
    }

    fn remove(&mut self, name: &str) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
    }
}

impl Carrier for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        match BTreeMap::get(self, name) {
            Some(value) => Some(value),
            None => values_named(self, name).next(),
        }
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        values_named(self, name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
        self.insert(name.to_owned(), value);
    }

    fn remove(&mut self, name: &str) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
    }
}

impl Carrier for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<&str> {
        values_named(self.iter().map(|(key, value)| (key, value)), name).next()
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        values_named(self.iter().map(|(key, value)| (key, value)), name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        self.push((name.to_owned(), value));
    }

    fn remove(&mut self, name: &str) {
        self.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    }
}

// === RemoteContext ===

/// The trace context a caller sent: the caller's trace id, its span id (the
/// parent of the spans continuing the trace), trace flags and `tracestate`.
///
/// [`extract`] returns one; it is invalid when the headers were missing or
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
    fn from_headers(traceparents: &[&str], tracestates: &[&str]) -> Self {
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
    opentelemetry_sdk::propagation::TraceContextPropagator::new()
        .inject_context(context, &mut CarrierInjector(carrier));
}

/// [`Injector`] over a [`Carrier`]. An empty `tracestate` (the SDK's
/// propagator writes one for a span without entries) removes the header
/// instead: not sent empty, and not left over from the incoming request.
struct CarrierInjector<'a, C: ?Sized>(&'a mut C);

impl<C: Carrier + ?Sized> Injector for CarrierInjector<'_, C> {
    fn set(&mut self, key: &str, value: String) {
        if key == TRACESTATE && value.is_empty() {
            self.0.remove(key);
        } else {
            self.0.set(key, value);
        }
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

// === W3cPropagator ===

/// A [`TextMapPropagator`] for W3C Trace Context with obs's conforming
/// extraction (see the [module docs](self)), for OpenTelemetry APIs and
/// middleware that take a propagator, e.g.
/// `opentelemetry::global::set_text_map_propagator(W3cPropagator::new())`.
///
/// ```
/// use obs_runtime::propagation::W3cPropagator;
/// use opentelemetry::propagation::TextMapPropagator as _;
/// use opentelemetry::trace::TraceContextExt as _;
/// use std::collections::HashMap;
///
/// let mut headers = HashMap::new();
/// // A version-00 header with an extra field is invalid.
/// headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-".to_owned());
/// let context = W3cPropagator::new().extract(&headers);
/// assert!(!context.span().span_context().is_valid());
/// ```
#[derive(Clone, Debug, Default)]
pub struct W3cPropagator {
    sdk: opentelemetry_sdk::propagation::TraceContextPropagator,
}

impl W3cPropagator {
    /// The propagator.
    pub fn new() -> Self {
        Self::default()
    }
}

static FIELDS: LazyLock<[String; 2]> =
    LazyLock::new(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]);

impl TextMapPropagator for W3cPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        self.sdk
            .inject_context(cx, &mut SkipEmptyTracestate(injector));
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let traceparents = extractor.get_all(TRACEPARENT).unwrap_or_default();
        let tracestates = extractor.get_all(TRACESTATE).unwrap_or_default();
        let remote = RemoteContext::from_headers(&traceparents, &tracestates);
        if remote.is_valid() {
            cx.with_remote_span_context(remote.span_context)
        } else {
            cx.clone()
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&*FIELDS)
    }
}

/// Drops the empty `tracestate` the SDK's propagator writes when a span has
/// no entries.
struct SkipEmptyTracestate<'a>(&'a mut dyn Injector);

impl Injector for SkipEmptyTracestate<'_> {
    fn set(&mut self, key: &str, value: String) {
        if key == TRACESTATE && value.is_empty() {
            return;
        }
        self.0.set(key, value);
    }
}

// === traceparent ===

/// Length of a version-00 `traceparent`, and of the part of a higher version
/// that this version knows.
const TRACEPARENT_LEN: usize = 55;

/// Parses a `traceparent` value. Ids are lowercase hex of exact length and
/// not all zeros; version `ff` is invalid; version `00` is exactly 55
/// characters; a higher version must have `-` after its first 55 characters,
/// if it goes on (forward compatibility). Surrounding spaces and tabs (HTTP
/// optional whitespace) are ignored. Flags other than sampled are cleared.
fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let bytes = value.trim_matches([' ', '\t']).as_bytes();
    if bytes.len() < TRACEPARENT_LEN {
        return None;
    }
    let version = lower_hex(&bytes[0..2])?;
    let fits_version = match version {
        0xff => false,
        0x00 => bytes.len() == TRACEPARENT_LEN,
        _ => bytes.get(TRACEPARENT_LEN).is_none_or(|&b| b == b'-'),
    };
    if !fits_version || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return None;
    }
    let trace_id = lower_hex(&bytes[3..35])?;
    let span_id = u64::try_from(lower_hex(&bytes[36..52])?).ok()?;
    let flags = u8::try_from(lower_hex(&bytes[53..55])?).ok()?;
    if trace_id == 0 || span_id == 0 {
        return None;
    }
    Some((
        TraceId::from(trace_id),
        SpanId::from(span_id),
        TraceFlags::new(flags) & TraceFlags::SAMPLED,
    ))
}

/// The value of lowercase hex digits (at most 32); `None` for any other
/// character, uppercase included.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u128::from(nibble))
    })
}

// === tracestate ===

/// Parses `tracestate` header values, combined in order as one list. Empty
/// list-members and invalid ones are dropped, a repeated key keeps its
/// first entry, and the first 32 remaining entries are kept.
fn parse_tracestate(headers: &[&str]) -> TraceState {
    let mut members: Vec<(&str, &str)> = Vec::new();
    let list_members = headers.iter().flat_map(|header| header.split(','));
    for member in list_members.map(|member| member.trim_matches([' ', '\t'])) {
        let Some((key, value)) = member.split_once('=') else {
            continue; // empty, or not `key=value`
        };
        if valid_key(key) && valid_value(value) && !members.iter().any(|(k, _)| *k == key) {
            members.push((key, value));
        }
    }
    if let Ok(state) =
        TraceState::from_key_value(members.iter().copied().take(MAX_TRACESTATE_MEMBERS))
    {
        return state;
    }
    // `TraceState` refuses some keys the spec allows (a 14-character system
    // id); it takes the list whole or not at all, so only those are dropped.
    members.retain(|(key, value)| TraceState::NONE.insert(*key, *value).is_ok());
    TraceState::from_key_value(members.into_iter().take(MAX_TRACESTATE_MEMBERS)).unwrap_or_default()
}

/// A `tracestate` key, per Level 1:
///
/// ```text
/// key              = simple-key / multi-tenant-key
/// simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// multi-tenant-key = tenant-id "@" system-id
/// tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
/// ```
fn valid_key(key: &str) -> bool {
    fn key_char(c: &u8) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'*' | b'/')
    }
    fn identifier(id: &[u8], max_len: usize, first: impl Fn(&u8) -> bool) -> bool {
        match id.split_first() {
            Some((head, rest)) => id.len() <= max_len && first(head) && rest.iter().all(key_char),
            None => false,
        }
    }
    match key.split_once('@') {
        None => identifier(key.as_bytes(), 256, u8::is_ascii_lowercase),
        Some((tenant, system)) => {
            identifier(tenant.as_bytes(), 241, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit()
            }) && identifier(system.as_bytes(), 14, u8::is_ascii_lowercase)
        }
    }
}

/// A `tracestate` value, per Level 1: 1 to 256 printable ASCII characters
/// (0x20 to 0x7E) other than `,` and `=`, not ending in a space.
///
/// ```text
/// value    = 0*255(chr) nblk-chr
/// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
/// chr      = %x20 / nblk-chr
/// ```
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=256).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&c| matches!(c, 0x20..=0x7e) && c != b',' && c != b'=')
        && bytes.last() != Some(&b' ')
}
