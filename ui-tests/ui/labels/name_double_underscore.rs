use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(name = "__name__")]
    name: bool,
    __x: bool,
}

fn main() {}
