//! obs metrics exposed through the `prometheus` crate's registry, next to its
//! own metrics, and refused when their names clash.

mod support;

use obs_runtime::export::prometheus::PrometheusCollector;
use obs_runtime::{
    Buckets, Counter, Family, Gauge, Histogram, LabelSet, LabelValue, MetricGroup, Metrics,
    Registry,
};
use prometheus::Encoder;
use std::sync::Arc;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct OutcomeLabels {
    outcome: Outcome,
}

#[derive(Metrics)]
#[metrics(prefix = "bridge")]
struct BridgeMetrics {
    /// Jobs by outcome.
    jobs_total: Family<OutcomeLabels, Counter>,
    /// Queue fill ratio.
    queue_ratio: Gauge,
    /// Step latency.
    #[metric(buckets = [0.1, 1.0])]
    step_seconds: Histogram,
}

fn gather_text(registry: &prometheus::Registry) -> String {
    let mut out = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn obs_metrics_appear_in_a_prometheus_registry() {
    let obs = Arc::new(Registry::new());
    let metrics = BridgeMetrics::register(&obs).unwrap();
    metrics
        .jobs_total
        .get(&OutcomeLabels {
            outcome: Outcome::Failure,
        })
        .inc_by(2);
    metrics.queue_ratio.set(0.5);
    for v in [0.05, 0.5, 5.0] {
        metrics.step_seconds.observe(v);
    }

    let prom = prometheus::Registry::new();
    let native = prometheus::IntCounter::new("native_requests_total", "Native requests.").unwrap();
    native.inc();
    prom.register(Box::new(native.clone())).unwrap();
    prom.register(Box::new(PrometheusCollector::new(obs.clone()).unwrap()))
        .unwrap();

    let text = gather_text(&prom);
    for line in [
        "native_requests_total 1\n",
        "bridge_jobs_total{outcome=\"success\"} 0\n",
        "bridge_jobs_total{outcome=\"failure\"} 2\n",
        "# TYPE bridge_queue_ratio gauge\nbridge_queue_ratio 0.5\n",
        "bridge_step_seconds_bucket{le=\"0.1\"} 1\n",
        "bridge_step_seconds_bucket{le=\"1\"} 2\n",
        "bridge_step_seconds_bucket{le=\"+Inf\"} 3\n",
        "bridge_step_seconds_count 3\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    support::assert_promtool_clean(&text);

    // Values are read at gather time.
    metrics.queue_ratio.set(0.75);
    assert!(gather_text(&prom).contains("bridge_queue_ratio 0.75\n"));
}

#[test]
fn clashing_names_are_refused_by_the_prometheus_registry() {
    let obs = Arc::new(Registry::new());
    obs.register_metric::<Counter>(obs_runtime::MetricDef::new("jobs_total", "Jobs."))
        .unwrap();
    let prom = prometheus::Registry::new();
    prom.register(Box::new(
        prometheus::IntCounter::new("jobs_total", "Native jobs.").unwrap(),
    ))
    .unwrap();
    let err = prom
        .register(Box::new(PrometheusCollector::new(obs).unwrap()))
        .unwrap_err();
    assert!(matches!(err, prometheus::Error::AlreadyReg), "{err:?}");
}

#[test]
fn overflow_series_and_runtime_histograms_come_through() {
    #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    struct Route {
        #[label(unbounded)]
        route: String,
    }
    let obs = Arc::new(Registry::new());
    let routes = obs
        .register_metric::<Family<Route, Counter>>(
            obs_runtime::MetricDef::new("routes_total", "Requests by route.").max_series(1),
        )
        .unwrap();
    for route in ["/a", "/b", "/c"] {
        routes
            .get(&Route {
                route: route.into(),
            })
            .inc();
    }
    let latency = obs
        .register_metric::<Histogram>(
            obs_runtime::MetricDef::new("latency_seconds", "Latency.")
                .buckets(Buckets::new(vec![1.0]).unwrap()),
        )
        .unwrap();
    latency.observe(2.0);

    let prom = prometheus::Registry::new();
    prom.register(Box::new(PrometheusCollector::new(obs).unwrap()))
        .unwrap();
    let text = gather_text(&prom);
    assert!(text.contains("routes_total{route=\"/a\"} 1\n"), "{text}");
    assert!(
        text.contains("routes_total{otel_metric_overflow=\"true\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_bucket{le=\"1\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_bucket{le=\"+Inf\"} 1\n"),
        "{text}"
    );
    support::assert_promtool_clean(&text);
}
