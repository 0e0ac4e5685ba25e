//! OTLP export against a real receiver built on the official
//! `opentelemetry-proto` service definitions, over gRPC and HTTP/protobuf:
//! `#[traced]` spans and registry metrics (with the standard collectors')
//! arrive with the names, links, kinds, statuses, attributes, resource and
//! values the service recorded;
//! an unreachable or silent collector neither blocks nor breaks the service
//! and its losses are counted; log lines carry the exported ids.
//!
//! Every test builds its own pipeline with `Config::build` and runs under its
//! dispatcher, so tests run in parallel without sharing a subscriber. Nothing
//! sleeps for a fixed time: the receiver is polled with a deadline.

mod otlp_receiver;

use obs_runtime::export::otlp;
use obs_runtime::process::BuildInfo;
use obs_runtime::{
    traced, Config, ConfigError, Counter, Family, Gauge, Histogram, IntGauge, LabelSet, LabelValue,
    LogWriter, MetricGroup, Metrics, Registry,
};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, AggregationTemporality};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};
use otlp_receiver::{closed_port, span, Receiver, SilentCollector, Transport};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

// === the instrumented "service" ===

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("item 7 is out of stock")
    }
}

#[traced(
    level = "info",
    name = "shop.order.place",
    kind = "server",
    err,
    fields(quantity)
)]
fn place_order(quantity: u32) -> Result<u32, OutOfStock> {
    let reserved = reserve(quantity);
    tracing::info!(reserved, "order placed");
    if quantity > 5 {
        charge(quantity)?;
    }
    Ok(reserved)
}

#[traced(
    level = "info",
    name = "shop.stock.reserve",
    kind = "client",
    fields(quantity)
)]
fn reserve(quantity: u32) -> u32 {
    quantity
}

#[traced(level = "debug", name = "shop.payment.charge", err)]
fn charge(_quantity: u32) -> Result<(), OutOfStock> {
    Err(OutOfStock)
}

fn lines(buffer: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8(
        buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    )
    .unwrap()
}

/// A log writer into a shared buffer.
fn capture_logs() -> (LogWriter, Arc<Mutex<Vec<u8>>>) {
    struct Into(Arc<Mutex<Vec<u8>>>);
    impl Write for Into {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = buffer.clone();
    (LogWriter::new(move || Into(sink.clone())), buffer)
}

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars.iter().copied()).unwrap()
}

// === traces ===

fn exports_traces(protocol: &str, flush_by_dropping: bool) {
    let receiver = Receiver::start();
    let service = format!("shop-{}", protocol.replace('/', "-"));
    let (writer, _logs) = capture_logs();
    let guard = config(&[
        ("OTEL_SERVICE_NAME", service.as_str()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=test,team=check%2Cout",
        ),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("RUST_LOG", "debug"),
        ("OBS_METRICS", "off"),
    ])
    .log_writer(writer)
    .build()
    .unwrap();
    assert_eq!(
        guard.metrics_addr(),
        None,
        "OBS_METRICS=off opens no endpoint"
    );

    tracing::dispatcher::with_default(guard.dispatch(), || {
        assert_eq!(place_order(2).unwrap(), 2);
        assert!(place_order(9).is_err());
    });

    let spans = if flush_by_dropping {
        // Dropping the guard exports what is queued before it returns.
        drop(guard);
        receiver.spans()
    } else {
        let spans = receiver.wait_for("five spans", TIMEOUT, |r| {
            let spans = r.spans();
            (spans.len() >= 5).then_some(spans)
        });
        drop(guard);
        spans
    };
    // Two orders: place + reserve, and place + reserve + charge.
    assert_eq!(spans.len(), 5, "{spans:#?}");
    let transport = if protocol == "grpc" {
        Transport::Grpc
    } else {
        Transport::Http
    };
    for span in &spans {
        assert_eq!(span.transport, transport);
        assert_eq!(span.resource["service.name"], service);
        assert_eq!(span.resource["deployment.environment"], "test");
        assert_eq!(span.resource["team"], "check,out");
        assert_eq!(span.resource["telemetry.sdk.language"], "rust");
    }

    // Two traces: the successful order, and the failed one.
    let roots: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "shop.order.place")
        .collect();
    assert_eq!(roots.len(), 2);
    assert_ne!(roots[0].trace_id, roots[1].trace_id);
    let (ok, failed) = if roots[0].attributes["quantity"] == "2" {
        (roots[0], roots[1])
    } else {
        (roots[1], roots[0])
    };
    for root in [ok, failed] {
        assert_eq!(root.parent_span_id, "", "a root has no parent");
        assert_eq!(root.span.kind, SpanKind::Server as i32);
        assert_eq!(root.trace_id.len(), 32);
        assert_eq!(root.span_id.len(), 16);
    }
    assert_eq!(
        ok.span.status.clone().unwrap_or_default().code,
        StatusCode::Unset as i32
    );
    let status = failed.span.status.clone().unwrap();
    assert_eq!(status.code, StatusCode::Error as i32);
    // The status says why, in the error's own words.
    assert_eq!(status.message, "item 7 is out of stock");
    assert_eq!(failed.attributes["error.type"], "OutOfStock");
    assert_eq!(
        failed.attributes["exception.message"],
        "item 7 is out of stock"
    );
    assert_eq!(failed.attributes["quantity"], "9");

    // Children link to their parent, in the parent's trace.
    let in_trace = |trace: &str, name: &str| {
        let found: Vec<_> = spans
            .iter()
            .filter(|s| s.trace_id == trace && s.name == name)
            .collect();
        assert_eq!(found.len(), 1, "{name} in {trace}: {spans:#?}");
        found[0].clone()
    };
    let reserve_ok = in_trace(&ok.trace_id, "shop.stock.reserve");
    assert_eq!(reserve_ok.parent_span_id, ok.span_id);
    assert_eq!(reserve_ok.span.kind, SpanKind::Client as i32);
    assert_eq!(reserve_ok.attributes["quantity"], "2");
    let reserve_failed = in_trace(&failed.trace_id, "shop.stock.reserve");
    assert_eq!(reserve_failed.parent_span_id, failed.span_id);
    let charge = in_trace(&failed.trace_id, "shop.payment.charge");
    assert_eq!(charge.parent_span_id, failed.span_id);
    assert_eq!(charge.span.kind, SpanKind::Internal as i32);
    assert_eq!(
        charge.span.status.clone().unwrap().code,
        StatusCode::Error as i32
    );
    // The event inside the root span is exported with it.
    assert!(
        ok.span.events.iter().any(|e| e.name == "order placed"),
        "{:?}",
        ok.span.events
    );
}

