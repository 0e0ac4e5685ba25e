//! What the example binaries share: how long they run (until Ctrl-C, or
//! `--cycles N`, or `--probe`), telemetry set up from the environment with
//! a start-up summary of what is on, and the scrape they print at the end
//! of a bounded run.

use obs_runtime::export::http::MetricsServer;
use obs_runtime::{Config, ConfigError, Format, LogFormat, ObsGuard, OtlpTarget, Registry};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a scenario runs, from the arguments after the program name:
/// until Ctrl-C (`None`, the default), `--cycles N`, or `--probe` (one
/// cycle).
pub fn parse_cycles(
    program: &str,
    mut args: impl Iterator<Item = String>,
) -> Result<Option<u64>, String> {
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok(None),
        (Some("--probe"), None, _) => Ok(Some(1)),
        (Some("--cycles"), Some(n), None) => n
            .parse()
            .map(Some)
            .map_err(|err| format!("--cycles {n:?}: {err}")),
        _ => Err(format!("usage: {program} [--cycles N | --probe]")),
    }
}

/// Calls `cycle` with 1, 2, … until Ctrl-C, or `cycles` times. An
/// open-ended run pauses `pause` between cycles (Ctrl-C cuts the pause
/// short). Returns how many cycles ran.
pub fn run_cycles(
    cycles: Option<u64>,
    pause: Duration,
    mut cycle: impl FnMut(u64) -> Result<(), String>,
) -> Result<u64, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    ctrlc::set_handler(move || on_signal.store(true, Ordering::Relaxed))
        .map_err(|err| format!("cannot handle Ctrl-C: {err}"))?;
    if cycles.is_none() {
        println!("running until Ctrl-C");
    }
    let mut done = 0;
    while cycles.is_none_or(|cycles| done < cycles) && !stop.load(Ordering::Relaxed) {
        done += 1;
        cycle(done)?;
        if cycles.is_none() {
            let until = Instant::now() + pause;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(done)
}

/// Sets telemetry up from the environment with `obs_runtime::init()`:
/// `service.name` is `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`), else `service`; the catalog is scoped to
/// `module`, the scenario's own; `/metrics` listens on `OBS_METRICS_ADDR`,
/// else on `127.0.0.1:9464`, else (when that port is taken, by another
/// example for instance) on a free loopback port. Prints where `/metrics`
/// and `/catalog` are, and which signals are on. The registry carries the
/// process metrics and a `build_info` gauge with this crate's version.
///
/// With `OBS_CATALOG_OUT=path`, it writes the scenario's catalog there and
/// ends the process instead.
pub fn init(service: &str, module: &str) -> Result<ObsGuard, String> {
    init_with_config(service, module).map(|(obs, _)| obs)
}

/// [`init`], and the configuration it started from, for a binary that
/// starts more than `init` does (the gateway's per-component endpoints and
/// exporters).
pub fn init_with_config(service: &str, module: &str) -> Result<(ObsGuard, Config), String> {
    let mut config = Config::from_env().map_err(|err| err.to_string())?;
    let named = config.service_name.is_some()
        || config
            .resource_attributes
            .iter()
            .any(|(key, _)| key == "service.name");
    if !named {
        config = config.service_name(service);
    }
    let config = config
        .catalog_modules([module])
        .build_info(obs_runtime::build_info!());
    let signals = signals(&config);
    let catalog = config.catalog;
    let explicit = std::env::var_os("OBS_METRICS_ADDR").is_some();
    let result = match config.clone().init() {
        Err(ConfigError::Start {
            what: "the /metrics endpoint",
            ..
        }) if !explicit => config
            .clone()
            .metrics_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .init(),
        other => other,
    };
    let obs = result.map_err(|err| format!("cannot set up telemetry: {err}"))?;
    match obs.metrics_addr() {
        Some(addr) if catalog => {
            println!("metrics: curl http://{addr}/metrics (the catalog: http://{addr}/catalog)")
        }
        Some(addr) => println!("metrics: curl http://{addr}/metrics"),
        None => println!("metrics: no endpoint (OBS_METRICS=off)"),
    }
    for line in signals {
        println!("{line}");
    }
    Ok((obs, config))
}

/// What the configuration turns on besides `/metrics`, one line each.
fn signals(config: &Config) -> Vec<String> {
    let otlp = |target: Result<Option<OtlpTarget>, ConfigError>| {
        target
            .ok()
            .flatten()
            .map(|target| format!("{} ({})", target.endpoint, target.protocol))
    };
    let spans = match (config.tracing, otlp(config.traces_target())) {
        (false, _) => "spans: off (OBS_TRACING=off)".to_owned(),
        (true, Some(to)) => format!("spans: exported over OTLP to {to}"),
        (true, None) if config.otlp_traces.console => {
            "spans: written to standard output".to_owned()
        }
        (true, None) => {
            "spans: recorded, their ids in the logs (set OTEL_EXPORTER_OTLP_ENDPOINT to export them)"
                .to_owned()
        }
    };
    let mut lines = vec![spans];
    if let Some(to) = otlp(config.metrics_target()) {
        lines.push(format!(
            "metrics: also exported over OTLP to {to} every {:?}",
            config.export.metrics_interval
        ));
    }
    let format = match config.log_format {
        LogFormat::Json => "JSON lines",
        _ => "pretty lines",
    };
    let mut logs = if config.logs {
        format!(
            "logs: {format} on standard output, RUST_LOG={}",
            config.log_filter
        )
    } else {
        "logs: off".to_owned()
    };
    if let Some(to) = otlp(config.logs_target()) {
        logs.push_str(&format!("; also exported over OTLP to {to}"));
    }
    lines.push(logs);
    lines
}

/// Prints what a Prometheus scrape of the global registry reads now.
pub fn print_scrape() {
    print_scrapes(&[Registry::global()]);
}

/// Prints what Prometheus scrapes of `registries` read now, one after the
/// other (their families are distinct, so together they are one valid
/// exposition).
pub fn print_scrapes(registries: &[&Registry]) {
    println!(
        "\n--- what a scrape reads ({}) ---",
        Format::PROMETHEUS_TEXT.content_type()
    );
    for registry in registries {
        print!("{}", registry.encode(Format::PROMETHEUS_TEXT));
    }
}

/// An on/off switch from the environment variable `name`: `on`, `true` or
/// `1`, `off`, `false` or `0`; `default` when it is not set. Any other
/// value is an error that names the variable.
pub fn switch(name: &str, default: bool) -> Result<bool, String> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(default),
        Ok(value) => parse_switch(name, &value),
        Err(err) => Err(format!("{name}: {err}")),
    }
}

