//! A bridge to the `prometheus` crate (feature `prometheus`): exposes obs
//! metrics through a `prometheus::Registry`, for services that already serve
//! one.
//!
//! The direction is obs → `prometheus`: [`PrometheusCollector`] implements
//! `prometheus::core::Collector`, so `prometheus::Registry::gather` (and any
//! exporter built on it) includes every metric of an obs registry, read at
//! gather time. Name clashes between the two registries are refused by
//! `prometheus::Registry::register`, as for any collector. The other
//! direction is not offered: `prometheus` metrics carry no unit or
//! cardinality information and accept names obs would refuse, so folding
//! them into an obs registry would weaken the checks obs exists for.
//!
//! ```
//! use obs_runtime::export::prometheus::PrometheusCollector;
//! use obs_runtime::{Counter, MetricDef, Registry};
//! use std::sync::Arc;
//!
//! let obs = Arc::new(Registry::new());
//! let jobs = obs.register_metric::<Counter>(MetricDef::new("jobs_total", "Jobs run."))?;
//! jobs.inc();
//!
//! let prom = prometheus::Registry::new();
//! prom.register(Box::new(PrometheusCollector::new(obs.clone())?))?;
//! let families = prom.gather();
//! assert_eq!(families[0].name(), "jobs_total");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::descriptor::MetricType;
use crate::registry::RegistrySource;
use crate::snapshot::{SeriesSnapshot, SeriesValue};
use prometheus::core::{Collector, Desc};
use prometheus::proto;
use std::collections::HashMap;

/// Exposes an obs registry through a `prometheus::Registry`.
#[derive(Debug)]
pub struct PrometheusCollector {
    source: RegistrySource,
    descs: Vec<Desc>,
}

impl PrometheusCollector {
    /// A collector for `registry`. The metrics registered in it by now are
    /// declared to the `prometheus` registry, which checks them against its
    /// own; metrics registered later are collected too.
    pub fn new(registry: impl Into<RegistrySource>) -> prometheus::Result<Self> {
        let source = registry.into();
        let descs = source
            .get()
            .descriptors()
            .iter()
            .map(|d| {
                let labels = d.label_names.iter().map(|l| (*l).to_owned()).collect();
                Desc::new(
                    d.name.to_string(),
                    d.help.to_string(),
                    labels,
                    HashMap::new(),
                )
            })
            .collect::<prometheus::Result<_>>()?;
        Ok(PrometheusCollector { source, descs })
    }
}

impl Collector for PrometheusCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        self.source
            .get()
            .snapshot()
            .into_iter()
            .map(|metric| {
                let mut family = proto::MetricFamily::default();
                family.set_name(metric.descriptor.name.to_string());
                family.set_help(metric.descriptor.help.to_string());
                family.set_field_type(match metric.descriptor.metric_type {
                    MetricType::Counter => proto::MetricType::COUNTER,
                    MetricType::Gauge => proto::MetricType::GAUGE,
                    MetricType::Histogram => proto::MetricType::HISTOGRAM,
                });
                family.set_metric(metric.series.iter().map(series_proto).collect());
                family
            })
            .collect()
    }
}

fn series_proto(series: &SeriesSnapshot) -> proto::Metric {
    let mut metric = proto::Metric::default();
    metric.set_label(
        series
            .labels
            .iter()
            .map(|(name, value)| {
                let mut pair = proto::LabelPair::default();
                pair.set_name(name.clone());
                pair.set_value(value.clone());
                pair
            })
            .collect(),
    );
    match &series.value {
        SeriesValue::Counter(value) => {
            let mut counter = proto::Counter::default();
            counter.set_value(*value as f64);
            metric.set_counter(counter);
        }
        SeriesValue::FloatCounter(value) => {
            let mut counter = proto::Counter::default();
            counter.set_value(*value);
            metric.set_counter(counter);
        }
        SeriesValue::Gauge(value) => metric.set_gauge(gauge(*value)),
        SeriesValue::IntGauge(value) => metric.set_gauge(gauge(*value as f64)),
        SeriesValue::Histogram { bounds, snapshot } => {
            let mut histogram = proto::Histogram::default();
            histogram.set_sample_count(snapshot.count);
            histogram.set_sample_sum(snapshot.sum);
            histogram.set_bucket(
                bounds
                    .iter()
                    .zip(&snapshot.cumulative_counts)
                    .map(|(bound, count)| {
                        let mut bucket = proto::Bucket::default();
                        bucket.set_upper_bound(*bound);
                        bucket.set_cumulative_count(*count);
                        bucket
                    })
                    .collect(),
            );
            metric.set_histogram(histogram);
        }
    }
    metric
}

fn gauge(value: f64) -> proto::Gauge {
    let mut gauge = proto::Gauge::default();
    gauge.set_value(value);
    gauge
}