// A handler as the HTTP conventions describe its span: named `{method}
// {route}` at run time, integer status code, failed on a 5xx response.
#[traced(
    level = "info",
    name = "http.server.request",
    kind = "server",
    otel_name = format!("{method} {route}"),
    error_if = |status: &u16| *status >= 500,
    fields(
        semconv::attribute::HTTP_REQUEST_METHOD = method,
        semconv::attribute::HTTP_ROUTE = route,
        semconv::attribute::HTTP_RESPONSE_STATUS_CODE = status,
        body.size = 1_u64 << 40,
    )
)]
fn serve(method: &str, route: &str, status: u16) -> u16 {
    status
}

#[test]
fn handler_spans_carry_integer_attributes_and_their_run_time_name() {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;

    let receiver = Receiver::start();
    let (writer, _logs) = capture_logs();
    let guard = config(&[
        ("OTEL_SERVICE_NAME", "users"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OBS_METRICS", "off"),
    ])
    .log_writer(writer)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        serve("GET", "/users/{id}", 200);
        serve("POST", "/users", 503);
    });
    drop(guard);
    let spans = receiver.spans();
    let [ok, failed] = &spans[..] else {
        panic!("two spans: {spans:#?}");
    };
    let (ok, failed) = if ok.name == "GET /users/{id}" {
        (ok, failed)
    } else {
        (failed, ok)
    };
    assert_eq!(ok.name, "GET /users/{id}");
    assert_eq!(failed.name, "POST /users");
    let value = |span: &otlp_receiver::ReceivedSpan, key: &str| {
        span.span
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone()?.value)
            .unwrap_or_else(|| panic!("no `{key}` in {:?}", span.span.attributes))
    };
    // Integers, not their text.
    assert_eq!(
        value(ok, "http.response.status_code"),
        AnyValue::IntValue(200)
    );
    assert_eq!(
        value(failed, "http.response.status_code"),
        AnyValue::IntValue(503)
    );
    assert_eq!(value(ok, "body.size"), AnyValue::IntValue(1 << 40));
    assert_eq!(
        value(ok, "http.route"),
        AnyValue::StringValue("/users/{id}".into())
    );
    assert_eq!(
        ok.span.status.clone().unwrap_or_default().code,
        StatusCode::Unset as i32
    );
    assert_eq!(
        failed.span.status.clone().unwrap().code,
        StatusCode::Error as i32
    );
    assert_eq!(
        value(failed, "error.type"),
        AnyValue::StringValue("_OTHER".into())
    );
}

