//! Runs every trybuild case in `ui/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/metrics/*.rs");
    t.compile_fail("ui/labels/*.rs");
    t.pass("ui/pass/*.rs");
}
