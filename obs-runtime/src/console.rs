//! Console exporters, for development: `OTEL_TRACES_EXPORTER=console`
//! writes one line per finished span, `OTEL_METRICS_EXPORTER=console` the
//! registry in the Prometheus text format on every export interval, both to
//! standard output (or to the configured log writer), in place of OTLP.

use crate::config::LogWriter;
use crate::encoding::Format;
use crate::registry::RegistrySource;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Where console lines go: the log writer when one is set, else stdout.
#[derive(Clone)]
pub(crate) struct Console(Option<LogWriter>);

impl Console {
    pub(crate) fn new(writer: Option<LogWriter>) -> Self {
        Console(writer)
    }

    fn write(&self, text: &str) {
        // A closed standard output is not the application's problem.
        let _ = match &self.0 {
            Some(writer) => (writer.0)().write_all(text.as_bytes()),
            None => std::io::stdout().lock().write_all(text.as_bytes()),
        };
    }
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Console")
    }
}

/// Writes every finished, sampled span as one line:
/// `span checkout.pay kind=server status=error("declined") duration=1.204ms
/// trace_id=… span_id=… parent_span_id=… amount=12`.
#[derive(Debug)]
pub(crate) struct ConsoleSpanProcessor(pub(crate) Console);

impl SpanProcessor for ConsoleSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            self.0.write(&span_line(&span));
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn span_line(span: &SpanData) -> String {
    let kind = match span.span_kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    };
    let status = match &span.status {
        Status::Unset => "unset".to_owned(),
        Status::Ok => "ok".to_owned(),
        Status::Error { description } => format!("error({description:?})"),
    };
    let duration = span
        .end_time
        .duration_since(span.start_time)
        .unwrap_or_default();
    let mut line = format!(
        "span {} kind={kind} status={status} duration={:.3}ms trace_id={} span_id={}",
        span.name,
        duration.as_secs_f64() * 1e3,
        span.span_context.trace_id(),
        span.span_context.span_id(),
    );
    if span.parent_span_id != opentelemetry::trace::SpanId::INVALID {
        let _ = write!(line, " parent_span_id={}", span.parent_span_id);
    }
    for attribute in &span.attributes {
        let _ = write!(line, " {}={}", attribute.key, attribute.value);
    }
    line.push('\n');
    line
}

/// Writes the registry in the Prometheus text format every interval, and
/// once more when stopped.
pub(crate) struct ConsoleMetrics {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ConsoleMetrics {
    pub(crate) fn start(
        registry: RegistrySource,
        interval: Duration,
        console: Console,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let write = move || {
            let text = registry.get().encode(Format::PROMETHEUS_TEXT);
            console.write(&text);
        };
        let thread = std::thread::Builder::new()
            .name("obs-console-metrics".into())
            .spawn(move || {
                // Ends when told to or when the sender is gone.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    write();
                }
                write();
            })?;
        Ok(ConsoleMetrics {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Writes the last snapshot and stops the thread.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ConsoleMetrics {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for ConsoleMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleMetrics").finish_non_exhaustive()
    }
}
