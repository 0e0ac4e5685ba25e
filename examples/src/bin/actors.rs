//! The actor runtime: set up from the environment with `obs_runtime::init()`,
//! it runs rounds of agent traffic with injected faults (10% of storage
//! writes fail, 3% of write transactions crash their agent) until Ctrl-C.
//!
//! ```text
//! cargo run -p obs-examples --bin actors                  # until Ctrl-C
//! cargo run -p obs-examples --bin actors -- --cycles 50   # fifty rounds, then the scrape
//! cargo run -p obs-examples --bin actors -- --probe       # one
//! ```

use obs_examples::actors::{Faults, Runtime};
use obs_examples::cli;
use obs_runtime::Registry;
use std::process::ExitCode;
use std::time::Duration;

const AGENTS: u32 = 16;
const INVOCATIONS_PER_ROUND: usize = 40;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("actors: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let cycles = cli::parse_cycles("actors", std::env::args().skip(1))?;
    let obs = cli::init("actors", "obs_examples::actors")?;
    let faults = Faults {
        storage_write_failure_percent: 10,
        crash_percent: 3,
    };
    let mut runtime = Runtime::new(Registry::global(), 42, AGENTS, faults)
        .map_err(|err| format!("cannot register the metrics: {err}"))?;

    let ran = cli::run_cycles(cycles, Duration::from_millis(200), |round| {
        runtime.submit_traffic(INVOCATIONS_PER_ROUND);
        let report = runtime.run_round();
        let memory = runtime.committed_memory();
        println!(
            "round {round}: {} invocations ({} rolled back, {} crashed), {} agents idle, {} active; memory core {} B, working {} B, archival {} B",
            report.handled,
            report.storage_errors,
            report.crashes,
            report.idle,
            runtime.active_agents(),
            memory.core,
            memory.working,
            memory.archival,
        );
        Ok(())
    })?;
    if cycles.is_some() {
        cli::print_scrape();
    }
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    println!("stopped after {ran} rounds");
    Ok(())
}
