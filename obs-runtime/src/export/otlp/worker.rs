//! The export thread: batches spans and log records, exports metric
//! snapshots on schedule,
//! and answers flush and shutdown commands within their deadlines.

use super::delta::Deltas;
use super::logs::QueuedLog;
use super::metrics;
use super::processor::Item;
use super::report::Losses;
use super::request::{self, MAX_REQUEST_BYTES};
use super::self_metrics::Signal;
use super::trace::TraceResource;
use super::transport::Client;
use crate::config::{ConfigError, ExportSettings, OtlpTarget, Temporality, SHUTDOWN_TIMEOUT};
use crate::registry::RegistrySource;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_sdk::Resource;
use std::sync::{mpsc as std_mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// `timeout` from now, or far ahead when that would overflow the clock.
pub(super) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(crate::config::MAX_DURATION))
        .unwrap_or(now)
}

pub(super) enum Command {
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
    pub(super) fn new(commands: mpsc::UnboundedSender<Command>, thread: JoinHandle<()>) -> Self {
        WorkerHandle {
            commands,
            thread: Mutex::new(Some(thread)),
        }
    }

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

/// What the export thread is to do: the targets, the registry, the
/// settings, and the resource spans and metrics are sent with.
pub(super) struct Plan {
    pub(super) traces: Option<OtlpTarget>,
    pub(super) metrics: Option<OtlpTarget>,
    pub(super) logs: Option<OtlpTarget>,
    pub(super) registry: RegistrySource,
    pub(super) settings: ExportSettings,
    pub(super) resource: Resource,
    /// What this exporter lost, shared with its span processor.
    pub(super) losses: Arc<Losses>,
}

pub(super) fn run(
    plan: Plan,
    spans: mpsc::Receiver<Item>,
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
        run_silently(plan, spans, commands, ready);
    });
}

fn run_silently(
    plan: Plan,
    spans: mpsc::Receiver<Item>,
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
        let settings = &plan.settings;
        let client = |target: &Option<OtlpTarget>, signal| {
            target
                .as_ref()
                .map(|target| Client::new(target, signal, settings.timeout, plan.losses.clone()))
                .transpose()
        };
        let (traces_client, metrics_client, logs_client) = match (
            client(&plan.traces, Signal::Traces),
            client(&plan.metrics, Signal::Metrics),
            client(&plan.logs, Signal::Logs),
        ) {
            (Ok(traces), Ok(metrics), Ok(logs)) => (traces, metrics, logs),
            (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        Worker {
            resource: metrics::resource_to_proto(&plan.resource),
            trace_resource: TraceResource::new(&plan.resource),
            registry: plan.registry.clone(),
            traces_client,
            metrics_client,
            logs_client,
            deltas: settings
                .metrics_temporality
                .is_delta()
                .then(Deltas::default),
            losses: plan.losses.clone(),
            timeout: settings.timeout,
            metrics_interval: settings.metrics_interval,
            batch_size: settings.span_batch_size,
            schedule_delay: settings.span_schedule_delay,
        }
        .run(spans, commands)
        .await;
    });
}

struct Worker {
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    trace_resource: TraceResource,
    registry: RegistrySource,
    traces_client: Option<Client>,
    metrics_client: Option<Client>,
    logs_client: Option<Client>,
    /// The previous export's totals, when counters and histograms are sent
    /// as deltas.
    deltas: Option<Deltas>,
    losses: Arc<Losses>,
    timeout: Duration,
    metrics_interval: Duration,
    batch_size: usize,
    schedule_delay: Duration,
}

impl Worker {
    async fn run(
        mut self,
        mut spans: mpsc::Receiver<Item>,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        let mut batch: Vec<Item> = Vec::with_capacity(self.batch_size);
        let mut spans_open = self.traces_client.is_some() || self.logs_client.is_some();
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
                        self.report_shutdown();
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
                        self.report_shutdown();
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
        spans: &mut mpsc::Receiver<Item>,
        batch: &mut Vec<Item>,
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

    /// Exports a batch: its spans in one request, its log records in
    /// another, sharing one deadline.
    async fn export_spans(&mut self, batch: &mut Vec<Item>, deadline: Option<Instant>) {
        if batch.is_empty() {
            return;
        }
        let deadline = deadline_after(self.budget(deadline));
        let mut spans = Vec::new();
        let mut logs = Vec::new();
        for item in batch.drain(..) {
            match item {
                Item::Span(span) => spans.push(span),
                Item::Log(log) => logs.push(log),
            }
        }
        if let (false, Some(client)) = (spans.is_empty(), &mut self.traces_client) {
            let count = spans.len();
            let request = self.trace_resource.request(spans);
            client.deliver(&request, count, deadline).await;
        }
        if let (false, Some(client)) = (logs.is_empty(), &mut self.logs_client) {
            let count = logs.len();
            let request = logs_request(&self.resource, logs);
            client.deliver(&request, count, deadline).await;
        }
    }

    /// On the way out: what could not be delivered, on obs's diagnostic
    /// channel, when anything was lost.
    fn report_shutdown(&self) {
        self.losses.report_shutdown();
    }

    async fn export_metrics(&mut self, deadline: Option<Instant>) {
        // Every request of this export shares one deadline.
        let deadline = deadline_after(self.budget(deadline));
        let Some(client) = &mut self.metrics_client else {
            return;
        };
        let mut snapshot = self.registry.get().snapshot();
        if let Some(deltas) = &mut self.deltas {
            deltas.apply(&mut snapshot, crate::clock::unix_seconds());
        }
        // The delta state exists exactly when deltas are exported.
        let temporality = match self.deltas {
            Some(_) => Temporality::Delta,
            None => Temporality::Cumulative,
        };
        for (request, points) in
            request::requests(&self.resource, &snapshot, MAX_REQUEST_BYTES, temporality)
        {
            client.deliver(&request, points, deadline).await;
        }
    }
}

/// One request holding `logs`, grouped by target (each target an
/// instrumentation scope), under `resource`.
fn logs_request(
    resource: &opentelemetry_proto::tonic::resource::v1::Resource,
    logs: Vec<QueuedLog>,
) -> ExportLogsServiceRequest {
    let mut scopes: Vec<ScopeLogs> = Vec::new();
    for log in logs {
        let scope = match scopes
            .iter_mut()
            .position(|s| s.scope.as_ref().is_some_and(|s| s.name == log.target))
        {
            Some(index) => &mut scopes[index],
            None => {
                scopes.push(ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: log.target.to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    log_records: Vec::new(),
                    schema_url: String::new(),
                });
                let last = scopes.len() - 1;
                &mut scopes[last]
            }
        };
        scope.log_records.push(log.record);
    }
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource.clone()),
            scope_logs: scopes,
            schema_url: String::new(),
        }],
    }
}
