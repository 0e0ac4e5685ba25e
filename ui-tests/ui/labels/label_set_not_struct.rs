use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Pair(bool, bool);

fn main() {}
