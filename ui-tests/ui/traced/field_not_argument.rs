use obs_runtime::traced;

#[traced(level = "info", name = "codegen.lower", fields(backend, clause))]
fn lower(backend: &str, clauses: &[u32]) -> usize {
    backend.len() + clauses.len()
}

fn main() {}
