use obs_runtime::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct QueueMetrics {
    /// Messages routed.
    #[metric(name = "router__messages_total")]
    router_messages_total: Counter,
    /// Jobs waiting.
    #[metric(name = "queue_depth_")]
    queue_depth: Gauge,
    /// Leading underscore.
    #[metric(name = "_inflight")]
    inflight: Gauge,
}

fn main() {}
