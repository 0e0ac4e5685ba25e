//! Workflow primitives: serves `/metrics` and runs the nightly report
//! workflow (sequential, parallel, cached and retried steps under one root
//! span) once per cycle; from the second run on, the cache answers.
//!
//! ```text
//! cargo run -p obs-examples --bin workflow                 # three runs
//! cargo run -p obs-examples --bin workflow -- --cycles 10  # ten
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
    let cycles = cli::parse_cycles("workflow", 3, std::env::args().skip(1))?;
    let obs = cli::init("workflow", "obs_examples::workflow")?;
    let engine = Engine::new(Registry::global())
        .map_err(|err| format!("cannot register the metrics: {err}"))?;

    let report = nightly_report();
    let m = &engine.metrics;
    for run in 1..=cycles {
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
        std::thread::sleep(Duration::from_millis(200));
    }
    cli::print_scrape();
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    Ok(())
}
