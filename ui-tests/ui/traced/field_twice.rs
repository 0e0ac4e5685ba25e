use obs_runtime::traced;

#[traced(level = "info", name = "codegen.lower", fields(backend, size = clauses.len(), backend = %backend))]
fn lower(backend: &str, clauses: &[u32]) -> usize {
    backend.len() + clauses.len()
}

fn main() {}
