//! Helpers for the tests against real peers: start a Prometheus server on
//! loopback and query its HTTP API.

use serde_json::Value;
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A Prometheus server scraping one target, killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    dir: PathBuf,
}

/// The `prometheus` binary: `$OBS_PROMETHEUS`, or `prometheus` on the `PATH`.
fn binary() -> String {
    std::env::var("OBS_PROMETHEUS").unwrap_or_else(|_| "prometheus".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

impl Prometheus {
    /// Starts Prometheus with a temporary config and storage, scraping
    /// `target` every second, with `extra_args` (e.g. feature flags).
    pub fn start(name: &str, target: SocketAddr, extra_args: &[&str]) -> Prometheus {
        Prometheus::start_with(name, target, "", extra_args)
    }

    /// As [`Prometheus::start`], with more configuration appended to the
    /// file (`rule_files:`, `alerting:`), evaluating rules every second.
    pub fn start_with(
        name: &str,
        target: SocketAddr,
        more_config: &str,
        extra_args: &[&str],
    ) -> Prometheus {
        let dir =
            std::env::temp_dir().join(format!("obs-prometheus-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: obs\n    static_configs:\n      - targets: ['{target}']\n{more_config}"
        );
        fs::write(dir.join("prometheus.yml"), config).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(binary())
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .args(extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                fs::File::create(dir.join("prometheus.log")).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start `{}`: {err}; install Debian's `prometheus` package \
                     (`apt-get install prometheus`, or run ./.ci/run) or set OBS_PROMETHEUS",
                    binary()
                )
            });
        Prometheus { child, addr, dir }
    }

    /// GETs an API path and returns its `data`, or `None` while Prometheus
    /// is not answering yet.
    pub fn api(&self, path_and_query: &str) -> Option<Value> {
        let url = format!("http://{}{}", self.addr, path_and_query);
        let mut response = ureq::get(&url).call().ok()?;
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()?;
        (body["status"] == "success").then(|| body["data"].clone())
    }

    /// Polls an instant query until it returns at least one series for
    /// which `ready` holds, up to `timeout`; panics with the log otherwise.
    pub fn query_until(
        &self,
        query: &str,
        timeout: Duration,
        ready: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", encode(query));
        self.poll(timeout, || {
            let data = self.api(&path)?;
            let result = data["result"].as_array()?.clone();
            (!result.is_empty() && ready(&result)).then_some(result)
        })
        .unwrap_or_else(|| panic!("query `{query}` never became ready\n{}", self.log()))
    }

    /// Calls `attempt` every 200 ms until it returns `Some`, up to `timeout`.
    pub fn poll<T>(&self, timeout: Duration, mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = attempt() {
                return Some(value);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// Prometheus's own log, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// An Alertmanager on loopback (clustering off), killed when dropped.
#[derive(Debug)]
pub struct Alertmanager {
    child: Child,
    /// Where its HTTP API listens.
    pub addr: SocketAddr,
    dir: PathBuf,
}

/// The Alertmanager binary: `$OBS_ALERTMANAGER`, or Debian's
/// `prometheus-alertmanager` on the `PATH`.
fn alertmanager_binary() -> String {
    std::env::var("OBS_ALERTMANAGER").unwrap_or_else(|_| "prometheus-alertmanager".into())
}

impl Alertmanager {
    /// Starts Alertmanager with one receiver that keeps every alert (its
    /// API lists them), grouping and sending at once.
    pub fn start(name: &str) -> Alertmanager {
        let dir =
            std::env::temp_dir().join(format!("obs-alertmanager-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).unwrap();
        let config = "route:\n  receiver: keep\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: keep\n";
        fs::write(dir.join("alertmanager.yml"), config).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(alertmanager_binary())
            .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            // No cluster: no gossip port to collide with another run.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::from(fs::File::create(dir.join("alertmanager.log")).unwrap()))
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start `{}`: {err}; install Debian's `prometheus-alertmanager` package \
                     (`apt-get install prometheus-alertmanager`, or run ./.ci/run) or set OBS_ALERTMANAGER",
                    alertmanager_binary()
                )
            });
        Alertmanager { child, addr, dir }
    }

    /// The alerts it holds (`GET /api/v2/alerts`), or `None` while it is
    /// not answering yet.
    pub fn alerts(&self) -> Option<Vec<Value>> {
        let url = format!("http://{}/api/v2/alerts", self.addr);
        let mut response = ureq::get(&url).call().ok()?;
        serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()
    }

    /// Alertmanager's own log, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("alertmanager.log")).unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A free port on loopback, for a server a test starts.
pub fn free_loopback_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// Percent-encodes a query parameter.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
