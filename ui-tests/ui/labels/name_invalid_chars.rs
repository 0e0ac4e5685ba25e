use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    #[label(name = "Backend")]
    backend: bool,
    #[label(name = "cache-hit")]
    cache_hit: bool,
    #[label(name = "")]
    empty: bool,
    #[label(name = "tier_")]
    tier: bool,
}

fn main() {}
