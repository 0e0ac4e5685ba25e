//! Workflow primitives: set up from the environment with
//! `obs_runtime::init()`, it runs the nightly report workflow (sequential,
//! parallel, cached and retried steps under one root span) once per cycle
//! until Ctrl-C; from the second run on, the cache answers.
//!
//! ```text
//! cargo run -p obs-examples --bin workflow                 # until Ctrl-C
//! cargo run -p obs-examples --bin workflow -- --cycles 10  # ten runs, then the scrape
//! cargo run -p obs-examples --bin workflow -- --probe      # one
//! ```

use obs_examples::cli;
use obs_examples::workflow::{nightly_report, Engine};
use obs_runtime::Registry;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("workflow: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let cycles = cli::parse_cycles("workflow", std::env::args().skip(1))?;
    let obs = cli::init("workflow", "obs_examples::workflow")?;
    let engine = Engine::new(Registry::global())
        .map_err(|err| format!("cannot register the metrics: {err}"))?;

    let report = nightly_report();
    let m = &engine.metrics;
    let ran = cli::run_cycles(cycles, Duration::from_millis(500), |run| {
        let result = match engine.run("nightly_report", &report, 0) {
            Ok(cents) => format!("revenue {cents} cents"),
            Err(err) => err.to_string(),
        };
        println!(
            "run {run}: {result}; cache hits {}, misses {}; retries {}",
            m.cache_hits_total.get(),
            m.cache_misses_total.get(),
            m.retries_total.get(),
        );
        Ok(())
    })?;
    if cycles.is_some() {
        cli::print_scrape();
    }
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    println!("stopped after {ran} runs");
    Ok(())
}
