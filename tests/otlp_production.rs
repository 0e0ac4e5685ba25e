//! OTLP export to a collector set up the way hosted collectors are: one that
//! demands an `authorization` header, one that takes gzip bodies, one behind
//! TLS with a throwaway CA, one that demands a client certificate. Every case
//! runs over gRPC and HTTP/protobuf, for traces, metrics and logs alike,
//! against the receiver built on the official protobuf definitions.
//!
//! Nothing sleeps for a fixed time: each test flushes the pipeline, whose
//! exports have deadlines, and then reads what the receiver holds.

mod otlp_receiver;

use obs_runtime::export::otlp::{self, Signal};
use obs_runtime::{traced, Config, Counter, MetricGroup, Metrics, ObsGuard, Registry};
use otlp_receiver::{temp_file, Options, Receiver, ServerTls, TestCa};
use std::sync::Arc;
use std::time::Duration;

const FLUSH: Duration = Duration::from_secs(20);
const PROTOCOLS: [&str; 2] = ["grpc", "http/protobuf"];

#[derive(Metrics)]
#[metrics(prefix = "checkout")]
struct CheckoutMetrics {
    /// Orders placed.
    orders_total: Counter,
}

#[traced(level = "info", name = "checkout.order.place")]
fn place_order() -> u32 {
    tracing::warn!(order_id = 7_u64, paid = true, "order placed");
    7
}

/// A pipeline exporting all three signals to `endpoint` with `vars`, after
/// one span holding one event, and one counter increment; flushed before it
/// is returned, so what could be delivered was.
fn export_once(endpoint: &str, protocol: &str, vars: &[(&str, &str)]) -> (ObsGuard, bool) {
    let (guard, flushed, _) = export_once_keeping_metrics(endpoint, protocol, vars);
    (guard, flushed)
}

/// `export_once`, also returning the metrics, to record more.
fn export_once_keeping_metrics(
    endpoint: &str,
    protocol: &str,
    vars: &[(&str, &str)],
) -> (ObsGuard, bool, Arc<CheckoutMetrics>) {
    let registry = Arc::new(Registry::new());
    let metrics = CheckoutMetrics::register(&registry).unwrap();
    metrics.orders_total.inc();
    let mut all = vec![
        ("OTEL_SERVICE_NAME", "checkout"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        // Failures end quickly: 2 s per export, retries included.
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        ("OBS_METRICS", "off"),
    ];
    all.extend_from_slice(vars);
    let guard = Config::from_vars(all)
        .unwrap()
        .registry(registry)
        .logs(false)
        .build()
        .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || assert_eq!(place_order(), 7));
    let flushed = guard.force_flush(FLUSH);
    (guard, flushed, metrics)
}

/// Whether the receiver holds the span, the counter and the log record
/// `export_once` sent.
fn holds_all_signals(receiver: &Receiver) -> bool {
    let spans = receiver.spans();
    let metrics = receiver.metrics();
    let logs = receiver.log_records();
    spans.iter().any(|s| s.name == "checkout.order.place")
        && metrics.iter().any(|m| m.metric.name == "checkout_orders")
        && logs.iter().any(|l| l.body == "order placed")
}

/// All three signals arrived over a connection that got through, and the
/// flush finished.
fn assert_delivered(receiver: &Receiver, protocol: &str, flushed: bool) {
    assert!(flushed, "{protocol}");
    let received = receiver.received();
    assert!(holds_all_signals(receiver), "{protocol}: {received:#?}");
    assert_eq!(received.failed_handshakes, 0, "{protocol}");
    assert_eq!(received.unauthenticated, 0, "{protocol}");
}

/// The lines obs wrote about exports to `endpoint`.
fn reports_about(endpoint: &str) -> Vec<String> {
    obs_runtime::testing::diagnostics()
        .into_iter()
        .filter(|line| line.contains(endpoint))
        .collect()
}

