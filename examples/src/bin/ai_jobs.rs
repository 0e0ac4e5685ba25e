//! The AI-job workflow runner: set up from the environment with
//! `obs_runtime::init()`, it runs batches of jobs against a simulated model
//! that fails a fifth of its requests, one workflow per cycle, until Ctrl-C.
//!
//! ```text
//! cargo run -p obs-examples --bin ai_jobs                  # until Ctrl-C
//! cargo run -p obs-examples --bin ai_jobs -- --cycles 20   # twenty workflows, then the scrape
//! cargo run -p obs-examples --bin ai_jobs -- --probe       # one
//! ```

use obs_examples::ai_jobs::{Runner, Workflow};
use obs_examples::cli;
use obs_runtime::Registry;
use std::process::ExitCode;
use std::time::Duration;

const JOBS_PER_WORKFLOW: u64 = 4;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ai_jobs: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let cycles = cli::parse_cycles("ai_jobs", std::env::args().skip(1))?;
    let obs = cli::init("ai_jobs", "obs_examples::ai_jobs")?;
    let mut runner = Runner::new(Registry::global(), 42, 20)
        .map_err(|err| format!("cannot register the metrics: {err}"))?;

    let ran = cli::run_cycles(cycles, Duration::from_millis(500), |cycle| {
        let first = (cycle - 1) * JOBS_PER_WORKFLOW;
        let workflow = Workflow::batch("nightly_batch", first, JOBS_PER_WORKFLOW);
        let report = runner.run_workflow(&workflow);
        println!("workflow {cycle}: {} jobs", report.jobs.len());
        for (id, result) in &report.jobs {
            match result {
                Ok(usage) => println!(
                    "  job {id}: done, {} prompt + {} completion tokens",
                    usage.prompt, usage.completion
                ),
                Err(err) => println!("  job {id}: {err} ({} tokens spent)", err.usage.total()),
            }
        }
        Ok(())
    })?;
    if cycles.is_some() {
        cli::print_scrape();
    }
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    println!("stopped after {ran} workflows");
    Ok(())
}
