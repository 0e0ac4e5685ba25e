//! The gateway scenario's per-component registries reach a real OTLP
//! receiver, each as a service of its own: the router's metrics under
//! `service.name=router`, the worker's under `service.name=worker`, with
//! the exact counts of the jobs sent, and neither in the other's export.
//! Nothing waits a fixed time: the receiver is polled with a deadline.

mod otlp_receiver;

use obs_examples::gateway::{self, Gateway, LoadClient, Registries, Settings};
use obs_runtime::{Config, Registry};
use otlp_receiver::{total, ReceivedMetric, Receiver};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn the_router_and_the_worker_export_their_own_registries() {
    let receiver = Receiver::start();
    let config = Config::from_vars([
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            format!("{}/v1/metrics", receiver.endpoint()).as_str(),
        ),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
        ("OBS_METRICS_EXPORT_INTERVAL", "100ms"),
    ])
    .unwrap();
    let (gateway_registry, router_registry, worker_registry) = (
        Registry::new(),
        Arc::new(Registry::new()),
        Arc::new(Registry::new()),
    );
    let router = gateway::export(&config, "router", router_registry.clone())
        .unwrap()
        .expect("a metrics target is set");
    let worker = gateway::export(&config, "worker", worker_registry.clone())
        .unwrap()
        .expect("a metrics target is set");
    let registries = Registries {
        gateway: &gateway_registry,
        router: &router_registry,
        worker: &worker_registry,
    };
    let service = Gateway::start(registries, Settings::loopback(3)).unwrap();
    let client = LoadClient::new(&Registry::new()).unwrap();
    const JOBS: i64 = 4;
    for tenant in ["acme", "globex", "initech", "umbrella"] {
        let answer = gateway::submit(&client, service.local_addr(), tenant, b"{}").unwrap();
        assert_eq!(answer.status, 200);
    }
    service.shutdown();

    let final_count = |name: &'static str, service: &'static str, expected: i64| {
        move |r: &Receiver| -> Option<ReceivedMetric> {
            r.metrics().into_iter().rev().find(|m| {
                m.metric.name == name
                    && m.resource.get("service.name").map(String::as_str) == Some(service)
                    && total(&m.metric) == expected
            })
        }
    };
    // Each job calls the three extensions once (no faults).
    receiver.wait_for(
        "the router's extension calls",
        Duration::from_secs(30),
        final_count("router_extension_calls", "router", 3 * JOBS),
    );
    receiver.wait_for(
        "the worker's jobs",
        Duration::from_secs(30),
        final_count("worker_jobs", "worker", JOBS),
    );
    // Each service's export holds its own metrics only.
    for m in receiver.metrics() {
        match m.resource.get("service.name").map(String::as_str) {
            Some("router") => assert!(m.metric.name.starts_with("router_"), "{}", m.metric.name),
            Some("worker") => assert!(m.metric.name.starts_with("worker_"), "{}", m.metric.name),
            other => panic!("an export from {other:?}"),
        }
    }
    drop((router, worker));
}
