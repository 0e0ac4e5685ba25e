use obs_runtime::{Counter, Histogram, Metrics};

// On a derived metric, an objective is a latency objective on a histogram,
// with its threshold on one of the histogram's bucket bounds.
#[derive(Metrics)]
struct JobMetrics {
    /// Jobs finished.
    #[metric(objective(latency(0.25) = 0.99))]
    jobs_total: Counter,
    /// Time to run a job.
    #[metric(buckets = [0.1, 0.5, 1.0], objective(latency(0.25) = 0.99, success = 0.999))]
    job_duration_seconds: Histogram,
    /// Time to queue a job, with the default buckets.
    #[metric(objective(latency(0.25) = 1.5))]
    queue_seconds: Histogram,
}

fn main() {}
