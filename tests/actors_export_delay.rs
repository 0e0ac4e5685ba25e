//! The actor runtime's metrics reach a real OTLP receiver across a network
//! that delays every byte it carries (a proxy holds each chunk for 300 ms
//! in both directions), under the runtime's injected faults: exports take
//! longer, none is lost, and the last one holds the runtime's exact totals.
//! Nothing waits a fixed time: the receiver is polled with a deadline.

mod otlp_receiver;

use obs_examples::actors::{Faults, Runtime};
use obs_runtime::{Config, Registry};
use otlp_receiver::{total, Receiver};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const DELAY: Duration = Duration::from_millis(300);

/// A TCP proxy to `target` that holds every chunk it forwards for `delay`.
fn delaying_proxy(target: SocketAddr, delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            let (client_read, server_read) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || forward(client_read, server, delay));
            thread::spawn(move || forward(server_read, client, delay));
        }
    });
    addr
}

fn forward(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let mut buffer = [0; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer) {
        // The injected network delay.
        thread::sleep(delay);
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[test]
fn metric_export_survives_injected_network_delay() {
    let receiver = Receiver::start();
    let receiver_addr: SocketAddr = receiver
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = delaying_proxy(receiver_addr, DELAY);

    let registry = Arc::new(Registry::new());
    let faults = Faults {
        storage_write_failure_percent: 10,
        crash_percent: 3,
    };
    let mut runtime = Runtime::new(&registry, 7, 16, faults).unwrap();
    let guard = Config::from_vars([
        ("OTEL_SERVICE_NAME", "actors"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            &format!("http://{proxy}/v1/metrics"),
        ),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
        ("OBS_METRICS_EXPORT_INTERVAL", "100ms"),
        ("OBS_METRICS", "off"),
        ("OBS_TRACING", "off"),
    ])
    .unwrap()
    .registry(registry.clone())
    .logs(false)
    .build()
    .unwrap();

    for _ in 0..20 {
        runtime.submit_traffic(25);
        runtime.run_round();
    }
    let handled: u64 = runtime.tally().invocations.values().sum();
    assert_eq!(handled, 500);
    assert!(runtime.tally().crashes > 0);

    // Exports keep arriving through the slow network until one holds the
    // final count of every invocation.
    let invocations =
        receiver.wait_for("the final invocation count", Duration::from_secs(60), |r| {
            r.metrics().into_iter().rev().find(|m| {
                m.metric.name == "runtime_invocations" && total(&m.metric) == handled as i64
            })
        });
    assert_eq!(invocations.resource["service.name"], "actors");
    let exports = receiver.received().metrics.len();
    assert!(exports >= 1);
    drop(guard);
}
