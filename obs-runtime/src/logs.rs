//! Log lines for `tracing` events, pretty or JSON, that carry the
//! OpenTelemetry `trace_id` and `span_id` of the span they happened in, so
//! a log search leads to the trace and back (feature `init`).
//!
//! [`init`](crate::init) installs this layer; applications that build their
//! own subscriber add it next to `tracing-opentelemetry`'s layer:
//!
//! ```
//! use obs_runtime::{logs, LogFormat};
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("app")))
//!     .with(logs::layer(LogFormat::Json));
//! tracing::subscriber::with_default(subscriber, || {
//!     let _span = tracing::info_span!("checkout").entered();
//!     // {"timestamp":"…","level":"INFO","message":"paid",…,"trace_id":"…","span_id":"…"}
//!     tracing::info!("paid");
//! });
//! ```
//!
//! The ids are the ones the span is exported with: 32 and 16 lowercase hex
//! digits. Events outside any span, or in spans that OpenTelemetry does not
//! know (no `tracing-opentelemetry` layer), are written without them.

use crate::config::LogFormat;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use std::fmt;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};
use tracing::dispatcher::WeakDispatch;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A log layer writing to standard output, coloured when it is a terminal.
pub fn layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let ansi = std::io::stdout().is_terminal();
    layer_with_writer(format, std::io::stdout, ansi)
}

/// A log layer writing to `writer` (a [`MakeWriter`]: a function returning
/// an `io::Write`, `std::io::stderr`, a `Mutex<Vec<u8>>`, …), with ANSI colours
/// in pretty lines when `ansi` is set.
pub fn layer_with_writer<S, W>(
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build(format, writer, ansi, None)
}

/// As [`layer_with_writer`], with every JSON line carrying `service.name`,
/// as [`init`](crate::init) writes them:
///
/// ```
/// use obs_runtime::{logs, LogFormat};
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let buffer = Arc::new(Mutex::new(Vec::new()));
/// let sink = buffer.clone();
/// let writer = move || Writer(sink.clone());
/// let subscriber = tracing_subscriber::registry()
///     .with(logs::layer_for_service("checkout", LogFormat::Json, writer, false));
/// tracing::subscriber::with_default(subscriber, || tracing::info!("paid"));
/// let line = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
/// assert!(line.contains(r#""service.name":"checkout""#), "{line}");
///
/// struct Writer(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Writer {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(bytes);
///         Ok(bytes.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
/// ```
pub fn layer_for_service<S, W>(
    service_name: &str,
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build(format, writer, ansi, Some(service_name))
}

fn build<S, W>(
    format: LogFormat,
    writer: W,
    ansi: bool,
    service_name: Option<&str>,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // `"service.name":"…",` ready to go into every JSON line.
    let service = service_name
        .map(|name| format!("\"service.name\":{},", serde_json::Value::from(name)))
        .unwrap_or_default();
    let dispatch = DispatchCell::default();
    let register = RegisterDispatch(dispatch.clone());
    match format {
        LogFormat::Pretty => Box::new(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(ansi)
                .event_format(Correlated {
                    inner: tracing_subscriber::fmt::format().with_ansi(ansi),
                    shape: Shape::Text,
                    dispatch,
                    service,
                })
                .fmt_fields(TextFields)
                .and_then(register),
        ),
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .event_format(Correlated {
                    inner: tracing_subscriber::fmt::format()
                        .json()
                        .flatten_event(true)
                        .with_current_span(true)
                        // Every enclosing span, root first: an event deep in
                        // a request keeps the request's `http.route`.
                        .with_span_list(true),
                    shape: Shape::Json,
                    dispatch,
                    service,
                })
                .fmt_fields(SpanFields)
                .and_then(register),
        ),
    }
}

/// The dispatcher the log layer is part of, kept weakly: inside an event,
/// `tracing::dispatcher::get_default` answers the no-op dispatcher (the
/// current one is busy), so the layer remembers its own when registered.
type DispatchCell = Arc<OnceLock<WeakDispatch>>;

struct RegisterDispatch(DispatchCell);

impl<S: Subscriber> Layer<S> for RegisterDispatch {
    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        let _ = self.0.set(dispatch.downgrade());
    }
}

/// Formats an event with `inner`, then adds the ids of the event's span.
struct Correlated<F> {
    inner: F,
    shape: Shape,
    dispatch: DispatchCell,
    /// `"service.name":"…",` for JSON lines, or empty.
    service: String,
}

