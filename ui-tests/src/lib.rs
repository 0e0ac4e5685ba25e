//! Trybuild cases for the obs macros: every misuse they reject, with its
//! exact error (`ui/metrics`, `ui/labels`), and the uses they must accept
//! (`ui/pass`). Run them with `cargo test -p ui-tests`; after a deliberate
//! change to a message, regenerate with `TRYBUILD=overwrite` and review the
//! `.stderr` diff.
