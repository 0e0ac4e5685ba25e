use super::bucket::BucketCell;
use super::gauge::add_f64;
use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::MetricEncoder;
use crate::exemplar::{Exemplar, ExemplarCells};
use crate::metric::{EncodeMetric, Metric};
use crate::snapshot::HistogramSnapshot;
use crate::Violation;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Validated histogram bucket upper bounds: non-empty, finite, strictly
/// increasing. The `+Inf` bucket is implicit.
///
/// ```
/// use obs_runtime::Buckets;
///
/// let b = Buckets::exponential(0.001, 2.0, 4).unwrap();
/// assert_eq!(b.bounds(), &[0.001, 0.002, 0.004, 0.008]);
/// assert!(Buckets::new(vec![1.0, 0.5]).is_err());
/// assert_eq!(Buckets::default().bounds().len(), 11);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets(Arc<[f64]>);

impl Buckets {
    /// The Prometheus client default: 5 ms to 10 s, for request latencies.
    pub const DEFAULT: [f64; 11] = obs_rules::DEFAULT_BUCKETS;

    /// Bounds from a list, checked with the same rule as `#[metric(buckets = […])]`.
    pub fn new(bounds: impl Into<Vec<f64>>) -> Result<Self, Violation> {
        let bounds = bounds.into();
        obs_rules::check_buckets(&bounds)?;
        Ok(Buckets(bounds.into()))
    }

    /// `count` bounds from `start`, each `factor` times the previous.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, Violation> {
        obs_rules::exponential_buckets(start, factor, count).map(|b| Buckets(b.into()))
    }

    /// `count` bounds from `start`, `width` apart.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, Violation> {
        obs_rules::linear_buckets(start, width, count).map(|b| Buckets(b.into()))
    }

    /// The upper bounds, without `+Inf`.
    pub fn bounds(&self) -> &[f64] {
        &self.0
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets(Arc::new(Self::DEFAULT))
    }
}

/// Observations counted in fixed buckets, with their sum.
///
/// An observation is a bucket search and two relaxed atomic updates (the
/// bucket's count and the sum). Bucket counts are stored per bucket and made
/// cumulative when encoded, and `_count` is computed as their total, so a
/// scrape always sees `_count` equal to the `+Inf` bucket.
///
/// ```
/// use obs_runtime::{Buckets, Histogram};
///
/// let latency = Histogram::with_buckets(Buckets::new(vec![0.1, 1.0]).unwrap());
/// latency.observe(0.05);
/// latency.observe(0.5);
/// latency.observe(7.0);
/// let snapshot = latency.snapshot();
/// assert_eq!(snapshot.cumulative_counts, [1, 2, 3]);
/// assert_eq!(snapshot.count, 3);
/// assert_eq!(snapshot.sum, 7.55);
/// ```
#[derive(Debug)]
pub struct Histogram {
    buckets: Buckets,
    cells: HistogramCells<Box<[BucketCell]>>,
}

/// The atomics of a histogram: one bucket per bound then the `+Inf` bucket
/// (not cumulative), an `f64` sum, and the exemplars. Shared by
/// [`Histogram`] and the `static` RED callsites of `#[traced(metrics)]`,
/// whose buckets are a fixed array.
///
/// The sum of a histogram whose unit is known to be seconds or bytes is an
/// integer count of nanoseconds or bytes, kept per bucket beside the
/// bucket's count ([`BucketCell`]), so that an observation updates both in
/// one atomic operation where the processor has one: exact, and cheaper
/// than a compare-and-swap loop on an `f64`. Each observation is rounded
/// to the nearest nanosecond (or byte) first; values that do not fit
/// (negative ones, or one over 2^63 units) go to the one `f64` sum beside
/// the buckets. A histogram of another unit keeps an `f64` sum per bucket,
/// updated with the bucket's count in the same way. A snapshot adds them
/// up.
#[derive(Debug)]
pub(crate) struct HistogramCells<C> {
    /// Per bucket, its count and the sum of its observations: in
    /// `1 / scale` units when `scale` is not 0, else as `f64` bits.
    buckets: C,
    /// The observations of a histogram with an integer sum that do not fit
    /// it, as `f64` bits (a histogram without keeps its `f64` sums per
    /// bucket).
    sum: AtomicU64,
    /// Units per observed unit: 1e9 for seconds, 1 for bytes, 0 for none.
    scale: f64,
    exemplars: ExemplarCells,
}

/// The scale of a `_seconds` histogram's integer sum: nanoseconds.
pub(crate) const SECONDS_SCALE: f64 = 1e9;

/// The scale of a histogram's integer sum for its unit (see
/// [`HistogramCells`]): nanoseconds for seconds, bytes for bytes, none (0)
/// for any other unit.
pub(crate) fn sum_scale(unit: Option<&str>) -> f64 {
    match unit {
        Some("seconds") => SECONDS_SCALE,
        Some("bytes") => 1.0,
        _ => 0.0,
    }
}

/// The largest scaled observation added to the integer sum: 2^63, so that
/// a few of them cannot wrap it.
const MAX_FIXED: f64 = 9_223_372_036_854_775_808.0;

