#!/usr/bin/env python3
"""Build time of `#[traced]` against `tracing`'s `#[instrument]`.

Generates two crates of 200 functions each, the same bodies, one with
`#[obs_runtime::traced(level = "info")]` and one with
`#[tracing::instrument(level = "info")]`, builds each crate's dependencies
once, then times rebuilding the crate itself (its `lib.rs` touched), debug
and release, and prints the ratios. The best of `--runs` rebuilds counts,
since on a shared machine the noise only ever adds time. Then it times a
clean debug build of each crate with its dependencies (an empty target
directory, no incremental state, as a dependency from the registry is
built), best of `--runs` again.

    python3 obs-runtime/benches/build_time.py [--runs 5] [--functions 200]

Run from anywhere; it needs cargo and the crates' registry, nothing else.
"""

import argparse
import os
import pathlib
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write_crate(directory, name, dependency, attribute, functions):
    (directory / "src").mkdir(parents=True)
    (directory / "Cargo.toml").write_text(
        f"""[package]
name = "{name}"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
{dependency}

[workspace]
"""
    )
    body = "\n".join(
        f"""{attribute}
pub fn function_{i:03}(input: u64, factor: u32) -> u64 {{
    input.wrapping_mul(u64::from(factor)).wrapping_add({i})
}}
"""
        for i in range(functions)
    )
    (directory / "src" / "lib.rs").write_text(body)


def cargo_build(directory, release):
    command = ["cargo", "build", "--quiet"] + (["--release"] if release else [])
    subprocess.run(command, cwd=directory, check=True)


def rebuild_time(directory, release, runs):
    """The best of `runs` rebuilds of the crate alone."""
    cargo_build(directory, release)  # dependencies, and a first build
    best = None
    for _ in range(runs):
        (directory / "src" / "lib.rs").touch()
        start = time.monotonic()
        cargo_build(directory, release)
        elapsed = time.monotonic() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def clean_build_time(directory, runs):
    """The best of `runs` clean debug builds of the crate and its dependencies."""
    environment = dict(os.environ, CARGO_INCREMENTAL="0")
    best = None
    for _ in range(runs):
        subprocess.run(["cargo", "clean", "--quiet"], cwd=directory, check=True)
        start = time.monotonic()
        subprocess.run(["cargo", "build", "--quiet"], cwd=directory, env=environment, check=True)
        elapsed = time.monotonic() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--functions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="obs-build-time-") as scratch:
        scratch = pathlib.Path(scratch)
        obs = scratch / "with_traced"
        tracing = scratch / "with_instrument"
        write_crate(
            obs,
            "with_traced",
            f'obs-runtime = {{ path = "{ROOT / "obs-runtime"}" }}',
            '#[obs_runtime::traced(level = "info")]',
            args.functions,
        )
        write_crate(
            tracing,
            "with_instrument",
            'tracing = { version = "0.1", features = ["attributes"] }',
            '#[tracing::instrument(level = "info")]',
            args.functions,
        )
        # Each crate keeps its own target directory; CARGO_TARGET_DIR from
        # the environment would make them share one.
        os.environ.pop("CARGO_TARGET_DIR", None)
        print(f"### build_time\n")
        print(
            f"{args.functions} functions, best of {args.runs} rebuilds of the crate alone "
            "(dependencies built first).\n"
        )
        print("| profile | `#[traced]` | `#[instrument]` | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for release in (False, True):
            traced = rebuild_time(obs, release, args.runs)
            instrument = rebuild_time(tracing, release, args.runs)
            profile = "release" if release else "debug"
            print(
                f"| {profile} | {traced:.2f} s | {instrument:.2f} s | {traced / instrument:.2f}× |"
            )
        traced = clean_build_time(obs, args.runs)
        instrument = clean_build_time(tracing, args.runs)
        print(
            f"| clean, with dependencies | {traced:.2f} s | {instrument:.2f} s | {traced / instrument:.2f}× |"
        )


if __name__ == "__main__":
    main()