#[test]
fn a_collector_that_demands_a_header_gets_it_on_every_signal() {
    for protocol in PROTOCOLS {
        let receiver = Receiver::start_with(Options {
            required_header: Some(("authorization".into(), "Bearer s3cr3t==".into())),
            ..Options::default()
        });
        let (_guard, flushed) = export_once(
            &receiver.endpoint(),
            protocol,
            // Percent-encoded, as the specification writes header values.
            &[(
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Bearer%20s3cr3t%3D%3D",
            )],
        );
        assert_delivered(&receiver, protocol, flushed);
        // Spans are exported under obs's scope, with its version.
        let request = &receiver.received().traces[0].1;
        let scope = request.resource_spans[0].scope_spans[0]
            .scope
            .clone()
            .unwrap();
        assert_eq!(scope.name, "obs");
        assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));
        let agent = receiver.received().user_agent.unwrap_or_default();
        assert!(agent.contains("obs/"), "{protocol}: user agent {agent:?}");
    }
}

#[test]
fn per_signal_headers_add_to_the_general_ones() {
    for protocol in PROTOCOLS {
        let receiver = Receiver::start_with(Options {
            required_header: Some(("x-tenant".into(), "acme".into())),
            ..Options::default()
        });
        let (_guard, flushed) = export_once(
            &receiver.endpoint(),
            protocol,
            &[
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=wrong"),
                ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=acme"),
                ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-tenant=acme"),
                ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-tenant=acme"),
            ],
        );
        assert_delivered(&receiver, protocol, flushed);
    }
}

#[test]
fn without_the_header_both_signals_are_refused_counted_and_reported() {
    for protocol in PROTOCOLS {
        let receiver = Receiver::start_with(Options {
            required_header: Some(("authorization".into(), "Bearer s3cr3t".into())),
            ..Options::default()
        });
        let dropped_before = (
            otlp::dropped_items(Signal::Traces),
            otlp::dropped_items(Signal::Metrics),
        );
        let (_guard, _) = export_once(&receiver.endpoint(), protocol, &[]);
        let received = receiver.received();
        // Refused once per signal: 401 and UNAUTHENTICATED are not retried.
        assert_eq!(received.unauthenticated, 3, "{protocol}: {received:?}");
        assert!(!holds_all_signals(&receiver));
        assert!(otlp::dropped_items(Signal::Traces) > dropped_before.0);
        assert!(otlp::dropped_items(Signal::Metrics) > dropped_before.1);
        let reports = reports_about(&receiver.endpoint());
        for signal in ["traces", "metrics", "logs"] {
            let failed: Vec<_> = reports
                .iter()
                .filter(|l| l.starts_with(&format!("OTLP {signal} export to ")))
                .filter(|l| l.contains(" failed: "))
                .collect();
            assert_eq!(failed.len(), 1, "{protocol} {signal}: {reports:#?}");
            let refused = if protocol == "grpc" {
                "the collector answered Unauthenticated: missing or wrong credentials"
            } else {
                "the collector answered 401 Unauthorized"
            };
            assert!(failed[0].contains(refused), "{protocol}: {}", failed[0]);
        }
    }
}

