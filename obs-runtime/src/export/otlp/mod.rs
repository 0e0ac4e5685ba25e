//! OTLP export of traces and metrics to an OpenTelemetry collector
//! (feature `otlp`), over gRPC or HTTP/protobuf.
//!
//! - Traces: spans finished by the OpenTelemetry SDK (fed by
//!   `tracing-opentelemetry` from `#[traced]` and other `tracing` spans) go
//!   through a bounded queue to the official `opentelemetry-otlp` exporter,
//!   in batches.
//! - Metrics: on an interval, a snapshot of an obs registry becomes an OTLP
//!   `ExportMetricsServiceRequest` (counters as cumulative monotonic sums,
//!   gauges as gauges, histograms as explicit-bucket histograms), sent with
//!   tonic or HTTP.
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
//!     .traces(OtlpTarget { endpoint: "http://127.0.0.1:4317".into(), protocol: Protocol::Grpc })
//!     .metrics(OtlpTarget { endpoint: "http://127.0.0.1:4317".into(), protocol: Protocol::Grpc })
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

mod metrics;
mod trace;

pub use trace::BoundedSpanProcessor;

use crate::config::{check_duration, Config, ConfigError, OtlpTarget};
use crate::registry::{Registry, RegistrySource};
use crate::{Counter, Family, LabelSet, LabelValue, MetricGroup, Metrics};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use opentelemetry_sdk::Resource;
use std::fmt;
use std::sync::{mpsc as std_mpsc, Arc, LazyLock, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

// === self-metrics ===

/// The signal an OTLP self-metric counts: its `signal` label.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Signal {
    /// Spans (`traces`).
    Traces,
    /// Metric data points (`metrics`).
    Metrics,
}

/// Why items were dropped.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum DropReason {
    /// The export queue was full (or already closed).
    QueueFull,
    /// The export failed or missed its deadline.
    ExportFailed,
    /// The collector rejected them (`partial_success`).
    Rejected,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct DroppedLabels {
    signal: Signal,
    reason: DropReason,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct SignalLabels {
    signal: Signal,
}

/// obs's own metrics about OTLP export.
#[derive(Metrics)]
#[metrics(prefix = "obs_otlp")]
pub(crate) struct OtlpSelfMetrics {
    /// Spans and metric data points that never reached the collector: the export queue was full, the export failed or timed out, or the collector rejected them.
    dropped_items_total: Family<DroppedLabels, Counter>,
    /// Spans and metric data points the collector accepted.
    exported_items_total: Family<SignalLabels, Counter>,
}

impl OtlpSelfMetrics {
    /// The process-wide instance, registered in the global registry (or
    /// unregistered, should the application have taken the names).
    pub(crate) fn get() -> &'static OtlpSelfMetrics {
        static METRICS: LazyLock<Arc<OtlpSelfMetrics>> = LazyLock::new(|| {
            OtlpSelfMetrics::register(Registry::global())
                .unwrap_or_else(|_| Arc::new(OtlpSelfMetrics::new_unregistered()))
        });
        &METRICS
    }

    pub(crate) fn dropped(&self, signal: Signal, reason: DropReason, items: usize) {
        self.dropped_items_total
            .get(&DroppedLabels { signal, reason })
            .inc_by(items as u64);
    }

    fn exported(&self, signal: Signal, items: usize) {
        self.exported_items_total
            .get(&SignalLabels { signal })
            .inc_by(items as u64);
    }
}

/// Items dropped so far for `signal`, all reasons together: the value of
/// `obs_otlp_dropped_items_total`.
///
/// ```
/// use obs_runtime::export::otlp::{dropped_items, Signal};
/// let before = dropped_items(Signal::Traces);
/// assert!(dropped_items(Signal::Traces) >= before);
/// ```
pub fn dropped_items(signal: Signal) -> u64 {
    let metrics = OtlpSelfMetrics::get();
    [
        DropReason::QueueFull,
        DropReason::ExportFailed,
        DropReason::Rejected,
    ]
    .map(|reason| {
        metrics
            .dropped_items_total
            .get(&DroppedLabels { signal, reason })
            .get()
    })
    .iter()
    .sum()
}

