//! No lost updates under concurrency, and histograms that stay consistent
//! while writers run. Totals are asserted exactly; nothing here is timed.

use obs_runtime::{
    Buckets, Counter, Family, Format, Gauge, Histogram, IntGauge, LabelSet, LabelValue,
    MetricGroup, Metrics, Registry,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

const THREADS: u64 = 4;
const PER_THREAD: u64 = 50_000;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Op {
    Read,
    Write,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct OpLabels {
    op: Op,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct KeyLabels {
    #[label(unbounded)]
    key: String,
}

#[test]
fn counters_and_gauges_lose_no_updates() {
    let counter = Counter::new();
    let gauge = Gauge::new();
    let int_gauge = IntGauge::new();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..PER_THREAD {
                    counter.inc();
                    gauge.add(0.5);
                    int_gauge.inc();
                    int_gauge.add(2);
                    int_gauge.dec();
                }
            });
        }
    });
    assert_eq!(counter.get(), THREADS * PER_THREAD);
    // 0.5 is exact in binary, so the float sum is exact too.
    assert_eq!(gauge.get(), (THREADS * PER_THREAD) as f64 * 0.5);
    assert_eq!(int_gauge.get(), (THREADS * PER_THREAD * 2) as i64);
}

#[test]
fn dense_family_loses_no_increments() {
    let family: Family<OpLabels, Counter> = Family::new();
    thread::scope(|s| {
        for t in 0..THREADS {
            let family = &family;
            s.spawn(move || {
                let op = if t % 2 == 0 { Op::Read } else { Op::Write };
                for _ in 0..PER_THREAD {
                    family.get(&OpLabels { op }).inc();
                }
            });
        }
    });
    assert_eq!(
        family.get(&OpLabels { op: Op::Read }).get(),
        THREADS / 2 * PER_THREAD
    );
    assert_eq!(
        family.get(&OpLabels { op: Op::Write }).get(),
        THREADS / 2 * PER_THREAD
    );
}

// Every thread inserts the same 500 keys in a different order: each key gets
// exactly one series, and every increment lands in it.
#[test]
fn sparse_family_inserts_each_key_once_under_races() {
    let family: Family<KeyLabels, Counter> = Family::new();
    const KEYS: u64 = 500;
    const ROUNDS: u64 = 20;
    thread::scope(|s| {
        for t in 0..THREADS {
            let family = &family;
            s.spawn(move || {
                for round in 0..ROUNDS {
                    for k in 0..KEYS {
                        let key = (k * (t + 1) + round) % KEYS;
                        family
                            .get(&KeyLabels {
                                key: key.to_string(),
                            })
                            .inc();
                    }
                }
            });
        }
    });
    assert_eq!(family.series_count(), KEYS as usize);
    assert_eq!(family.overflow_count(), 0);
    let mut total = 0;
    let mut keys = std::collections::HashSet::new();
    family.for_each(|labels, counter| {
        assert!(
            keys.insert(labels.key.clone()),
            "duplicate series {labels:?}"
        );
        total += counter.get();
    });
    assert_eq!(total, THREADS * ROUNDS * KEYS);
}

// Racing inserts near the cap: the family never exceeds it, and increments
// are split between real series and the overflow series without loss.
#[test]
fn sparse_family_respects_the_cap_under_races() {
    let family: Family<KeyLabels, Counter> = Family::new().with_max_series(100);
    thread::scope(|s| {
        for t in 0..THREADS {
            let family = &family;
            s.spawn(move || {
                for k in 0..1_000 {
                    family
                        .get(&KeyLabels {
                            key: format!("{t}-{k}"),
                        })
                        .inc();
                }
            });
        }
    });
    assert_eq!(family.series_count(), 100);
    let mut in_series = 0;
    family.for_each(|_, counter| in_series += counter.get());
    assert_eq!(in_series, 100);
    assert_eq!(family.overflow_count(), THREADS * 1_000 - 100);
}

#[test]
fn histogram_loses_no_observations() {
    let histogram = Histogram::with_buckets(Buckets::new(vec![1.0, 2.0, 3.0]).unwrap());
    thread::scope(|s| {
        for t in 0..THREADS {
            let histogram = &histogram;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    histogram.observe(((i + t) % 4) as f64 + 0.5);
                }
            });
        }
    });
    let snapshot = histogram.snapshot();
    let n = THREADS * PER_THREAD;
    assert_eq!(snapshot.count, n);
    assert_eq!(snapshot.cumulative_counts, [n / 4, n / 2, 3 * n / 4, n]);
    // Every value is a multiple of 0.5 and the sum stays below 2^53: exact.
    assert_eq!(snapshot.sum, (n / 4) as f64 * (0.5 + 1.5 + 2.5 + 3.5));
}

// A scrape taken while writers run always shows `_count` equal to the `+Inf`
// bucket and cumulative buckets that never decrease. Before each scrape the
// test waits until the writers have recorded more since the previous one, so
// every scrape overlaps real writes however the threads are scheduled.
#[test]
fn scrapes_stay_consistent_while_writers_run() {
    #[derive(Metrics)]
    struct Latency {
        /// Request latency.
        #[metric(buckets = [0.001, 0.01, 0.1, 1.0])]
        latency_seconds: Histogram,
    }
    let registry = Registry::new();
    let latency = Latency::register(&registry).unwrap();
    let done = AtomicBool::new(false);
    let mut scrapes = 0;
    thread::scope(|s| {
        for t in 0..2u64 {
            let (latency, done) = (&latency, &done);
            s.spawn(move || {
                let mut i = t;
                while !done.load(Ordering::Relaxed) {
                    latency.latency_seconds.observe((i % 2000) as f64 / 1000.0);
                    i += 1;
                }
            });
        }
        let mut seen = 0;
        for _ in 0..300 {
            seen = wait_for_more(seen, || latency.latency_seconds.snapshot().count);
            let text = registry.encode(Format::PROMETHEUS_TEXT);
            let mut previous = 0u64;
            let mut inf = None;
            let mut count = None;
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let (series, value) = line.rsplit_once(' ').unwrap();
                if series.starts_with("latency_seconds_bucket") {
                    let value: u64 = value.parse().unwrap();
                    assert!(value >= previous, "bucket decreased in {text}");
                    previous = value;
                    if series.contains("+Inf") {
                        inf = Some(value);
                    }
                } else if series == "latency_seconds_count" {
                    count = Some(value.parse::<u64>().unwrap());
                }
            }
            assert_eq!(inf, count, "`_count` differs from `+Inf` in {text}");
            scrapes += 1;
        }
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(scrapes, 300);
    assert!(latency.latency_seconds.snapshot().count >= 300);
}

/// Yields until `count()` exceeds `seen`, and returns the new count.
fn wait_for_more(seen: u64, count: impl Fn() -> u64) -> u64 {
    loop {
        let now = count();
        if now > seen {
            return now;
        }
        thread::yield_now();
    }
}
