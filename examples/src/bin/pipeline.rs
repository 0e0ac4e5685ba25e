//! The spec-to-solution pipeline, the main example: serves `/metrics` on an
//! embedded endpoint and runs pipeline cycles, printing what each did.
//!
//! ```text
//! cargo run -p obs-examples --bin pipeline                 # until Ctrl-C
//! cargo run -p obs-examples --bin pipeline -- --cycles 3   # three cycles, then exit
//! OBS_METRICS_ADDR=127.0.0.1:9000 cargo run -p obs-examples --bin pipeline
//! ```

use obs_examples::pipeline::Pipeline;
use obs_runtime::export::http::{MetricsServer, DEFAULT_ADDR};
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
    let cycles = parse_cycles(std::env::args().skip(1))?;
    let addr = match std::env::var("OBS_METRICS_ADDR") {
        Ok(value) => value
            .parse()
            .map_err(|err| format!("OBS_METRICS_ADDR={value:?} is not a socket address: {err}"))?,
        Err(_) => DEFAULT_ADDR,
    };
    let mut pipeline = Pipeline::new(Registry::global(), 42)
        .map_err(|err| format!("cannot register the pipeline metrics: {err}"))?;
    let server = MetricsServer::builder()
        .addr(addr)
        .start()
        .map_err(|err| format!("cannot serve /metrics on {addr}: {err} (set OBS_METRICS_ADDR)"))?;
    println!(
        "serving metrics: curl http://{}/metrics",
        server.local_addr()
    );

    let mut cycle = 0;
    while cycles.is_none_or(|cycles| cycle < cycles) {
        cycle += 1;
        let report = pipeline.run_cycle();
        println!(
            "cycle {cycle}: {} clauses lowered, {} failed to compile, {} blocked, bundle {} bytes, {:.3} s",
            report.clauses, report.failures, report.blocked, report.bundle_bytes, report.seconds
        );
        if cycles.is_none() {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    println!(
        "\n--- what a scrape reads ({}) ---",
        Format::OPENMETRICS.content_type()
    );
    print!("{}", Registry::global().encode(Format::OPENMETRICS));
    server.shutdown();
    Ok(())
}

fn parse_cycles(mut args: impl Iterator<Item = String>) -> Result<Option<u64>, String> {
    match (args.next().as_deref(), args.next()) {
        (None, _) => Ok(None),
        (Some("--cycles"), Some(n)) => n
            .parse()
            .map(Some)
            .map_err(|err| format!("--cycles {n:?}: {err}")),
        _ => Err("usage: pipeline [--cycles N]".into()),
    }
}