/// Items exported so far for `signal`: the value of
/// `obs_otlp_exported_items_total`.
///
/// ```
/// use obs_runtime::export::otlp::{exported_items, Signal};
/// let before = exported_items(Signal::Metrics);
/// assert!(exported_items(Signal::Metrics) >= before);
/// ```
pub fn exported_items(signal: Signal) -> u64 {
    OtlpSelfMetrics::get()
        .exported_items_total
        .get(&SignalLabels { signal })
        .get()
}

// === builder ===

/// Configures and starts an [`OtlpExporter`].
#[derive(Clone)]
pub struct OtlpExporterBuilder {
    service_name: Option<String>,
    attributes: Vec<(String, String)>,
    traces: Option<OtlpTarget>,
    metrics: Option<OtlpTarget>,
    registry: RegistrySource,
    timeout: Duration,
    metrics_interval: Duration,
    queue_size: usize,
    batch_size: usize,
    schedule_delay: Duration,
}

impl fmt::Debug for OtlpExporterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporterBuilder")
            .field("service_name", &self.service_name)
            .field("attributes", &self.attributes)
            .field("traces", &self.traces)
            .field("metrics", &self.metrics)
            .field("timeout", &self.timeout)
            .field("metrics_interval", &self.metrics_interval)
            .field("queue_size", &self.queue_size)
            .field("batch_size", &self.batch_size)
            .field("schedule_delay", &self.schedule_delay)
            .finish_non_exhaustive()
    }
}

impl Default for OtlpExporterBuilder {
    fn default() -> Self {
        let config = Config::default();
        OtlpExporterBuilder {
            service_name: None,
            attributes: Vec::new(),
            traces: None,
            metrics: None,
            registry: config.registry.clone(),
            timeout: config.otlp_timeout,
            metrics_interval: config.metrics_export_interval,
            queue_size: config.span_queue_size,
            batch_size: config.span_batch_size,
            schedule_delay: config.span_schedule_delay,
        }
    }
}

impl OtlpExporterBuilder {
    /// Everything a [`Config`] says about OTLP: targets, resource, timeouts,
    /// queue sizes, interval.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        Ok(OtlpExporterBuilder {
            service_name: Some(config.effective_service_name()),
            attributes: config.resource_attributes.clone(),
            traces: config.traces_target()?,
            metrics: config.metrics_target()?,
            registry: config.registry.clone(),
            timeout: config.otlp_timeout,
            metrics_interval: config.metrics_export_interval,
            queue_size: config.span_queue_size,
            batch_size: config.span_batch_size,
            schedule_delay: config.span_schedule_delay,
        })
    }

    /// The `service.name` resource attribute.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// Exports traces to `target`.
    pub fn traces(mut self, target: OtlpTarget) -> Self {
        self.traces = Some(target);
        self
    }

    /// Exports no traces (the default).
    pub fn without_traces(mut self) -> Self {
        self.traces = None;
        self
    }

    /// Exports the registry's metrics to `target`.
    pub fn metrics(mut self, target: OtlpTarget) -> Self {
        self.metrics = Some(target);
        self
    }

    /// The registry whose metrics are exported (default: the global one).
    pub fn registry(mut self, registry: impl Into<RegistrySource>) -> Self {
        self.registry = registry.into();
        self
    }

    /// The deadline of one export (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time between two metric exports (default 60 s).
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        self.metrics_interval = interval;
        self
    }

    /// Finished spans held for export (default 2048); beyond it, spans are
    /// dropped and counted.
    pub fn span_queue_size(mut self, size: usize) -> Self {
        self.queue_size = size;
        self
    }

    /// Spans per export request (default 512).
    pub fn span_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    /// The longest a finished span waits before it is exported (default 5 s).
    pub fn span_schedule_delay(mut self, delay: Duration) -> Self {
        self.schedule_delay = delay;
        self
    }

    /// The resource: `service.name` and the attributes.
    fn resource(&self) -> Resource {
        let mut attributes: Vec<KeyValue> = self
            .attributes
            .iter()
            .filter(|(key, _)| key != "service.name" || self.service_name.is_none())
            .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
            .collect();
        attributes.push(KeyValue::new("telemetry.sdk.name", "obs"));
        attributes.push(KeyValue::new("telemetry.sdk.language", "rust"));
        attributes.push(KeyValue::new(
            "telemetry.sdk.version",
            env!("CARGO_PKG_VERSION"),
        ));
        let builder = Resource::builder_empty().with_attributes(attributes);
        let has_name = self.attributes.iter().any(|(key, _)| key == "service.name");
        match &self.service_name {
            Some(name) => builder.with_service_name(name.clone()),
            None if has_name => builder,
            None => builder.with_service_name(Config::new().effective_service_name()),
        }
        .build()
    }

    /// Starts the export thread. Builds the exporters first, so a target they
    /// reject is an error here rather than a silent failure later.
    pub fn start(self) -> Result<OtlpExporter, ConfigError> {
        check_duration("timeout", self.timeout, false)?;
        check_duration("metrics_interval", self.metrics_interval, false)?;
        check_duration("span_schedule_delay", self.schedule_delay, true)?;
        let resource = self.resource();
        let queue_size = self.queue_size.max(1);
        let (spans_tx, spans_rx) = mpsc::channel::<SpanData>(queue_size);
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
        let traces = self.traces.is_some();
        let worker_resource = resource.clone();
        let thread = thread::Builder::new()
            .name("obs-otlp".into())
            .spawn(move || run(self, worker_resource, spans_rx, commands_rx, ready_tx))
            .map_err(|err| ConfigError::Start {
                what: "the OTLP export thread",
                reason: err.to_string(),
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                let _ = thread.join();
                return Err(err);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ConfigError::Start {
                    what: "the OTLP export thread",
                    reason: "it stopped while starting".into(),
                });
            }
        }
        let handle = Arc::new(WorkerHandle {
            commands: commands_tx,
            thread: Mutex::new(Some(thread)),
        });
        let span_processor = traces.then(|| BoundedSpanProcessor::new(spans_tx, handle.clone()));
        Ok(OtlpExporter {
            span_processor,
            handle,
            resource,
        })
    }
}

