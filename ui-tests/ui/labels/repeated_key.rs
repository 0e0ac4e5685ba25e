use obs_runtime::{LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    #[label(rename = "ok", rename = "success")]
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(name = "result")]
    #[label(name = "outcome")]
    outcome: Outcome,
    #[label(unbounded, unbounded)]
    model: String,
}

fn main() {}
