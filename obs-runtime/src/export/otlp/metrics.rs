//! Metrics: a registry snapshot as OTLP metrics, which `request.rs` packs
//! into `ExportMetricsServiceRequest`s and `transport.rs` sends.
//!
//! Counters become cumulative monotonic sums, named by their family (the
//! name without `_total`, which Prometheus adds back when it ingests OTLP);
//! gauges become gauges; histograms become explicit-bucket histograms with
//! the bounds and per-bucket (not cumulative) counts. Counters and
//! histograms start at the time the metric was registered.

use crate::config::Temporality;
use crate::snapshot::{MetricSnapshot, SeriesValue};
use crate::MetricType;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, metric, number_data_point, AggregationTemporality, Exemplar, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

/// The resource as OTLP attributes.
pub(super) fn resource_to_proto(resource: &opentelemetry_sdk::Resource) -> Resource {
    let mut attributes: Vec<KeyValue> = resource
        .iter()
        .map(|(key, value)| string_attribute(key.as_str(), &value.as_str()))
        .collect();
    // The SDK keeps attributes in a hash map; a stable order reads better.
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    Resource {
        attributes,
        ..Resource::default()
    }
}

/// One metric family; `None` when it has no series yet.
pub(super) fn convert(
    metric: &MetricSnapshot,
    now: u64,
    temporality: Temporality,
) -> Option<Metric> {
    if metric.series.is_empty() {
        return None;
    }
    // A delta snapshot's values are already deltas (see `delta.rs`).
    let temporality = if temporality.is_delta() {
        AggregationTemporality::Delta
    } else {
        AggregationTemporality::Cumulative
    } as i32;
    let descriptor = &metric.descriptor;
    let start = (metric.created * 1e9) as u64;
    let data = match descriptor.metric_type {
        MetricType::Counter => metric::Data::Sum(Sum {
            data_points: metric
                .series
                .iter()
                .map(|series| number_point(&series.labels, &series.value, start, now))
                .collect(),
            aggregation_temporality: temporality,
            is_monotonic: true,
        }),
        MetricType::Gauge => metric::Data::Gauge(Gauge {
            data_points: metric
                .series
                .iter()
                .map(|series| number_point(&series.labels, &series.value, 0, now))
                .collect(),
        }),
        MetricType::Histogram => metric::Data::Histogram(Histogram {
            data_points: metric
                .series
                .iter()
                .filter_map(|series| histogram_point(&series.labels, &series.value, start, now))
                .collect(),
            aggregation_temporality: temporality,
        }),
    };
    Some(Metric {
        name: descriptor.family_name().to_owned(),
        description: descriptor.help.to_string(),
        unit: descriptor
            .unit
            .map(ucum_unit)
            .unwrap_or_default()
            .to_owned(),
        data: Some(data),
        ..Metric::default()
    })
}

fn number_point(
    labels: &[(String, String)],
    value: &SeriesValue,
    start: u64,
    now: u64,
) -> NumberDataPoint {
    let value = match *value {
        SeriesValue::Counter(n) => {
            number_data_point::Value::AsInt(i64::try_from(n).unwrap_or(i64::MAX))
        }
        SeriesValue::IntGauge(n) => number_data_point::Value::AsInt(n),
        SeriesValue::Gauge(x) | SeriesValue::FloatCounter(x) => {
            number_data_point::Value::AsDouble(x)
        }
        // A histogram series under a counter or gauge descriptor cannot
        // happen; its count is the closest number.
        SeriesValue::Histogram { ref snapshot, .. } => {
            number_data_point::Value::AsInt(i64::try_from(snapshot.count).unwrap_or(i64::MAX))
        }
    };
    NumberDataPoint {
        attributes: attributes(labels),
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(value),
        ..NumberDataPoint::default()
    }
}

fn histogram_point(
    labels: &[(String, String)],
    value: &SeriesValue,
    start: u64,
    now: u64,
) -> Option<HistogramDataPoint> {
    let SeriesValue::Histogram { bounds, snapshot } = value else {
        return None;
    };
    // OTLP wants each bucket's own count; the snapshot's are cumulative.
    let mut previous = 0;
    let bucket_counts = snapshot
        .cumulative_counts
        .iter()
        .map(|&cumulative| {
            let count = cumulative.saturating_sub(previous);
            previous = cumulative;
            count
        })
        .collect();
    // As in OpenMetrics, the sum is left out when negative observations (or
    // buckets) make it meaningless as a monotonic total.
    let sum_is_total = bounds.iter().all(|&bound| bound >= 0.0) && snapshot.sum >= 0.0;
    // Each bucket's latest exemplar links it to the trace it was seen in.
    let exemplars = snapshot
        .exemplars
        .iter()
        .flatten()
        .map(|exemplar| Exemplar {
            time_unix_nano: (exemplar.timestamp * 1e9) as u64,
            span_id: exemplar.span_id.to_be_bytes().to_vec(),
            trace_id: exemplar.trace_id.to_be_bytes().to_vec(),
            value: Some(exemplar::Value::AsDouble(exemplar.value)),
            ..Exemplar::default()
        })
        .collect();
    Some(HistogramDataPoint {
        attributes: attributes(labels),
        start_time_unix_nano: start,
        time_unix_nano: now,
        count: snapshot.count,
        sum: sum_is_total.then_some(snapshot.sum),
        bucket_counts,
        explicit_bounds: bounds.clone(),
        exemplars,
        ..HistogramDataPoint::default()
    })
}