// === exporter ===

/// The running OTLP export: a background thread that batches spans and
/// exports metric snapshots. Flushes and stops, within 5 s, when dropped.
pub struct OtlpExporter {
    span_processor: Option<BoundedSpanProcessor>,
    handle: Arc<WorkerHandle>,
    resource: Resource,
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("traces", &self.span_processor.is_some())
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

/// How long dropping an exporter (or `init`'s guard) may take.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// `timeout` from now, or far ahead when that would overflow the clock.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(crate::config::MAX_DURATION))
        .unwrap_or(now)
}

enum Command {
    Flush {
        deadline: Instant,
        done: std_mpsc::SyncSender<()>,
    },
    Shutdown {
        deadline: Instant,
        done: std_mpsc::SyncSender<()>,
    },
}

pub(crate) struct WorkerHandle {
    commands: mpsc::UnboundedSender<Command>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl WorkerHandle {
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (done, finished) = std_mpsc::sync_channel(1);
        let deadline = deadline_after(timeout);
        // A stopped worker flushes nothing: `false`.
        if self
            .commands
            .send(Command::Flush { deadline, done })
            .is_err()
        {
            return false;
        }
        finished.recv_timeout(timeout).is_ok()
    }

    pub(crate) fn shutdown(&self, timeout: Duration) -> bool {
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(handle) = thread.take() else {
            return true;
        };
        let (done, finished) = std_mpsc::sync_channel(1);
        let deadline = deadline_after(timeout);
        if self
            .commands
            .send(Command::Shutdown { deadline, done })
            .is_err()
        {
            // The worker had already stopped (it panicked): nothing was
            // exported on this call.
            let _ = handle.join();
            return false;
        }
        match finished.recv_timeout(timeout) {
            Ok(()) => {
                let _ = handle.join();
                true
            }
            // The thread ended without answering: it died.
            Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                let _ = handle.join();
                false
            }
            // The thread keeps its own deadline and ends soon after; it is
            // not waited for.
            Err(std_mpsc::RecvTimeoutError::Timeout) => false,
        }
    }
}

