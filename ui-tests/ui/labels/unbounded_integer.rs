use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct JobLabels {
    job_id: u64,
    shard: i32,
    worker: usize,
}

fn main() {}
