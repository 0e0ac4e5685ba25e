use obs_runtime::{Counter, Metrics};

#[derive(Metrics)]
struct JobMetrics(Counter);

#[derive(Metrics)]
struct UnitMetrics;

fn main() {}
