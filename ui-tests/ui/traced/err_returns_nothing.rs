use obs_runtime::traced;

#[traced(level = "info", name = "spec.load", err(Debug))]
fn load(path: &str) {
    let _ = path;
}

fn main() {}
