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
use tracing_subscriber::fmt::format::{DefaultFields, JsonFields, Writer};
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
                })
                .fmt_fields(DefaultFields::new())
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
                        .with_span_list(false),
                    shape: Shape::Json,
                    dispatch,
                })
                .fmt_fields(JsonFields::new())
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
        let Some(ids) = event_span_context(ctx, &self.dispatch) else {
            return self.inner.format_event(ctx, writer, event);
        };
        // Formatted into a buffer so the ids join the line the inner format
        // wrote (before its newline, inside its JSON object). The inner
        // format carries its own ANSI setting, which the buffer keeps.
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let had_newline = line.ends_with('\n');
        let body = line.trim_end_matches('\n');
        let trace_id = ids.trace_id();
        let span_id = ids.span_id();
        match self.shape {
            Shape::Json => match body.strip_suffix('}') {
                Some(object) => {
                    writer.write_str(object)?;
                    if !object.ends_with('{') {
                        writer.write_char(',')?;
                    }
                    write!(
                        writer,
                        "\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"}}"
                    )?;
                }
                None => writer.write_str(body)?,
            },
            Shape::Text => write!(writer, "{body} trace_id={trace_id} span_id={span_id}")?,
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
