//! `init` runs once per process, and a refused `init` starts nothing: no
//! bind of the metrics address (a second `init` used to fail with
//! `AddrInUse` after starting and stopping an export thread), no thread. A
//! binary of its own, since `init` and captures set process-wide state.

use obs_runtime::{Config, ConfigError};
use std::net::TcpListener;

fn config(port: u16) -> Config {
    Config::default()
        .metrics(true)
        .metrics_addr(([127, 0, 0, 1], port).into())
        .tracing(true)
        .logs(false)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[track_caller]
fn assert_refused(config: Config) {
    match config.init() {
        Err(ConfigError::AlreadyInitialized) => {}
        other => panic!("{:?}", other.map(|_| "a guard")),
    }
}

#[test]
fn init_runs_once_and_a_refused_one_starts_nothing() {
    // A test capture sets the global subscriber: an `init` that would
    // install one is refused, and binds nothing.
    let ((), _) = obs_runtime::testing::capture(|| tracing::info!("captured"));
    let port = free_port();
    assert_refused(config(port));
    TcpListener::bind(("127.0.0.1", port)).expect("the refused init bound nothing");

    // Metrics alone need no subscriber: that `init` serves on `port`.
    let _first = config(port)
        .tracing(false)
        .init()
        .expect("a metrics-only init");
    assert!(TcpListener::bind(("127.0.0.1", port)).is_err());

    // A second one is refused, not `AddrInUse`; on a free port it binds
    // nothing either.
    assert_refused(config(port).tracing(false));
    let other = free_port();
    assert_refused(config(other).tracing(false));
    TcpListener::bind(("127.0.0.1", other)).expect("the refused init bound nothing");
}