fn attributes(labels: &[(String, String)]) -> Vec<KeyValue> {
    labels
        .iter()
        .map(|(key, value)| string_attribute(key, value))
        .collect()
}

fn string_attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

/// The UCUM unit OTLP expects for an obs base unit.
fn ucum_unit(unit: &str) -> &str {
    match unit {
        "seconds" => "s",
        "bytes" => "By",
        "ratio" => "1",
        "meters" => "m",
        "grams" => "g",
        "celsius" => "Cel",
        "volts" => "V",
        "amperes" => "A",
        "joules" => "J",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Family, Gauge, Histogram, IntGauge, LabelSet, LabelValue};
    use crate::{MetricGroup, Metrics, Registry};

    #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
    enum Outcome {
        Success,
        Failure,
    }

    #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    struct Labels {
        outcome: Outcome,
    }

    #[derive(Metrics)]
    #[metrics(prefix = "conv")]
    struct Conv {
        /// Jobs.
        jobs_total: Family<Labels, Counter>,
        /// Ratio.
        block_ratio: Gauge,
        /// Bytes.
        size_bytes: IntGauge,
        /// Latency.
        #[metric(buckets = [0.1, 1.0])]
        latency_seconds: Histogram,
    }

    #[test]
    fn snapshot_becomes_otlp() {
        let registry = Registry::new();
        let m = Conv::register(&registry).unwrap();
        m.jobs_total
            .get(&Labels {
                outcome: Outcome::Success,
            })
            .inc_by(3);
        m.block_ratio.set(0.5);
        m.size_bytes.set(-2);
        for v in [0.05, 0.5, 3.0] {
            m.latency_seconds.observe(v);
        }
        m.latency_seconds.observe_with_exemplar(
            0.7,
            0x4bf92f3577b34da6a3ce929d0e0e4736,
            0x00f067aa0ba902b7,
        );
        let requests = super::super::request::requests(
            &Resource::default(),
            &registry.snapshot(),
            usize::MAX,
            Temporality::Cumulative,
        );
        let (request, points) = &requests[0];
        let points = *points;
        // Both series of the fixed family, one each for the others.
        assert_eq!(points, 5);
        let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
        let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "conv_jobs",
                "conv_block_ratio",
                "conv_size_bytes",
                "conv_latency_seconds"
            ]
        );

        let Some(metric::Data::Sum(sum)) = &metrics[0].data else {
            panic!()
        };
        assert!(sum.is_monotonic);
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
        assert_eq!(
            sum.data_points[0].value,
            Some(number_data_point::Value::AsInt(3))
        );
        assert_eq!(
            sum.data_points[1].value,
            Some(number_data_point::Value::AsInt(0))
        );
        assert_eq!(sum.data_points[0].attributes[0].key, "outcome");
        assert!(sum.data_points[0].start_time_unix_nano > 0);

        let Some(metric::Data::Gauge(gauge)) = &metrics[1].data else {
            panic!()
        };
        assert_eq!(
            gauge.data_points[0].value,
            Some(number_data_point::Value::AsDouble(0.5))
        );
        assert_eq!(metrics[1].unit, "1");
        let Some(metric::Data::Gauge(gauge)) = &metrics[2].data else {
            panic!()
        };
        assert_eq!(
            gauge.data_points[0].value,
            Some(number_data_point::Value::AsInt(-2))
        );
        assert_eq!(metrics[2].unit, "By");

        let Some(metric::Data::Histogram(histogram)) = &metrics[3].data else {
            panic!()
        };
        let point = &histogram.data_points[0];
        assert_eq!(point.explicit_bounds, [0.1, 1.0]);
        assert_eq!(point.bucket_counts, [1, 2, 1]);
        assert_eq!(point.count, 4);
        assert_eq!(point.sum, Some(4.25));
        assert_eq!(point.exemplars.len(), 1);
        let exemplar = &point.exemplars[0];
        assert_eq!(exemplar.value, Some(exemplar::Value::AsDouble(0.7)));
        assert_eq!(
            exemplar.trace_id,
            0x4bf92f3577b34da6a3ce929d0e0e4736u128.to_be_bytes()
        );
        assert_eq!(exemplar.span_id, 0x00f067aa0ba902b7u64.to_be_bytes());
        assert_eq!(metrics[3].unit, "s");
        assert_eq!(metrics[3].description, "Latency.");
    }
}
