use obs_runtime::{Counter, Gauge, Histogram, Metrics};

#[derive(Metrics)]
struct GatewayMetrics {
    /// Request latency.
    latency_ms: Histogram,
    /// Time spent in the router.
    router_milliseconds: Histogram,
    /// Time spent compiling, as a counter.
    compile_millis_total: Counter,
    /// Size of the request body.
    body_kb: Histogram,
    /// Resident memory.
    memory_mb: Gauge,
    /// Share of blocked artefacts.
    blocked_percent: Gauge,
}

fn main() {}
