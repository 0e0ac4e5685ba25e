use obs_runtime::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "Build-Pipeline")]
struct BuildMetrics {
    /// Builds run.
    builds_total: Counter,
}

#[derive(Metrics)]
#[metrics(prefix = "__obs")]
struct InternalMetrics {
    /// Scrapes served.
    scrapes_total: Counter,
}

#[derive(Metrics)]
#[metrics(prefix = "pipeline_")]
struct PipelineMetrics {
    /// Cycles run.
    cycles_total: Counter,
}

#[derive(Metrics)]
#[metrics(prefix = "")]
struct EmptyPrefixMetrics {
    /// Cycles run.
    cycles_total: Counter,
}

fn main() {}
