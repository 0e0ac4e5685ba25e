//! Histogram observations with 11 buckets (the Prometheus default bounds),
//! obs side by side with prometheus, prometheus-client, metrics and measured.
//!
//! `cargo bench -p obs-runtime --bench histogram`

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use obs_runtime::{Buckets, Histogram};
use std::hint::black_box;
use std::time::Instant;
use support::{Group, Target};

const BOUNDS: [f64; 11] = Buckets::DEFAULT;

/// Values that land in every bucket, `+Inf` included, in an order that
/// defeats a simple branch pattern.
const SPREAD: [f64; 16] = [
    0.3, 0.004, 7.5, 0.02, 42.0, 0.07, 1.7, 0.009, 0.18, 3.3, 0.04, 0.8, 0.012, 12.0, 0.4, 2.0,
];

/// One observation per iteration: the same value every time (`fixed`), or
/// the next of `SPREAD` (`spread`).
fn observe_benches(group: &mut Group<'_>, spread: bool) {
    let handle = support::metrics_recorder(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets(&BOUNDS)
            .expect("non-empty buckets")
    });
    group.floor();

    // Runs `observe` once per iteration with this benchmark's values.
    fn timed(spread: bool, mut observe: impl FnMut(f64)) -> impl FnMut(u64) -> std::time::Duration {
        move |iters| {
            let start = Instant::now();
            if spread {
                for i in 0..iters {
                    observe(black_box(SPREAD[i as usize % SPREAD.len()]));
                }
            } else {
                for _ in 0..iters {
                    observe(black_box(0.3));
                }
            }
            start.elapsed()
        }
    }

    // As users get it from `#[derive(Metrics)]` or `MetricDef`: a
    // `_seconds` histogram, whose sum is integer nanoseconds.
    let registry = obs_runtime::Registry::new();
    let obs = registry
        .register_metric::<Histogram>(
            obs_runtime::MetricDef::new("latency_seconds", "Latency.")
                .buckets(Buckets::new(BOUNDS.to_vec()).expect("valid buckets")),
        )
        .expect("valid metric");
    group.bench_timed("obs", || {}, timed(spread, |v| black_box(&*obs).observe(v)));
    group.target("obs", Target::FloorRatio(1.8));

    // A histogram of no known unit: its sum is an `f64`, added with a
    // compare-and-swap loop.
    let unitless = Histogram::with_buckets(Buckets::new(BOUNDS.to_vec()).expect("valid buckets"));
    group.bench_timed(
        "obs (no unit, f64 sum)",
        || {},
        timed(spread, |v| black_box(&unitless).observe(v)),
    );

    let prometheus = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("latency_seconds", "Latency.").buckets(BOUNDS.to_vec()),
    )
    .expect("valid metric");
    group.bench_timed(
        "prometheus",
        || {},
        timed(spread, |v| black_box(&prometheus).observe(v)),
    );

    let client = prometheus_client::metrics::histogram::Histogram::new(BOUNDS);
    group.bench_timed(
        "prometheus-client",
        || {},
        timed(spread, |v| black_box(&client).observe(v)),
    );

    // metrics-exporter-prometheus appends each raw value to a lock-free
    // queue and sorts them into buckets at upkeep or scrape time: that work
    // is done between batches, untimed, so the figure is the recording
    // cost only.
    group.bench_timed(
        "metrics",
        || handle.run_upkeep(),
        timed(spread, |v| metrics::histogram!("latency_seconds").record(v)),
    );

    let measured = measured::Histogram::with_metadata(
        measured::metric::histogram::Thresholds::with_buckets(BOUNDS),
    );
    group.bench_timed(
        "measured",
        || {},
        timed(spread, |v| black_box(&measured).observe(v)),
    );
}

/// 3. The same value every call: the bucket search takes the same branches.
fn observe_fixed(c: &mut Criterion) {
    let mut group = Group::new(c, "histogram_observe");
    observe_benches(&mut group, false);
    group.note("Each call observes 0.3 (the 7th of 11 buckets).");
    group.finish();
}

/// 3b. Values across all 12 buckets (`+Inf` included).
fn observe_spread(c: &mut Criterion) {
    let mut group = Group::new(c, "histogram_observe_spread");
    observe_benches(&mut group, true);
    group.note("Each call observes the next of 16 values spread over all 12 buckets.");
    group.finish();
}

criterion_group!(benches, observe_fixed, observe_spread);
criterion_main!(benches);
