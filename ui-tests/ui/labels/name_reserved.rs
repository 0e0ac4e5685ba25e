use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct BucketLabels {
    le: bool,
    quantile: bool,
    #[label(name = "otel_metric_overflow")]
    overflow: bool,
}

fn main() {}
