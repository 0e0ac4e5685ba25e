use obs_runtime::{Histogram, MetricGroup, Metrics, Objective};

// Objectives on a traced function's RED metrics and on a histogram, read
// back from the span and metric descriptors.
#[obs_runtime::traced(metrics, objective(success = 0.999, latency(0.25) = 0.99))]
fn handle() {}

#[derive(Metrics)]
struct JobMetrics {
    /// Time to run a job.
    #[metric(buckets = [0.1, 0.5, 1.0], objective(latency(0.5) = 0.95))]
    job_duration_seconds: Histogram,
}

fn main() {
    handle();
    let span = obs_runtime::span_descriptors().iter().find(|s| s.name == "handle").unwrap();
    assert_eq!(
        span.objectives,
        [Objective::Success { target: 0.999 }, Objective::Latency { threshold: 0.25, target: 0.99 }]
    );
    assert_eq!(
        JobMetrics::DESCRIPTORS[0].objectives,
        [Objective::Latency { threshold: 0.5, target: 0.95 }]
    );
}