#[test]
fn traces_over_grpc() {
    exports_traces("grpc", false);
}

#[test]
fn traces_over_http_protobuf() {
    exports_traces("http/protobuf", false);
}

#[test]
fn dropping_the_guard_flushes_queued_spans() {
    // A schedule delay far beyond the test: only the guard's flush sends.
    exports_traces_with_long_delay();
}

fn exports_traces_with_long_delay() {
    let receiver = Receiver::start();
    let guard = config(&[
        ("OTEL_SERVICE_NAME", "shop-flush"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            &format!("{}/v1/traces", receiver.endpoint()),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY", "3600000"),
        ("OBS_METRICS", "off"),
    ])
    .logs(false)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        assert!(place_order(9).is_err());
    });
    drop(guard);
    // RUST_LOG defaults to `info`: the debug span `shop.payment.charge` is
    // not recorded; the other two are.
    let spans = receiver.spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let root = span(&spans, "shop.order.place");
    assert_eq!(
        root.span.status.clone().unwrap().code,
        StatusCode::Error as i32
    );
    assert_eq!(
        span(&spans, "shop.stock.reserve").parent_span_id,
        root.span_id
    );
}

#[test]
fn sampler_always_off_exports_nothing_but_the_service_runs() {
    let receiver = Receiver::start();
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_TRACES_SAMPLER", "always_off"),
        ("OBS_METRICS", "off"),
    ])
    .logs(false)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        assert_eq!(place_order(3).unwrap(), 3);
    });
    drop(guard);
    assert!(receiver.spans().is_empty());
}

// === metrics ===

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct JobLabels {
    outcome: Outcome,
}

#[derive(Metrics)]
#[metrics(prefix = "otlp_e2e")]
struct ShopMetrics {
    /// Jobs by outcome.
    jobs_total: Family<JobLabels, Counter>,
    /// Ratio of blocked artefacts.
    block_ratio: Gauge,
    /// Bundle size.
    bundle_size_bytes: IntGauge,
    /// Lowering latency.
    #[metric(buckets = [0.01, 0.1, 1.0])]
    lowering_duration_seconds: Histogram,
}