// === worker ===

fn run(
    config: OtlpExporterBuilder,
    resource: Resource,
    spans: mpsc::Receiver<SpanData>,
    commands: mpsc::UnboundedReceiver<Command>,
    ready: std_mpsc::SyncSender<Result<(), ConfigError>>,
) {
    // The exporter's own HTTP/2 and HTTP clients are instrumented with
    // `tracing`: under the application's subscriber their spans would be
    // exported, creating more spans, without end (h2 even starts root spans,
    // which OpenTelemetry's suppressed context does not reach). This thread
    // reports to no subscriber at all.
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), || {
        let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
        run_silently(config, resource, spans, commands, ready);
    });
}

fn run_silently(
    config: OtlpExporterBuilder,
    resource: Resource,
    spans: mpsc::Receiver<SpanData>,
    commands: mpsc::UnboundedReceiver<Command>,
    ready: std_mpsc::SyncSender<Result<(), ConfigError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(ConfigError::Start {
                what: "the OTLP export runtime",
                reason: err.to_string(),
            }));
            return;
        }
    };
    runtime.block_on(async move {
        // Built inside the runtime: tonic channels spawn their tasks on it.
        let span_exporter = match &config.traces {
            Some(target) => match trace::build_exporter(target, config.timeout, &resource) {
                Ok(exporter) => Some(exporter),
                Err(err) => {
                    let _ = ready.send(Err(err));
                    return;
                }
            },
            None => None,
        };
        let metrics_client = match &config.metrics {
            Some(target) => match metrics::MetricsClient::new(target, config.timeout) {
                Ok(client) => Some(client),
                Err(err) => {
                    let _ = ready.send(Err(err));
                    return;
                }
            },
            None => None,
        };
        let _ = ready.send(Ok(()));
        Worker {
            resource: metrics::resource_to_proto(&resource),
            registry: config.registry.clone(),
            span_exporter,
            metrics_client,
            timeout: config.timeout,
            metrics_interval: config.metrics_interval.max(Duration::from_millis(1)),
            batch_size: config.batch_size.max(1),
            schedule_delay: config.schedule_delay,
            self_metrics: OtlpSelfMetrics::get(),
        }
        .run(spans, commands)
        .await;
    });
}

struct Worker {
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    registry: RegistrySource,
    span_exporter: Option<opentelemetry_otlp::SpanExporter>,
    metrics_client: Option<metrics::MetricsClient>,
    timeout: Duration,
    metrics_interval: Duration,
    batch_size: usize,
    schedule_delay: Duration,
    self_metrics: &'static OtlpSelfMetrics,
}

