use obs_runtime::LabelValue;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure(u16),
    Retried { attempts: u8 },
}

fn main() {}
