//! Resolving the series names a query uses to the catalog's metrics, and
//! suggesting the nearest name when one is unknown.

use obs_runtime::{Catalog, CatalogMetric, MetricType};

/// The sample names a metric's family exposes: a counter's `_total` and
/// `_created`, a histogram's `_bucket`, `_sum`, `_count` and `_created`, a
/// gauge's own name.
pub fn sample_names(metric: &CatalogMetric) -> Vec<String> {
    let family = obs_rules::family_name(&metric.name, metric.metric_type);
    match metric.metric_type {
        MetricType::Counter => vec![metric.name.clone(), format!("{family}_created")],
        MetricType::Gauge => vec![metric.name.clone()],
        MetricType::Histogram => ["_bucket", "_sum", "_count", "_created"]
            .iter()
            .map(|suffix| format!("{family}{suffix}"))
            .collect(),
    }
}

/// The metric a sample name belongs to, with the suffix it was named by
/// (`""` for the metric's own name).
pub fn resolve<'c>(
    catalog: &'c Catalog,
    sample: &str,
) -> Option<(&'c CatalogMetric, &'static str)> {
    catalog.metrics.iter().find_map(|metric| {
        let family = obs_rules::family_name(&metric.name, metric.metric_type);
        let suffix = sample.strip_prefix(family)?;
        let known: &[&'static str] = match metric.metric_type {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Gauge => &[""],
            MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
        };
        known
            .iter()
            .find(|known| **known == suffix)
            .map(|known| (metric, *known))
    })
}

/// The candidate nearest to `name`, when it is close enough to be a typo.
///
/// ```
/// use obs_cli::names::did_you_mean;
///
/// let names = ["pipeline_latency_seconds_bucket", "pipeline_cycles_total"];
/// assert_eq!(did_you_mean("pipeline_latncy_seconds_bucket", names), Some("pipeline_latency_seconds_bucket"));
/// assert_eq!(did_you_mean("disk_free_bytes", names), None);
/// ```
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    nearest(name, candidates, (name.chars().count() / 3).max(2))
}

/// The candidate nearest to `name` within `limit` edits.
pub fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (distance(name, candidate), candidate))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, candidate)| (*d, *candidate))
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean `x`?)`, or nothing.
pub fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(name, candidates)
        .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"))
}

/// Levenshtein distance, over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
