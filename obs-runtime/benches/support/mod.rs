//! Shared by the bench binaries: the floor, and criterion groups that keep
//! every timed batch so each binary ends by printing its figures as ratios to
//! the floor measured in the same run.

// Each bench binary uses part of this module.
#![allow(dead_code)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The id every group gives its floor benchmark.
pub const FLOOR: &str = "floor";

/// The static the floor increments.
pub static FLOOR_CELL: AtomicU64 = AtomicU64::new(0);

/// The floor: one relaxed `fetch_add` on a static, the least any counter
/// increment can cost.
#[inline]
pub fn floor_inc() {
    black_box(&FLOOR_CELL).fetch_add(1, Ordering::Relaxed);
}

/// A goal for one benchmark of a group, checked and printed with the table.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// At most this many times the floor.
    FloorRatio(f64),
    /// At most this many nanoseconds per iteration.
    MaxNanos(f64),
    /// At least this many times faster than the named benchmark of the group.
    FasterThan(&'static str, f64),
    /// At most this many times the time of the named benchmark of the group
    /// (1.0: no slower than it).
    AtMost(&'static str, f64),
}

/// A criterion group that also keeps its results.
pub struct Group<'c> {
    name: String,
    inner: BenchmarkGroup<'c, WallTime>,
    results: Vec<(String, f64)>,
    targets: Vec<(&'static str, Target)>,
    notes: Vec<String>,
    /// The benchmark the ratios are to: [`FLOOR`] unless
    /// [`Group::floor_is`] names another.
    floor_id: String,
    /// Pairs whose overheads (time less the floor) are compared under the
    /// table.
    overheads: Vec<(&'static str, &'static str)>,
}

impl<'c> Group<'c> {
    /// A group; benchmark the floor in it first with [`Group::floor`].
    pub fn new(c: &'c mut Criterion, name: &str) -> Self {
        Group {
            name: name.to_owned(),
            inner: c.benchmark_group(name),
            results: Vec::new(),
            targets: Vec::new(),
            notes: Vec::new(),
            floor_id: FLOOR.to_owned(),
            overheads: Vec::new(),
        }
    }

    /// Makes benchmark `id` the group's floor in place of the `fetch_add`:
    /// the least the measured operation can cost (a request through an
    /// uninstrumented service, say). The table then also gives each
    /// benchmark's overhead, its time less the floor's.
    pub fn floor_is(&mut self, id: &str) {
        self.floor_id = id.to_owned();
    }

    /// Prints under the table the overhead of `id` (its time less the
    /// floor's) divided by that of `other`.
    pub fn compare_overheads(&mut self, id: &'static str, other: &'static str) {
        self.overheads.push((id, other));
    }

    /// Benchmarks the floor.
    pub fn floor(&mut self) {
        self.bench(FLOOR, floor_inc);
    }

    /// Benchmarks `routine`, called once per iteration.
    pub fn bench(&mut self, id: &str, mut routine: impl FnMut()) {
        self.bench_timed(
            id,
            || {},
            |iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    routine();
                }
                start.elapsed()
            },
        );
    }

    /// Benchmarks with a custom timed loop: `timed(iters)` runs `iters`
    /// iterations and returns the time they took; `between` runs before each
    /// batch, untimed.
    pub fn bench_timed(
        &mut self,
        id: &str,
        mut between: impl FnMut(),
        mut timed: impl FnMut(u64) -> Duration,
    ) {
        let mut batches = Vec::new();
        self.inner.bench_function(id, |b| {
            b.iter_custom(|iters| {
                between();
                let elapsed = timed(iters);
                batches.push((iters, elapsed));
                elapsed
            })
        });
        if let Some(ns) = estimate(&batches) {
            self.results.push((id.to_owned(), ns));
        }
    }

    /// Sets the goal of benchmark `id`.
    pub fn target(&mut self, id: &'static str, target: Target) {
        self.targets.push((id, target));
    }

    /// Adds a line printed under the table.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Ends the criterion group and prints the group's table (when
    /// benchmarking, not when `cargo test` runs each benchmark once).
    pub fn finish(self) {
        self.inner.finish();
        if self.results.is_empty() || !measuring() {
            return;
        }
        let lookup = |id: &str| {
            self.results
                .iter()
                .find(|(name, _)| name == id)
                .map(|&(_, ns)| ns)
        };
        let floor = lookup(&self.floor_id);
        // An overhead column when the floor is a benchmark of the group's
        // own operation rather than the `fetch_add`.
        let overhead = |ns: f64| match (self.floor_id != FLOOR, floor) {
            (true, Some(floor)) => format!(" {} |", format_time(ns - floor)),
            (true, None) => " – |".to_owned(),
            (false, _) => String::new(),
        };
        let (header, rule) = match self.floor_id != FLOOR {
            true => (" overhead |", " ---: |"),
            false => ("", ""),
        };
        let mut table = format!(
            "\n### {}\n\n| benchmark | time/iter |{header} × floor | target |\n| --- | ---: |{rule} ---: | --- |\n",
            self.name
        );
        for (id, ns) in &self.results {
            let ratio = floor.map_or("–".to_owned(), |floor| format!("{:.2}", ns / floor));
            let targets: Vec<String> = self
                .targets
                .iter()
                .filter(|(target_id, _)| target_id == id)
                .map(|&(_, target)| check(target, *ns, floor, lookup))
                .collect();
            table.push_str(&format!(
                "| {id} | {} |{} {ratio} | {} |\n",
                format_time(*ns),
                overhead(*ns),
                targets.join("; ")
            ));
        }
        for &(id, other) in &self.overheads {
            let line = match (lookup(id), lookup(other), floor) {
                (Some(ns), Some(other_ns), Some(floor)) => format!(
                    "overhead of {id} ÷ overhead of {other}: {:.2} ({} ÷ {})",
                    (ns - floor) / (other_ns - floor),
                    format_time(ns - floor),
                    format_time(other_ns - floor)
                ),
                _ => format!("overhead of {id} ÷ overhead of {other}: not measured"),
            };
            table.push_str(&format!("\n{line}\n"));
        }
        for note in &self.notes {
            table.push_str(&format!("\n{note}\n"));
        }
        println!("{table}");
    }
}