fn exports_metrics(protocol: &str) {
    let receiver = Receiver::start();
    let registry = Arc::new(Registry::new());
    let metrics = ShopMetrics::register(&registry).unwrap();
    metrics
        .jobs_total
        .get(&JobLabels {
            outcome: Outcome::Success,
        })
        .inc_by(7);
    metrics
        .jobs_total
        .get(&JobLabels {
            outcome: Outcome::Failure,
        })
        .inc_by(2);
    metrics.block_ratio.set(0.25);
    metrics.bundle_size_bytes.set(4096);
    for v in [0.005, 0.05, 0.05, 0.5, 5.0] {
        metrics.lowering_duration_seconds.observe(v);
    }
    let endpoint = match protocol {
        "grpc" => receiver.endpoint(),
        _ => format!("{}/v1/metrics", receiver.endpoint()),
    };
    let service = format!("metrics-{}", protocol.replace('/', "-"));
    let guard = config(&[
        ("OTEL_SERVICE_NAME", service.as_str()),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", protocol),
        ("OBS_METRICS_EXPORT_INTERVAL", "100ms"),
        ("OBS_METRICS_ADDR", "127.0.0.1:0"),
        ("OBS_TRACING", "off"),
    ])
    .registry(registry.clone())
    .logs(false)
    .build_info(BuildInfo::new("9.9.9").revision("abc123"))
    .build()
    .unwrap();

    // The /metrics endpoint serves the same registry.
    let addr = guard.metrics_addr().expect("OBS_METRICS defaults to on");
    let scrape = ureq::get(&format!("http://{addr}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        scrape.contains("otlp_e2e_jobs_total{outcome=\"success\"} 7"),
        "{scrape}"
    );

    let find = |r: &Receiver, name: &str| {
        r.metrics()
            .into_iter()
            .rev()
            .find(|m| m.metric.name == name)
    };
    let jobs = receiver.wait_for("the jobs counter", TIMEOUT, |r| find(r, "otlp_e2e_jobs"));
    let transport = if protocol == "grpc" {
        Transport::Grpc
    } else {
        Transport::Http
    };
    assert_eq!(jobs.transport, transport);
    assert_eq!(jobs.resource["service.name"], service);
    assert_eq!(jobs.metric.description, "Jobs by outcome.");
    let created = registry.snapshot()[0].created;
    let Some(metric::Data::Sum(sum)) = &jobs.metric.data else {
        panic!("{jobs:?}")
    };
    assert!(sum.is_monotonic);
    assert_eq!(
        sum.aggregation_temporality,
        AggregationTemporality::Cumulative as i32
    );
    let mut by_outcome: Vec<(String, Option<number_data_point::Value>)> = sum
        .data_points
        .iter()
        .map(|p| {
            (
                otlp_receiver::attributes(&p.attributes)["outcome"].clone(),
                p.value,
            )
        })
        .collect();
    by_outcome.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        by_outcome,
        [
            (
                "failure".to_owned(),
                Some(number_data_point::Value::AsInt(2))
            ),
            (
                "success".to_owned(),
                Some(number_data_point::Value::AsInt(7))
            ),
        ]
    );
    for point in &sum.data_points {
        assert_eq!(point.start_time_unix_nano, (created * 1e9) as u64);
        assert!(point.time_unix_nano >= point.start_time_unix_nano);
    }

    let ratio = find(&receiver, "otlp_e2e_block_ratio").unwrap();
    let Some(metric::Data::Gauge(gauge)) = &ratio.metric.data else {
        panic!("{ratio:?}")
    };
    assert_eq!(
        gauge.data_points[0].value,
        Some(number_data_point::Value::AsDouble(0.25))
    );
    assert_eq!(ratio.metric.unit, "1");
    let bundle = find(&receiver, "otlp_e2e_bundle_size_bytes").unwrap();
    let Some(metric::Data::Gauge(gauge)) = &bundle.metric.data else {
        panic!("{bundle:?}")
    };
    assert_eq!(
        gauge.data_points[0].value,
        Some(number_data_point::Value::AsInt(4096))
    );
    assert_eq!(bundle.metric.unit, "By");

    let latency = find(&receiver, "otlp_e2e_lowering_duration_seconds").unwrap();
    let Some(metric::Data::Histogram(histogram)) = &latency.metric.data else {
        panic!("{latency:?}")
    };
    assert_eq!(
        histogram.aggregation_temporality,
        AggregationTemporality::Cumulative as i32
    );
    let point = &histogram.data_points[0];
    assert_eq!(point.explicit_bounds, [0.01, 0.1, 1.0]);
    assert_eq!(
        point.bucket_counts,
        [1, 2, 1, 1],
        "per bucket, not cumulative"
    );
    assert_eq!(point.count, 5);
    assert_eq!(point.sum, Some(0.005 + 0.05 + 0.05 + 0.5 + 5.0));
    assert_eq!(point.start_time_unix_nano, (created * 1e9) as u64);
    assert_eq!(latency.metric.unit, "s");

    // The standard collectors `build` registered, read at export time.
    let build = find(&receiver, "build_info").unwrap();
    let Some(metric::Data::Gauge(gauge)) = &build.metric.data else {
        panic!("{build:?}")
    };
    let point = &gauge.data_points[0];
    assert_eq!(point.value, Some(number_data_point::Value::AsInt(1)));
    let labels = otlp_receiver::attributes(&point.attributes);
    assert_eq!(
        (&*labels["version"], &*labels["revision"]),
        ("9.9.9", "abc123")
    );
    if cfg!(target_os = "linux") {
        let threads = find(&receiver, "process_threads").unwrap();
        let Some(metric::Data::Gauge(gauge)) = &threads.metric.data else {
            panic!("{threads:?}")
        };
        assert!(matches!(
            gauge.data_points[0].value,
            Some(number_data_point::Value::AsInt(n)) if n >= 1
        ));
        let resident = find(&receiver, "process_resident_memory_bytes").unwrap();
        assert_eq!(resident.metric.unit, "By");
        // A counter of seconds that are not whole: a monotonic sum of doubles.
        let cpu = find(&receiver, "process_cpu_seconds").unwrap();
        let Some(metric::Data::Sum(sum)) = &cpu.metric.data else {
            panic!("{cpu:?}")
        };
        assert!(sum.is_monotonic);
        assert!(matches!(
            sum.data_points[0].value,
            Some(number_data_point::Value::AsDouble(x)) if x >= 0.0
        ));
        assert_eq!(cpu.metric.unit, "s");
    }

    // Later recordings arrive with a later export.
    metrics
        .jobs_total
        .get(&JobLabels {
            outcome: Outcome::Success,
        })
        .inc();
    receiver.wait_for("the incremented counter", TIMEOUT, |r| {
        let jobs = find(r, "otlp_e2e_jobs")?;
        let Some(metric::Data::Sum(sum)) = jobs.metric.data else {
            return None;
        };
        sum.data_points
            .iter()
            .any(|p| p.value == Some(number_data_point::Value::AsInt(8)))
            .then_some(())
    });
    drop(guard);
}

