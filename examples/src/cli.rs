//! What the example binaries share: `--cycles N`, the `/metrics` endpoint
//! and the span catalog they print at start-up.

use obs_runtime::export::http::{MetricsServer, DEFAULT_ADDR};
use obs_runtime::{span_descriptors, Format, Registry};
use std::io::ErrorKind;
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

/// Serves [`Registry::global`] on `OBS_METRICS_ADDR`, else on
/// `127.0.0.1:9464`, else (when that port is taken, by another example for
/// instance) on a free loopback port.
pub fn serve_metrics() -> Result<MetricsServer, String> {
    let explicit = std::env::var("OBS_METRICS_ADDR").ok();
    let addr: SocketAddr = match &explicit {
        Some(value) => value
            .parse()
            .map_err(|err| format!("OBS_METRICS_ADDR={value:?} is not a socket address: {err}"))?,
        None => DEFAULT_ADDR,
    };
    let start = |addr| MetricsServer::builder().addr(addr).start();
    let server = match start(addr) {
        Err(err) if err.kind() == ErrorKind::AddrInUse && explicit.is_none() => {
            start(SocketAddr::from(([127, 0, 0, 1], 0)))
        }
        other => other,
    };
    let server = server
        .map_err(|err| format!("cannot serve /metrics on {addr}: {err} (set OBS_METRICS_ADDR)"))?;
    println!(
        "serving metrics: curl http://{}/metrics",
        server.local_addr()
    );
    Ok(server)
}

/// Prints the spans the binary contains under `module` (from the catalog
/// `#[traced]` builds at compile time), with their levels.
pub fn print_spans(module: &str) {
    println!("spans in {module}:");
    let mut spans: Vec<_> = span_descriptors()
        .iter()
        .filter(|span| span.module == module)
        .collect();
    spans.sort_by_key(|span| span.name);
    for span in spans {
        println!("  {:<28} {}", span.name, span.level);
    }
}

/// Prints what a Prometheus scrape of the global registry reads now.
pub fn print_scrape() {
    println!(
        "\n--- what a scrape reads ({}) ---",
        Format::PROMETHEUS_TEXT.content_type()
    );
    print!("{}", Registry::global().encode(Format::PROMETHEUS_TEXT));
}
