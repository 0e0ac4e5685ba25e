//! The embedded `/metrics` endpoint.
//!
//! [`MetricsServer`] serves a registry on its own thread with a small
//! single-threaded Tokio runtime and hyper's HTTP/1 server, so the
//! application needs no async runtime of its own. It binds to loopback unless
//! told otherwise, and is built to survive hostile clients: a bounded number
//! of connections, a deadline for request headers (slow clients are cut off),
//! a cap on header size (`431` beyond it), a deadline for each connection, and
//! `400` for garbage. A scrape reads the metrics without blocking recording.
//!
//! Services that already run axum or hyper mount [`metrics_response`] on their
//! own router instead.

use crate::encoding::Format;
use crate::registry::{Registry, RegistrySource};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};

/// The default listen address: loopback, on the port registered for
/// Prometheus exporters of OpenTelemetry SDKs.
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9464);

/// Configures and starts a [`MetricsServer`].
///
/// ```
/// use obs_runtime::export::http::MetricsServer;
/// use std::time::Duration;
///
/// let server = MetricsServer::builder()
///     .addr("127.0.0.1:0".parse().unwrap())
///     .max_connections(16)
///     .header_read_timeout(Duration::from_secs(2))
///     .start()?;
/// println!("scrape http://{}/metrics", server.local_addr());
/// server.shutdown();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct MetricsServerBuilder {
    addr: SocketAddr,
    registry: RegistrySource,
    max_connections: usize,
    header_read_timeout: Duration,
    max_header_bytes: usize,
    connection_timeout: Duration,
}

impl fmt::Debug for MetricsServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsServerBuilder")
            .field("addr", &self.addr)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("connection_timeout", &self.connection_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for MetricsServerBuilder {
    fn default() -> Self {
        MetricsServerBuilder {
            addr: DEFAULT_ADDR,
            registry: RegistrySource::Static(Registry::global()),
            max_connections: 64,
            header_read_timeout: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            connection_timeout: Duration::from_secs(30),
        }
    }
}

impl MetricsServerBuilder {
    /// The address to listen on (default `127.0.0.1:9464`; port 0 picks a free one).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The registry to serve (default: [`Registry::global`]).
    pub fn registry(mut self, registry: impl Into<RegistrySource>) -> Self {
        self.registry = registry.into();
        self
    }

    /// The most connections served at once (default 64); more wait in the
    /// listen backlog.
    pub fn max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    /// How long a client may take to send its request headers (default 5 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The largest request head accepted (default 16 KiB, at least 8 KiB);
    /// larger ones get `431 Request Header Fields Too Large`.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes.max(8 * 1024);
        self
    }

    /// How long one connection may stay open in all (default 30 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Binds the address and starts serving on a background thread. Binding
    /// errors (address in use, permission) are returned here.
    pub fn start(self) -> io::Result<MetricsServer> {
        let listener = StdTcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let thread = thread::Builder::new()
            .name("obs-metrics-http".into())
            .spawn(move || runtime.block_on(serve(listener, self, stopped)))?;
        Ok(MetricsServer {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// An embedded HTTP server for `/metrics` and `/healthz`. Stops when
/// dropped or on [`MetricsServer::shutdown`].
///
/// `GET /metrics` answers in OpenMetrics 1.0 when the `Accept` header asks
/// for `application/openmetrics-text` (Prometheus does by default), in the
/// Prometheus text format 0.0.4 otherwise, each with its exact
/// `Content-Type`.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// A builder with the defaults: `127.0.0.1:9464`, the global registry.
    pub fn builder() -> MetricsServerBuilder {
        MetricsServerBuilder::default()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes open connections and waits for the thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

async fn serve(
    listener: StdTcpListener,
    config: MetricsServerBuilder,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(_) => return,
    };
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let config = Arc::new(config);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            _ = &mut stopped => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or a reset before accept: back off
                // briefly rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let config = config.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = service_fn(|request| {
                let config = config.clone();
                async move { Ok::<_, Infallible>(route(&config.registry, &request)) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(config.header_read_timeout)
                .max_buf_size(config.max_header_bytes)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(config.connection_timeout, connection).await;
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

fn route(registry: &RegistrySource, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let response = match (request.method(), path) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let accept = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok());
            metrics_response(registry.get(), accept)
        }
        (&Method::GET | &Method::HEAD, "/healthz") => plain(StatusCode::OK, "ok\n"),
        (_, "/metrics" | "/healthz") => {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
            response
        }
        _ => plain(StatusCode::NOT_FOUND, "not found: try /metrics\n"),
    };
    response.map(|body| Full::new(Bytes::from(body)))
}

fn plain(status: StatusCode, body: &'static str) -> Response<String> {
    let mut response = Response::new(body.to_owned());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Renders `registry` as an HTTP response, choosing the format from the
/// request's `Accept` header: for services that already run an HTTP server.
///
/// With axum:
///
/// ```ignore
/// use axum::{http::HeaderMap, routing::get, Router};
///
/// let app: Router = Router::new().route("/metrics", get(|headers: HeaderMap| async move {
///     let accept = headers.get("accept").and_then(|v| v.to_str().ok());
///     obs_runtime::export::http::metrics_response(obs_runtime::Registry::global(), accept)
/// }));
/// ```
///
/// ```
/// use obs_runtime::{export::http::metrics_response, Registry};
///
/// let response = metrics_response(&Registry::new(), Some("application/openmetrics-text"));
/// assert_eq!(response.headers()["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// assert_eq!(response.body(), "# EOF\n");
/// ```
pub fn metrics_response(registry: &Registry, accept: Option<&str>) -> Response<String> {
    let format = accept.map_or(Format::PROMETHEUS_TEXT, Format::from_accept);
    let mut response = Response::new(registry.encode(format));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(format.content_type()),
    );
    response
}
