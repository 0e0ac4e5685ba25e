//! The endpoint while an encoding is held at a gate the test controls: `HEAD`
//! never encodes, a full house of first requests gets `503`, and shutdown
//! lets an in-flight scrape finish. Every wait is for a count or a close,
//! never for time.

mod gated;

use gated::Gated;
use obs_runtime::export::http::MetricsServer;
use obs_runtime::{MetricDef, Registry};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

fn start(
    configure: impl FnOnce(
        obs_runtime::export::http::MetricsServerBuilder,
    ) -> obs_runtime::export::http::MetricsServerBuilder,
) -> (MetricsServer, Arc<Gated>) {
    let registry = Arc::new(Registry::new());
    let gated = registry
        .register_metric::<Gated>(MetricDef::new("gated", "Waits for the test."))
        .unwrap();
    let builder = MetricsServer::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .registry(registry);
    (configure(builder).start().unwrap(), gated)
}

/// Sends one request and returns the answer up to the server's close.
fn ask(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    // Safety net only: no answer in a minute means the test failed.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

const GET: &str = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[test]
fn head_does_not_encode() {
    let (server, gated) = start(|b| b);
    let answer = ask(
        server.local_addr(),
        "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(gated.encodings(), 0);
    gated.open();
}

// The only slot is busy with its first request: a newcomer waits for its
// header deadline and then gets 503 instead of hanging.
#[test]
fn a_full_house_of_first_requests_gets_503() {
    let (server, gated) = start(|b| {
        b.max_connections(1)
            .header_read_timeout(Duration::from_millis(200))
    });
    let addr = server.local_addr();
    thread::scope(|s| {
        let first = s.spawn(|| ask(addr, GET));
        gated.wait_for_encodings(1);
        let refused = ask(addr, GET);
        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
        gated.open();
        let first = first.join().unwrap();
        assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    });
}

// Shutdown starts while a scrape is being encoded: the port closes at once,
// and the scrape still gets its full answer.
#[test]
fn shutdown_lets_an_in_flight_scrape_finish() {
    let (server, gated) = start(|b| b.shutdown_grace(Duration::from_secs(60)));
    let addr = server.local_addr();
    thread::scope(|s| {
        let scrape = s.spawn(|| ask(addr, GET));
        gated.wait_for_encodings(1);
        let stopping = s.spawn(|| server.shutdown());
        while TcpStream::connect(addr).is_ok() {
            thread::yield_now();
        }
        gated.open();
        let answer = scrape.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("# TYPE gated gauge"), "{answer}");
        stopping.join().unwrap();
    });
}
