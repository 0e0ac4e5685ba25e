//! Two semver-incompatible copies of obs-runtime in one build would each keep
//! their own global registry, so metrics registered through one copy would be
//! silently missing from the other's exposition. obs-runtime declares
//! `links = "obs_runtime"`, which makes Cargo refuse such a dependency graph.
//! This test builds that graph for real: the actual obs-runtime next to a copy
//! of its manifest published as version 0.2.0.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn runtime_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of obs-runtime as version 0.2.0: its real manifest with the
/// workspace-inherited keys spelled out, and its real sources.
fn write_second_copy(dir: &Path) {
    let manifest = fs::read_to_string(runtime_dir().join("Cargo.toml")).unwrap();
    let workspace = runtime_dir().parent().unwrap().to_path_buf();
    let mut copy = String::new();
    let mut section = String::new();
    for line in manifest.lines() {
        if line.starts_with('[') {
            section = line.to_owned();
        }
        // Only the package and its runtime dependencies matter for resolution.
        if section != "[package]" && section != "[dependencies]" {
            continue;
        }
        let line = match line.split_once(".workspace = true") {
            Some(("version", _)) => "version = \"0.2.0\"".to_owned(),
            Some(("edition", _)) => "edition = \"2021\"".to_owned(),
            Some((key, _)) if section == "[dependencies]" => {
                let path = workspace.join(key);
                format!("{key} = {{ path = {:?} }}", path.display().to_string())
            }
            Some(_) => continue,
            None => line.to_owned(),
        };
        copy.push_str(&line);
        copy.push('\n');
    }
    copy.push_str("\n[workspace]\n");
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("Cargo.toml"), copy).unwrap();
    fs::copy(runtime_dir().join("build.rs"), dir.join("build.rs")).unwrap();
    copy_dir(&runtime_dir().join("src"), &dir.join("src"));
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An application depending on the given obs-runtime copies; returns the
/// result of resolving its dependency graph.
fn resolve_app(dir: &Path, copies: &[(&str, &Path)]) -> std::process::Output {
    let mut manifest = String::from(
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    for (alias, path) in copies {
        manifest.push_str(&format!(
            "{alias} = {{ package = \"obs-runtime\", path = {:?} }}\n",
            path.display().to_string()
        ));
    }
    manifest.push_str("\n[workspace]\n");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("src/lib.rs"), "").unwrap();
    Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline"])
        .current_dir(dir)
        .output()
        .expect("cargo runs")
}

#[test]
fn cargo_refuses_two_copies_of_obs_runtime() {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("two-copies");
    let _ = fs::remove_dir_all(&scratch);
    let second = scratch.join("obs-runtime-0.2");
    write_second_copy(&second);

    // Control: each copy alone resolves, so a failure below is the conflict.
    for (name, copy) in [("one-v1", runtime_dir()), ("one-v2", second.clone())] {
        let alone = resolve_app(&scratch.join(name), &[("obs", &copy)]);
        assert!(
            alone.status.success(),
            "{name} should resolve: {}",
            String::from_utf8_lossy(&alone.stderr)
        );
    }

    let both = resolve_app(
        &scratch.join("both"),
        &[("obs_v1", &runtime_dir()), ("obs_v2", &second)],
    );
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert!(!both.status.success(), "two copies must not resolve");
    assert!(
        stderr.contains("links to the native library `obs_runtime`"),
        "unexpected error: {stderr}"
    );
}
