use obs_runtime::{LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    #[label(name = "ok")]
    Success,
    #[label(skip)]
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(rename = "result")]
    outcome: Outcome,
    #[label(bounded)]
    cached: bool,
}

fn main() {}