impl<C: AsRef<[BucketCell]>> HistogramCells<C> {
    /// Cells over `buckets`, one more than the bounds, with the integer
    /// sum of `scale` (see [`sum_scale`]); usable in a `static`.
    pub(crate) const fn new(buckets: C, scale: f64) -> Self {
        HistogramCells {
            buckets,
            sum: AtomicU64::new(0),
            scale,
            exemplars: ExemplarCells::new(),
        }
    }

    /// Counts `value` in its bucket of `bounds` and adds it to the sum;
    /// returns the bucket index and how many observations it held before.
    /// `NaN` counts in the `+Inf` bucket only.
    #[inline]
    pub(crate) fn record(&self, bounds: &[f64], value: f64) -> (usize, u64) {
        self.record_ordered(bounds, value, Ordering::Relaxed)
    }

    /// [`HistogramCells::record`], with the bucket's increment made with
    /// `ordering`: `Release` publishes what the caller wrote before, to a
    /// reader of [`HistogramCells::count_acquire`].
    #[inline]
    pub(crate) fn record_ordered(
        &self,
        bounds: &[f64],
        value: f64,
        ordering: Ordering,
    ) -> (usize, u64) {
        // A linear scan beats a binary search for the usual dozen buckets.
        let index = bounds
            .iter()
            .position(|&bound| value <= bound)
            .unwrap_or(bounds.len());
        // Relaxed: each bucket is read on its own; encoders derive
        // `_count` from the buckets, so no cross-bucket ordering is needed.
        let Some(bucket) = self.buckets.as_ref().get(index) else {
            return (index, 0);
        };
        // NaN is counted (in the `+Inf` bucket) but not summed: one NaN
        // would make `_sum` NaN for good, and OpenMetrics then drops the
        // series' `_sum` and `_count`.
        let seen = if value.is_nan() {
            bucket.add(0, ordering)
        } else if self.scale == 0.0 {
            bucket.add_float(value, ordering)
        } else {
            let scaled = value * self.scale;
            if (0.0..MAX_FIXED).contains(&scaled) {
                // Rounded to the nearest unit. Safety: `scaled + 0.5` is
                // finite, at least 0.5 and below 2^63 (`f64`s below 2^63
                // are 1,024 apart near it, so adding a half rounds back
                // down), so it converts to an `i64` without loss.
                let units = unsafe { (scaled + 0.5).to_int_unchecked::<i64>() };
                bucket.add(units as u64, ordering)
            } else {
                add_f64(&self.sum, value);
                bucket.add(0, ordering)
            }
        };
        (index, seen)
    }

    /// Keeps `value` as the exemplar of bucket `index`, with its trace and
    /// span; an id of zero means no trace, and keeps nothing.
    pub(crate) fn keep_exemplar(&self, index: usize, value: f64, trace_id: u128, span_id: u64) {
        if trace_id != 0 && span_id != 0 {
            let exemplar = Exemplar {
                value,
                trace_id,
                span_id,
                timestamp: crate::clock::unix_seconds(),
            };
            self.exemplars
                .store(self.buckets.as_ref().len(), index, exemplar);
        }
    }

    /// The number of observations, each bucket read with `Acquire`: what a
    /// recorder wrote before a `Release` increment is visible after.
    pub(crate) fn count_acquire(&self) -> u64 {
        self.buckets
            .as_ref()
            .iter()
            .map(|bucket| bucket.load(Ordering::Acquire).0)
            .sum()
    }

    /// Reads the current state: the cumulative counts, and the sum (the
    /// buckets' integer sums scaled back, plus the `f64` one).
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut total = 0;
        // Summed wide: the buckets' integer sums together may pass 2^64.
        let mut fixed: u128 = 0;
        let mut float = f64::from_bits(self.sum.load(Ordering::Relaxed));
        let cumulative_counts = self
            .buckets
            .as_ref()
            .iter()
            .map(|bucket| {
                let (count, sum) = bucket.load(Ordering::Relaxed);
                if self.scale > 0.0 {
                    fixed += u128::from(sum);
                } else {
                    float += f64::from_bits(sum);
                }
                total += count;
                total
            })
            .collect();
        let sum = if self.scale > 0.0 {
            float + fixed as f64 / self.scale
        } else {
            float
        };
        HistogramSnapshot {
            cumulative_counts,
            count: total,
            sum,
            exemplars: self.exemplars.snapshot(),
        }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    /// A histogram with [`Buckets::DEFAULT`].
    pub fn new() -> Self {
        Histogram::with_buckets(Buckets::default())
    }

    /// A histogram with the given buckets.
    pub fn with_buckets(buckets: Buckets) -> Self {
        Histogram::with_buckets_and_scale(buckets, 0.0)
    }

    fn with_buckets_and_scale(buckets: Buckets, scale: f64) -> Self {
        let cells = (0..=buckets.0.len()).map(|_| BucketCell::new()).collect();
        Histogram {
            buckets,
            cells: HistogramCells::new(cells, scale),
        }
    }

