//! The names of the metrics obs's standard collectors export (process,
//! Tokio runtime, build info), in one place: the runtime's collectors
//! register them, and a scrape check knows them as obs's own, like the
//! `obs_` metrics, rather than as undeclared ones.
//!
//! The process names are Prometheus' client libraries' (client_golang's),
//! so that dashboards and alerts written for them work unchanged; every one
//! passes obs's naming rules as it is.
//!
//! ```
//! use obs_rules::standard;
//!
//! assert!(standard::is_standard_metric("process_cpu_seconds_total"));
//! assert!(standard::is_standard_metric("process_cpu_seconds"), "its family name");
//! assert!(!standard::is_standard_metric("process_jobs_total"));
//! ```

/// `process_cpu_seconds_total`: user and system CPU time, in seconds.
pub const PROCESS_CPU_SECONDS_TOTAL: &str = "process_cpu_seconds_total";
/// `process_resident_memory_bytes`: the resident set size.
pub const PROCESS_RESIDENT_MEMORY_BYTES: &str = "process_resident_memory_bytes";
/// `process_virtual_memory_bytes`: the virtual memory size.
pub const PROCESS_VIRTUAL_MEMORY_BYTES: &str = "process_virtual_memory_bytes";
/// `process_open_fds`: open file descriptors.
pub const PROCESS_OPEN_FDS: &str = "process_open_fds";
/// `process_max_fds`: the open-files limit.
pub const PROCESS_MAX_FDS: &str = "process_max_fds";
/// `process_start_time_seconds`: the start time, since the Unix epoch.
pub const PROCESS_START_TIME_SECONDS: &str = "process_start_time_seconds";
/// `process_threads`: OS threads.
pub const PROCESS_THREADS: &str = "process_threads";

/// `tokio_workers`: a Tokio runtime's worker threads.
pub const TOKIO_WORKERS: &str = "tokio_workers";
/// `tokio_alive_tasks`: its tasks spawned and not finished.
pub const TOKIO_ALIVE_TASKS: &str = "tokio_alive_tasks";
/// `tokio_global_queue_depth`: its tasks waiting in the global queue.
pub const TOKIO_GLOBAL_QUEUE_DEPTH: &str = "tokio_global_queue_depth";
/// `tokio_worker_busy_seconds_total`: the time each worker spent busy.
pub const TOKIO_WORKER_BUSY_SECONDS_TOTAL: &str = "tokio_worker_busy_seconds_total";

/// `build_info`: the running build, an info metric.
pub const BUILD_INFO: &str = "build_info";

/// Every process metric, counters first.
pub const PROCESS_METRICS: &[&str] = &[
    PROCESS_CPU_SECONDS_TOTAL,
    PROCESS_RESIDENT_MEMORY_BYTES,
    PROCESS_VIRTUAL_MEMORY_BYTES,
    PROCESS_OPEN_FDS,
    PROCESS_MAX_FDS,
    PROCESS_START_TIME_SECONDS,
    PROCESS_THREADS,
];

/// Every Tokio runtime metric.
pub const TOKIO_METRICS: &[&str] = &[
    TOKIO_WORKERS,
    TOKIO_ALIVE_TASKS,
    TOKIO_GLOBAL_QUEUE_DEPTH,
    TOKIO_WORKER_BUSY_SECONDS_TOTAL,
];

/// Whether `name`, a metric name or an OpenMetrics family name (a counter
/// without `_total`), is one of the standard collectors'.
pub fn is_standard_metric(name: &str) -> bool {
    PROCESS_METRICS
        .iter()
        .chain(TOKIO_METRICS)
        .chain([&BUILD_INFO])
        .any(|standard| *standard == name || standard.strip_suffix("_total") == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_info_metric_name, check_metric_name, MetricType};

    #[test]
    fn every_standard_name_passes_the_rules() {
        for name in PROCESS_METRICS.iter().chain(TOKIO_METRICS) {
            let ty = if name.ends_with("_total") {
                MetricType::Counter
            } else {
                MetricType::Gauge
            };
            check_metric_name(name, ty).unwrap();
        }
        check_info_metric_name(BUILD_INFO).unwrap();
    }
}
