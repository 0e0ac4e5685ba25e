use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct BuildMetrics {
    /// Successful compiles.
    #[metric(name = "Compile-Success_total")]
    compile_success_total: Counter,
    /// Builds waiting for a runner.
    #[metric(name = "queuedBuilds")]
    queued_builds: Gauge,
    /// Neither are spaces or dots.
    #[metric(name = "cache.hit ratio")]
    cache_hit_ratio: Gauge,
}

fn main() {}
