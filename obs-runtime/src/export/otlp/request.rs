//! A registry snapshot as OTLP `ExportMetricsServiceRequest`s, each within
//! [`MAX_REQUEST_BYTES`] encoded.
//!
//! gRPC servers (tonic, grpc-go, the OpenTelemetry Collector's receivers)
//! refuse messages over 4 MiB by default, and one large registry (say 50,000
//! series with long label values) is more than that. Metrics are packed
//! into requests in registry order; a metric too large for one request is
//! split between requests by its data points, each part keeping the
//! metric's name, description and unit.

use super::metrics::convert;
use crate::config::Temporality;
use crate::snapshot::MetricSnapshot;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::metrics::v1::{metric, Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;

/// The largest request obs sends, encoded: the default limit of gRPC
/// servers.
pub(super) const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Room for the envelope's length prefixes, which grow with the content.
const PREFIX_SLACK: usize = 32;

/// The requests for a snapshot, each with its number of data points, each
/// at most `max_bytes` encoded unless one data point alone is larger.
pub(super) fn requests(
    resource: &Resource,
    snapshot: &[MetricSnapshot],
    max_bytes: usize,
    temporality: Temporality,
) -> Vec<(ExportMetricsServiceRequest, usize)> {
    let now = crate::clock::unix_nanos();
    let budget = max_bytes
        .saturating_sub(envelope(resource, Vec::new()).encoded_len())
        .saturating_sub(PREFIX_SLACK);
    let mut requests = Vec::new();
    let mut metrics = Vec::new();
    let (mut bytes, mut points) = (0, 0);
    for metric in snapshot
        .iter()
        .filter_map(|metric| convert(metric, now, temporality))
    {
        for part in split(metric, budget) {
            let size = field_size(part.encoded_len());
            if bytes + size > budget && !metrics.is_empty() {
                requests.push((envelope(resource, std::mem::take(&mut metrics)), points));
                (bytes, points) = (0, 0);
            }
            bytes += size;
            points += point_count(&part);
            metrics.push(part);
        }
    }
    if !metrics.is_empty() {
        requests.push((envelope(resource, metrics), points));
    }
    requests
}

/// The request holding `metrics`, from the `obs` scope.
fn envelope(resource: &Resource, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource.clone()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "obs".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// A message's size as a repeated field: tag, length, content.
fn field_size(len: usize) -> usize {
    1 + prost::length_delimiter_len(len) + len
}

/// `metric`, or its data points halved until each part fits in `budget`.
fn split(metric: Metric, budget: usize) -> Vec<Metric> {
    if field_size(metric.encoded_len()) <= budget || point_count(&metric) <= 1 {
        return vec![metric];
    }
    let (first, second) = halve(metric);
    let mut parts = split(first, budget);
    parts.extend(split(second, budget));
    parts
}

fn point_count(metric: &Metric) -> usize {
    match &metric.data {
        Some(metric::Data::Sum(sum)) => sum.data_points.len(),
        Some(metric::Data::Gauge(gauge)) => gauge.data_points.len(),
        Some(metric::Data::Histogram(histogram)) => histogram.data_points.len(),
        Some(metric::Data::ExponentialHistogram(histogram)) => histogram.data_points.len(),
        Some(metric::Data::Summary(summary)) => summary.data_points.len(),
        None => 0,
    }
}

/// Two metrics with the same name, description and unit, each with half of
/// the data points.
fn halve(mut metric: Metric) -> (Metric, Metric) {
    let mut second = Metric {
        data: None,
        ..metric.clone()
    };
    second.data = metric.data.as_mut().map(|data| match data {
        metric::Data::Sum(sum) => metric::Data::Sum(opentelemetry_proto::tonic::metrics::v1::Sum {
            data_points: split_off_half(&mut sum.data_points),
            ..sum.clone()
        }),
        metric::Data::Gauge(gauge) => {
            metric::Data::Gauge(opentelemetry_proto::tonic::metrics::v1::Gauge {
                data_points: split_off_half(&mut gauge.data_points),
            })
        }
        metric::Data::Histogram(histogram) => {
            metric::Data::Histogram(opentelemetry_proto::tonic::metrics::v1::Histogram {
                data_points: split_off_half(&mut histogram.data_points),
                ..histogram.clone()
            })
        }
        metric::Data::ExponentialHistogram(histogram) => metric::Data::ExponentialHistogram(
            opentelemetry_proto::tonic::metrics::v1::ExponentialHistogram {
                data_points: split_off_half(&mut histogram.data_points),
                ..histogram.clone()
            },
        ),
        metric::Data::Summary(summary) => {
            metric::Data::Summary(opentelemetry_proto::tonic::metrics::v1::Summary {
                data_points: split_off_half(&mut summary.data_points),
            })
        }
    });
    (metric, second)
}

fn split_off_half<T>(points: &mut Vec<T>) -> Vec<T> {
    points.split_off(points.len() / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Family, Gauge, LabelSet, MetricGroup, Metrics, Registry};

    #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    struct Agent {
        #[label(unbounded)]
        user_agent: String,
    }

    /// Every data point of every request, as `(metric name, first label
    /// value)`.
    fn points(requests: &[(ExportMetricsServiceRequest, usize)]) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for (request, count) in requests {
            let mut here = 0;
            for metric in &request.resource_metrics[0].scope_metrics[0].metrics {
                let attributes: Vec<_> = match &metric.data {
                    Some(metric::Data::Sum(sum)) => sum
                        .data_points
                        .iter()
                        .map(|p| p.attributes.clone())
                        .collect(),
                    Some(metric::Data::Gauge(gauge)) => gauge
                        .data_points
                        .iter()
                        .map(|p| p.attributes.clone())
                        .collect(),
                    other => panic!("unexpected {other:?}"),
                };
                here += attributes.len();
                for attributes in attributes {
                    let value = attributes
                        .first()
                        .and_then(|kv| kv.value.clone())
                        .map(|v| format!("{:?}", v.value))
                        .unwrap_or_default();
                    all.push((metric.name.clone(), value));
                }
            }
            assert_eq!(here, *count);
        }
        all
    }

    #[derive(Metrics)]
    #[metrics(prefix = "agent")]
    struct AgentMetrics {
        /// Requests.
        #[metric(max_series = 10000)]
        requests_total: Family<Agent, Counter>,
        /// In flight.
        in_flight: Gauge,
    }

    #[test]
    fn large_snapshots_are_split_by_data_points_and_nothing_is_lost() {
        let registry = Registry::new();
        let m = AgentMetrics::register(&registry).unwrap();
        for i in 0..3_000 {
            let user_agent = format!("agent-{i:05}-{}", "x".repeat(100));
            m.requests_total.get(&Agent { user_agent }).inc();
        }
        m.in_flight.set(2.0);
        let snapshot = registry.snapshot();
        let resource = Resource::default();

        let whole = requests(&resource, &snapshot, usize::MAX, Temporality::Cumulative);
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].1, 3_001);

        let max = 64 * 1024;
        let parts = requests(&resource, &snapshot, max, Temporality::Cumulative);
        assert!(parts.len() > 5, "{} requests", parts.len());
        for (request, _) in &parts {
            assert!(request.encoded_len() <= max, "{}", request.encoded_len());
        }
        let mut expected = points(&whole);
        let mut got = points(&parts);
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_point_larger_than_the_limit_goes_alone() {
        let registry = Registry::new();
        let m = AgentMetrics::register(&registry).unwrap();
        for user_agent in ["a", "b"] {
            m.requests_total
                .get(&Agent {
                    user_agent: user_agent.into(),
                })
                .inc();
        }
        let parts = requests(
            &Resource::default(),
            &registry.snapshot(),
            10,
            Temporality::Cumulative,
        );
        // Two counter points and the gauge's, one per request.
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|(_, points)| *points == 1));
    }
}
