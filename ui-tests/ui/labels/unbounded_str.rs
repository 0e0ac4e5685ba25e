use obs_runtime::LabelSet;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct RequestLabels {
    route: &'static str,
    path: std::borrow::Cow<'static, str>,
}

fn main() {}