#[derive(Clone, Copy)]
enum Shape {
    // `… message key=value trace_id=… span_id=…`
    Text,
    // `{…,"trace_id":"…","span_id":"…"}`
    Json,
}

impl<S, N, F> FormatEvent<S, N> for Correlated<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ids = event_span_context(ctx, &self.dispatch);
        if ids.is_none() && (self.service.is_empty() || !matches!(self.shape, Shape::Json)) {
            return self.inner.format_event(ctx, writer, event);
        }
        // Formatted into a buffer so the ids join the line the inner format
        // wrote (before its newline, inside its JSON object). The inner
        // format carries its own ANSI setting, which the buffer keeps.
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let had_newline = line.ends_with('\n');
        let body = line.trim_end_matches('\n');
        match (self.shape, ids) {
            (Shape::Json, ids) => match body.strip_prefix('{') {
                // `{"service.name":"…",…,"trace_id":"…","span_id":"…"}`
                Some(object) => {
                    writer.write_char('{')?;
                    writer.write_str(&self.service)?;
                    let object = match &ids {
                        Some(_) => object.strip_suffix('}').unwrap_or(object),
                        None => object,
                    };
                    writer.write_str(object)?;
                    if let Some(ids) = ids {
                        if !object.is_empty() {
                            writer.write_char(',')?;
                        }
                        write!(
                            writer,
                            "\"trace_id\":\"{}\",\"span_id\":\"{}\"}}",
                            ids.trace_id(),
                            ids.span_id()
                        )?;
                    }
                }
                None => writer.write_str(body)?,
            },
            (Shape::Text, Some(ids)) => write!(
                writer,
                "{body} trace_id={} span_id={}",
                ids.trace_id(),
                ids.span_id()
            )?,
            (Shape::Text, None) => writer.write_str(body)?,
        }
        if had_newline {
            writer.write_char('\n')?;
        }
        Ok(())
    }
}

/// The OpenTelemetry span context of the span an event belongs to (its
/// explicit parent, else the current span), when it has a valid one.
fn event_span_context<S, N>(
    ctx: &FmtContext<'_, S, N>,
    dispatch: &DispatchCell,
) -> Option<SpanContext>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let span = ctx.event_scope()?.next()?;
    let id = span.id();
    drop(span);
    let dispatch = dispatch.get()?.upgrade()?;
    let cx = tracing_opentelemetry::get_otel_context(&id, &dispatch)?;
    let span_context = cx.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

/// Fields in pretty lines, as `tracing-subscriber`'s default writes them
/// (`message`, then `name=value` with strings quoted), leaving out the
/// `otel.*` fields, as [`SpanFields`] does for JSON lines.
struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = TextVisitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct TextVisitor<'writer> {
    writer: Writer<'writer>,
    empty: bool,
    result: fmt::Result,
}

impl tracing::field::Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if self.result.is_err() || obs_rules::is_internal_field(field.name()) {
            return;
        }
        if !self.empty {
            self.result = self.writer.write_char(' ');
        }
        self.empty = false;
        self.result = self.result.and_then(|()| match field.name() {
            "message" => write!(self.writer, "{value:?}"),
            name => write!(self.writer, "{name}={value:?}"),
        });
    }
}

/// The fields of a span in JSON lines, as a JSON object, leaving out the
/// `otel.*` fields `#[traced]` and `tracing-opentelemetry` use to talk to
/// each other (the span kind, the status): they are for the exported span,
/// not for someone reading a log line.
struct SpanFields;

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut object = serde_json::Map::new();
        fields.record(&mut JsonFields(&mut object));
        write!(writer, "{}", serde_json::Value::Object(object))
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut object = match serde_json::from_str(&current.fields) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => serde_json::Map::new(),
        };
        fields.record(&mut JsonFields(&mut object));
        current.fields = serde_json::Value::Object(object).to_string();
        Ok(())
    }
}

struct JsonFields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl JsonFields<'_> {
    fn insert(&mut self, field: &tracing::field::Field, value: serde_json::Value) {
        if !obs_rules::is_internal_field(field.name()) {
            self.0.insert(field.name().to_owned(), value);
        }
    }
}

impl tracing::field::Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.insert(field, value.into());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.insert(field, value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.insert(field, value.into());
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.insert(field, value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.insert(field, value.into());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
}
