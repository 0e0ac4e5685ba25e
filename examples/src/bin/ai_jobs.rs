//! The AI-job workflow runner: serves `/metrics` and runs batches of jobs
//! against a simulated model that fails a fifth of its requests.
//!
//! ```text
//! cargo run -p obs-examples --bin ai_jobs                  # five workflows
//! cargo run -p obs-examples --bin ai_jobs -- --cycles 20   # twenty
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
    let cycles = cli::parse_cycles("ai_jobs", 5, std::env::args().skip(1))?;
    let obs = cli::init("ai_jobs", "obs_examples::ai_jobs")?;
    let mut runner = Runner::new(Registry::global(), 42, 20)
        .map_err(|err| format!("cannot register the metrics: {err}"))?;

    for cycle in 0..cycles {
        let workflow = Workflow::batch(
            "nightly_batch",
            cycle * JOBS_PER_WORKFLOW,
            JOBS_PER_WORKFLOW,
        );
        let report = runner.run_workflow(&workflow);
        println!("workflow {}: {} jobs", cycle + 1, report.jobs.len());
        for (id, result) in &report.jobs {
            match result {
                Ok(usage) => println!(
                    "  job {id}: done, {} prompt + {} completion tokens",
                    usage.prompt, usage.completion
                ),
                Err(err) => println!("  job {id}: {err} ({} tokens spent)", err.usage.total()),
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    cli::print_scrape();
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    Ok(())
}
