use obs_runtime::{LabelSet, LabelValue};

// One build reports every mistake of each derive, not just the first.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    #[label(rename = "success")]
    Ok,
    Failure(u16),
    #[label(rename = "")]
    Unknown,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    le: bool,
    #[label(name = "Outcome")]
    outcome: bool,
    user_id: String,
    #[label(name = "le")]
    bucket: bool,
}

fn main() {}
