use obs_runtime::traced;

#[traced(level = "info", name = "llm.complete", fields(model, pw = %api_key))]
fn complete(model: &str, api_key: &str) -> usize {
    model.len() + api_key.len()
}

fn main() {}
