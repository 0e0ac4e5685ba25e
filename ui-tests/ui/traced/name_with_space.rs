use obs_runtime::traced;

#[traced(level = "info", name = "Codegen Lower")]
fn lower(clause: u32) -> u32 {
    clause * 2
}

fn main() {}