    /// Records one observation. `NaN` counts in the `+Inf` bucket and the
    /// count, and is left out of the sum, so one stray `NaN` changes no
    /// series that a scrape exposes.
    #[inline]
    pub fn observe(&self, value: f64) {
        self.cells.record(self.buckets.bounds(), value);
    }

    /// Records one observation and keeps it as its bucket's exemplar, tagged
    /// with a trace and span id (written in OpenMetrics output).
    ///
    /// ```
    /// use obs_runtime::{Buckets, Histogram};
    ///
    /// let latency = Histogram::with_buckets(Buckets::new(vec![0.1]).unwrap());
    /// latency.observe_with_exemplar(0.05, 0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7);
    /// let exemplar = latency.snapshot().exemplars[0].unwrap();
    /// assert_eq!(exemplar.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert_eq!(exemplar.value, 0.05);
    /// ```
    pub fn observe_with_exemplar(&self, value: f64, trace_id: u128, span_id: u64) {
        let (index, _) = self.cells.record(self.buckets.bounds(), value);
        self.cells.keep_exemplar(index, value, trace_id, span_id);
    }

    /// Records one observation; inside a sampled OpenTelemetry trace (a
    /// `tracing` span with the `tracing-opentelemetry` layer), also keeps it
    /// as its bucket's exemplar with the current trace and span ids.
    #[cfg(feature = "opentelemetry")]
    pub fn observe_in_trace(&self, value: f64) {
        match crate::exemplar::current_trace() {
            Some((trace_id, span_id)) => self.observe_with_exemplar(value, trace_id, span_id),
            None => self.observe(value),
        }
    }

    /// Records a duration in seconds.
    #[inline]
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(duration.as_secs_f64());
    }

    /// Starts a timer that records the elapsed seconds when dropped.
    ///
    /// ```
    /// let latency = obs_runtime::Histogram::new();
    /// {
    ///     let _timer = latency.start_timer();
    /// }
    /// assert_eq!(latency.snapshot().count, 1);
    /// ```
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer {
            histogram: self,
            start: Instant::now(),
        }
    }

    /// The bucket bounds.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// Reads the current state.
    pub fn snapshot(&self) -> HistogramSnapshot {
        self.cells.snapshot()
    }
}

/// Records the time since [`Histogram::start_timer`] when dropped.
#[must_use = "the timer records when dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct HistogramTimer<'a> {
    histogram: &'a Histogram,
    start: Instant,
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        self.histogram.observe_duration(self.start.elapsed());
    }
}

impl crate::metric::Sealed for Histogram {}

impl EncodeMetric for Histogram {
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let snapshot = self.snapshot();
        encoder.histogram(self.buckets.bounds(), &snapshot);
    }
}

impl Metric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;

    fn from_descriptor(descriptor: &MetricDescriptor) -> Self {
        // Descriptors from `#[derive(Metrics)]` are checked at compile time and
        // those from `MetricDef` when built, so the fallback is never taken for
        // them; a hand-made descriptor with bad buckets gets the default ones.
        let buckets = descriptor
            .buckets
            .as_deref()
            .and_then(|bounds| Buckets::new(bounds.to_vec()).ok())
            .unwrap_or_default();
        // A `_seconds` or `_bytes` histogram sums in integer nanoseconds
        // or bytes (see `HistogramCells`).
        Histogram::with_buckets_and_scale(buckets, sum_scale(descriptor.unit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_unit(unit: &str) -> Histogram {
        Histogram::with_buckets_and_scale(Buckets::default(), sum_scale(Some(unit)))
    }

    #[test]
    fn a_seconds_histogram_sums_exactly_in_nanoseconds() {
        let seconds = with_unit("seconds");
        let plain = Histogram::with_buckets(Buckets::default());
        for _ in 0..10 {
            seconds.observe(0.1);
            plain.observe(0.1);
        }
        // Ten 100 ms observations are exactly one second; an `f64` sum
        // drifts below it.
        assert_eq!(seconds.snapshot().sum, 1.0);
        assert_ne!(plain.snapshot().sum, 1.0);
        // What does not fit the integer sum is kept in the `f64` one; NaN
        // is counted, not summed.
        seconds.observe(-0.25);
        seconds.observe(1e12);
        seconds.observe(f64::NAN);
        let snapshot = seconds.snapshot();
        assert_eq!(snapshot.sum, -0.25 + 1e12 + 1.0);
        assert_eq!(snapshot.count, 13);
        // Observations round to the nearest nanosecond.
        let rounded = with_unit("seconds");
        rounded.observe(1.4e-9);
        rounded.observe(1.6e-9);
        assert_eq!(rounded.snapshot().sum, 3e-9);
        let bytes = with_unit("bytes");
        bytes.observe(1500.0);
        bytes.observe(0.4);
        assert_eq!(bytes.snapshot().sum, 1500.0);
        // Another unit keeps an `f64` sum.
        assert_eq!(sum_scale(Some("ratio")), 0.0);
        assert_eq!(sum_scale(None), 0.0);
    }
}
