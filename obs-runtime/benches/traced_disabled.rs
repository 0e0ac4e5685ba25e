//! A span whose level is disabled at run time: `#[traced]` side by side with
//! `tracing`'s `#[instrument]` and `fastrace`'s `#[trace]`.
//!
//! The global subscriber is `tracing_subscriber::registry()` filtered at
//! `INFO`, and every function is at `debug`, so each call finds its
//! callsite's cached interest says "never" (`#[traced]`, `#[instrument]`).
//! `fastrace` has no levels: its `#[trace]` is off when the thread has no
//! local parent span, which is its state here.
//!
//! `cargo bench -p obs-runtime --bench traced_disabled`

mod support;
mod traced_support;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use support::{Group, Target};
use traced_support::{fastrace_trace, obs_traced, plain, tracing_instrument};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

// === benchmarks ===

fn disabled(c: &mut Criterion) {
    let subscriber = tracing_subscriber::registry().with(LevelFilter::INFO);
    tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");

    let mut group = Group::new(c, "traced_disabled");
    group.floor();
    group.bench("no instrumentation", || {
        black_box(plain(black_box(1)));
    });
    group.bench("#[instrument]", || {
        black_box(tracing_instrument(black_box(1)));
    });
    group.bench("#[traced]", || {
        black_box(obs_traced(black_box(1)));
    });
    group.target("#[traced]", Target::AtMost("#[instrument]", 1.1));
    group.bench("fastrace #[trace], no parent", || {
        black_box(fastrace_trace(black_box(1)));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = disabled
}
criterion_main!(benches);
