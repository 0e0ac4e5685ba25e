//! The PromQL every generator writes: rates, ratios and quantiles over a
//! catalog metric, in one place so that docs, dashboards and rules agree.

use obs_runtime::{CatalogMetric, MetricType};

/// The window of generated rules and documented queries.
pub const WINDOW: &str = "5m";
/// The window of dashboard queries: Grafana picks it from the scrape interval.
pub const DASHBOARD_WINDOW: &str = "$__rate_interval";
/// The quantiles documented and drawn for every histogram.
pub const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// `sum by (a, b) (expr)`, or `sum(expr)` with no labels.
pub fn sum_by(by: &[&str], expr: &str) -> String {
    if by.is_empty() {
        format!("sum({expr})")
    } else {
        format!("sum by ({}) ({expr})", by.join(", "))
    }
}

/// `{a="x",b!="y"}`, or nothing.
pub fn selector(matchers: &[(&str, &str, &str)]) -> String {
    if matchers.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = matchers
        .iter()
        .map(|(name, op, value)| format!("{name}{op}\"{value}\""))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The per-second rate of a counter, summed by `by`.
pub fn rate(metric: &CatalogMetric, by: &[&str], matchers: &str, window: &str) -> String {
    sum_by(by, &format!("rate({}{matchers}[{window}])", metric.name))
}

/// The `q` quantile of a histogram from its buckets, by `by`.
pub fn quantile(
    metric: &CatalogMetric,
    q: f64,
    by: &[&str],
    matchers: &str,
    window: &str,
) -> String {
    let mut by_le: Vec<&str> = by.to_vec();
    by_le.push("le");
    let family = family(metric);
    format!(
        "histogram_quantile({q}, {})",
        sum_by(
            &by_le,
            &format!("rate({family}_bucket{matchers}[{window}])")
        )
    )
}

/// The mean observation of a histogram, by `by`.
pub fn mean(metric: &CatalogMetric, by: &[&str], matchers: &str, window: &str) -> String {
    let family = family(metric);
    format!(
        "{} / {}",
        sum_by(by, &format!("rate({family}_sum{matchers}[{window}])")),
        sum_by(by, &format!("rate({family}_count{matchers}[{window}])"))
    )
}

/// The observations per second of a histogram, by `by`.
pub fn count_rate(metric: &CatalogMetric, by: &[&str], matchers: &str, window: &str) -> String {
    let family = family(metric);
    sum_by(by, &format!("rate({family}_count{matchers}[{window}])"))
}

/// The share of a counter's rate that each value of `label` takes.
pub fn share(metric: &CatalogMetric, label: &str, window: &str) -> String {
    format!(
        "{} / ignoring({label}) group_left {}",
        rate(metric, &[label], "", window),
        rate(metric, &[], "", window)
    )
}

/// The family name: a counter's name without `_total`.
pub fn family(metric: &CatalogMetric) -> &str {
    obs_rules::family_name(&metric.name, metric.metric_type)
}

/// The label names of a metric, in order.
pub fn label_names(metric: &CatalogMetric) -> Vec<&str> {
    metric
        .labels
        .iter()
        .map(|label| label.name.as_str())
        .collect()
}

/// A float as PromQL and YAML both read it, without needless digits.
pub fn number(value: f64) -> String {
    value.to_string()
}

/// Whether a metric is one of obs's own (the reserved `obs_` prefix).
pub fn is_obs_own(metric: &CatalogMetric) -> bool {
    metric.name.starts_with("obs_")
}

/// Whether the metric is a histogram.
pub fn is_histogram(metric: &CatalogMetric) -> bool {
    metric.metric_type == MetricType::Histogram
}
