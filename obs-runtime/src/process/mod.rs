// This module owns obs's standard collectors: the process's statistics
// (`linux.rs`, read from `/proc`), a Tokio runtime's (`runtime.rs`) and the
// build's (`build_info.rs`). Each is a `Collector` on a registry, read at
// scrape time only; it may import the registry, never an exporter. A file
// that cannot be read makes its metrics absent: nothing here panics or
// blocks on the application.

//! Standard collectors (feature `process`, part of `init`): the process
//! metrics Prometheus' client libraries export, a Tokio runtime's metrics,
//! and a `build_info` gauge.
//!
//! [`init`](crate::init()) registers the process metrics (and, when the
//! configuration carries one, [`BuildInfo`]) on the registry it serves,
//! unless `OBS_PROCESS_METRICS=off`; called inside a Tokio runtime, it
//! registers that runtime's metrics too. Without `init`:
//!
//! ```
//! use obs_runtime::{Format, Registry};
//!
//! let registry = Registry::new();
//! obs_runtime::process::register(&registry)?;
//! obs_runtime::build_info!().register(&registry)?;
//!
//! let text = registry.encode(Format::PROMETHEUS_TEXT);
//! # #[cfg(target_os = "linux")]
//! assert!(text.contains("\nprocess_resident_memory_bytes "));
//! assert!(text.contains("build_info{version=\""));
//! # Ok::<(), obs_runtime::RegistryError>(())
//! ```

mod build_info;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(feature = "http")]
mod runtime;

pub use build_info::BuildInfo;
#[cfg(feature = "http")]
pub use runtime::register_tokio;

use crate::registry::{Registry, RegistryError};

/// Registers the process metrics on `registry`, named as Prometheus'
/// client libraries name them and read from `/proc` on every scrape:
///
/// | metric | type | what |
/// | --- | --- | --- |
/// | `process_cpu_seconds_total` | counter | user and system CPU time |
/// | `process_resident_memory_bytes` | gauge | resident set size |
/// | `process_virtual_memory_bytes` | gauge | virtual memory size |
/// | `process_open_fds` | gauge | open file descriptors |
/// | `process_max_fds` | gauge | the open-files (soft) limit |
/// | `process_start_time_seconds` | gauge | start time, since the Unix epoch |
/// | `process_threads` | gauge | OS threads |
///
/// On Linux only: elsewhere it registers nothing. A value that cannot be
/// read (no `/proc` mounted) has no series.
///
/// ```
/// use obs_runtime::Registry;
///
/// let registry = Registry::new();
/// obs_runtime::process::register(&registry)?;
/// # #[cfg(target_os = "linux")]
/// assert!(registry.snapshot().iter().any(|m| m.descriptor.name == "process_threads"));
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
pub fn register(registry: &Registry) -> Result<(), RegistryError> {
    #[cfg(target_os = "linux")]
    registry.register_collector(ProcessCollector)?;
    #[cfg(not(target_os = "linux"))]
    let _ = registry;
    Ok(())
}

/// The process metrics, read from `/proc`.
#[cfg(target_os = "linux")]
struct ProcessCollector;

#[cfg(target_os = "linux")]
mod names {
    pub(super) use obs_rules::standard::{
        PROCESS_CPU_SECONDS_TOTAL as CPU, PROCESS_MAX_FDS as MAX_FDS, PROCESS_OPEN_FDS as OPEN_FDS,
        PROCESS_RESIDENT_MEMORY_BYTES as RESIDENT, PROCESS_START_TIME_SECONDS as START_TIME,
        PROCESS_THREADS as THREADS, PROCESS_VIRTUAL_MEMORY_BYTES as VIRTUAL,
    };
}

#[cfg(target_os = "linux")]
impl crate::Collector for ProcessCollector {
    fn describe(&self) -> Vec<crate::CollectedMetric> {
        use crate::CollectedMetric as M;
        // Help texts as client_golang words them.
        vec![
            M::counter(
                names::CPU,
                "Total user and system CPU time spent in seconds.",
            ),
            M::gauge(names::RESIDENT, "Resident memory size in bytes."),
            M::gauge(names::VIRTUAL, "Virtual memory size in bytes."),
            M::gauge(names::OPEN_FDS, "Number of open file descriptors."),
            M::gauge(names::MAX_FDS, "Maximum number of open file descriptors."),
            M::gauge(
                names::START_TIME,
                "Start time of the process since unix epoch in seconds.",
            ),
            M::gauge(names::THREADS, "Number of OS threads in the process."),
        ]
    }

    fn collect(&self, out: &mut crate::Collection<'_>) {
        use crate::SeriesValue::{FloatCounter, Gauge, IntGauge};
        let reading = linux::read();
        let values = [
            (names::CPU, reading.cpu_seconds.map(FloatCounter)),
            (names::RESIDENT, reading.resident_bytes.map(IntGauge)),
            (names::VIRTUAL, reading.virtual_bytes.map(IntGauge)),
            (names::OPEN_FDS, reading.open_fds.map(IntGauge)),
            (names::MAX_FDS, reading.max_fds.map(IntGauge)),
            (names::START_TIME, reading.start_time_seconds.map(Gauge)),
            (names::THREADS, reading.threads.map(IntGauge)),
        ];
        for (name, value) in values {
            if let Some(value) = value {
                out.add(name, &[], value);
            }
        }
    }
}
