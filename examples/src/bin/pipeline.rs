//! The spec-to-solution pipeline, the main example: set up from the
//! environment with `obs_runtime::init()`, it serves `/metrics`, logs every
//! stage's events with their trace ids, exports traces and metrics over OTLP
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and runs cycles until Ctrl-C or
//! the given number of cycles, then flushes.
//!
//! ```text
//! cargo run -p obs-examples --bin pipeline                 # until Ctrl-C
//! cargo run -p obs-examples --bin pipeline -- --cycles 3   # three cycles, then exit
//! cargo run -p obs-examples --bin pipeline -- --probe      # one cycle, then exit
//! OBS_METRICS_ADDR=127.0.0.1:9000 OBS_LOG_FORMAT=json cargo run -p obs-examples --bin pipeline
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run -p obs-examples --bin pipeline
//! ```

use obs_examples::cli;
use obs_examples::pipeline::Pipeline;
use obs_runtime::{Format, Registry};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pipeline: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let cycles = cli::parse_cycles("pipeline", std::env::args().skip(1))?;
    let obs = cli::init("pipeline", "obs_examples::pipeline")?;
    // Each stage takes its simulated time for real, so that traces last what
    // the histograms say.
    let mut pipeline = Pipeline::new(Registry::global(), 42)
        .map_err(|err| format!("cannot register the pipeline metrics: {err}"))?
        .real_time();

    let ran = cli::run_cycles(cycles, Duration::from_millis(500), |cycle| {
        let report = pipeline.run_cycle();
        println!(
            "cycle {cycle}: {} clauses lowered, {} failed to compile, {} blocked, bundle {} bytes, {:.3} s",
            report.clauses, report.failures, report.blocked, report.bundle_bytes, report.seconds
        );
        Ok(())
    })?;
    if cycles.is_some() {
        println!(
            "\n--- what a scrape reads ({}) ---",
            Format::OPENMETRICS.content_type()
        );
        print!("{}", Registry::global().encode(Format::OPENMETRICS));
    }
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    println!("stopped after {ran} cycles");
    Ok(())
}
