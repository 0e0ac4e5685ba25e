//! Capture spans in memory and assert on them (feature `testing`).
//!
//! Capture is scoped, not global: [`capture`] installs a subscriber for the
//! current thread while a closure runs, and [`capture_future`] for every poll
//! of one future, so tests running in parallel never see each other's spans.
//!
//! ```
//! use obs_runtime::{testing, traced};
//!
//! #[traced(level = "info", name = "order.place", err)]
//! fn place(quantity: u32) -> Result<u32, String> {
//!     check(quantity)?;
//!     Ok(quantity)
//! }
//!
//! #[traced(level = "debug", name = "order.check", fields(quantity))]
//! fn check(quantity: u32) -> Result<(), String> {
//!     if quantity == 0 { Err("empty order".into()) } else { Ok(()) }
//! }
//!
//! let (_, spans) = testing::capture(|| place(0));
//! let place = spans.span("order.place");
//! assert_eq!(place.field("otel.status_code"), Some("ERROR"));
//! assert_eq!(place.field("exception.message"), Some("empty order"));
//! let check = spans.span("order.check");
//! assert_eq!(check.parent, Some(place.index));
//! assert_eq!(check.field("quantity"), Some("0"));
//! ```
//!
//! Per-function RED metrics of `#[traced(metrics)]` are read with
//! [`function_metrics`](crate::function_metrics).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One captured span.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedSpan {
    /// Its position in [`Captured::spans`].
    pub index: usize,
    /// The span name.
    pub name: String,
    /// The level (`"INFO"`, `"DEBUG"`, …).
    pub level: String,
    /// The target.
    pub target: String,
    /// Fields recorded at creation or later, as text.
    pub fields: BTreeMap<String, String>,
    /// The parent span's index, if it was captured too.
    pub parent: Option<usize>,
    /// Indices of spans this one follows from.
    pub follows_from: Vec<usize>,
    /// Events recorded inside the span, in order.
    pub events: Vec<CapturedEvent>,
    /// Whether the span was closed.
    pub closed: bool,
    /// When the span was created.
    pub started: Instant,
    /// When the span was closed, once it was.
    pub ended: Option<Instant>,
    /// Its OpenTelemetry trace id, in hex, once the span was entered
    /// (feature `opentelemetry`): a capture gives spans real ids, so that
    /// `propagation::inject_current` writes a `traceparent` under it as it
    /// does in a service.
    pub trace_id: Option<String>,
    /// Its OpenTelemetry span id, in hex, once the span was entered
    /// (feature `opentelemetry`).
    pub span_id: Option<String>,
}

impl CapturedSpan {
    /// A field's text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The OpenTelemetry span kind (`otel.kind`), `"internal"` if unset.
    pub fn kind(&self) -> &str {
        self.field("otel.kind").unwrap_or("internal")
    }

    /// How long the span lasted, from creation to close; `None` while open.
    pub fn duration(&self) -> Option<Duration> {
        self.ended.map(|ended| ended.duration_since(self.started))
    }

    /// Whether this span started no later and ended no earlier than
    /// `other`: a parent holds each of its children so, since a child is
    /// created inside its parent and closed before it.
    pub fn spans_over(&self, other: &CapturedSpan) -> bool {
        match (self.ended, other.ended) {
            (Some(ended), Some(other_ended)) => {
                self.started <= other.started && other_ended <= ended
            }
            _ => false,
        }
    }

    /// Whether the span ended with OpenTelemetry status ERROR.
    pub fn is_error(&self) -> bool {
        self.field("otel.status_code") == Some("ERROR")
    }
}

/// One event recorded inside a captured span.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedEvent {
    /// The event's name: `name: "compile.start"` when given, else `tracing`'s
    /// default (`event file.rs:12`).
    pub name: String,
    /// The level (`"INFO"`, `"WARN"`, …).
    pub level: String,
    /// Its fields as text, `message` included.
    pub fields: BTreeMap<String, String>,
}

impl CapturedEvent {
    /// A field's text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The spans captured while a closure or future ran, in creation order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Captured {
    /// Every span.
    pub spans: Vec<CapturedSpan>,
}

impl Captured {
    /// The first span named `name`; panics with the names captured if none is.
    #[track_caller]
    pub fn span(&self, name: &str) -> &CapturedSpan {
        self.find(name).unwrap_or_else(|| {
            let names: Vec<&str> = self.spans.iter().map(|s| s.name.as_str()).collect();
            panic!("no span named `{name}` was captured; captured: {names:?}")
        })
    }

    /// The first span named `name`, if any.
    pub fn find(&self, name: &str) -> Option<&CapturedSpan> {
        self.spans.iter().find(|span| span.name == name)
    }

    /// Every span named `name`.
    pub fn all(&self, name: &str) -> Vec<&CapturedSpan> {
        self.spans.iter().filter(|span| span.name == name).collect()
    }

