//! Generated raw HTTP requests against a live endpoint: every answer is a
//! well-formed status the endpoint is documented to give (or a close for
//! garbage), `/metrics` answers carry the negotiated `Content-Type` and
//! `Vary`, and the server keeps serving.

use obs_runtime::export::http::MetricsServer;
use obs_runtime::{Counter, Format, MetricGroup, Metrics, Registry};
use proptest::prelude::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Metrics)]
struct FuzzMetrics {
    /// Requests seen.
    seen_total: Counter,
}

/// The number of generated requests, each on a new connection. The client
/// closes each with a reset once it has the whole answer, so that no
/// connection waits in `TIME_WAIT` and 100,000 of them do not run out of
/// loopback ports.
const CASES: u32 = 100_000;

fn server() -> SocketAddr {
    static SERVER: OnceLock<MetricsServer> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let registry = Arc::new(Registry::new());
            FuzzMetrics::register(&registry).unwrap().seen_total.inc();
            MetricsServer::builder()
                .addr("127.0.0.1:0".parse().unwrap())
                .registry(registry)
                .start()
                .unwrap()
        })
        .local_addr()
}

fn exchange(request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server()).unwrap();
    // Safety net only: the server answers or closes long before.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The server may close before reading all of a garbage request.
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    // The answer is complete: close with a reset, leaving no `TIME_WAIT`.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    answer
}

fn accept_value() -> impl Strategy<Value = String> {
    let range = (
        prop::sample::select(vec![
            "text/plain",
            "application/openmetrics-text",
            "*/*",
            "text/*",
            "text/html",
        ]),
        prop::sample::select(vec!["", ";version=0.0.4", ";version=1.0.0", ";version=9"]),
        prop::sample::select(vec!["", ";q=0", ";q=0.5", ";q=1", ";q=x"]),
    )
        .prop_map(|(m, v, q)| format!("{m}{v}{q}"));
    prop::collection::vec(range, 1..4).prop_map(|r| r.join(", "))
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        accept_value().prop_map(|v| format!("Accept: {v}")),
        prop::sample::select(vec!["gzip", "gzip;q=0", "identity", "*"])
            .prop_map(|v| format!("Accept-Encoding: {v}")),
        "[ -~]{0,20}".prop_map(|v| format!("X-Any: {v}")),
        "[ -~]{0,20}",
        "[\\x00-\\xff]{0,8}",
    ]
}

fn request() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec!["GET", "HEAD", "POST", "PUT", "get", "G E T", ""]),
        prop::sample::select(vec![
            "/metrics",
            "/healthz",
            "/",
            "/metrics?x=1",
            "*",
            "",
            "/%ff",
        ]),
        prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", ""]),
        prop::collection::vec(header(), 0..4),
    )
        .prop_map(|(method, path, version, headers)| {
            let mut out = format!("{method} {path} {version}\r\nHost: x\r\n");
            for header in headers {
                out += &header;
                out += "\r\n";
            }
            out += "Connection: close\r\n\r\n";
            out.into_bytes()
        })
}

fn check(request: Vec<u8>) -> Result<(), TestCaseError> {
    let answer = exchange(&request);
    if answer.is_empty() {
        // A close without an answer is allowed only for garbage.
        return Ok(());
    }
    let text = String::from_utf8_lossy(&answer);
    let (head, _) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| head.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    prop_assert!(
        [200, 400, 404, 405, 406, 431, 505].contains(&status),
        "{status} for {:?}",
        String::from_utf8_lossy(&request)
    );
    let lower = head.to_ascii_lowercase();
    if status == 200 && lower.contains("vary:") {
        let types = [
            Format::OPENMETRICS.content_type(),
            Format::PROMETHEUS_TEXT.content_type(),
        ];
        prop_assert!(types.iter().any(|t| lower.contains(t)), "{head}");
        prop_assert!(lower.contains("vary: accept, accept-encoding"), "{head}");
    }
    Ok(())
}

#[test]
fn raw_requests_get_documented_answers_and_the_server_keeps_serving() {
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(CASES)
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    if let Err(err) = runner.run(&request(), check) {
        panic!("{err}");
    }
    let answer = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}
