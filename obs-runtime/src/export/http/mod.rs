//! The embedded `/metrics` endpoint (and `/catalog`).
//!
//! This folder owns [`MetricsServer`], its builder and the response logic it
//! shares with [`metrics_response`]; it may import the registry and the
//! encoding (with its negotiation), hyper, and Tokio. [`MetricsServer`] serves
//! a registry on its own thread with a small single-threaded Tokio runtime and
//! hyper's HTTP/1 server, so the application needs no async runtime of its
//! own. It binds to loopback unless told otherwise, and an honest scrape is
//! answered whatever other clients do: at capacity a newcomer evicts the
//! oldest connection not being answered (idle, or stuck on a client that does
//! not read), or gets `503` at once; request headers, writes and whole
//! connections have deadlines; header size is capped (`431` beyond it) and
//! garbage gets `400`. Concurrent scrapes share one encoding, bodies are
//! gzipped when asked, and `HEAD` encodes nothing. A scrape reads the metrics
//! without blocking recording.
//!
//! Services that already run axum or hyper mount [`metrics_response`] on their
//! own router instead.

mod respond;
mod serve;

pub use respond::metrics_response;

use crate::registry::{Registry, RegistrySource};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tokio::sync::oneshot;

/// The default listen address: loopback, on the port registered for
/// Prometheus exporters of OpenTelemetry SDKs.
pub const DEFAULT_ADDR: SocketAddr = crate::config::DEFAULT_METRICS_ADDR;

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
    catalog: bool,
    max_connections: usize,
    header_read_timeout: Duration,
    max_header_bytes: usize,
    connection_timeout: Duration,
    write_timeout: Duration,
    shutdown_grace: Duration,
}

/// The checked settings the server thread runs with.
type Config = MetricsServerBuilder;

/// The most connections [`MetricsServerBuilder::max_connections`] accepts.
pub const MAX_CONNECTIONS: usize = 65_536;
/// The longest duration any [`MetricsServerBuilder`] timeout accepts.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

impl fmt::Debug for MetricsServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsServerBuilder")
            .field("addr", &self.addr)
            .field("catalog", &self.catalog)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("connection_timeout", &self.connection_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish_non_exhaustive()
    }
}

impl Default for MetricsServerBuilder {
    fn default() -> Self {
        MetricsServerBuilder {
            addr: DEFAULT_ADDR,
            registry: Registry::global().into(),
            catalog: true,
            max_connections: 64,
            header_read_timeout: Duration::from_secs(2),
            max_header_bytes: 16 * 1024,
            connection_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(2),
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

    /// Whether `GET /catalog` answers with the binary's catalog as JSON
    /// ([`catalog()`](crate::catalog())), on by default. It describes the
    /// whole binary, whichever registry the server serves; turn it off when
    /// the endpoint is reachable by those who should not read it.
    pub fn catalog(mut self, on: bool) -> Self {
        self.catalog = on;
        self
    }

    /// The most connections open at once (default 64, 1 to
    /// [`MAX_CONNECTIONS`]). A newcomer beyond it evicts the oldest
    /// connection not being answered, or gets `503 Service Unavailable`.
    pub fn max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// How long a client may take to send its request headers, counted from
    /// the connection's start or the previous answer (default 2 s).
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

    /// How long a write may make no progress before the connection is cut
    /// off: a client that never reads its answer (default 5 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long in-flight scrapes may take to finish on shutdown
    /// (default 2 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    fn check(&self) -> io::Result<()> {
        let invalid = |what: String| Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return invalid(format!(
                "max_connections must be 1 to {MAX_CONNECTIONS}, got {}",
                self.max_connections
            ));
        }
        for (name, value) in [
            ("header_read_timeout", self.header_read_timeout),
            ("connection_timeout", self.connection_timeout),
            ("write_timeout", self.write_timeout),
            ("shutdown_grace", self.shutdown_grace),
        ] {
            if value.is_zero() || value > MAX_TIMEOUT {
                return invalid(format!(
                    "{name} must be above 0 and at most {MAX_TIMEOUT:?}, got {value:?}"
                ));
            }
        }
        Ok(())
    }

    /// Checks the settings, binds the address and starts serving on a
    /// background thread. Out-of-range settings (`InvalidInput`, naming the
    /// setting and its range) and binding errors (address in use,
    /// permission) are returned here.
    pub fn start(self) -> io::Result<MetricsServer> {
        self.check()?;
        let listener = StdTcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(2)
            .build()?;
        let grace = self.shutdown_grace;
        let (stop, stopped) = oneshot::channel();
        let thread = thread::Builder::new()
            .name("obs-metrics-http".into())
            .spawn(move || {
                runtime.block_on(serve::serve(listener, self, stopped));
                runtime.shutdown_timeout(grace);
            })?;
        Ok(MetricsServer {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// An embedded HTTP server for `/metrics`, `/catalog` and `/healthz`. Stops
/// when dropped or on [`MetricsServer::shutdown`].
///
/// `GET /metrics` negotiates the format from the `Accept` headers (q-values,
/// `q=0` refusals, wildcards, the `version` parameter): OpenMetrics 1.0 when
/// preferred (Prometheus does by default), the Prometheus text format 0.0.4
/// otherwise, each with its exact `Content-Type`, `Vary: Accept,
/// Accept-Encoding`, and gzip when `Accept-Encoding` allows it; `406` when
/// both formats are refused. `HEAD` answers the same headers without
/// encoding the registry.
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

    /// Stops accepting and closes the port, lets in-flight scrapes finish
    /// within the shutdown grace period, closes the rest and waits for the
    /// thread.
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
