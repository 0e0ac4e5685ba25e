use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::MetricEncoder;
use crate::metric::{EncodeMetric, Metric};
use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonic counter of events.
///
/// An increment is one relaxed atomic add: only the total matters, no other
/// memory is published through it.
///
/// ```
/// use obs_runtime::Counter;
///
/// let requests = Counter::new();
/// requests.inc();
/// requests.inc_by(2);
/// assert_eq!(requests.get(), 3);
/// ```
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicU64,
}

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter {
            value: AtomicU64::new(0),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// The current total.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl crate::metric::Sealed for Counter {}

impl EncodeMetric for Counter {
    #[inline]
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.counter(self.get());
    }
}

impl Metric for Counter {
    const TYPE: MetricType = MetricType::Counter;

    fn from_descriptor(_: &MetricDescriptor) -> Self {
        Counter::new()
    }
}