#[test]
fn log_records_carry_severity_body_attributes_and_the_ids_of_their_span() {
    for protocol in PROTOCOLS {
        let receiver = Receiver::start();
        let (guard, flushed) = export_once(&receiver.endpoint(), protocol, &[]);
        assert_delivered(&receiver, protocol, flushed);
        // An event outside any span has no ids.
        tracing::dispatcher::with_default(guard.dispatch(), || tracing::info!("idle"));
        assert!(guard.force_flush(FLUSH));
        let records = receiver.log_records();
        let placed = records.iter().find(|l| l.body == "order placed").unwrap();
        let span = otlp_receiver::span(&receiver.spans(), "checkout.order.place").clone();
        assert_eq!(placed.trace_id, span.trace_id, "{protocol}");
        assert_eq!(placed.span_id, span.span_id, "{protocol}");
        assert_eq!(placed.record.flags & 0x01, 0x01, "sampled, {protocol}");
        assert_eq!(placed.record.severity_number, 13, "WARN, {protocol}");
        assert_eq!(placed.record.severity_text, "WARN");
        assert!(placed.record.time_unix_nano > 0);
        assert_eq!(placed.attributes["order_id"], "7");
        assert_eq!(placed.attributes["paid"], "true");
        assert!(!placed.attributes.contains_key("message"));
        assert_eq!(placed.scope, "otlp_production");
        // Within the same resource as the spans.
        assert_eq!(placed.resource["service.name"], "checkout");
        assert_eq!(placed.resource, span.resource, "{protocol}");
        let idle = records.iter().find(|l| l.body == "idle").unwrap();
        assert_eq!(idle.record.severity_number, 9, "INFO");
        assert!(idle.trace_id.is_empty() && idle.span_id.is_empty());
    }
}

#[test]
fn log_records_are_off_unless_asked_for() {
    let receiver = Receiver::start();
    let config = Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())]).unwrap();
    assert_eq!(config.logs_target().unwrap(), None);
    assert!(config.traces_target().unwrap().is_some());
}

