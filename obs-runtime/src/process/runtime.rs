//! A Tokio runtime's metrics, from its stable `RuntimeMetrics` (no
//! `tokio_unstable`), read at scrape time.

use crate::registry::{CollectedMetric, Collection, Collector, Registry, RegistryError};
use crate::snapshot::SeriesValue;
use tokio::runtime::{Handle, RuntimeMetrics};

use obs_rules::standard::{
    TOKIO_ALIVE_TASKS as ALIVE_TASKS, TOKIO_GLOBAL_QUEUE_DEPTH as GLOBAL_QUEUE_DEPTH,
    TOKIO_WORKERS as WORKERS, TOKIO_WORKER_BUSY_SECONDS_TOTAL as BUSY,
};

/// Registers the metrics of the Tokio runtime `handle` belongs to on
/// `registry` (needs the `http` feature, which brings Tokio):
///
/// | metric | type | what |
/// | --- | --- | --- |
/// | `tokio_workers` | gauge | worker threads |
/// | `tokio_alive_tasks` | gauge | tasks spawned and not finished |
/// | `tokio_global_queue_depth` | gauge | tasks waiting in the global (injection) queue |
/// | `tokio_worker_busy_seconds_total{worker}` | counter | time each worker spent busy; `worker` is `0` to `tokio_workers - 1`, fixed for the runtime's life |
///
/// One runtime per registry: a second is a name conflict. [`init`](crate::init())
/// registers the runtime it is called on, when it is called on one.
///
/// ```
/// use obs_runtime::{Format, Registry};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let registry = Registry::new();
/// obs_runtime::process::register_tokio(&registry, runtime.handle())?;
/// let text = registry.encode(Format::PROMETHEUS_TEXT);
/// assert!(text.contains("\ntokio_workers 1\n"));
/// assert!(text.contains("\ntokio_worker_busy_seconds_total{worker=\"0\"} "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_tokio(registry: &Registry, handle: &Handle) -> Result<(), RegistryError> {
    registry.register_collector(TokioCollector(handle.metrics()))
}

struct TokioCollector(RuntimeMetrics);

impl Collector for TokioCollector {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![
            CollectedMetric::gauge(WORKERS, "Worker threads of the Tokio runtime."),
            CollectedMetric::gauge(
                ALIVE_TASKS,
                "Tasks alive in the Tokio runtime: spawned and not finished.",
            ),
            CollectedMetric::gauge(
                GLOBAL_QUEUE_DEPTH,
                "Tasks waiting in the Tokio runtime's global queue.",
            ),
            CollectedMetric::counter(
                BUSY,
                "Time each worker of the Tokio runtime spent busy, in seconds.",
            )
            .labels(&["worker"]),
        ]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        let metrics = &self.0;
        let count = |n: usize| SeriesValue::IntGauge(i64::try_from(n).unwrap_or(i64::MAX));
        out.add(WORKERS, &[], count(metrics.num_workers()));
        out.add(ALIVE_TASKS, &[], count(metrics.num_alive_tasks()));
        out.add(GLOBAL_QUEUE_DEPTH, &[], count(metrics.global_queue_depth()));
        // Tokio counts busy time only where 64-bit atomics exist.
        #[cfg(target_has_atomic = "64")]
        for worker in 0..metrics.num_workers() {
            let busy = metrics.worker_total_busy_duration(worker).as_secs_f64();
            let label = worker.to_string();
            out.add(BUSY, &[&label], SeriesValue::FloatCounter(busy));
        }
    }
}
