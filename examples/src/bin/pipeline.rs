//! The spec-to-solution pipeline: runs cycles and prints what a Prometheus
//! scrape of this process would read.
//!
//! `cargo run -p obs-examples --bin pipeline -- [CYCLES]`

use obs_examples::pipeline::Pipeline;
use obs_runtime::{Format, Registry};

fn main() {
    let cycles: u32 = match std::env::args().nth(1).map(|arg| arg.parse()) {
        None => 5,
        Some(Ok(cycles)) => cycles,
        Some(Err(err)) => {
            eprintln!("usage: pipeline [CYCLES]: {err}");
            std::process::exit(2);
        }
    };
    let mut pipeline = match Pipeline::new(Registry::global(), 42) {
        Ok(pipeline) => pipeline,
        Err(err) => {
            eprintln!("cannot register the pipeline metrics: {err}");
            std::process::exit(1);
        }
    };
    for cycle in 1..=cycles {
        let report = pipeline.run_cycle();
        println!(
            "cycle {cycle}: {} clauses lowered, {} failed to compile, {} blocked, bundle {} bytes",
            report.clauses, report.failures, report.blocked, report.bundle_bytes
        );
    }
    println!(
        "\n--- OpenMetrics exposition ({}) ---",
        Format::OPENMETRICS.content_type()
    );
    print!("{}", Registry::global().encode(Format::OPENMETRICS));
}
