use obs_runtime::Metrics;

#[derive(Metrics)]
enum JobMetrics {
    Started,
    Finished,
}

fn main() {}
