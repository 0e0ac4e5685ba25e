//! Exemplars: one recent observation per histogram bucket, tagged with the
//! trace it happened in, so a latency bucket on a dashboard links to a trace.
//! Written in OpenMetrics output (`… # {trace_id="…",span_id="…"} value timestamp`).

use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError, TryLockError};

/// An observation with the trace and span it was made in.
#[derive(Clone, Copy, PartialEq)]
pub struct Exemplar {
    /// The observed value.
    pub value: f64,
    /// The W3C trace id (128 bits, never zero).
    pub trace_id: u128,
    /// The W3C span id (64 bits, never zero).
    pub span_id: u64,
    /// When it was observed, in seconds since the Unix epoch.
    pub timestamp: f64,
}

impl Exemplar {
    /// The trace id as 32 lowercase hex digits, as W3C and OpenMetrics write it.
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// The span id as 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        format!("{:016x}", self.span_id)
    }
}

impl fmt::Debug for Exemplar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exemplar")
            .field("value", &self.value)
            .field("trace_id", &self.trace_id_hex())
            .field("span_id", &self.span_id_hex())
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The latest exemplar of each bucket, allocated on the first one.
#[derive(Debug, Default)]
pub(crate) struct ExemplarCells {
    cells: OnceLock<Box<[Mutex<Option<Exemplar>>]>>,
}

impl ExemplarCells {
    /// No exemplar yet; usable in a `static`.
    pub(crate) const fn new() -> Self {
        ExemplarCells {
            cells: OnceLock::new(),
        }
    }

    /// Keeps `exemplar` for bucket `index` of `buckets`. Never waits: when
    /// another thread is writing the same bucket, this exemplar is skipped
    /// (one recent exemplar per bucket is all that is promised).
    pub(crate) fn store(&self, buckets: usize, index: usize, exemplar: Exemplar) {
        let cells = self
            .cells
            .get_or_init(|| (0..buckets).map(|_| Mutex::new(None)).collect());
        let Some(cell) = cells.get(index) else { return };
        match cell.try_lock() {
            Ok(mut slot) => *slot = Some(exemplar),
            Err(TryLockError::Poisoned(poisoned)) => *poisoned.into_inner() = Some(exemplar),
            Err(TryLockError::WouldBlock) => {}
        }
    }

    /// A copy of every bucket's exemplar; empty when none was ever recorded.
    pub(crate) fn snapshot(&self) -> Vec<Option<Exemplar>> {
        self.cells.get().map_or_else(Vec::new, |cells| {
            cells
                .iter()
                .map(|cell| *cell.lock().unwrap_or_else(PoisonError::into_inner))
                .collect()
        })
    }
}

/// The trace and span ids of the current `tracing` span, when it belongs to
/// a sampled OpenTelemetry trace (through `tracing-opentelemetry`).
#[cfg(feature = "opentelemetry")]
pub(crate) fn current_trace() -> Option<(u128, u64)> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let span = tracing::Span::current();
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if !span_context.is_valid() || !span_context.is_sampled() {
        return None;
    }
    Some((
        u128::from_be_bytes(span_context.trace_id().to_bytes()),
        u64::from_be_bytes(span_context.span_id().to_bytes()),
    ))
}
