//! The functions the `#[traced]` benchmarks compare: the same body, bare or
//! under each instrumentation. Shared by `traced_disabled` and
//! `traced_enabled`, which differ only in the global subscriber.

use obs_runtime::traced;
use std::hint::black_box;

#[inline(never)]
pub fn plain(x: u64) -> u64 {
    black_box(x)
}

#[traced(level = "debug", name = "bench.call")]
#[inline(never)]
pub fn obs_traced(x: u64) -> u64 {
    black_box(x)
}

#[tracing::instrument(level = "debug", skip_all)]
#[inline(never)]
pub fn tracing_instrument(x: u64) -> u64 {
    black_box(x)
}

#[fastrace::trace]
#[inline(never)]
pub fn fastrace_trace(x: u64) -> u64 {
    black_box(x)
}
