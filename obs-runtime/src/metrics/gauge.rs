use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::MetricEncoder;
use crate::metric::{EncodeMetric, Metric};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A floating-point value that goes up and down: ratios, temperatures,
/// last-seen durations.
///
/// `set` is one relaxed store; `add` and `sub` are a compare-and-swap loop on
/// the value's bits. Use [`IntGauge`] for counts of things (one atomic add).
///
/// ```
/// use obs_runtime::Gauge;
///
/// let block_ratio = Gauge::new();
/// block_ratio.set(0.25);
/// block_ratio.add(0.5);
/// assert_eq!(block_ratio.get(), 0.75);
/// ```
#[derive(Debug)]
pub struct Gauge {
    bits: AtomicU64,
}

impl Default for Gauge {
    fn default() -> Self {
        Gauge::new()
    }
}

impl Gauge {
    /// A gauge at `0.0`.
    pub const fn new() -> Self {
        // 0.0 has the all-zero bit pattern.
        Gauge {
            bits: AtomicU64::new(0),
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(&self, delta: f64) {
        add_f64(&self.bits, delta);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        add_f64(&self.bits, -delta);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

/// Adds `delta` to the `f64` stored as bits in `cell`. Relaxed: only the
/// value matters, and the compare-and-swap makes concurrent adds exact.
#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, delta: f64) {
    let mut current = cell.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match cell.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

impl crate::metric::Sealed for Gauge {}

impl EncodeMetric for Gauge {
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.gauge_f64(self.get());
    }
}

impl Metric for Gauge {
    const TYPE: MetricType = MetricType::Gauge;

    fn from_descriptor(_: &MetricDescriptor) -> Self {
        Gauge::new()
    }
}

/// An integer value that goes up and down: queue depths, live connections,
/// agents running.
///
/// Every operation is one relaxed atomic instruction.
///
/// ```
/// use obs_runtime::IntGauge;
///
/// let pending = IntGauge::new();
/// pending.inc();
/// pending.add(4);
/// pending.dec();
/// assert_eq!(pending.get(), 4);
/// ```
#[derive(Debug, Default)]
pub struct IntGauge {
    value: AtomicI64,
}

impl IntGauge {
    /// A gauge at zero.
    pub const fn new() -> Self {
        IntGauge {
            value: AtomicI64::new(0),
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, value: i64) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(&self, delta: i64) {
        self.value.fetch_add(delta, Ordering::Relaxed);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: i64) {
        self.value.fetch_sub(delta, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl crate::metric::Sealed for IntGauge {}

impl EncodeMetric for IntGauge {
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.gauge_i64(self.get());
    }
}

impl Metric for IntGauge {
    const TYPE: MetricType = MetricType::Gauge;

    fn from_descriptor(_: &MetricDescriptor) -> Self {
        IntGauge::new()
    }
}
