//! Spans: a bounded, non-blocking span processor in front of the export
//! thread.
//!
//! Why not the SDK's `BatchSpanProcessor`: it counts spans dropped on a full
//! queue only in a private field (reported once, in an internal log line at
//! shutdown), does not count spans lost to failed or timed-out exports at
//! all, and drives the exporter with a blocking executor on a bare thread,
//! where a tonic client has no Tokio runtime. This processor does one
//! `try_send` per finished span into a bounded channel, counts what does not
//! fit, and leaves batching, deadlines and the counting of failed exports to
//! the export thread, which runs the exporter on its own Tokio runtime.

use super::logs::QueuedLog;
use super::report::Losses;
use super::worker::WorkerHandle;
use super::{DropReason, Signal};
use crate::config::SHUTDOWN_TIMEOUT;
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the export thread's queue holds: finished spans, and log records
/// when logs are exported.
pub(crate) enum Item {
    Span(SpanData),
    Log(QueuedLog),
}

/// Queues finished spans for an [`OtlpExporter`](super::OtlpExporter): a
/// [`SpanProcessor`] that never blocks the thread ending a span. When the
/// queue is full (the collector is slow or down), the span is dropped and
/// counted in `obs_otlp_dropped_items_total{signal="traces"}`.
#[derive(Clone)]
pub struct BoundedSpanProcessor {
    queue: mpsc::Sender<Item>,
    worker: Arc<WorkerHandle>,
    losses: Arc<Losses>,
}

impl fmt::Debug for BoundedSpanProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSpanProcessor")
            .field("capacity", &self.queue.max_capacity())
            .field("free", &self.queue.capacity())
            .finish()
    }
}

impl BoundedSpanProcessor {
    pub(super) fn new(
        queue: mpsc::Sender<Item>,
        worker: Arc<WorkerHandle>,
        losses: Arc<Losses>,
    ) -> Self {
        BoundedSpanProcessor {
            queue,
            worker,
            losses,
        }
    }
}

impl SpanProcessor for BoundedSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        if self.queue.try_send(Item::Span(span)).is_err() {
            self.losses
                .drop_items(Signal::Traces, DropReason::QueueFull, 1);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        if self.worker.flush(SHUTDOWN_TIMEOUT) {
            Ok(())
        } else {
            Err(opentelemetry_sdk::error::OTelSdkError::Timeout(
                SHUTDOWN_TIMEOUT,
            ))
        }
    }

    // Exports what is queued; the export thread itself (metrics too) stops
    // with its `OtlpExporter`.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        if self.worker.flush(timeout) {
            Ok(())
        } else {
            Err(opentelemetry_sdk::error::OTelSdkError::Timeout(timeout))
        }
    }
}
