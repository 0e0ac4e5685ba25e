//! End to end: a real Prometheus server scrapes obs's embedded endpoint, and
//! the values it stores are the ones the service recorded.

use obs_integration_tests::Prometheus;
use obs_runtime::export::http::MetricsServer;
use obs_runtime::{
    Counter, Family, Gauge, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup, Metrics,
    Registry,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct CompileLabels {
    outcome: Outcome,
    #[label(unbounded)]
    clause: String,
}

#[derive(Metrics)]
#[metrics(prefix = "e2e")]
struct E2eMetrics {
    /// Compilations by outcome and clause.
    compile_total: Family<CompileLabels, Counter>,
    /// Ratio of blocked artefacts.
    block_ratio: Gauge,
    /// Bundle size.
    bundle_size_bytes: IntGauge,
    /// Lowering latency.
    #[metric(buckets = [0.01, 0.1, 1.0])]
    lowering_duration_seconds: Histogram,
}

fn value(series: &Value) -> f64 {
    series["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
fn prometheus_stores_what_the_service_recorded() {
    let registry = Arc::new(Registry::new());
    let metrics = E2eMetrics::register(&registry).unwrap();
    // A label value with every character the format has to escape.
    let hostile = "a \"quoted\" \\ back\nslash ✓".to_owned();
    let failure = CompileLabels {
        outcome: Outcome::Failure,
        clause: hostile.clone(),
    };
    metrics.compile_total.get(&failure).inc_by(7);
    metrics
        .compile_total
        .get(&CompileLabels {
            outcome: Outcome::Success,
            clause: "c1".into(),
        })
        .inc_by(3);
    metrics.block_ratio.set(0.25);
    metrics.bundle_size_bytes.set(4096);
    for v in [0.005, 0.05, 0.05, 0.5, 5.0] {
        metrics.lowering_duration_seconds.observe(v);
    }

    let server = MetricsServer::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .registry(registry.clone())
        .start()
        .unwrap();
    let prometheus = Prometheus::start("scrape", server.local_addr(), &[]);
    let timeout = Duration::from_secs(60);

    let failures =
        prometheus.query_until("e2e_compile_total{outcome=\"failure\"}", timeout, |_| true);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["metric"]["clause"], hostile.as_str());
    assert_eq!(value(&failures[0]), 7.0);
    let successes =
        prometheus.query_until("e2e_compile_total{outcome=\"success\"}", timeout, |_| true);
    assert_eq!(value(&successes[0]), 3.0);

    let ratio = prometheus.query_until("e2e_block_ratio", timeout, |_| true);
    assert_eq!(value(&ratio[0]), 0.25);
    let bundle = prometheus.query_until("e2e_bundle_size_bytes", timeout, |_| true);
    assert_eq!(value(&bundle[0]), 4096.0);

    let buckets = prometheus.query_until("e2e_lowering_duration_seconds_bucket", timeout, |r| {
        r.len() == 4
    });
    let mut by_le: Vec<(String, f64)> = buckets
        .iter()
        .map(|s| (s["metric"]["le"].as_str().unwrap().to_owned(), value(s)))
        .collect();
    by_le.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(
        by_le,
        [
            ("0.01".to_owned(), 1.0),
            ("0.1".to_owned(), 3.0),
            ("1.0".to_owned(), 4.0),
            ("+Inf".to_owned(), 5.0)
        ]
    );
    let count = prometheus.query_until("e2e_lowering_duration_seconds_count", timeout, |_| true);
    assert_eq!(value(&count[0]), 5.0);

    // A later increment shows up in a later scrape.
    metrics.compile_total.get(&failure).inc();
    prometheus.query_until("e2e_compile_total{outcome=\"failure\"}", timeout, |r| {
        value(&r[0]) == 8.0
    });

    // The target is healthy: Prometheus parsed every scrape.
    let targets = prometheus
        .api("/api/v1/targets")
        .expect("targets API answers");
    let target = &targets["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(target["lastError"], "", "{target}");

    // `# UNIT` exists only in OpenMetrics: its presence in Prometheus's
    // metadata shows it asked for and parsed OpenMetrics.
    let metadata = prometheus
        .poll(timeout, || {
            let data = prometheus.api("/api/v1/metadata?metric=e2e_lowering_duration_seconds")?;
            let entry = data["e2e_lowering_duration_seconds"][0].clone();
            (!entry.is_null()).then_some(entry)
        })
        .expect("metadata arrives");
    assert_eq!(metadata["type"], "histogram");
    assert_eq!(metadata["unit"], "seconds");
    assert_eq!(metadata["help"], "Lowering latency.");
}

#[derive(Metrics)]
#[metrics(prefix = "exemplar")]
struct ExemplarMetrics {
    /// Request latency.
    #[metric(buckets = [0.1, 1.0])]
    request_seconds: Histogram,
}

// A latency observed inside a sampled trace carries the trace id to
// Prometheus as an OpenMetrics exemplar, queryable next to the bucket.
#[test]
fn exemplars_link_buckets_to_traces() {
    use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    let registry = Arc::new(Registry::new());
    let metrics = ExemplarMetrics::register(&registry).unwrap();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("e2e")));
    let trace_id = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("e2e.request");
        let _entered = span.enter();
        metrics.request_seconds.observe_in_trace(0.42);
        span.context().span().span_context().trace_id().to_string()
    });
    assert_eq!(trace_id.len(), 32);
    // Outside any trace: counted, no exemplar.
    metrics.request_seconds.observe(0.05);

    let server = MetricsServer::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .registry(registry.clone())
        .start()
        .unwrap();
    let prometheus = Prometheus::start(
        "exemplars",
        server.local_addr(),
        &["--enable-feature=exemplar-storage"],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        obs_integration_tests::encode("exemplar_request_seconds_bucket"),
        now - 600,
        now + 600
    );
    let exemplars = prometheus
        .poll(Duration::from_secs(60), || {
            let data = prometheus.api(&path)?;
            let found = data.as_array()?.iter().find_map(|series| {
                let exemplar = series["exemplars"].as_array()?.first()?.clone();
                Some((series["seriesLabels"].clone(), exemplar))
            });
            found
        })
        .unwrap_or_else(|| panic!("no exemplar arrived\n{}", prometheus.log()));
    let (series, exemplar) = exemplars;
    assert_eq!(series["le"], "1.0", "{series}");
    assert_eq!(exemplar["labels"]["trace_id"], trace_id.as_str());
    assert_eq!(exemplar["value"], "0.42");
}