    /// The children of `span`, in creation order.
    pub fn children(&self, span: &CapturedSpan) -> Vec<&CapturedSpan> {
        self.spans
            .iter()
            .filter(|child| child.parent == Some(span.index))
            .collect()
    }

    /// The names of the spans captured, in creation order.
    pub fn names(&self) -> Vec<&str> {
        self.spans.iter().map(|span| span.name.as_str()).collect()
    }

    /// The span's ancestors' names, nearest first.
    pub fn ancestors(&self, span: &CapturedSpan) -> Vec<&str> {
        let mut names = Vec::new();
        let mut current = span.parent;
        while let Some(index) = current {
            let parent = &self.spans[index];
            names.push(parent.name.as_str());
            current = parent.parent;
        }
        names
    }
}

/// The lines obs wrote on its diagnostic channel (standard error, as
/// `obs: …`) in this process, oldest first, at most the last 64, without
/// the prefix: ignored configuration values, export failures and
/// recoveries, what shutdown could not deliver.
///
/// ```
/// let lines = obs_runtime::testing::diagnostics();
/// assert!(lines.len() <= 64);
/// ```
pub fn diagnostics() -> Vec<String> {
    crate::diagnostics::recent()
}

/// Runs `f` with a capturing subscriber on this thread, at every level.
///
/// The first capture in a process installs a global `tracing` default that
/// records nothing (see below), so a later [`init`](crate::init) in the same
/// test binary fails with `ConfigError::AlreadyInitialized`: test `init` in a
/// test binary of its own, or use `Config::build` with its guard's
/// dispatcher. A span that outlives its capture is not recorded further.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Captured) {
    capture_at(tracing::Level::TRACE, f)
}

/// Runs `f` with a capturing subscriber on this thread that enables levels up
/// to `max_level` (as `RUST_LOG=info` would for `Level::INFO`): spans above
/// it are not created, and their children attach to the nearest enabled
/// ancestor.
pub fn capture_at<R>(max_level: tracing::Level, f: impl FnOnce() -> R) -> (R, Captured) {
    let (dispatch, store) = capturing_dispatch(max_level);
    let result = tracing::dispatcher::with_default(&dispatch, f);
    (result, store.take())
}

/// Runs `future` with a capturing subscriber installed for each of its polls,
/// whatever thread polls it. Spans of tasks it spawns are not captured.
pub async fn capture_future<F: Future>(future: F) -> (F::Output, Captured) {
    use tracing::instrument::WithSubscriber;
    let (dispatch, store) = capturing_dispatch(tracing::Level::TRACE);
    let result = future.with_subscriber(dispatch).await;
    (result, store.take())
}

fn capturing_dispatch(max_level: tracing::Level) -> (Dispatch, Store) {
    install_sometimes_default();
    let store = Store::default();
    let filter = tracing_subscriber::filter::LevelFilter::from_level(max_level);
    let layer = CaptureLayer {
        store: store.clone(),
        #[cfg(feature = "opentelemetry")]
        dispatch: Arc::default(),
    };
    // With OpenTelemetry, spans get real ids from a tracer that exports
    // nothing, as they do in a service; the capture layer runs after it.
    #[cfg(feature = "opentelemetry")]
    {
        use opentelemetry::trace::TracerProvider as _;
        let cell = layer.dispatch.clone();
        let tracer = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .build()
            .tracer("obs-testing");
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    .with_filter(filter),
            )
            .with(layer.with_filter(filter));
        let dispatch = Dispatch::new(subscriber);
        let _ = cell.set(dispatch.downgrade());
        (dispatch, store)
    }
    #[cfg(not(feature = "opentelemetry"))]
    {
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(filter));
        (Dispatch::new(subscriber), store)
    }
}

/// The spans of one capture. Once taken, the capture is over: spans that
/// outlive it (moved to another thread, kept in a struct) change nothing
/// when they record, get events or close.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<StoreState>>);

#[derive(Default)]
struct StoreState {
    spans: Vec<CapturedSpan>,
    taken: bool,
}