#[test]
fn metrics_over_grpc() {
    exports_metrics("grpc");
}

#[test]
fn metrics_over_http_protobuf() {
    exports_metrics("http/protobuf");
}

#[derive(Metrics)]
#[metrics(prefix = "otlp_exemplar")]
struct LoweringMetrics {
    /// Lowering latency.
    #[metric(buckets = [0.1, 1.0])]
    duration_seconds: Histogram,
}

#[traced(level = "info", name = "shop.lower")]
fn lower(metrics: &LoweringMetrics) {
    metrics.duration_seconds.observe_in_trace(0.05);
}

#[test]
fn histogram_exemplars_link_to_exported_spans() {
    let receiver = Receiver::start();
    let registry = Arc::new(Registry::new());
    let metrics = LoweringMetrics::register(&registry).unwrap();
    metrics.duration_seconds.observe(0.5);
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OBS_METRICS_EXPORT_INTERVAL", "100ms"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OBS_METRICS", "off"),
    ])
    .registry(registry.clone())
    .logs(false)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || lower(&metrics));
    let spans = receiver.wait_for("the span", TIMEOUT, |r| {
        let spans = r.spans();
        spans
            .iter()
            .any(|s| s.name == "shop.lower")
            .then_some(spans)
    });
    let lowered = span(&spans, "shop.lower");
    let point = receiver.wait_for("the exemplar", TIMEOUT, |r| {
        let metric = r
            .metrics()
            .into_iter()
            .rev()
            .find(|m| m.metric.name == "otlp_exemplar_duration_seconds")?;
        let Some(metric::Data::Histogram(histogram)) = metric.metric.data else {
            return None;
        };
        let point = histogram.data_points.into_iter().next()?;
        (!point.exemplars.is_empty()).then_some(point)
    });
    drop(guard);
    assert_eq!(point.bucket_counts, [1, 1, 0]);
    assert_eq!(point.exemplars.len(), 1, "only the traced observation");
    let exemplar = &point.exemplars[0];
    assert_eq!(otlp_receiver::hex(&exemplar.trace_id), lowered.trace_id);
    assert_eq!(otlp_receiver::hex(&exemplar.span_id), lowered.span_id);
}

#[tokio::test]
async fn the_guard_is_built_and_dropped_inside_an_async_runtime() {
    let receiver = Receiver::start();
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OBS_METRICS_ADDR", "127.0.0.1:0"),
    ])
    .logs(false)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        assert_eq!(place_order(1).unwrap(), 1);
    });
    drop(guard);
    assert_eq!(receiver.spans().len(), 2);
}

// === an unreachable or silent collector ===

#[traced(level = "info", name = "hot.step", fields(i))]
fn hot_step(i: u64, done: &Counter) -> u64 {
    done.inc();
    i * 2
}

fn keeps_working_without_a_collector(endpoint: &str, protocol: &str) {
    let registry = Arc::new(Registry::new());
    let done = registry
        .register_metric::<Counter>(obs_runtime::MetricDef::new("hot_steps_total", "Steps run."))
        .unwrap();
    let traces_dropped = otlp::dropped_items(otlp::Signal::Traces);
    let metrics_dropped = otlp::dropped_items(otlp::Signal::Metrics);
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "300"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "32"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
        ("OBS_METRICS_EXPORT_INTERVAL", "50ms"),
        ("OBS_METRICS", "off"),
    ])
    .registry(registry.clone())
    .logs(false)
    .build()
    .unwrap();

    const STEPS: u64 = 2_000;
    let total = tracing::dispatcher::with_default(guard.dispatch(), || {
        (0..STEPS).map(|i| hot_step(i, &done)).sum::<u64>()
    });
    // The service did all its work, exactly.
    assert_eq!(total, STEPS * (STEPS - 1));
    assert_eq!(done.get(), STEPS);

    // Every span that could not be delivered is counted: the queue holds
    // 32, the rest were dropped at once or failed to export.
    receiver_free_wait("dropped spans are counted", || {
        otlp::dropped_items(otlp::Signal::Traces) >= traces_dropped + (STEPS - 32 - 8)
    });
    receiver_free_wait("failed metric exports are counted", || {
        otlp::dropped_items(otlp::Signal::Metrics) > metrics_dropped
    });
    drop(guard);
    // After the guard's flush, every span is accounted for.
    assert!(otlp::dropped_items(otlp::Signal::Traces) >= traces_dropped + STEPS);
    // The counter is in the global registry, next to the application's.
    let exposition = Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(
        exposition
            .contains("obs_otlp_dropped_items_total{signal=\"traces\",reason=\"queue_full\"}"),
        "{exposition}"
    );
}

