//! Two threads incrementing one series at once, obs side by side with a
//! contended relaxed atomic (the floor) and the labeled anchors.
//!
//! Each iteration is one increment on each of the two threads, timed from
//! their common start to the last one's end: the figure is the time per
//! increment per thread under contention. Every batch also checks that no
//! increment was lost.
//!
//! `cargo bench -p obs-runtime --bench contended`

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use obs_runtime::{Buckets, Counter, Family, Histogram, LabelSet, LabelValue, MetricDef, Registry};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};
use support::{Group, Target};

const THREADS: u64 = 2;

#[derive(LabelValue, EncodeLabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Method {
    Get,
    Post,
}

#[derive(LabelValue, EncodeLabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Status {
    Ok,
    Error,
}

#[derive(LabelSet, EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    method: Method,
    status: Status,
}

const LABELS: Labels = Labels {
    method: Method::Post,
    status: Status::Ok,
};

/// Runs `increment` `iters` times on each of two threads started together;
/// returns the wall time from the start to the last thread's end.
fn on_two_threads(iters: u64, increment: impl Fn() + Sync) -> Duration {
    let ready = Barrier::new(THREADS as usize + 1);
    let mut start = Instant::now();
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                ready.wait();
                for _ in 0..iters {
                    increment();
                }
            });
        }
        ready.wait();
        start = Instant::now();
    });
    start.elapsed()
}

/// Benchmarks `increment` on two threads; `read` returns the series' value,
/// checked to grow by exactly the number of increments, first in a setup run
/// and then around every timed batch (outside the timing).
fn bench_contended(
    group: &mut Group<'_>,
    id: &str,
    increment: impl Fn() + Sync,
    read: impl Fn() -> u64,
) {
    const SETUP_ITERS: u64 = 1_000_000;
    let before = read();
    on_two_threads(SETUP_ITERS, &increment);
    assert_eq!(
        read() - before,
        THREADS * SETUP_ITERS,
        "{id}: lost increments"
    );
    group.bench_timed(
        id,
        || {},
        |iters| {
            let before = read();
            let elapsed = on_two_threads(iters, &increment);
            assert_eq!(read() - before, THREADS * iters, "{id}: lost increments");
            elapsed
        },
    );
}

/// 4. One series, two threads.
fn contended(c: &mut Criterion) {
    let mut group = Group::new(c, "contended_2_threads");
    bench_contended(&mut group, support::FLOOR, support::floor_inc, || {
        support::FLOOR_CELL.load(Ordering::Relaxed)
    });

    let counter = Counter::new();
    bench_contended(
        &mut group,
        "obs Counter",
        || black_box(&counter).inc(),
        || counter.get(),
    );
    group.target("obs Counter", Target::FloorRatio(1.2));

    let family: Family<Labels, Counter> = Family::new();
    bench_contended(
        &mut group,
        "obs Family (lookup per call)",
        || black_box(&family).get(black_box(&LABELS)).inc(),
        || family.get(&LABELS).get(),
    );
    group.target("obs Family (lookup per call)", Target::FloorRatio(1.2));

    let prometheus = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "status"],
    )
    .expect("valid metric");
    bench_contended(
        &mut group,
        "prometheus",
        || {
            let labels = black_box(&LABELS);
            black_box(&prometheus)
                .with_label_values(&[labels.method.as_str(), labels.status.as_str()])
                .inc();
        },
        || prometheus.with_label_values(&["post", "ok"]).get(),
    );

    let client = prometheus_client::metrics::family::Family::<
        Labels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    bench_contended(
        &mut group,
        "prometheus-client",
        || {
            black_box(&client).get_or_create(black_box(&LABELS)).inc();
        },
        || client.get_or_create(&LABELS).get(),
    );
    group.note(
        "Time per increment per thread, both threads incrementing the same series; \
         on 2 shared cores another process can preempt one thread and hide contention.",
    );
    group.finish();
}

/// 4b. One histogram, two threads: an observation is one compare-and-swap
/// loop where the processor can update a bucket's count and sum in one
/// operation, so contention costs retries; the floor is the contended
/// `fetch_add` again.
fn contended_histogram(c: &mut Criterion) {
    const BOUNDS: [f64; 11] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let mut group = Group::new(c, "contended_histogram_2_threads");
    bench_contended(&mut group, support::FLOOR, support::floor_inc, || {
        support::FLOOR_CELL.load(Ordering::Relaxed)
    });

    let registry = Registry::new();
    let obs = registry
        .register_metric::<Histogram>(
            MetricDef::new("latency_seconds", "Latency.")
                .buckets(Buckets::new(BOUNDS.to_vec()).expect("valid buckets")),
        )
        .expect("valid metric");
    bench_contended(
        &mut group,
        "obs Histogram",
        || black_box(&*obs).observe(black_box(0.3)),
        || obs.snapshot().count,
    );

    let client = prometheus_client::metrics::histogram::Histogram::new(BOUNDS);
    bench_contended(
        &mut group,
        "prometheus-client",
        || black_box(&client).observe(black_box(0.3)),
        || {
            let mut text = String::new();
            let mut registry = prometheus_client::registry::Registry::default();
            registry.register("latency_seconds", "Latency.", client.clone());
            prometheus_client::encoding::text::encode(&mut text, &registry).expect("encodes");
            text.lines()
                .find_map(|line| line.strip_prefix("latency_seconds_count "))
                .and_then(|count| count.trim().parse().ok())
                .expect("a _count line")
        },
    );
    group.note(
        "Time per observation per thread, both threads observing 0.3 into the same histogram.",
    );
    group.finish();
}

criterion_group!(benches, contended, contended_histogram);
criterion_main!(benches);