/// The value of the switch `name`, as [`switch`] reads it.
fn parse_switch(name: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(format!("{name}={value:?}: expected on or off")),
    }
}

/// Serves `registry` on its own `/metrics` (no `/catalog`: the scenario's
/// catalog is on obs's own endpoint): at the address in the environment
/// variable `var`, else at `default`, else (when that port is taken) on a
/// free loopback port.
pub fn serve(
    registry: std::sync::Arc<Registry>,
    var: &str,
    default: SocketAddr,
) -> Result<MetricsServer, String> {
    let start = |addr| {
        MetricsServer::builder()
            .addr(addr)
            .registry(registry.clone())
            .catalog(false)
            .start()
    };
    match std::env::var(var) {
        Ok(addr) => {
            let addr = addr
                .parse()
                .map_err(|err| format!("{var}={addr:?}: {err}"))?;
            start(addr).map_err(|err| format!("{var}={addr}: {err}"))
        }
        Err(_) => start(default)
            .or_else(|_| start(SocketAddr::from(([127, 0, 0, 1], 0))))
            .map_err(|err| format!("cannot serve /metrics: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_switch;

    #[test]
    fn a_switch_is_on_or_off_and_anything_else_names_the_variable() {
        for on in ["on", "ON", " true", "1"] {
            assert_eq!(parse_switch("ROUTER_TRACING", on), Ok(true), "{on}");
        }
        for off in ["off", "False", "0 "] {
            assert_eq!(parse_switch("ROUTER_TRACING", off), Ok(false), "{off}");
        }
        assert_eq!(
            parse_switch("ROUTER_TRACING", "yes"),
            Err("ROUTER_TRACING=\"yes\": expected on or off".to_owned())
        );
    }
}
