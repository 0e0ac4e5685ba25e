//! Gateway → router → worker: set up from the environment with
//! `obs_runtime::init()`, it starts the HTTP gateway on 127.0.0.1, sends it
//! rounds of jobs for four tenants with a real HTTP client (each request in
//! a `client.submit` span whose `traceparent` the gateway continues), and
//! prints every answer with its trace id. The enrich extension is down for a
//! while, so its circuit breaker opens, half-opens and closes again (logged
//! as it happens). It sends a round every half second until Ctrl-C; a
//! bounded run (`--cycles N`, `--probe`) then prints what a scrape reads.
//! It flushes on the way out.
//!
//! Each component serves its own registry on its own `/metrics`: the
//! gateway on obs's endpoint (`OBS_METRICS_ADDR`, default `127.0.0.1:9464`,
//! with the process's metrics and the catalog), the router on
//! `ROUTER_METRICS_ADDR` (default `127.0.0.1:9465`), the worker on
//! `WORKER_METRICS_ADDR` (default `127.0.0.1:9466`); a default port that is
//! taken falls back to a free one. Each component has its own switches,
//! `on` by default: `GATEWAY_METRICS`, `GATEWAY_TRACING`, `ROUTER_METRICS`,
//! `ROUTER_TRACING`, `WORKER_METRICS`, `WORKER_TRACING`. A component's
//! metrics off, its registry stays empty and the router's or worker's
//! endpoint is not opened; its tracing off, it records no span and carries
//! no trace context on. `OBS_METRICS=off` and `OBS_TRACING=off` still turn
//! obs's endpoint and all spans off. With an OTLP metrics target
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`), the router's and worker's registries are
//! exported too, as the services `router` and `worker`.
//!
//! ```text
//! cargo run -p obs-examples --bin gateway                    # until Ctrl-C
//! cargo run -p obs-examples --bin gateway -- --cycles 10     # ten rounds, then the scrape
//! GATEWAY_PORT=8080 cargo run -p obs-examples --bin gateway  # a fixed port (default: a free one)
//! ROUTER_TRACING=off WORKER_METRICS=off cargo run -p obs-examples --bin gateway
//! OBS_TRACING=off OBS_METRICS=off cargo run -p obs-examples --bin gateway
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run -p obs-examples --bin gateway
//! ```

