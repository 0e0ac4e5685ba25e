use super::sparse::SparseMap;
use super::{counter::Counter, gauge::Gauge, gauge::IntGauge, histogram::Histogram};
use crate::descriptor::{MetricDescriptor, MetricType};
use crate::encoding::{LabelCache, MetricEncoder};
use crate::labels::{LabelSet, LabelText};
use crate::metric::{EncodeMetric, Metric};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many series an unbounded family keeps before new label values go to
/// its overflow series.
pub const DEFAULT_MAX_SERIES: usize = obs_rules::DEFAULT_MAX_SERIES;

/// The longest label value, in bytes, an unbounded family keeps: 256. A
/// lookup with a longer string value goes to the overflow series (the value
/// is never stored), so a client sending 16 KiB user agents costs one
/// series, not 2,000 series of 16 KiB each.
pub const DEFAULT_MAX_LABEL_BYTES: usize = obs_rules::DEFAULT_MAX_LABEL_BYTES;

/// A metric type that can be one series of a [`Family`]: `Counter`, `Gauge`,
/// `IntGauge` or `Histogram`.
pub trait Series: Metric {}
impl Series for Counter {}
impl Series for Gauge {}
impl Series for IntGauge {}
impl Series for Histogram {}

/// A labeled metric: one series of `M` per label set `L`.
///
/// When `L` has a fixed cardinality (every field an enum or `bool`), every
/// series exists from the start in a dense array indexed by
/// [`LabelSet::index`]: a lookup is index arithmetic, with no hashing, lock or
/// allocation. Every combination is exported from the first scrape, so
/// `rate()` and alerts work before the first event.
///
/// When `L` is unbounded, series are created on first use in a lock-free map
/// capped at [`DEFAULT_MAX_SERIES`] (configurable with
/// `#[metric(max_series = N)]` or [`Family::with_max_series`]). Past the cap,
/// new label values go to one overflow series labeled
/// `otel_metric_overflow="true"`, and are counted in
/// [`Family::overflow_count`]. So does a label value longer than
/// [`DEFAULT_MAX_LABEL_BYTES`] (configurable with
/// `#[metric(max_label_bytes = N)]` or [`Family::with_max_label_bytes`]):
/// memory and scrapes stay bounded whatever the values are.
///
/// ```
/// use obs_runtime::{Counter, Family, LabelSet, LabelValue};
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// enum Outcome { Success, Failure }
///
/// #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
/// struct Labels { outcome: Outcome }
///
/// let compiles: Family<Labels, Counter> = Family::new();
/// compiles.get(&Labels { outcome: Outcome::Success }).inc();
///
/// // Resolve a series once and keep the handle: no lookup per call.
/// let failures = compiles.get(&Labels { outcome: Outcome::Failure });
/// failures.inc();
/// failures.inc();
/// assert_eq!(failures.get(), 2);
/// assert_eq!(compiles.series_count(), 2);
/// ```
pub struct Family<L, M> {
    storage: Storage<L, M>,
    // Unbounded families: the longest string label value kept, in bytes.
    max_label_bytes: usize,
    overflow: M,
    overflow_count: AtomicU64,
    new_series: Box<dyn Fn() -> M + Send + Sync>,
}

enum Storage<L, M> {
    /// A fixed family: every series, in label-set index order.
    Dense(Box<[Slot<M>]>),
    Sparse(SparseMap<L, Slot<M>>),
}

/// A series, and what the encoders keep of its labels between scrapes.
struct Slot<M> {
    series: M,
    labels: LabelCache,
}

impl<M> Slot<M> {
    fn new(series: M) -> Self {
        Slot {
            series,
            labels: LabelCache::default(),
        }
    }
}

impl<L: LabelSet, M: Series + Default> Family<L, M> {
    /// A family whose series are `M::default()` (default buckets for histograms).
    pub fn new() -> Self {
        Family::with_series(M::default)
    }
}

impl<L: LabelSet, M: Series + Default> Default for Family<L, M> {
    fn default() -> Self {
        Family::new()
    }
}

impl<L: LabelSet, M: Series> Family<L, M> {
    /// A family whose series are made by `new_series`, e.g.
    /// `|| Histogram::with_buckets(buckets.clone())`.
    pub fn with_series(new_series: impl Fn() -> M + Send + Sync + 'static) -> Self {
        Family::build(
            Box::new(new_series),
            DEFAULT_MAX_SERIES,
            DEFAULT_MAX_LABEL_BYTES,
        )
    }

    /// Sets the series cap of an unbounded family (ignored for fixed ones,
    /// whose size is known). A cap of 0 sends every value to the overflow
    /// series; a cap above [`obs_rules::MAX_MAX_SERIES`] (1,048,576) is
    /// lowered to it, since the table is allocated up front.
    pub fn with_max_series(self, max_series: usize) -> Self {
        match self.storage {
            Storage::Dense(_) => self,
            Storage::Sparse(_) => Family::build(self.new_series, max_series, self.max_label_bytes),
        }
    }

    /// Sets the longest string label value, in bytes, an unbounded family
    /// keeps (ignored for fixed ones, whose values are known). A lookup with
    /// a longer value goes to the overflow series.
    ///
    /// ```
    /// use obs_runtime::{Counter, Family, LabelSet};
    ///
    /// #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    /// struct Client {
    ///     #[label(unbounded)]
    ///     user_agent: String,
    /// }
    ///
    /// let requests: Family<Client, Counter> = Family::new().with_max_label_bytes(16);
    /// requests.get(&Client { user_agent: "curl/8.5.0".into() }).inc();
    /// requests.get(&Client { user_agent: "Mozilla/5.0 (X11; Linux x86_64)".into() }).inc();
    /// assert_eq!(requests.series_count(), 1);
    /// assert_eq!(requests.overflow_count(), 1);
    /// ```
    pub fn with_max_label_bytes(mut self, max_label_bytes: usize) -> Self {
        self.max_label_bytes = max_label_bytes;
        self
    }

