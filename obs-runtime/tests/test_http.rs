//! The embedded `/metrics` endpoint, against a real HTTP client and against
//! hostile ones: slow, oversized, garbage. Behavior is asserted, never timing.

use obs_runtime::export::http::{MetricsServer, DEFAULT_ADDR};
use obs_runtime::{Counter, Format, MetricGroup, Metrics, Registry};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

#[derive(Metrics)]
struct ServedMetrics {
    /// Requests served.
    served_total: Counter,
}

fn start(
    configure: impl FnOnce(
        obs_runtime::export::http::MetricsServerBuilder,
    ) -> obs_runtime::export::http::MetricsServerBuilder,
) -> (MetricsServer, Arc<ServedMetrics>) {
    let registry = Arc::new(Registry::new());
    let metrics = ServedMetrics::register(&registry).unwrap();
    metrics.served_total.inc_by(3);
    let builder = MetricsServer::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .registry(registry);
    (configure(builder).start().unwrap(), metrics)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn get(addr: SocketAddr, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut request = agent().get(format!("http://{addr}{path}"));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let mut response = request.call().expect("request succeeds");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.body_mut().read_to_string().unwrap();
    (status, content_type, body)
}

/// Sends raw bytes and returns whatever the server answers before closing.
fn raw_bytes(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

/// Sends raw bytes and returns whatever the server answers before closing,
/// as text.
fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    String::from_utf8_lossy(&raw_bytes(addr, bytes)).into_owned()
}

#[test]
fn negotiates_the_format_from_accept() {
    let (server, _metrics) = start(|b| b);
    let addr = server.local_addr();

    let (status, content_type, body) = get(
        addr,
        "/metrics",
        Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
    );
    assert_eq!(status, 200);
    assert_eq!(content_type, Format::OPENMETRICS.content_type());
    assert!(body.contains("# TYPE served counter\n"), "{body}");
    assert!(body.contains("served_total 3\n"));
    assert!(body.ends_with("# EOF\n"));

    let (status, content_type, body) = get(addr, "/metrics", None);
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(
        body.contains("# TYPE served_total counter\nserved_total 3\n"),
        "{body}"
    );
    assert!(!body.contains("# EOF"));
}

#[test]
fn serves_health_and_rejects_other_routes_and_methods() {
    let (server, _metrics) = start(|b| b);
    let addr = server.local_addr();
    assert_eq!(get(addr, "/healthz", None).0, 200);
    assert_eq!(get(addr, "/nope", None).0, 404);
    let response = agent()
        .post(format!("http://{addr}/metrics"))
        .send("x")
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}

/// `/catalog` serves the binary's catalog as JSON, the one
/// `obs_runtime::catalog()` builds, until it is turned off.
#[test]
fn serves_the_catalog_unless_turned_off() {
    let (server, _metrics) = start(|b| b);
    let (status, content_type, body) = get(server.local_addr(), "/catalog", None);
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let catalog = obs_runtime::Catalog::from_json(&body).unwrap();
    assert_eq!(catalog, obs_runtime::catalog());
    assert!(catalog.metric("served_total").is_some(), "{body}");

    let (server, _metrics) = start(|b| b.catalog(false));
    assert_eq!(get(server.local_addr(), "/catalog", None).0, 404);
}

#[test]
fn concurrent_scrapes_all_succeed() {
    let (server, metrics) = start(|b| b);
    let addr = server.local_addr();
    thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10 {
                    metrics.served_total.inc();
                    let (status, _, body) = get(addr, "/metrics", None);
                    assert_eq!(status, 200);
                    assert!(body.contains("served_total "));
                }
            });
        }
    });
    let (_, _, body) = get(addr, "/metrics", None);
    assert!(body.contains("served_total 83\n"), "{body}");
}

// A client that sends half its headers and then goes quiet never completes
// them; meanwhile other clients are served, and the server, not the client,
// ends the connection: the slow client's read sees the close (its own read
// timeout is only a safety net, far beyond the server's deadline).
#[test]
fn a_slow_client_blocks_nobody_and_is_cut_off() {
    let (server, _metrics) = start(|b| b.header_read_timeout(Duration::from_millis(500)));
    let addr = server.local_addr();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaa")
        .unwrap();
    for _ in 0..5 {
        assert_eq!(get(addr, "/metrics", None).0, 200);
    }
    let mut answer = Vec::new();
    let closed = slow.read_to_end(&mut answer);
    assert!(
        closed.is_ok(),
        "the server never closed the slow connection: {closed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "the slow client was served"
    );
    assert_eq!(get(addr, "/healthz", None).0, 200);
}

#[test]
fn oversized_headers_are_refused_and_the_server_stays_up() {
    let (server, _metrics) = start(|b| b);
    let addr = server.local_addr();
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw(addr, huge.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(get(addr, "/metrics", None).0, 200);
}

#[test]
fn garbage_gets_400_and_the_server_stays_up() {
    let (server, _metrics) = start(|b| b);
    let addr = server.local_addr();
    for garbage in [
        &b"\x00\x01\x02 not http at all\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET /metrics HTTP/9.9\r\n\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
    ] {
        let answer = raw(addr, garbage);
        assert!(
            answer.is_empty()
                || answer.starts_with("HTTP/1.1 400")
                || answer.starts_with("HTTP/1.1 505"),
            "{garbage:?} → {answer}"
        );
        assert_eq!(get(addr, "/metrics", None).0, 200);
    }
}

// Every slot is held by idle clients whose header deadline is far away: the
// honest scrape evicts the oldest idle one instead of waiting for it.
#[test]
fn idle_connections_at_capacity_do_not_block_an_honest_scrape() {
    let (server, _metrics) = start(|b| {
        b.max_connections(4)
            .header_read_timeout(Duration::from_secs(3600))
    });
    let addr = server.local_addr();
    let idle: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for _ in 0..3 {
        assert_eq!(get(addr, "/metrics", None).0, 200);
    }
    drop(idle);
}

/// Sends pipelined requests and never reads, until a write fails: the
/// server gave up on the connection. Returns the failed write's error.
fn flood_without_reading(addr: SocketAddr) -> std::io::Error {
    let mut stream = TcpStream::connect(addr).unwrap();
    // Safety net only: far beyond the server's write deadline.
    stream
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let requests = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1024);
    loop {
        if let Err(err) = stream.write_all(&requests) {
            return err;
        }
    }
}

