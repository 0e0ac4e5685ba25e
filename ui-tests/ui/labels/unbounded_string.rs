use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct RequestLabels {
    user_id: String,
}

fn main() {}