    fn build(
        new_series: Box<dyn Fn() -> M + Send + Sync>,
        max_series: usize,
        max_label_bytes: usize,
    ) -> Self {
        let storage = match L::CARDINALITY {
            Some(cardinality) => {
                Storage::Dense((0..cardinality).map(|_| Slot::new(new_series())).collect())
            }
            None => Storage::Sparse(SparseMap::with_cap(
                max_series.min(obs_rules::MAX_MAX_SERIES),
            )),
        };
        Family {
            storage,
            max_label_bytes,
            overflow: new_series(),
            overflow_count: AtomicU64::new(0),
            new_series,
        }
    }

    /// The series for `labels`, created on first use. Keep the returned
    /// reference to skip the lookup on later calls.
    #[inline]
    pub fn get(&self, labels: &L) -> &M {
        // The path is chosen from the label set's compile-time cardinality,
        // so each monomorphised `get` holds one of them: a fixed family's is
        // an index and a bounds check, small enough to inline.
        if L::CARDINALITY.is_some() {
            if let Storage::Dense(slots) = &self.storage {
                if let Some(slot) = slots.get(labels.index()) {
                    return &slot.series;
                }
            }
            return self.overflowed();
        }
        self.get_sparse(labels)
    }

    /// The lookup of an unbounded family: one probe of its map.
    fn get_sparse(&self, labels: &L) -> &M {
        let found = match &self.storage {
            Storage::Sparse(map) => map.get_or_insert(
                labels,
                |labels| self.admits(labels),
                |labels| (labels.clone(), Slot::new((self.new_series)())),
            ),
            Storage::Dense(_) => None,
        };
        match found {
            Some(slot) => &slot.series,
            None => self.overflowed(),
        }
    }

    /// Whether a new label set's string values are all within
    /// `max_label_bytes`. Only asked on a miss, so hits cost nothing more.
    fn admits(&self, labels: &L) -> bool {
        let mut admits = true;
        labels.visit_values(&mut |value| {
            if let LabelText::Str(text) = value {
                admits &= text.len() <= self.max_label_bytes;
            }
        });
        admits
    }

    #[cold]
    fn overflowed(&self) -> &M {
        // Relaxed: a statistic, read on its own.
        self.overflow_count.fetch_add(1, Ordering::Relaxed);
        &self.overflow
    }

    /// The number of series (not counting the overflow series).
    pub fn series_count(&self) -> usize {
        match &self.storage {
            Storage::Dense(slots) => slots.len(),
            Storage::Sparse(map) => map.len(),
        }
    }

    /// The series cap: the cardinality of a fixed family, the configured cap
    /// of an unbounded one.
    pub fn max_series(&self) -> usize {
        match &self.storage {
            Storage::Dense(slots) => slots.len(),
            Storage::Sparse(map) => map.cap(),
        }
    }

    /// The longest string label value, in bytes, an unbounded family keeps.
    pub fn max_label_bytes(&self) -> usize {
        self.max_label_bytes
    }

    /// How many lookups went to the overflow series: the family was full,
    /// or a label value was longer than [`Family::max_label_bytes`].
    pub fn overflow_count(&self) -> u64 {
        self.overflow_count.load(Ordering::Relaxed)
    }

    /// Calls `visit` for every series, in index order (fixed families) or
    /// creation order (unbounded ones); the overflow series is not included.
    pub fn for_each(&self, mut visit: impl FnMut(&L, &M)) {
        self.for_each_slot(|labels, slot| visit(labels, &slot.series));
    }

    fn for_each_slot(&self, mut visit: impl FnMut(&L, &Slot<M>)) {
        match &self.storage {
            Storage::Dense(slots) => {
                for (index, slot) in slots.iter().enumerate() {
                    if let Some(labels) = L::from_index(index) {
                        visit(&labels, slot);
                    }
                }
            }
            Storage::Sparse(map) => map.for_each(visit),
        }
    }
}

impl<L, M> crate::metric::Sealed for Family<L, M> {}

impl<L: LabelSet, M: Series> EncodeMetric for Family<L, M> {
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        self.for_each_slot(|labels, slot| {
            encoder.labelled(labels, &slot.labels, |encoder| slot.series.encode(encoder));
        });
        if self.overflow_count() > 0 {
            encoder.set_overflow_labels();
            self.overflow.encode(encoder);
        }
        encoder.clear_labels();
    }
}

impl<L: LabelSet, M: Series> Metric for Family<L, M> {
    const TYPE: MetricType = M::TYPE;
    const LABEL_NAMES: &'static [&'static str] = L::NAMES;
    const LABEL_VALUES: &'static [Option<&'static [&'static str]>] = L::VALUE_SETS;
    const CARDINALITY: Option<usize> = L::CARDINALITY;

    fn from_descriptor(descriptor: &MetricDescriptor) -> Self {
        let template = descriptor.clone();
        Family::build(
            Box::new(move || M::from_descriptor(&template)),
            descriptor.max_series.unwrap_or(DEFAULT_MAX_SERIES),
            descriptor
                .max_label_bytes
                .unwrap_or(DEFAULT_MAX_LABEL_BYTES),
        )
    }
}

impl<L, M> fmt::Debug for Family<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, len) = match &self.storage {
            Storage::Dense(slots) => ("dense", slots.len()),
            Storage::Sparse(map) => ("sparse", map.len()),
        };
        f.debug_struct("Family")
            .field("storage", &kind)
            .field("series", &len)
            .field(
                "overflow_count",
                &self.overflow_count.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}
