//! Exists so that the `links` key in Cargo.toml is accepted (Cargo uses it
//! to refuse two semver-incompatible copies of obs-runtime in one build),
//! and to record the compiler's version for the `build_info` metric: the
//! rustc that builds obs-runtime builds the application with it, and Cargo
//! runs this again whenever the compiler changes.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    // `rustc 1.95.0 (…)` → `1.95.0`; unknown when rustc cannot be asked.
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_default();
    println!("cargo:rustc-env=OBS_RUSTC_VERSION={version}");
}
