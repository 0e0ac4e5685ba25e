//! OTLP export of traces and metrics to an OpenTelemetry collector
//! (feature `otlp`, or `otlp-plaintext` without TLS), over gRPC or
//! HTTP/protobuf.
//!
//! - Traces: spans finished by the OpenTelemetry SDK (fed by
//!   `tracing-opentelemetry` from `#[traced]` and other `tracing` spans) go
//!   through a bounded queue and leave in batches, as
//!   `ExportTraceServiceRequest`s.
//! - Metrics: on an interval, a snapshot of an obs registry becomes an OTLP
//!   `ExportMetricsServiceRequest` (counters as cumulative monotonic sums,
//!   gauges as gauges, histograms as explicit-bucket histograms).
//!
//! Both signals are sent by one client (`transport.rs`): tonic for gRPC,
//! hyper for HTTP/protobuf, with each target's headers, gzip compression
//! and TLS (rustls: the system's roots or a CA file, client certificates),
//! and one retry policy. The first failure of each signal is written on
//! standard error, then at most once a minute while it lasts.
//!
//! Both run on one background thread with a small Tokio runtime of its own,
//! so the application needs no async runtime, and a slow or unreachable
//! collector never blocks it: a finished span is handed over with one
//! non-blocking `try_send`; every export has a deadline; what cannot be
//! queued or delivered is dropped and counted in
//! `obs_otlp_dropped_items_total{signal, reason}` in the
//! [global registry](crate::Registry::global) (and what is delivered in
//! `obs_otlp_exported_items_total{signal}`).
//!
//! [`init`](crate::init) wires all of this from the environment. By hand:
//!
//! ```no_run
//! use obs_runtime::export::otlp::OtlpExporter;
//! use obs_runtime::{OtlpTarget, Protocol};
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let exporter = OtlpExporter::builder()
//!     .service_name("checkout")
//!     .traces(OtlpTarget::new("http://127.0.0.1:4317", Protocol::Grpc))
//!     .metrics(OtlpTarget::new("http://127.0.0.1:4317", Protocol::Grpc))
//!     .start()?;
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_resource(exporter.resource())
//!     .with_span_processor(exporter.span_processor().unwrap())
//!     .build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("checkout")));
//! // … run the application with `subscriber`, then:
//! let _ = provider.shutdown();
//! exporter.shutdown(std::time::Duration::from_secs(5));
//! # Ok::<(), obs_runtime::ConfigError>(())
//! ```

mod builder;
mod delta;
mod logs;
mod metrics;
mod processor;
mod report;
mod request;
mod retry;
mod self_metrics;
mod tls;
mod trace;
mod transport;
mod worker;

pub use builder::OtlpExporterBuilder;
pub use logs::OtlpLogLayer;
pub use processor::BoundedSpanProcessor;
pub use self_metrics::{dropped_items, exported_items, Signal};

pub(crate) use self_metrics::DropReason;

use crate::config::SHUTDOWN_TIMEOUT;
use opentelemetry_sdk::Resource;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use worker::WorkerHandle;

// === exporter ===

/// The running OTLP export: a background thread that batches spans and
/// exports metric snapshots. Flushes and stops, within 5 s, when dropped.
pub struct OtlpExporter {
    span_processor: Option<BoundedSpanProcessor>,
    /// The queue log records join, when logs are exported.
    log_queue: Option<(
        tokio::sync::mpsc::Sender<processor::Item>,
        Arc<report::Losses>,
    )>,
    handle: Arc<WorkerHandle>,
    resource: Resource,
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("traces", &self.span_processor.is_some())
            .field("logs", &self.log_queue.is_some())
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl OtlpExporter {
    /// A builder: no targets, the global registry, the standard defaults.
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    /// The span processor to give the tracer provider, when traces are
    /// exported: it queues finished spans for this exporter.
    pub fn span_processor(&self) -> Option<BoundedSpanProcessor> {
        self.span_processor.clone()
    }

    /// A `tracing` layer exporting the events it sees as log records, when
    /// logs are exported. Each call makes a new layer (one per subscriber);
    /// all feed this exporter's queue.
    pub fn log_layer(&self) -> Option<OtlpLogLayer> {
        self.log_queue
            .as_ref()
            .map(|(queue, losses)| OtlpLogLayer::new(queue.clone(), losses.clone()))
    }

    /// The resource spans and metrics are exported with.
    pub fn resource(&self) -> Resource {
        self.resource.clone()
    }

    /// Exports what is queued and a metric snapshot now; waits up to
    /// `timeout`. Returns whether it finished in time.
    pub fn force_flush(&self, timeout: Duration) -> bool {
        self.handle.flush(timeout)
    }

    /// Exports what is queued and a last metric snapshot, then stops the
    /// thread; waits up to `timeout`. Returns whether it finished in time.
    /// Later calls return at once.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.handle.shutdown(timeout)
    }
}

impl Drop for OtlpExporter {
    fn drop(&mut self) {
        self.handle.shutdown(SHUTDOWN_TIMEOUT);
    }
}