fn receiver_free_wait(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn collector_down_grpc() {
    keeps_working_without_a_collector(&format!("http://{}", closed_port()), "grpc");
}

#[test]
fn collector_down_http_protobuf() {
    keeps_working_without_a_collector(&format!("http://{}", closed_port()), "http/protobuf");
}

#[test]
fn collector_silent_grpc() {
    let collector = SilentCollector::start();
    keeps_working_without_a_collector(&collector.endpoint(), "grpc");
}

#[test]
fn collector_silent_http_protobuf() {
    let collector = SilentCollector::start();
    keeps_working_without_a_collector(&collector.endpoint(), "http/protobuf");
}

// === switches ===

#[traced(level = "info", name = "switch.probe")]
fn probe() -> bool {
    tracing::info!("probing");
    tracing::Span::current().is_disabled()
}

#[test]
fn tracing_off_records_no_span_but_still_logs() {
    let receiver = Receiver::start();
    let (writer, logs) = capture_logs();
    let guard = config(&[
        ("OBS_TRACING", "off"),
        ("OBS_METRICS", "off"),
        ("OBS_LOG_FORMAT", "json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_METRICS_EXPORTER", "none"),
    ])
    .log_writer(writer)
    .build()
    .unwrap();
    assert!(guard.tracer_provider().is_none());
    let disabled = tracing::dispatcher::with_default(guard.dispatch(), || {
        let span = tracing::info_span!("plain.span");
        assert!(span.is_disabled());
        probe()
    });
    assert!(disabled, "the #[traced] span is disabled");
    drop(guard);
    assert!(receiver.spans().is_empty());
    let output = lines(&logs);
    let line: Value = serde_json::from_str(output.lines().next().expect("a log line")).unwrap();
    assert_eq!(line["message"], "probing");
    assert!(line.get("trace_id").is_none(), "{line}");
}

#[test]
fn tracing_on_records_spans() {
    let guard = config(&[("OBS_METRICS", "off")])
        .logs(false)
        .build()
        .unwrap();
    let disabled = tracing::dispatcher::with_default(guard.dispatch(), probe);
    assert!(!disabled);
}

#[test]
fn invalid_configuration_starts_nothing() {
    let err = Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "half"),
    ])
    .unwrap_err();
    assert_eq!(err.variable(), Some("OTEL_TRACES_SAMPLER_ARG"));
    // A taken /metrics address is an error from build, not a panic.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = config(&[("OBS_METRICS_ADDR", &taken.local_addr().unwrap().to_string())])
        .logs(false)
        .build()
        .unwrap_err();
    assert!(matches!(err, ConfigError::Start { .. }), "{err}");
    assert!(err.to_string().contains("/metrics"), "{err}");
}

#[test]
fn an_unknown_value_is_reported_and_the_service_starts() {
    let guard = config(&[("OTEL_TRACES_SAMPLER", "sometimes"), ("OBS_METRICS", "off")])
        .logs(false)
        .build()
        .unwrap();
    let line = "ignoring OTEL_TRACES_SAMPLER=\"sometimes\": expected one of `always_on`, \
        `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, \
        `parentbased_traceidratio`; the default applies";
    assert!(
        obs_runtime::testing::diagnostics()
            .iter()
            .any(|l| l == line),
        "{:?}",
        obs_runtime::testing::diagnostics()
    );
    // Spans are recorded with the default sampler.
    assert!(!tracing::dispatcher::with_default(guard.dispatch(), probe));
}

#[test]
fn console_exporters_write_spans_and_metrics_instead_of_otlp() {
    let receiver = Receiver::start();
    let registry = Arc::new(Registry::new());
    let metrics = ShopMetrics::register(&registry).unwrap();
    metrics.bundle_size_bytes.set(4096);
    let (writer, output) = capture_logs();
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_TRACES_EXPORTER", "console"),
        ("OTEL_METRICS_EXPORTER", "CONSOLE"),
        ("OBS_METRICS", "off"),
        ("RUST_LOG", "debug"),
    ])
    .registry(registry)
    .log_writer(writer)
    .logs(false)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        assert!(place_order(9).is_err());
    });
    // Stopping writes the last metrics and ends the writer.
    drop(guard);
    let text = lines(&output);
    let placed = text
        .lines()
        .find(|l| l.starts_with("span shop.order.place "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        placed.contains(" kind=server status=error(\"item 7 is out of stock\") "),
        "{placed}"
    );
    assert!(placed.contains(" quantity=9"), "{placed}");
    let reserve = text
        .lines()
        .find(|l| l.starts_with("span shop.stock.reserve "))
        .unwrap();
    assert!(reserve.contains(" kind=client status=unset "), "{reserve}");
    assert!(reserve.contains(" parent_span_id="), "{reserve}");
    assert!(
        text.lines().any(|l| l == "otlp_e2e_bundle_size_bytes 4096"),
        "{text}"
    );
    // Nothing went over OTLP.
    let received = receiver.received();
    assert!(received.traces.is_empty() && received.metrics.is_empty());
}

