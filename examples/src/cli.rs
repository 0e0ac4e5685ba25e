//! What the example binaries share: `--cycles N`, telemetry set up from the
//! environment, and the scrape they print at the end.

use obs_runtime::{Config, ConfigError, Format, ObsGuard, Registry};
use std::net::SocketAddr;

/// Reads `[--cycles N]` from the arguments after the program name.
pub fn parse_cycles(
    program: &str,
    default: u64,
    mut args: impl Iterator<Item = String>,
) -> Result<u64, String> {
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok(default),
        (Some("--cycles"), Some(n), None) => {
            n.parse().map_err(|err| format!("--cycles {n:?}: {err}"))
        }
        _ => Err(format!("usage: {program} [--cycles N]")),
    }
}

/// Sets telemetry up from the environment with `obs_runtime::init()`:
/// `service.name` is `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`), else `service`; the catalog is scoped to
/// `module`, the scenario's own; `/metrics` listens on `OBS_METRICS_ADDR`,
/// else on `127.0.0.1:9464`, else (when that port is taken, by another
/// example for instance) on a free loopback port. Prints where `/metrics`
/// and `/catalog` are.
///
/// With `OBS_CATALOG_OUT=path`, it writes the scenario's catalog there and
/// ends the process instead.
pub fn init(service: &str, module: &str) -> Result<ObsGuard, String> {
    let mut config = Config::from_env().map_err(|err| err.to_string())?;
    let named = config.service_name.is_some()
        || config
            .resource_attributes
            .iter()
            .any(|(key, _)| key == "service.name");
    if !named {
        config = config.service_name(service);
    }
    let config = config.catalog_modules([module]);
    let explicit = std::env::var_os("OBS_METRICS_ADDR").is_some();
    let result = match config.clone().init() {
        Err(ConfigError::Start {
            what: "the /metrics endpoint",
            ..
        }) if !explicit => config
            .metrics_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
            .init(),
        other => other,
    };
    let obs = result.map_err(|err| format!("cannot set up telemetry: {err}"))?;
    match obs.metrics_addr() {
        Some(addr) => println!(
            "serving metrics: curl http://{addr}/metrics (the catalog: http://{addr}/catalog)"
        ),
        None => println!("metrics endpoint off (OBS_METRICS=off)"),
    }
    Ok(obs)
}

/// Prints what a Prometheus scrape of the global registry reads now.
pub fn print_scrape() {
    println!(
        "\n--- what a scrape reads ({}) ---",
        Format::PROMETHEUS_TEXT.content_type()
    );
    print!("{}", Registry::global().encode(Format::PROMETHEUS_TEXT));
}