use hyper::Method;
use obs_examples::cli;
use obs_examples::gateway::{
    self, Extension, Faults, Gateway, LoadClient, Outage, Registries, Settings, Signals, Telemetry,
};
use obs_runtime::{Format, LabelValue, Registry};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gateway: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let cycles = cli::parse_cycles("gateway", std::env::args().skip(1))?;
    let (obs, config) = cli::init_with_config("gateway", "obs_examples::gateway")?;

    let port = match std::env::var("GATEWAY_PORT") {
        Ok(port) => port
            .parse()
            .map_err(|err| format!("GATEWAY_PORT={port:?}: {err}"))?,
        Err(_) => 0,
    };
    let signals = |component: &str| -> Result<Signals, String> {
        let upper = component.to_ascii_uppercase();
        Ok(Signals {
            metrics: cli::switch(&format!("{upper}_METRICS"), true)?,
            tracing: cli::switch(&format!("{upper}_TRACING"), true)?,
        })
    };
    let telemetry = Telemetry {
        gateway: signals("gateway")?,
        router: signals("router")?,
        worker: signals("worker")?,
    };
    // What each component records, as it will be: obs's own switches
    // (`OBS_METRICS` for the gateway's endpoint, `OBS_TRACING` for every
    // span) come first.
    for (component, signals, served) in [
        ("gateway", telemetry.gateway, config.metrics),
        ("router", telemetry.router, true),
        ("worker", telemetry.worker, true),
    ] {
        let state = |on: bool, by_obs: bool, variable: &str| match (on, by_obs) {
            (true, true) => "on".to_owned(),
            (false, _) => "off".to_owned(),
            (true, false) => format!("off ({variable}=off)"),
        };
        println!(
            "{component}: metrics {}, tracing {}",
            state(signals.metrics, served, "OBS_METRICS"),
            state(signals.tracing, config.tracing, "OBS_TRACING"),
        );
    }
    // The gateway's registry is the global one, which obs's endpoint
    // serves (and obs's exporter exports); the router and the worker each
    // keep their own, served on their own endpoint and, when a metrics
    // target is set, exported over OTLP as a service of its own.
    let router_registry = Arc::new(Registry::new());
    let worker_registry = Arc::new(Registry::new());
    let mut endpoints = Vec::new();
    let mut exporters = Vec::new();
    for (component, on, registry, var, port) in [
        (
            "router",
            telemetry.router.metrics,
            &router_registry,
            "ROUTER_METRICS_ADDR",
            9465,
        ),
        (
            "worker",
            telemetry.worker.metrics,
            &worker_registry,
            "WORKER_METRICS_ADDR",
            9466,
        ),
    ] {
        if !on {
            continue;
        }
        let default = SocketAddr::from(([127, 0, 0, 1], port));
        let server = cli::serve(registry.clone(), var, default)?;
        println!(
            "{component} metrics: curl http://{}/metrics",
            server.local_addr()
        );
        endpoints.push(server);
        let exporter = gateway::export(&config, component, registry.clone())
            .map_err(|err| format!("cannot export the {component}'s metrics: {err}"))?;
        if let Some(exporter) = exporter {
            println!("{component} metrics: also exported over OTLP as service.name={component}");
            exporters.push(exporter);
        }
    }
    let registries = Registries {
        gateway: Registry::global(),
        router: &router_registry,
        worker: &worker_registry,
    };
    let settings = Settings {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        telemetry,
        faults: Faults {
            extension_failure_percent: 3,
            // Enrich is down for messages 4 to 9: three timeouts open its
            // breaker (message 6), two calls are refused, the trial call of
            // message 9 fails and reopens it, two more are refused, and the
            // trial of message 12 succeeds and closes it.
            outages: vec![Outage {
                extension: Extension::Enrich,
                messages: 4..=9,
            }],
            worker_failure_percent: 5,
        },
        ..Settings::loopback(42)
    };
    let gateway = Gateway::start(registries, settings).map_err(|err| err.to_string())?;
    let addr = gateway.local_addr();
    println!("gateway listening: curl -X POST --data hello http://{addr}/jobs/acme");

    // The load generator's client: its layer's metrics go to obs's
    // registry, beside the gateway's.
    let client = LoadClient::new(Registry::global()).map_err(|err| err.to_string())?;
    let rounds = cli::run_cycles(cycles, Duration::from_millis(500), |cycle| {
        println!("round {cycle}:");
        for tenant in TENANTS {
            let payload = format!("{{\"tenant\":\"{tenant}\",\"round\":{cycle}}}");
            let answer = gateway::submit(&client, addr, tenant, payload.as_bytes())
                .map_err(|err| format!("POST /jobs/{tenant}: {err}"))?;
            println!(
                "  POST /jobs/{tenant:<9} → {} {}   trace {}",
                answer.status,
                answer.body.trim_end(),
                answer.trace_id.as_deref().unwrap_or("-"),
            );
        }
        Ok(())
    })?;
    // Answers the router never sees.
    for (method, path) in [
        (Method::POST, "/jobs/Not_A_Tenant"),
        (Method::GET, "/v1/jobs"),
    ] {
        let url = format!("http://{addr}{path}");
        let status = client
            .send(method.clone(), &url, "{}")
            .map_err(|err| format!("{method} {path}: {err}"))?
            .status();
        println!("  {method} {path} → {status}");
    }

    let metrics = gateway.router.clone();
    gateway.shutdown();
    for extension in Extension::ALL {
        let state = metrics.breaker_state(extension);
        println!(
            "breaker {:<7} {}",
            extension.as_str(),
            state.map_or("?", LabelValue::as_str)
        );
    }
    if cycles.is_some() && obs.metrics_addr().is_some() {
        cli::print_scrapes(&[Registry::global(), &router_registry, &worker_registry]);
        // OpenMetrics scrapes also carry exemplars: a bucket's last
        // observation with the trace it was made in.
        println!("\n--- exemplars (OpenMetrics) ---");
        for registry in [Registry::global(), &router_registry, &worker_registry] {
            let scrape = registry.encode(Format::OPENMETRICS);
            for line in scrape.lines().filter(|line| line.contains(" # {")) {
                println!("{line}");
            }
        }
    }
    // Dropping the guard flushes the exporters and stops the endpoint.
    drop(obs);
    drop(exporters);
    drop(endpoints);
    println!("stopped after {rounds} rounds");
    Ok(())
}
