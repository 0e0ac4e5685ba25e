//! Export failures reported, not only counted: the first failure of a
//! signal is written on obs's diagnostic channel at once; while it keeps
//! failing, at most one line a minute, with the count; recovery gets a
//! line too; and shutdown says what was never delivered.

use super::retry::Failure;
use super::self_metrics::{DropReason, OtlpSelfMetrics, Signal};
use crate::diagnostics;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What one exporter lost, by signal: counted in the process-wide
/// `obs_otlp_dropped_items_total` and here, for its own shutdown report.
/// Shared by the span processor (queue full) and the export thread.
#[derive(Debug, Default)]
pub(super) struct Losses {
    traces: AtomicU64,
    metrics: AtomicU64,
    logs: AtomicU64,
}

impl Losses {
    /// Counts `items` of `signal` as dropped for `reason`.
    pub(super) fn drop_items(&self, signal: Signal, reason: DropReason, items: usize) {
        OtlpSelfMetrics::get().dropped(signal, reason, items);
        let items = u64::try_from(items).unwrap_or(u64::MAX);
        // Relaxed: a statistic, read on its own at shutdown.
        self.counter(signal).fetch_add(items, Ordering::Relaxed);
    }

    /// Counts the outcome of one request holding `items` of `signal`: all
    /// delivered but those the collector rejected, or all dropped.
    pub(super) fn settle(&self, signal: Signal, items: usize, result: &Result<u64, Failure>) {
        match result {
            Ok(rejected) => {
                let rejected = usize::try_from(*rejected).unwrap_or(usize::MAX).min(items);
                OtlpSelfMetrics::get().exported(signal, items - rejected);
                if rejected > 0 {
                    self.drop_items(signal, DropReason::Rejected, rejected);
                }
            }
            Err(_) => self.drop_items(signal, DropReason::ExportFailed, items),
        }
    }

    fn counter(&self, signal: Signal) -> &AtomicU64 {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }

    /// On shutdown: what this exporter never delivered, if it lost anything.
    pub(super) fn report_shutdown(&self) {
        let spans = self.traces.load(Ordering::Relaxed);
        let points = self.metrics.load(Ordering::Relaxed);
        let records = self.logs.load(Ordering::Relaxed);
        if spans > 0 || points > 0 || records > 0 {
            diagnostics::emit(&format!(
                "OTLP export shut down; never delivered: {spans} span{}, {points} metric data \
                 point{}, {records} log record{} (obs_otlp_dropped_items_total has the reasons)",
                plural(spans),
                plural(points),
                plural(records)
            ));
        }
    }
}

/// The least time between two lines about one signal that keeps failing.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// One signal's export failures, as reported so far.
pub(super) struct FailureLog {
    signal: Signal,
    /// Since the first failure of the current run of failures.
    failing: Option<Failing>,
}

struct Failing {
    /// Exports that failed in this run.
    failures: u64,
    /// Failures since the last line.
    unreported: u64,
    last_line: Instant,
}

impl FailureLog {
    pub(super) fn new(signal: Signal) -> Self {
        FailureLog {
            signal,
            failing: None,
        }
    }

    /// Notes one export's outcome, writing a line when one is due.
    pub(super) fn record<T>(&mut self, result: &Result<T, Failure>, endpoint: &str) {
        let outcome = result.as_ref().err();
        if let Some(line) = self.line(Instant::now(), outcome, endpoint) {
            diagnostics::emit(&line);
        }
    }

    /// The line due for an export at `now` that failed with `failure` (or
    /// succeeded, when `None`), if any.
    fn line(&mut self, now: Instant, failure: Option<&Failure>, endpoint: &str) -> Option<String> {
        let signal = self.signal.as_str();
        match (failure, &mut self.failing) {
            (None, None) => None,
            (None, Some(failing)) => {
                let line = format!(
                    "OTLP {signal} export to {endpoint} recovered after {} failed export{}",
                    failing.failures,
                    plural(failing.failures)
                );
                self.failing = None;
                Some(line)
            }
            (Some(failure), None) => {
                self.failing = Some(Failing {
                    failures: 1,
                    unreported: 0,
                    last_line: now,
                });
                Some(format!(
                    "OTLP {signal} export to {endpoint} failed: {}; what it held is dropped and \
                     counted in obs_otlp_dropped_items_total; further failures are reported at \
                     most once a minute",
                    failure.reason()
                ))
            }
            (Some(failure), Some(failing)) => {
                failing.failures += 1;
                failing.unreported += 1;
                if now.saturating_duration_since(failing.last_line) < REPORT_EVERY {
                    return None;
                }
                let line = format!(
                    "OTLP {signal} export to {endpoint} still failing: {} more failed export{} \
                     ({} in all); the last: {}",
                    failing.unreported,
                    plural(failing.unreported),
                    failing.failures,
                    failure.reason()
                );
                failing.unreported = 0;
                failing.last_line = now;
                Some(line)
            }
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Failure {
        Failure::Permanent("the collector answered 401 Unauthorized".into())
    }

    #[test]
    fn first_failure_at_once_then_once_a_minute_then_recovery() {
        let mut log = FailureLog::new(Signal::Metrics);
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let endpoint = "http://127.0.0.1:4318/v1/metrics";

        assert_eq!(
            log.line(at(0), None, endpoint),
            None,
            "success while healthy"
        );
        let first = log.line(at(0), Some(&refused()), endpoint).unwrap();
        assert!(
            first.starts_with(
                "OTLP metrics export to http://127.0.0.1:4318/v1/metrics failed: \
                 the collector answered 401 Unauthorized;"
            ),
            "{first}"
        );
        // Failures within the minute are counted, not written.
        for secs in 1..60 {
            assert_eq!(log.line(at(secs), Some(&refused()), endpoint), None);
        }
        let again = log.line(at(60), Some(&refused()), endpoint).unwrap();
        assert_eq!(
            again,
            "OTLP metrics export to http://127.0.0.1:4318/v1/metrics still failing: \
             60 more failed exports (61 in all); the last: the collector answered 401 Unauthorized"
        );
        assert_eq!(log.line(at(61), Some(&refused()), endpoint), None);
        let recovered = log.line(at(62), None, endpoint).unwrap();
        assert_eq!(
            recovered,
            "OTLP metrics export to http://127.0.0.1:4318/v1/metrics recovered after 62 failed exports"
        );
        // A new run of failures is reported at once again.
        assert!(log.line(at(63), Some(&refused()), endpoint).is_some());
    }
}
