//! Runs every trybuild case in `ui/`.

#[test]
fn ui() {
    // The `#[traced]` cases are checked against this crate's level policy
    // (the trybuild crates live elsewhere, so `obs.toml` would not be found
    // next to their `Cargo.toml`). The variable reaches rustc through cargo.
    std::env::set_var("OBS_TOML", concat!(env!("CARGO_MANIFEST_DIR"), "/obs.toml"));
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/metrics/*.rs");
    t.compile_fail("ui/labels/*.rs");
    t.compile_fail("ui/traced/*.rs");
    t.pass("ui/pass/*.rs");
}
