//! Log records: `tracing` events as OTLP `LogRecord`s, with their severity,
//! message (the body), other fields (attributes), and the trace and span ids
//! of the span they happened in. They join the spans' bounded queue with
//! one non-blocking `try_send`, and leave in the same batches, so a slow
//! collector costs the application nothing more for logs than for spans;
//! what does not fit is dropped and counted
//! (`obs_otlp_dropped_items_total{signal="logs"}`).

use super::processor::Item;
use super::report::Losses;
use super::self_metrics::{DropReason, Signal};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, SeverityNumber};
use std::fmt;
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One event, ready for the export thread: its target (the record's
/// instrumentation scope) and the record.
pub(super) struct QueuedLog {
    pub(super) target: &'static str,
    pub(super) record: LogRecord,
}

/// A `tracing` layer that exports every event it sees as an OTLP log
/// record, through an [`OtlpExporter`](super::OtlpExporter) started with
/// logs. [`init`](crate::init) adds it when `OTEL_LOGS_EXPORTER=otlp`; the
/// subscriber's filter (`RUST_LOG`) decides which events it sees.
pub struct OtlpLogLayer {
    queue: mpsc::Sender<Item>,
    losses: Arc<Losses>,
    // The dispatcher this layer is part of, to find an event's span context
    // (inside an event the current dispatcher is the no-op one).
    dispatch: OnceLock<WeakDispatch>,
}

impl fmt::Debug for OtlpLogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpLogLayer")
            .field("capacity", &self.queue.max_capacity())
            .finish_non_exhaustive()
    }
}

impl OtlpLogLayer {
    pub(super) fn new(queue: mpsc::Sender<Item>, losses: Arc<Losses>) -> Self {
        OtlpLogLayer {
            queue,
            losses,
            dispatch: OnceLock::new(),
        }
    }

    /// The trace id, span id and trace flags of the span `event` belongs to
    /// (its explicit parent, else the current span), when it has a valid
    /// OpenTelemetry context.
    fn span_context<S>(
        &self,
        event: &Event<'_>,
        ctx: &Context<'_, S>,
    ) -> Option<(Vec<u8>, Vec<u8>, u32)>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let id = ctx.event_span(event)?.id();
        let dispatch = self.dispatch.get()?.upgrade()?;
        let cx = tracing_opentelemetry::get_otel_context(&id, &dispatch)?;
        let span = cx.span();
        let context = span.span_context();
        context.is_valid().then(|| {
            (
                context.trace_id().to_bytes().to_vec(),
                context.span_id().to_bytes().to_vec(),
                u32::from(context.trace_flags().to_u8()),
            )
        })
    }
}

impl<S> Layer<S> for OtlpLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let (severity_number, severity_text) = severity(*metadata.level());
        let (trace_id, span_id, flags) = self.span_context(event, &ctx).unwrap_or_default();
        let now = crate::clock::unix_nanos();
        let record = LogRecord {
            time_unix_nano: now,
            observed_time_unix_nano: now,
            severity_number: severity_number as i32,
            severity_text: severity_text.to_owned(),
            body: fields.message.map(string_value),
            attributes: fields.attributes,
            dropped_attributes_count: 0,
            flags,
            trace_id,
            span_id,
            event_name: String::new(),
        };
        let queued = QueuedLog {
            target: metadata.target(),
            record,
        };
        if self.queue.try_send(Item::Log(queued)).is_err() {
            self.losses
                .drop_items(Signal::Logs, DropReason::QueueFull, 1);
        }
    }
}

/// The OTLP severity of a `tracing` level: the first number of each range
/// the log data model gives.
fn severity(level: Level) -> (SeverityNumber, &'static str) {
    match level {
        Level::TRACE => (SeverityNumber::Trace, "TRACE"),
        Level::DEBUG => (SeverityNumber::Debug, "DEBUG"),
        Level::INFO => (SeverityNumber::Info, "INFO"),
        Level::WARN => (SeverityNumber::Warn, "WARN"),
        Level::ERROR => (SeverityNumber::Error, "ERROR"),
    }
}

fn string_value(text: String) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(text)),
    }
}

/// An event's fields: `message` becomes the body, the others attributes
/// with their types kept (internal `otel.*` fields are left out).
#[derive(Default)]
struct Fields {
    message: Option<String>,
    attributes: Vec<KeyValue>,
}

impl Fields {
    fn push(&mut self, field: &Field, value: any_value::Value) {
        if obs_rules::is_internal_field(field.name()) {
            return;
        }
        self.attributes.push(KeyValue {
            key: field.name().to_owned(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        });
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.push(field, any_value::Value::StringValue(value.to_owned()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, any_value::Value::IntValue(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match i64::try_from(value) {
            Ok(value) => self.push(field, any_value::Value::IntValue(value)),
            Err(_) => self.push(field, any_value::Value::StringValue(value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, any_value::Value::DoubleValue(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, any_value::Value::BoolValue(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.push(field, any_value::Value::StringValue(text));
        }
    }
}
