//! A second `init` in one process is refused with `AlreadyInitialized`
//! before it starts anything: no bind of the metrics address (which the
//! first `init` holds, and which used to fail with `AddrInUse`), no export
//! thread. A binary of its own, since `init` sets process-wide state.

use obs_runtime::{Config, ConfigError};
use std::net::TcpListener;

fn config(port: u16) -> Config {
    Config::default()
        .metrics(true)
        .metrics_addr(([127, 0, 0, 1], port).into())
        .tracing(true)
        .logs(false)
}

#[test]
fn a_second_init_is_refused_before_it_starts_anything() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _first = config(port).init().expect("the first init");
    // The first init serves on `port`: a second one that started its
    // endpoint would fail with `AddrInUse`.
    assert!(TcpListener::bind(("127.0.0.1", port)).is_err());
    match config(port).init() {
        Err(ConfigError::AlreadyInitialized) => {}
        other => panic!("{:?}", other.map(|_| "a second guard")),
    }
    // Nor does a second init on a free port bind it.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let free_port = free.local_addr().unwrap().port();
    drop(free);
    assert!(matches!(
        config(free_port).init(),
        Err(ConfigError::AlreadyInitialized)
    ));
    TcpListener::bind(("127.0.0.1", free_port)).expect("the refused init bound nothing");
    // Metrics alone install no subscriber, and are refused all the same.
    let metrics_only = config(free_port).tracing(false);
    assert!(matches!(
        metrics_only.init(),
        Err(ConfigError::AlreadyInitialized)
    ));
    TcpListener::bind(("127.0.0.1", free_port)).expect("the refused init bound nothing");
}
