use obs_runtime::traced;

#[traced(level = "info", name = "spec.parse", sample_rate = 0.1, instrument)]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {}
