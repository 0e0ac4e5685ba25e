// `buckets` may name a set of the semantic conventions, read from
// obs-rules' table; an unknown set, or a path outside `semconv`, is refused.
use obs_runtime::{Histogram, Metrics};

#[derive(Metrics)]
struct HttpMetrics {
    /// Request durations.
    #[metric(buckets = semconv::http::DURATION)]
    request_duration_seconds: Histogram,
    /// Handler durations.
    #[metric(buckets = my_buckets::DURATION_BUCKETS)]
    handler_duration_seconds: Histogram,
}

fn main() {}
