//! Trybuild cases for the obs macros: every misuse they reject, with its
//! exact error (`ui/metrics`, `ui/labels`, `ui/traced`), and the uses they
//! must accept (`ui/pass`, which also run and assert on what they record).
//! Run them with `cargo test -p ui-tests`; after a deliberate change to a
//! message, regenerate with `TRYBUILD=overwrite` and review the `.stderr`
//! diff. The `#[traced]` cases are checked against the level policy in
//! `obs.toml`, which `tests/ui.rs` names in `OBS_TOML`.