// === log correlation ===

fn correlates_logs(format: &str) {
    let receiver = Receiver::start();
    let (writer, logs) = capture_logs();
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OBS_LOG_FORMAT", format),
        ("OBS_METRICS", "off"),
        ("OTEL_SERVICE_NAME", "shop-logs"),
    ])
    .log_writer(writer)
    .build()
    .unwrap();
    tracing::dispatcher::with_default(guard.dispatch(), || {
        tracing::info!("before any span");
        assert_eq!(place_order(4).unwrap(), 4);
        let _request = tracing::info_span!(
            "http.request",
            http.route = "/orders/{id}",
            otel.kind = "server"
        )
        .entered();
        let _query = tracing::info_span!("db.query", otel.kind = "client").entered();
        tracing::info!(rows = 3, "queried");
    });
    drop(guard);
    let spans = receiver.spans();
    let root = span(&spans, "shop.order.place");
    let output = lines(&logs);
    match format {
        "json" => {
            let lines: Vec<Value> = output
                .lines()
                .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
                .collect();
            let before = lines
                .iter()
                .find(|l| l["message"] == "before any span")
                .unwrap();
            assert!(before.get("trace_id").is_none(), "{before}");
            let placed = lines
                .iter()
                .find(|l| l["message"] == "order placed")
                .unwrap();
            assert_eq!(placed["trace_id"], root.trace_id.as_str(), "{placed}");
            assert_eq!(placed["span_id"], root.span_id.as_str(), "{placed}");
            assert_eq!(placed["reserved"], 4);
            assert_eq!(placed["level"], "INFO");
            assert_eq!(placed["span"]["name"], "shop.order.place");
            assert_eq!(placed["service.name"], "shop-logs", "{placed}");
            // An event deep in a request keeps every enclosing span's
            // fields, root first; obs's internal `otel.*` fields stay out.
            let deep = lines.iter().find(|l| l["message"] == "queried").unwrap();
            let spans = deep["spans"].as_array().unwrap();
            let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
            assert_eq!(names, ["http.request", "db.query"], "{deep}");
            assert_eq!(spans[0]["http.route"], "/orders/{id}", "{deep}");
            assert_eq!(deep["span"]["name"], "db.query");
            assert!(!deep.to_string().contains("otel."), "{deep}");
        }
        _ => {
            let placed = output
                .lines()
                .find(|l| l.contains("order placed"))
                .unwrap_or_else(|| panic!("{output}"));
            assert!(
                placed.ends_with(&format!(
                    "trace_id={} span_id={}",
                    root.trace_id, root.span_id
                )),
                "{placed}"
            );
            assert!(
                !placed.contains('\u{1b}'),
                "no colours when not a terminal: {placed}"
            );
            // Span fields are there, obs's internal `otel.*` ones are not.
            assert!(placed.contains("shop.order.place{quantity=4}"), "{placed}");
            assert!(!output.contains("otel."), "{output}");
            let before = output
                .lines()
                .find(|l| l.contains("before any span"))
                .unwrap();
            assert!(!before.contains("trace_id="), "{before}");
        }
    }
}

#[test]
fn json_logs_carry_the_exported_ids() {
    correlates_logs("json");
}

#[test]
fn pretty_logs_carry_the_exported_ids() {
    correlates_logs("pretty");
}

// === the global install ===

