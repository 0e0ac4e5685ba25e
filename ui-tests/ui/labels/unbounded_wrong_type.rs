use obs_runtime::LabelSet;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Region(u8);

// `unbounded` accepts strings and integers only.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(unbounded)]
    region: Region,
}

fn main() {}
