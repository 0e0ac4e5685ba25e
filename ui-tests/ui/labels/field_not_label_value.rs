use obs_runtime::LabelSet;

// A type that derives neither `LabelValue` nor is marked `unbounded`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Backend {
    Llvm,
    Cranelift,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    backend: Backend,
}

fn main() {}
