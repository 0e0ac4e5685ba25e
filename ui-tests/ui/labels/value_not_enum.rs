use obs_runtime::LabelValue;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Outcome {
    success: bool,
}

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Never {}

fn main() {}