impl Worker {
    async fn run(
        mut self,
        mut spans: mpsc::Receiver<SpanData>,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        let mut batch: Vec<SpanData> = Vec::with_capacity(self.batch_size);
        let mut spans_open = self.span_exporter.is_some();
        let mut next_span_export = tokio::time::Instant::now();
        let now = tokio::time::Instant::now();
        let mut metrics_tick = tokio::time::interval_at(
            now.checked_add(self.metrics_interval).unwrap_or(now),
            self.metrics_interval,
        );
        // A slow export delays the next tick instead of causing a burst.
        metrics_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let exporting_metrics = self.metrics_client.is_some();
        loop {
            let room = self.batch_size.saturating_sub(batch.len());
            let was_empty = batch.is_empty();
            // Unbiased: tokio polls the branches in a random order, so a
            // steady flow of spans cannot keep the metrics tick (or a
            // command) from ever running.
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Flush { deadline, done }) => {
                        // Only what is queued now: spans arriving during the
                        // flush wait for the next batch.
                        let queued = spans.len();
                        self.drain(&mut spans, &mut batch, Some(deadline), queued).await;
                        self.export_metrics(Some(deadline)).await;
                        let _ = done.send(());
                    }
                    Some(Command::Shutdown { deadline, done }) => {
                        spans.close();
                        // The final metric export goes first, so spans cannot
                        // use up the whole deadline.
                        self.export_metrics(Some(deadline)).await;
                        let queued = spans.len();
                        self.drain(&mut spans, &mut batch, Some(deadline), queued).await;
                        if let Some(exporter) = &self.span_exporter {
                            let _ = exporter.shutdown();
                        }
                        let _ = done.send(());
                        return;
                    }
                    // Every handle is gone: nothing can be flushed on request
                    // any more; export what is left and stop.
                    None => {
                        let deadline = deadline_after(SHUTDOWN_TIMEOUT);
                        spans.close();
                        self.export_metrics(Some(deadline)).await;
                        let queued = spans.len();
                        self.drain(&mut spans, &mut batch, Some(deadline), queued).await;
                        return;
                    }
                },
                received = spans.recv_many(&mut batch, room), if spans_open && room > 0 =>
                {
                    if received == 0 {
                        // Every span processor is gone.
                        spans_open = false;
                    }
                    if batch.len() >= self.batch_size {
                        self.export_spans(&mut batch, None).await;
                    }
                }
                _ = tokio::time::sleep_until(next_span_export), if !batch.is_empty() => {
                    self.export_spans(&mut batch, None).await;
                }
                _ = metrics_tick.tick(), if exporting_metrics => {
                    self.export_metrics(None).await;
                }
            }
            if was_empty && !batch.is_empty() {
                // The delay counts from the first span of a batch.
                let now = tokio::time::Instant::now();
                next_span_export = now.checked_add(self.schedule_delay).unwrap_or(now);
            }
        }
    }

    /// Exports the batch and the next `queued` spans of the queue, batch by
    /// batch, before `deadline`; what the deadline leaves is dropped and
    /// counted.
    async fn drain(
        &mut self,
        spans: &mut mpsc::Receiver<SpanData>,
        batch: &mut Vec<SpanData>,
        deadline: Option<Instant>,
        mut queued: usize,
    ) {
        loop {
            while batch.len() < self.batch_size && queued > 0 {
                match spans.try_recv() {
                    Ok(span) => {
                        batch.push(span);
                        queued -= 1;
                    }
                    Err(_) => queued = 0,
                }
            }
            if batch.is_empty() {
                return;
            }
            self.export_spans(batch, deadline).await;
        }
    }

    /// The time one export may take: the timeout, cut short by `deadline`.
    fn budget(&self, deadline: Option<Instant>) -> Duration {
        match deadline {
            Some(deadline) => self
                .timeout
                .min(deadline.saturating_duration_since(Instant::now())),
            None => self.timeout,
        }
    }

    async fn export_spans(&mut self, batch: &mut Vec<SpanData>, deadline: Option<Instant>) {
        let spans = std::mem::take(batch);
        let count = spans.len();
        if count == 0 {
            return;
        }
        let budget = self.budget(deadline);
        let Some(exporter) = &self.span_exporter else {
            return;
        };
        let exported = !budget.is_zero()
            && matches!(
                tokio::time::timeout(budget, exporter.export(spans)).await,
                Ok(Ok(()))
            );
        if exported {
            self.self_metrics.exported(Signal::Traces, count);
        } else {
            self.self_metrics
                .dropped(Signal::Traces, DropReason::ExportFailed, count);
        }
    }

    async fn export_metrics(&mut self, deadline: Option<Instant>) {
        let budget = self.budget(deadline);
        let Some(client) = &mut self.metrics_client else {
            return;
        };
        let snapshot = self.registry.get().snapshot();
        let (request, points) = metrics::request(&self.resource, &snapshot);
        if points == 0 {
            return;
        }
        let rejected = if budget.is_zero() {
            None
        } else {
            match tokio::time::timeout(budget, client.export(request)).await {
                Ok(Ok(rejected)) => {
                    Some(usize::try_from(rejected).unwrap_or(usize::MAX).min(points))
                }
                _ => None,
            }
        };
        match rejected {
            Some(rejected) => {
                self.self_metrics
                    .exported(Signal::Metrics, points - rejected);
                if rejected > 0 {
                    self.self_metrics
                        .dropped(Signal::Metrics, DropReason::Rejected, rejected);
                }
            }
            None => self
                .self_metrics
                .dropped(Signal::Metrics, DropReason::ExportFailed, points),
        }
    }
}
