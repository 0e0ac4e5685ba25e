//! Metric export against a real OTLP receiver that refuses requests: the
//! failures the OTLP specification calls retryable are retried with backoff
//! until the collector accepts, permanent ones are not retried and are
//! counted as dropped, and a registry too large for one gRPC message (the
//! receiver keeps tonic's default 4 MiB limit) arrives whole, split between
//! requests.
//!
//! One test walks through the cases in order, for both protocols: the drop
//! counters it reads are process-wide.

mod otlp_receiver;

use obs_runtime::export::otlp::{dropped_items, Signal};
use obs_runtime::{Config, Counter, Family, LabelSet, MetricDef, Registry};
use opentelemetry_proto::tonic::metrics::v1::metric;
use otlp_receiver::{Receiver, Refusal};
use std::sync::Arc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Agent {
    #[label(unbounded)]
    user_agent: String,
}

/// A pipeline exporting `registry`'s metrics to `receiver` only when
/// flushed.
fn pipeline(
    receiver: &Receiver,
    protocol: &str,
    registry: &Arc<Registry>,
) -> obs_runtime::ObsGuard {
    Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OBS_METRICS_EXPORT_INTERVAL", "1440m"),
        ("OBS_METRICS", "off"),
        // The test counts its own points; the process metrics would add
        // theirs to every export.
        ("OBS_PROCESS_METRICS", "off"),
    ])
    .unwrap()
    .registry(registry.clone())
    .logs(false)
    .build()
    .unwrap()
}

/// Data points received for `name`, summed over every request.
fn points_of(receiver: &Receiver, name: &str) -> usize {
    receiver
        .metrics()
        .iter()
        .filter(|m| m.metric.name == name)
        .map(|m| match &m.metric.data {
            Some(metric::Data::Sum(sum)) => sum.data_points.len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn refusals_are_retried_or_counted_and_large_registries_are_split() {
    let small = Arc::new(Registry::new());
    small
        .register_metric::<Counter>(MetricDef::new("retried_total", "Retried."))
        .unwrap()
        .inc();
    for protocol in ["grpc", "http/protobuf"] {
        // Retryable: two refusals, then the third attempt is accepted.
        let receiver = Receiver::start();
        receiver.refuse_metrics(2, Refusal::Unavailable);
        let dropped = dropped_items(Signal::Metrics);
        let guard = pipeline(&receiver, protocol, &small);
        assert!(guard.force_flush(TIMEOUT), "{protocol}");
        assert_eq!(receiver.received().refused_metrics, 2, "{protocol}");
        assert_eq!(points_of(&receiver, "retried"), 1, "{protocol}");
        assert_eq!(dropped_items(Signal::Metrics), dropped, "{protocol}");
        drop(guard);

        // Permanent: one attempt, and the point is counted as dropped.
        let receiver = Receiver::start();
        receiver.refuse_metrics(10, Refusal::Invalid);
        let dropped = dropped_items(Signal::Metrics);
        let guard = pipeline(&receiver, protocol, &small);
        assert!(guard.force_flush(TIMEOUT), "{protocol}");
        assert_eq!(receiver.received().refused_metrics, 1, "{protocol}");
        assert_eq!(points_of(&receiver, "retried"), 0, "{protocol}");
        assert_eq!(dropped_items(Signal::Metrics), dropped + 1, "{protocol}");
        receiver.refuse_metrics(0, Refusal::Invalid);
        drop(guard);
    }

    // About 6 MB of series: over the receiver's 4 MiB gRPC limit.
    let large = Arc::new(Registry::new());
    let agents = large
        .register_metric::<Family<Agent, Counter>>(
            MetricDef::new("agent_requests_total", "Requests by user agent.").max_series(50_000),
        )
        .unwrap();
    for i in 0..40_000 {
        let user_agent = format!("agent-{i:05}-{}", "x".repeat(120));
        agents.get(&Agent { user_agent }).inc();
    }
    for protocol in ["grpc", "http/protobuf"] {
        let receiver = Receiver::start();
        let dropped = dropped_items(Signal::Metrics);
        let guard = pipeline(&receiver, protocol, &large);
        assert!(guard.force_flush(TIMEOUT), "{protocol}");
        assert_eq!(points_of(&receiver, "agent_requests"), 40_000, "{protocol}");
        assert!(receiver.received().metrics.len() >= 2, "{protocol}");
        assert_eq!(dropped_items(Signal::Metrics), dropped, "{protocol}");
        drop(guard);
    }
}