impl Store {
    fn with<R>(&self, f: impl FnOnce(&mut StoreState) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds the span `new(index)` unless the capture is over.
    fn push(&self, new: impl FnOnce(usize) -> CapturedSpan) -> Option<usize> {
        self.with(|state| {
            if state.taken {
                return None;
            }
            let index = state.spans.len();
            state.spans.push(new(index));
            Some(index)
        })
    }

    /// Updates the span at `index`, while the capture lasts.
    fn update(&self, index: usize, f: impl FnOnce(&mut CapturedSpan)) {
        self.with(|state| {
            if let (false, Some(span)) = (state.taken, state.spans.get_mut(index)) {
                f(span);
            }
        });
    }

    fn take(&self) -> Captured {
        self.with(|state| {
            state.taken = true;
            Captured {
                spans: std::mem::take(&mut state.spans),
            }
        })
    }
}

struct CaptureLayer {
    store: Store,
    /// The capture's own dispatcher, kept weakly, to read the OpenTelemetry
    /// ids its OpenTelemetry layer gave a span.
    #[cfg(feature = "opentelemetry")]
    dispatch: Arc<std::sync::OnceLock<tracing::dispatcher::WeakDispatch>>,
}

#[cfg(feature = "opentelemetry")]
impl CaptureLayer {
    fn otel_ids(&self, id: &Id) -> Option<(String, String)> {
        use opentelemetry::trace::TraceContextExt as _;
        let dispatch = self.dispatch.get()?.upgrade()?;
        let cx = tracing_opentelemetry::get_otel_context(id, &dispatch)?;
        let span = cx.span();
        let context = span.span_context();
        context.is_valid().then(|| {
            (
                context.trace_id().to_string(),
                context.span_id().to_string(),
            )
        })
    }
}

// The capture's index of a span, kept in the span's extensions (span ids are
// reused after close; indices are not).
struct Index(usize);

fn index_of<S: Subscriber + for<'a> LookupSpan<'a>>(
    ctx: &Context<'_, S>,
    id: &Id,
) -> Option<usize> {
    ctx.span(id)?
        .extensions()
        .get::<Index>()
        .map(|index| index.0)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for CaptureLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span
            .parent()
            .and_then(|parent| parent.extensions().get::<Index>().map(|index| index.0));
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let metadata = attrs.metadata();
        let Some(index) = self.store.push(|index| CapturedSpan {
            index,
            name: metadata.name().to_owned(),
            level: metadata.level().to_string(),
            target: metadata.target().to_owned(),
            fields: fields.0,
            parent,
            follows_from: Vec::new(),
            events: Vec::new(),
            closed: false,
            started: Instant::now(),
            ended: None,
            trace_id: None,
            span_id: None,
        }) else {
            return;
        };
        span.extensions_mut().insert(Index(index));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(index) = index_of(&ctx, id) else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.store
            .update(index, |span| span.fields.extend(fields.0));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        if let (Some(index), Some(from)) = (index_of(&ctx, id), index_of(&ctx, follows)) {
            self.store
                .update(index, |span| span.follows_from.push(from));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let Some(index) = span.extensions().get::<Index>().map(|index| index.0) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let event = CapturedEvent {
            name: metadata.name().to_owned(),
            level: metadata.level().to_string(),
            fields: fields.0,
        };
        self.store.update(index, |span| span.events.push(event));
    }

    // The ids are read when the span is first entered, not when it is
    // created: reading them starts the OpenTelemetry span, after which its
    // parent can no longer be set (`propagation::set_parent`).
    #[cfg(feature = "opentelemetry")]
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(index) = index_of(&ctx, id) else {
            return;
        };
        let known = self.store.with(|state| {
            state
                .spans
                .get(index)
                .is_none_or(|span| span.trace_id.is_some())
        });
        if known {
            return;
        }
        if let Some((trace_id, span_id)) = self.otel_ids(id) {
            self.store.update(index, |span| {
                span.trace_id = Some(trace_id);
                span.span_id = Some(span_id);
            });
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(index) = index_of(&ctx, &id) {
            let ended = Instant::now();
            self.store.update(index, |span| {
                span.closed = true;
                span.ended = Some(ended);
            });
        }
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// `tracing` caches each callsite's interest. A callsite first reached on a
/// thread without a capture, while no capture is active anywhere, is cached
/// as "never", and a capture starting on another thread at the same moment
/// can miss the rebuild of that cache (a race inside `tracing-core`), losing
/// its spans. A global default that answers "sometimes" for every callsite
/// keeps the cache from ever saying "never", so each callsite asks the
/// current thread's subscriber every time: captures on parallel test threads
/// see all their spans. Installed once, only if the process has no global
/// subscriber yet; it records nothing.
fn install_sometimes_default() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        if tracing::dispatcher::set_global_default(Dispatch::new(Sometimes)).is_ok() {
            #[cfg(feature = "init")]
            crate::init::GLOBAL_SUBSCRIBER_SET.store(true, std::sync::atomic::Ordering::Release);
        }
    });
}

struct Sometimes;

impl Subscriber for Sometimes {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Never called: `enabled` is always false.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[cfg(test)]
mod tests {
    use super::capture;

    #[test]
    fn a_span_that_outlives_its_capture_closes_quietly() {
        let (span, captured) = capture(|| {
            let span = tracing::info_span!("outlives", step = tracing::field::Empty);
            span.in_scope(|| tracing::info!("inside"));
            span
        });
        assert!(captured.find("outlives").is_some_and(|s| !s.closed));
        // After the capture: recording, an event and the close change nothing.
        span.record("step", 2);
        span.in_scope(|| tracing::info!("after"));
        drop(span);
        assert_eq!(captured.span("outlives").events.len(), 1);
    }
}
