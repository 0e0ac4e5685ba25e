use obs_runtime::traced;

#[traced(level = "info", name = "spec.parse", err(Foo))]
fn parse(input: &str) -> Result<usize, String> {
    input.find(':').ok_or_else(|| "no colon".to_owned())
}

fn main() {}