/// Whether criterion measures (`cargo bench`), as opposed to running each
/// benchmark once (`cargo test --benches`, `--test`), listing or profiling.
fn measuring() -> bool {
    let mut bench = false;
    for arg in std::env::args() {
        match arg.as_str() {
            "--bench" => bench = true,
            "--test" | "--list" => return false,
            _ if arg.starts_with("--profile-time") => return false,
            _ => {}
        }
    }
    bench
}

fn check(
    target: Target,
    ns: f64,
    floor: Option<f64>,
    lookup: impl Fn(&str) -> Option<f64>,
) -> String {
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    match target {
        Target::FloorRatio(max) => match floor {
            Some(floor) => format!("≤ {max}× floor: {}", verdict(ns / floor <= max)),
            None => format!("≤ {max}× floor: no floor measured"),
        },
        Target::MaxNanos(max) => {
            format!("≤ {}: {}", format_time(max), verdict(ns <= max))
        }
        Target::FasterThan(other, factor) => match lookup(other) {
            Some(other_ns) => format!(
                "≥ {factor}× faster than {other}: {:.2}× ({})",
                other_ns / ns,
                verdict(other_ns / ns >= factor)
            ),
            None => format!("≥ {factor}× faster than {other}: not measured"),
        },
        Target::AtMost(other, factor) => match lookup(other) {
            Some(other_ns) => format!(
                "≤ {factor}× {other}: {:.2}× ({})",
                ns / other_ns,
                verdict(ns / other_ns <= factor)
            ),
            None => format!("≤ {factor}× {other}: not measured"),
        },
    }
}

fn format_time(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.3} ms", ns / 1_000_000.0)
    }
}

/// Nanoseconds per iteration, as criterion estimates it: the least-squares
/// slope through the origin of the measured batches (for flat sampling, the
/// same formula gives the mean).
///
/// Criterion calls the routine first for its warm-up, with iteration counts
/// that double, then for its samples: `d, 2d, …, n·d` iterations (linear
/// sampling) or `n` batches of one count (flat). Only the samples count.
fn estimate(batches: &[(u64, Duration)]) -> Option<f64> {
    let iters: Vec<u64> = batches.iter().map(|&(iters, _)| iters).collect();
    let n = iters.len();
    let last = *iters.last()?;
    let mut start = n - 1;
    if n >= 2 && last > iters[n - 2] {
        let step = last - iters[n - 2];
        let samples = usize::try_from(last / step).unwrap_or(usize::MAX);
        let linear = last % step == 0
            && samples <= n
            && (n - samples..n).all(|i| iters[i] == (i - (n - samples) + 1) as u64 * step);
        start = if linear { n - samples } else { 0 };
    } else {
        while start > 0 && iters[start - 1] == last {
            start -= 1;
        }
    }
    let (xy, xx) = batches[start..]
        .iter()
        .fold((0.0, 0.0), |(xy, xx), &(iters, elapsed)| {
            let x = iters as f64;
            (xy + x * elapsed.as_nanos() as f64, xx + x * x)
        });
    (xx > 0.0).then(|| xy / xx)
}

/// Installs a metrics-exporter-prometheus recorder as the `metrics` crate's
/// global recorder (once per process) and returns its handle.
pub fn metrics_recorder(
    build: impl FnOnce() -> metrics_exporter_prometheus::PrometheusBuilder,
) -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = build().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).expect("no other recorder is installed");
        handle
    })
}

/// The criterion configuration of every bench binary (command-line flags
/// such as `--measurement-time` still override it).
pub fn criterion() -> Criterion {
    Criterion::default().configure_from_args()
}

// === the two 10-value labels of the encode benchmarks ===

/// The first label: 10 values.
#[derive(
    obs_runtime::LabelValue,
    measured::FixedCardinalityLabel,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Debug,
)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
    Trace,
    Connect,
    Purge,
}

/// The second label: 10 values.
#[derive(
    obs_runtime::LabelValue,
    measured::FixedCardinalityLabel,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Debug,
)]
pub enum Route {
    Users,
    User,
    Products,
    Product,
    Owner,
    Purchase,
    Orders,
    Order,
    Cart,
    Checkout,
}
