//! obs's own metrics about OTLP export: what was delivered and what was
//! dropped, by signal and reason.

use crate::registry::Registry;
use crate::{Counter, Family, LabelSet, LabelValue, MetricGroup, Metrics};
use std::sync::{Arc, LazyLock};

/// The signal an OTLP self-metric counts: its `signal` label.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Signal {
    /// Spans (`traces`).
    Traces,
    /// Metric data points (`metrics`).
    Metrics,
    /// Log records (`logs`).
    Logs,
}

impl Signal {
    /// `traces` or `metrics`, as in the label and in the OTLP paths.
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }
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

    /// Items of `signal` dropped so far, for every reason.
    pub(crate) fn dropped_total(&self, signal: Signal) -> u64 {
        [
            DropReason::QueueFull,
            DropReason::ExportFailed,
            DropReason::Rejected,
        ]
        .map(|reason| {
            self.dropped_items_total
                .get(&DroppedLabels { signal, reason })
                .get()
        })
        .iter()
        .sum()
    }

    pub(crate) fn dropped(&self, signal: Signal, reason: DropReason, items: usize) {
        self.dropped_items_total
            .get(&DroppedLabels { signal, reason })
            .inc_by(items as u64);
    }

    pub(crate) fn exported(&self, signal: Signal, items: usize) {
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
    OtlpSelfMetrics::get().dropped_total(signal)
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