// The client asks and asks and never reads: once the server's writes stop
// making progress it closes the connection, and the client's next write
// fails on the closed connection (not on its own safety-net timeout).
#[test]
fn a_client_that_never_reads_is_cut_off() {
    let (server, _metrics) = start(|b| {
        b.write_timeout(Duration::from_millis(200))
            .connection_timeout(Duration::from_secs(3600))
    });
    let err = flood_without_reading(server.local_addr());
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{err:?}"
    );
    assert_eq!(get(server.local_addr(), "/metrics", None).0, 200);
}

// Connections stuck writing to clients that never read hold every slot; an
// honest scrape still gets its answer.
#[test]
fn clients_that_never_read_do_not_block_an_honest_scrape() {
    let (server, _metrics) = start(|b| {
        b.max_connections(2)
            .write_timeout(Duration::from_secs(3600))
            .connection_timeout(Duration::from_secs(3600))
    });
    let addr = server.local_addr();
    let stuck: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(&b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20))
                .unwrap();
            stream
        })
        .collect();
    for _ in 0..3 {
        assert_eq!(get(addr, "/metrics", None).0, 200);
    }
    drop(stuck);
}

#[test]
fn gzip_when_asked_with_vary() {
    let (server, _metrics) = start(|b| b);
    let answer = raw_bytes(
        server.local_addr(),
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    );
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept, accept-encoding"), "{head}");
    let mut body = String::new();
    flate2::read::GzDecoder::new(&answer[split + 4..])
        .read_to_string(&mut body)
        .unwrap();
    assert!(body.contains("served_total 3\n"), "{body}");

    for refused in ["gzip;q=0", "identity", "*;q=0", "gzip;q=0, *"] {
        let answer = raw(
            server.local_addr(),
            format!("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {refused}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(
            !answer.to_ascii_lowercase().contains("content-encoding"),
            "{refused}: {answer}"
        );
        assert!(answer.contains("served_total 3\n"), "{refused}: {answer}");
    }
}

#[test]
fn head_answers_the_headers_without_a_body() {
    let (server, _metrics) = start(|b| b);
    let answer = raw(
        server.local_addr(),
        b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(Format::OPENMETRICS.content_type()),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\n"), "{answer}");
}

#[test]
fn several_accept_headers_q_values_and_refusals() {
    let (server, _metrics) = start(|b| b);
    let ask = |accepts: &[&str]| {
        let headers: String = accepts.iter().map(|a| format!("Accept: {a}\r\n")).collect();
        raw(
            server.local_addr(),
            format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n")
                .as_bytes(),
        )
    };
    let om = Format::OPENMETRICS.content_type();
    let text = Format::PROMETHEUS_TEXT.content_type();
    assert!(ask(&["text/plain;q=0.2", "application/openmetrics-text;q=0.3"]).contains(om));
    assert!(ask(&["text/plain;q=0.4", "application/openmetrics-text;q=0.3"]).contains(text));
    assert!(ask(&["*/*", "text/plain;q=0"]).contains(om));
    assert!(ask(&["application/openmetrics-text;version=2.0.0", "text/*;q=0.1"]).contains(text));
    let refused = ask(&["text/plain;q=0", "application/openmetrics-text;q=0"]);
    assert!(refused.starts_with("HTTP/1.1 406"), "{refused}");
    assert!(ask(&["text/html"]).starts_with("HTTP/1.1 406"));
}

#[test]
fn out_of_range_builder_values_are_refused_by_start() {
    let start = |b: obs_runtime::export::http::MetricsServerBuilder| {
        b.addr("127.0.0.1:0".parse().unwrap()).start().unwrap_err()
    };
    for (err, name) in [
        (
            start(MetricsServer::builder().max_connections(usize::MAX)),
            "max_connections",
        ),
        (
            start(MetricsServer::builder().max_connections(0)),
            "max_connections",
        ),
        (
            start(MetricsServer::builder().header_read_timeout(Duration::MAX)),
            "header_read_timeout",
        ),
        (
            start(MetricsServer::builder().connection_timeout(Duration::ZERO)),
            "connection_timeout",
        ),
        (
            start(MetricsServer::builder().write_timeout(Duration::MAX)),
            "write_timeout",
        ),
        (
            start(MetricsServer::builder().shutdown_grace(Duration::MAX)),
            "shutdown_grace",
        ),
    ] {
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with(name), "{err}");
    }
}

#[test]
fn binding_a_taken_address_is_an_error_and_the_default_is_loopback() {
    let (server, _metrics) = start(|b| b);
    let err = MetricsServer::builder()
        .addr(server.local_addr())
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(DEFAULT_ADDR.ip().is_loopback());
    assert_eq!(DEFAULT_ADDR.port(), 9464);
}

#[test]
fn shutdown_closes_the_port() {
    let (server, _metrics) = start(|b| b);
    let addr = server.local_addr();
    assert_eq!(get(addr, "/healthz", None).0, 200);
    server.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}
