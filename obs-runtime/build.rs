//! Exists only so that the `links` key in Cargo.toml is accepted: Cargo uses
//! it to refuse two semver-incompatible copies of obs-runtime in one build.

fn main() {}
