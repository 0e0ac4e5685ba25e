//! An enabled span: `#[traced]` side by side with `tracing`'s `#[instrument]`
//! and `fastrace`'s `#[trace]`.
//!
//! The global subscriber is a bare `tracing_subscriber::registry()` (no
//! layers), so each call creates a span in the registry, enters and exits it,
//! and closes it. Neither attribute records an argument (`#[instrument]`
//! skips them all). `fastrace` records its spans only under a local parent:
//! each batch runs in chunks of [`FASTRACE_CHUNK`] calls, each chunk under a
//! sampled root span set as the local parent (created and collected outside
//! the timing), with no reporter set, which is fastrace's default.
//!
//! `cargo bench -p obs-runtime --bench traced_enabled`

mod support;
mod traced_support;

use criterion::{criterion_group, criterion_main, Criterion};
use fastrace::collector::SpanContext;
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::{Group, Target};
use traced_support::{fastrace_trace, obs_traced, plain, tracing_instrument};

/// Calls per fastrace root span: below its per-thread queue of 10,240
/// spans, past which it stops recording.
const FASTRACE_CHUNK: u64 = 1_000;

// === benchmarks ===

fn enabled(c: &mut Criterion) {
    tracing::subscriber::set_global_default(tracing_subscriber::registry())
        .expect("no other global subscriber");

    let mut group = Group::new(c, "traced_enabled");
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
    group.target("#[traced]", Target::AtMost("#[instrument]", 1.0));
    group.bench_timed(
        "fastrace #[trace], under a root span",
        || {},
        |iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(FASTRACE_CHUNK);
                let root = fastrace::Span::root("bench.root", SpanContext::random());
                let guard = root.set_local_parent();
                let start = Instant::now();
                for _ in 0..chunk {
                    black_box(fastrace_trace(black_box(1)));
                }
                elapsed += start.elapsed();
                drop(guard);
                drop(root);
                left -= chunk;
            }
            elapsed
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = enabled
}
criterion_main!(benches);
