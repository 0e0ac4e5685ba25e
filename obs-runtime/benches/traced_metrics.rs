//! Per-function RED metrics: `#[traced(metrics)]` side by side with
//! `autometrics`' `#[autometrics]`, what each part of its cost is, and what
//! its clock costs against the alternatives.
//!
//! No `tracing` subscriber is installed, so the span of `#[traced]` is
//! disabled and what remains is the metrics: a call counter and a latency
//! histogram per call. `#[autometrics]` records into its default backend,
//! prometheus-client (its own registry, no exporter needed). The first
//! `#[traced(metrics)]` call starts the calibration of obs's TSC clock on a
//! thread of its own; the warm-up outlasts it, so the figures are those of
//! the calibrated clock.
//!
//! `cargo bench -p obs-runtime --bench traced_metrics`

mod support;

use autometrics::autometrics;
use criterion::{criterion_group, criterion_main, Criterion};
use obs_runtime::__private::{duration_cells, BucketCell, FunctionMetrics};
use obs_runtime::{traced, Buckets, Counter, Histogram, MetricDef, Registry};
use std::hint::black_box;
use std::time::Instant;
use support::{Group, Target};

// === the instrumented functions: the same body in each ===

#[inline(never)]
fn plain(x: u64) -> u64 {
    black_box(x)
}

#[traced(level = "debug", name = "bench.spanned")]
#[inline(never)]
fn obs_traced(x: u64) -> u64 {
    black_box(x)
}

#[traced(level = "debug", name = "bench.metrics", metrics)]
#[inline(never)]
fn obs_traced_metrics(x: u64) -> u64 {
    black_box(x)
}

#[autometrics]
#[inline(never)]
fn autometrics_fn(x: u64) -> u64 {
    black_box(x)
}

// === the parts of `#[traced(metrics)]`, as `obs_runtime::red` does them ===

static CALLS: Counter = Counter::new();
static RED_CELLS: [BucketCell; 17] = duration_cells();
static RED: FunctionMetrics = FunctionMetrics::new(
    "bench.red",
    module_path!(),
    &obs_runtime::DURATION_BUCKETS,
    &RED_CELLS,
);

/// One raw TSC read, where the target has one.
#[cfg(target_arch = "x86_64")]
#[inline]
fn rdtsc() -> u64 {
    // Safety: `rdtsc` exists on every x86_64 processor and has no
    // preconditions.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

// === benchmarks ===

/// 3. `#[traced(metrics)]` against `#[autometrics]`.
fn red_metrics(c: &mut Criterion) {
    let mut group = Group::new(c, "traced_metrics");
    group.floor();
    group.bench("no instrumentation", || {
        black_box(plain(black_box(1)));
    });
    group.bench("#[traced], no metrics", || {
        black_box(obs_traced(black_box(1)));
    });
    group.bench("#[traced(metrics)]", || {
        black_box(obs_traced_metrics(black_box(1)));
    });
    group.target("#[traced(metrics)]", Target::FloorRatio(25.0));
    group.target(
        "#[traced(metrics)]",
        Target::FasterThan("#[autometrics]", 12.0),
    );
    group.bench("#[autometrics]", || {
        black_box(autometrics_fn(black_box(1)));
    });
    group.finish();
}

/// 4a. What one `#[traced(metrics)]` call is made of.
fn red_parts(c: &mut Criterion) {
    let mut group = Group::new(c, "traced_metrics_parts");
    group.floor();
    group.bench("timer, before: std Instant::now() + elapsed()", || {
        let start = Instant::now();
        black_box(black_box(start).elapsed().as_secs_f64());
    });
    // What obs's timer does (obs-runtime/src/trace/cycles.rs): two counter
    // reads, a subtraction and one multiply.
    #[cfg(target_arch = "x86_64")]
    group.bench("timer, now: rdtsc twice + one multiply", || {
        let start = rdtsc();
        black_box(rdtsc().saturating_sub(black_box(start)) as f64 * black_box(3.3e-10));
    });
    group.bench("counter: Counter::inc", || {
        black_box(&CALLS).inc();
    });
    // The histogram half of a call: a `_seconds` histogram of the RED
    // buckets, as the callsite's own cells are.
    let registry = Registry::new();
    let durations = registry
        .register_metric::<Histogram>(
            MetricDef::new("bench_duration_seconds", "Durations.").buckets(
                Buckets::new(obs_runtime::DURATION_BUCKETS.to_vec()).expect("valid buckets"),
            ),
        )
        .expect("valid metric");
    group.bench("histogram: 16-bucket observe", || {
        black_box(&*durations).observe(black_box(5e-8));
    });
    group.bench("std::thread::panicking()", || {
        black_box(std::thread::panicking());
    });
    group.bench("FunctionMetrics::start + drop (all, no span)", || {
        drop(black_box(&RED).start());
    });
    group.finish();
}

/// 4b. Clocks: what `std::time::Instant` costs against TSC-based clocks.
fn clocks(c: &mut Criterion) {
    let clock = quanta::Clock::new();
    let mut group = Group::new(c, "clock");
    group.floor();
    group.bench("std Instant::now()", || {
        black_box(Instant::now());
    });
    group.bench("std: now + elapsed (2 reads, f64 seconds)", || {
        let start = Instant::now();
        black_box(black_box(start).elapsed().as_secs_f64());
    });
    group.bench("quanta::Instant::now()", || {
        black_box(quanta::Instant::now());
    });
    group.bench("quanta::Instant: now + elapsed (2 reads)", || {
        let start = quanta::Instant::now();
        black_box(black_box(start).elapsed().as_secs_f64());
    });
    group.bench("quanta::Clock::raw()", || {
        black_box(clock.raw());
    });
    group.bench("quanta::Clock: raw + raw + delta_as_nanos", || {
        let start = clock.raw();
        black_box(clock.delta_as_nanos(black_box(start), clock.raw()));
    });
    #[cfg(target_arch = "x86_64")]
    group.bench("rdtsc", || {
        black_box(rdtsc());
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = red_metrics, red_parts, clocks
}
criterion_main!(benches);