#[test]
fn init_installs_once_and_exports_only_the_services_spans() {
    let receiver = Receiver::start();
    // `trace` for everything: the exporter's own HTTP/2 client (h2, hyper,
    // tonic) is instrumented with `tracing` too, and its spans must not be
    // exported in turn (a loop that never ends).
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
        ("RUST_LOG", "trace"),
        ("OBS_METRICS", "off"),
    ])
    .logs(false)
    .init()
    .expect("the first init installs the subscriber");
    assert!(tracing::dispatcher::has_been_set());
    let fields: Vec<String> =
        opentelemetry::global::get_text_map_propagator(|p| p.fields().map(str::to_owned).collect());
    assert!(fields.contains(&"traceparent".to_owned()), "{fields:?}");

    let err = config(&[("OBS_METRICS", "off")])
        .logs(false)
        .init()
        .unwrap_err();
    assert!(matches!(err, ConfigError::AlreadyInitialized), "{err}");
    // Also before starting anything: not `AddrInUse` from the `/metrics`
    // endpoint after starting and stopping an OTLP thread.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint())])
        .metrics_addr(taken.local_addr().unwrap())
        .logs(false)
        .init()
        .unwrap_err();
    assert!(matches!(err, ConfigError::AlreadyInitialized), "{err}");

    // Under the global subscriber (no `with_default`): two batches, so the
    // exporter has run while spans were recorded.
    assert_eq!(place_order(1).unwrap(), 1);
    let shop_spans = |r: &Receiver| {
        r.spans()
            .iter()
            .filter(|s| s.name.starts_with("shop."))
            .count()
    };
    receiver.wait_for("the first order", TIMEOUT, |r| {
        (shop_spans(r) >= 2).then_some(())
    });
    assert_eq!(place_order(2).unwrap(), 2);
    receiver.wait_for("the second order", TIMEOUT, |r| {
        (shop_spans(r) >= 4).then_some(())
    });
    assert!(guard.force_flush(TIMEOUT));
    drop(guard);
    let spans = receiver.spans();
    let exporters_own: Vec<_> = spans
        .iter()
        .filter(|s| s.attributes.get("thread.name").map(String::as_str) == Some("obs-otlp"))
        .map(|s| &s.name)
        .collect();
    assert!(exporters_own.is_empty(), "{exporters_own:?}");
    let ours = spans.iter().filter(|s| s.name.starts_with("shop.")).count();
    assert_eq!(ours, 4, "{spans:#?}");
}

// === fairness ===

#[traced(level = "info", name = "flood.step")]
fn flood_step() {}

/// Metrics go out on schedule while a steady flow of spans keeps the span
/// queue busy: the span branch must not starve the metrics tick.
#[test]
fn metrics_export_on_schedule_while_spans_flood_in() {
    let receiver = Receiver::start();
    let registry = Arc::new(Registry::new());
    let ticks = registry
        .register_metric::<Counter>(obs_runtime::MetricDef::new("flood_ticks_total", "Ticks."))
        .unwrap();
    ticks.inc();
    let guard = config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1"),
        ("OTEL_BSP_SCHEDULE_DELAY", "0"),
        ("OBS_METRICS_EXPORT_INTERVAL", "50ms"),
        ("OBS_METRICS", "off"),
    ])
    .registry(registry)
    .logs(false)
    .build()
    .unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = Arc::new(std::sync::Barrier::new(2));
    let flood = {
        let (stop, flooding, dispatch) = (stop.clone(), flooding.clone(), guard.dispatch().clone());
        std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                flood_step();
                flooding.wait();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    flood_step();
                }
            })
        })
    };
    flooding.wait();
    let started = receiver.spans().len();
    receiver_free_wait("spans flowing and a metric export", || {
        receiver.spans().len() > started
            && receiver
                .metrics()
                .iter()
                .any(|m| m.metric.name.starts_with("flood_ticks"))
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    drop(guard);
}

/// Points a collector rejects in a `partial_success` are counted as dropped.
#[test]
fn points_rejected_in_a_partial_success_are_counted_as_dropped() {
    let receiver = Receiver::start();
    receiver.reject_metric_points(1);
    let registry = Arc::new(Registry::new());
    let counter = registry
        .register_metric::<Counter>(obs_runtime::MetricDef::new("partial_total", "Partial."))
        .unwrap();
    counter.inc();
    let rejected = || {
        let exposition = Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
        exposition
            .lines()
            .find_map(|line| {
                line.strip_prefix(
                    "obs_otlp_dropped_items_total{signal=\"metrics\",reason=\"rejected\"} ",
                )
            })
            .map_or(0, |value| value.parse::<u64>().unwrap())
    };
    for protocol in ["grpc", "http/protobuf"] {
        let before = rejected();
        let guard = config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OBS_METRICS_EXPORT_INTERVAL", "1440m"),
            ("OBS_METRICS", "off"),
        ])
        .registry(registry.clone())
        .logs(false)
        .build()
        .unwrap();
        assert!(guard.force_flush(TIMEOUT), "{protocol}");
        assert_eq!(rejected(), before + 1, "{protocol}");
    }
}