/// The values of the `checkout_orders` sum in each export received, with
/// its temporality (1 delta, 2 cumulative).
fn order_sums(receiver: &Receiver) -> Vec<(i64, i32)> {
    use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point::Value};
    receiver
        .metrics()
        .into_iter()
        .filter(|m| m.metric.name == "checkout_orders")
        .filter_map(|m| match m.metric.data {
            Some(Data::Sum(sum)) => match sum.data_points[0].value {
                Some(Value::AsInt(n)) => Some((n, sum.aggregation_temporality)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn delta_temporality_resets_between_exports() {
    for (preference, expected) in [
        ("delta", [(1, 1), (2, 1), (0, 1)]),
        ("LowMemory", [(1, 1), (2, 1), (0, 1)]),
        ("cumulative", [(1, 2), (3, 2), (3, 2)]),
    ] {
        for protocol in PROTOCOLS {
            let receiver = Receiver::start();
            let (guard, flushed, metrics) = export_once_keeping_metrics(
                &receiver.endpoint(),
                protocol,
                &[(
                    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                    preference,
                )],
            );
            assert!(flushed);
            // Two more orders, then none: each export says what changed.
            metrics.orders_total.inc_by(2);
            assert!(guard.force_flush(FLUSH));
            assert!(guard.force_flush(FLUSH));
            let sums: Vec<(i64, i32)> = order_sums(&receiver);
            assert_eq!(sums, expected, "{preference} over {protocol}");
        }
    }
}

#[test]
fn gzip_bodies_arrive_and_decode_over_both_protocols() {
    for protocol in PROTOCOLS {
        let receiver = Receiver::start();
        let (_guard, flushed) = export_once(
            &receiver.endpoint(),
            protocol,
            &[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")],
        );
        assert_delivered(&receiver, protocol, flushed);
        // One request per signal, each compressed.
        assert_eq!(receiver.received().gzip_requests, 3, "{protocol}");
    }
}

#[test]
fn uncompressed_by_default() {
    let receiver = Receiver::start();
    let (_guard, flushed) = export_once(&receiver.endpoint(), "http/protobuf", &[]);
    assert_delivered(&receiver, "http/protobuf", flushed);
    assert_eq!(receiver.received().gzip_requests, 0);
}

/// A TLS receiver whose certificate `ca` signed; with `client_ca`, it
/// demands a client certificate signed by that CA.
fn tls_receiver(ca: &TestCa, client_ca: Option<&TestCa>) -> Receiver {
    let server = ca.server();
    Receiver::start_with(Options {
        tls: Some(ServerTls {
            cert_pem: server.cert_pem,
            key_pem: server.key_pem,
            client_ca_pem: client_ca.map(|ca| ca.cert_pem.clone()),
        }),
        ..Options::default()
    })
}

#[test]
fn tls_with_the_collectors_ca_delivers_both_signals() {
    let ca = TestCa::new("obs test CA");
    let ca_file = temp_file("good-ca.pem", &ca.cert_pem);
    for protocol in PROTOCOLS {
        let receiver = tls_receiver(&ca, None);
        assert!(receiver.endpoint().starts_with("https://127.0.0.1:"));
        let (_guard, flushed) = export_once(
            &receiver.endpoint(),
            protocol,
            &[("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file.to_str().unwrap())],
        );
        assert_delivered(&receiver, protocol, flushed);
    }
}

#[test]
fn tls_with_a_wrong_ca_fails_cleanly_counted_and_reported() {
    let ca = TestCa::new("the collector's CA");
    let other = TestCa::new("some other CA");
    let wrong_file = temp_file("wrong-ca.pem", &other.cert_pem);
    for protocol in PROTOCOLS {
        let receiver = tls_receiver(&ca, None);
        let dropped_before = otlp::dropped_items(Signal::Metrics);
        let (_guard, _) = export_once(
            &receiver.endpoint(),
            protocol,
            &[(
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                wrong_file.to_str().unwrap(),
            )],
        );
        assert!(!holds_all_signals(&receiver), "{protocol}");
        assert!(receiver.received().failed_handshakes > 0, "{protocol}");
        assert!(otlp::dropped_items(Signal::Metrics) > dropped_before);
        let reports = reports_about(&receiver.endpoint());
        let failed: Vec<_> = reports.iter().filter(|l| l.contains(" failed: ")).collect();
        assert_eq!(
            failed.len(),
            3,
            "one line per signal, {protocol}: {reports:#?}"
        );
        assert!(
            failed.iter().all(|l| l.contains("certificate")),
            "{protocol}: the line says why: {failed:#?}"
        );
    }
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let ca = TestCa::new("obs mTLS CA");
    let ca_file = temp_file("mtls-ca.pem", &ca.cert_pem);
    let client = ca.client();
    let cert_file = temp_file("client.pem", &client.cert_pem);
    let key_file = temp_file("client.key", &client.key_pem);
    for protocol in PROTOCOLS {
        // Without a client certificate, the handshake fails.
        let receiver = tls_receiver(&ca, Some(&ca));
        let (_guard, _) = export_once(
            &receiver.endpoint(),
            protocol,
            &[("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file.to_str().unwrap())],
        );
        assert!(!holds_all_signals(&receiver), "{protocol}");
        assert!(receiver.received().failed_handshakes > 0, "{protocol}");

        // With it, both signals arrive.
        let receiver = tls_receiver(&ca, Some(&ca));
        let (_guard, flushed) = export_once(
            &receiver.endpoint(),
            protocol,
            &[
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file.to_str().unwrap()),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    cert_file.to_str().unwrap(),
                ),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key_file.to_str().unwrap()),
            ],
        );
        assert_delivered(&receiver, protocol, flushed);
    }
}

#[test]
fn bad_tls_files_are_errors_when_export_starts() {
    let ca = TestCa::new("obs test CA");
    let client = ca.client();
    let not_pem = temp_file("not-a-certificate.pem", "hello");
    let cert_file = temp_file("only-cert.pem", &client.cert_pem);
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")],
            "the CA certificate",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_CERTIFICATE", not_pem.to_str().unwrap())],
            "it holds no certificate",
        ),
        (
            &[(
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                cert_file.to_str().unwrap(),
            )],
            "given together",
        ),
    ];
    for (vars, expected) in cases {
        let mut all = vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:4317"),
            ("OBS_METRICS", "off"),
        ];
        all.extend_from_slice(vars);
        let err = Config::from_vars(all)
            .unwrap()
            .logs(false)
            .build()
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{vars:?}: {err}");
    }
}
