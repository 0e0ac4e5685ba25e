// `declare_metrics!` checks the objectives a service puts on a group it did
// not write: the metric must exist, be a histogram, have the threshold as a
// bucket bound, and the target must be a share in (0, 1).
use obs_runtime::{Counter, Family, Histogram, LabelSet, LabelValue, Metrics};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Queue {
    Fast,
    Slow,
}

#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct QueueLabels<Q: LabelValue> {
    queue: Q,
}

#[derive(Metrics)]
struct WaitMetrics<Q: LabelValue> {
    /// Time a job waited, by queue.
    #[metric(buckets = [0.1, 0.5, 1.0])]
    queue_wait_seconds: Family<QueueLabels<Q>, Histogram>,
    /// Jobs taken, by queue.
    queue_jobs_total: Family<QueueLabels<Q>, Counter>,
}

obs_runtime::declare_metrics!(WaitMetrics<Queue>, objective(queue_wait_secs: latency(0.5) = 0.99));
obs_runtime::declare_metrics!(WaitMetrics<Queue>, objective(queue_jobs_total: latency(0.5) = 0.99));
obs_runtime::declare_metrics!(WaitMetrics<Queue>, objective(queue_wait_seconds: latency(0.3) = 0.99));
obs_runtime::declare_metrics!(WaitMetrics<Queue>, objective(queue_wait_seconds: latency(0.5) = 99.0));

fn main() {}
