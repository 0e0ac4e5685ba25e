use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    cached: bool,
    #[label(name = "cached")]
    was_cached: bool,
    #[label(name = "retried")]
    first: bool,
    #[label(name = "retried")]
    second: bool,
}

fn main() {}
