#!/usr/bin/env python3
"""Build time of `#[traced]` against `tracing`'s `#[instrument]`.

Generates two crates of 200 functions each, the same bodies, one with
`#[obs_runtime::traced(level = "info")]` and one with
`#[tracing::instrument(level = "info")]`, builds each crate's dependencies
once, then times rebuilding the crate itself (its `lib.rs` touched), debug
and release, the two crates taking turns, and prints the ratios of the
median rebuilds and of the best ones (on a shared machine the noise only
ever adds time, but a lucky best can mislead too). Then it times a
clean debug build of each crate with its dependencies (an empty target
directory, no incremental state, as a dependency from the registry is
built), a third as many times, taking turns too.

    python3 obs-runtime/benches/build_time.py [--runs 9] [--functions 200]

Run from anywhere; it needs cargo and the crates' registry, nothing else.
"""

import argparse
import os
import pathlib
import statistics
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


def taking_turns(directories, runs, prepare, build):
    """`runs` timed `build`s of each crate, each after `prepare`, the crates
    taking turns (so that a noisy moment of the machine falls on both); one
    list of times per crate."""
    times = [[] for _ in directories]
    for _ in range(runs):
        for directory, kept in zip(directories, times):
            prepare(directory)
            start = time.monotonic()
            build(directory)
            kept.append(time.monotonic() - start)
    return times


def rebuild_times(directories, release, runs):
    """Rebuilds of each crate alone (its `lib.rs` touched)."""
    for directory in directories:
        cargo_build(directory, release)  # dependencies, and a first build
    return taking_turns(
        directories,
        runs,
        lambda directory: (directory / "src" / "lib.rs").touch(),
        lambda directory: cargo_build(directory, release),
    )


def clean_build_times(directories, runs):
    """Clean debug builds of each crate and its dependencies, without
    incremental state, as a dependency from the registry is built."""
    environment = dict(os.environ, CARGO_INCREMENTAL="0")
    return taking_turns(
        directories,
        runs,
        lambda directory: subprocess.run(["cargo", "clean", "--quiet"], cwd=directory, check=True),
        lambda directory: subprocess.run(
            ["cargo", "build", "--quiet"], cwd=directory, env=environment, check=True
        ),
    )


def row(label, traced, instrument):
    """A table row: the medians and their ratio, the best ones in brackets."""
    medians = [statistics.median(traced), statistics.median(instrument)]
    bests = [min(traced), min(instrument)]
    return (
        f"| {label} | {medians[0]:.2f} s ({bests[0]:.2f} s) "
        f"| {medians[1]:.2f} s ({bests[1]:.2f} s) "
        f"| {medians[0] / medians[1]:.2f}× ({bests[0] / bests[1]:.2f}×) |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
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
            f"{args.functions} functions, {args.runs} rebuilds of each crate alone and "
            f"{max(args.runs // 3, 1)} clean builds with dependencies, the crates taking "
            "turns: the median, and the best in brackets.\n"
        )
        print("| profile | `#[traced]` | `#[instrument]` | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for release in (False, True):
            traced, instrument = rebuild_times([obs, tracing], release, args.runs)
            print(row("release" if release else "debug", traced, instrument))
        traced, instrument = clean_build_times([obs, tracing], max(args.runs // 3, 1))
        print(row("clean, with dependencies", traced, instrument))


if __name__ == "__main__":
    main()
