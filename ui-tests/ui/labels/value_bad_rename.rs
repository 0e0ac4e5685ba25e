use obs_runtime::LabelValue;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    #[label(rename = "")]
    Success,
    #[label(rename = " failure")]
    Failure,
    #[label(rename = "timed\nout")]
    Timeout,
}

fn main() {}
