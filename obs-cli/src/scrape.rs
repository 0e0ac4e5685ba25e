//! `obs check --catalog CATALOG --scrape URL`: the live exposition of a
//! running service against its catalog. Every declared metric is present
//! with its declared type, unit, help and labels; no series is undeclared
//! (obs's own `obs_` metrics and its standard collectors' aside); label
//! values stay within their sets; series counts stay within budget; and
//! every name obeys obs's rules.

use crate::exposition::{self, Family};
use crate::input::InputError;
use crate::names::hint;
use crate::Finding;
use obs_runtime::{Catalog, CatalogMetric};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The largest exposition read.
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// Labels that are not the metric's own: the histogram bound and the
/// overflow marker.
const STRUCTURAL_LABELS: [&str; 2] = ["le", "otel_metric_overflow"];

/// What a live check found.
#[derive(Debug, Default)]
pub struct Report {
    /// The problems.
    pub findings: Vec<Finding>,
    /// Declared metrics found in the exposition.
    pub metrics: usize,
    /// Series found (histograms count once per label set).
    pub series: usize,
}

/// Fetches `url` (OpenMetrics preferred) and checks it.
pub fn scrape(catalog: &Catalog, url: &str, timeout: Duration) -> Result<Report, InputError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let failed = |err: ureq::Error| InputError::new(url, format!("cannot scrape: {err}"));
    let mut response = agent
        .get(url)
        .header(
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .call()
        .map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(InputError::new(
            url,
            format!("cannot scrape: the endpoint answered {status}"),
        ));
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(failed)?;
    check(catalog, url, &text)
}

/// Checks an exposition's text against the catalog.
pub fn check(catalog: &Catalog, source: &str, text: &str) -> Result<Report, InputError> {
    let families = exposition::parse(text).map_err(|err| InputError {
        file: source.to_owned(),
        line: err.line,
        column: 0,
        message: format!("not a valid exposition: {}", err.message),
    })?;
    let mut report = Report::default();
    let mut found = |place: &str, message: String| {
        report.findings.push(Finding {
            source: source.to_owned(),
            place: place.to_owned(),
            message,
        });
    };
    let mut exposed: BTreeSet<&str> = BTreeSet::new();
    for family in &families {
        let declared = catalog.metrics.iter().find(|m| {
            m.name == family.name || obs_rules::family_name(&m.name, m.metric_type) == family.name
        });
        let place = format!("`{}` (line {})", family.name, family.line);
        naming(family, &mut |message| found(&place, message));
        let Some(metric) = declared else {
            // obs's own metrics and its standard collectors' need no entry.
            if !family.name.starts_with("obs_")
                && !obs_rules::standard::is_standard_metric(&family.name)
            {
                let names: Vec<&str> = catalog.metrics.iter().map(|m| m.name.as_str()).collect();
                found(
                    &place,
                    format!(
                        "undeclared metric{}",
                        hint(&family.name, names.iter().copied())
                    ),
                );
            }
            continue;
        };
        exposed.insert(&metric.name);
        report.metrics += 1;
        report.series += declared_family(metric, family, &mut |message| found(&place, message));
    }
    for metric in &catalog.metrics {
        if !exposed.contains(metric.name.as_str()) && !crate::promql::is_obs_own(metric) {
            found(
                &format!("`{}`", metric.name),
                format!("declared by {} but not exposed", metric.owner),
            );
        }
    }
    Ok(report)
}

/// The naming rules, on what the exposition shows.
fn naming(family: &Family, found: &mut dyn FnMut(String)) {
    let declared_type = family
        .metric_type
        .as_deref()
        .and_then(|t| obs_runtime::MetricType::parse(t).ok());
    if let Some(metric_type) = declared_type {
        let full = match metric_type {
            obs_runtime::MetricType::Counter if !family.name.ends_with("_total") => {
                format!("{}_total", family.name)
            }
            _ => family.name.clone(),
        };
        // The exposition cannot tell an info metric from a gauge: a gauge
        // named `…_info` is held to the info metrics' rule.
        let checked = match metric_type {
            obs_runtime::MetricType::Gauge if full.ends_with("_info") => {
                obs_rules::check_info_metric_name(&full)
            }
            _ => obs_rules::check_metric_name(&full, metric_type),
        };
        if let Err(violation) = checked {
            found(format!("breaks obs's naming rules: {violation}"));
        }
    }
    let mut reported = BTreeSet::new();
    for sample in &family.samples {
        for (name, value) in &sample.labels {
            if STRUCTURAL_LABELS.contains(&name.as_str()) {
                continue;
            }
            if let Err(violation) = obs_rules::check_label_name(name) {
                if reported.insert(name.clone()) {
                    found(format!("line {}: {violation}", sample.line));
                }
            }
            if let Err(violation) = obs_rules::check_label_value(value) {
                found(format!("line {}: label `{name}`: {violation}", sample.line));
            }
        }
    }
}

/// Checks a family the catalog declares; returns its series count.
fn declared_family(
    metric: &CatalogMetric,
    family: &Family,
    found: &mut dyn FnMut(String),
) -> usize {
    let metric_type = metric.metric_type.as_str();
    match family.metric_type.as_deref() {
        Some(exposed) if exposed == metric_type => {}
        Some(exposed) => found(format!("declared a {metric_type}, exposed as a {exposed}")),
        None => found(format!(
            "declared a {metric_type}, exposed without a `# TYPE` line"
        )),
    }
    if family.help.as_deref() != Some(metric.help.as_str()) {
        found(format!(
            "help is {:?}, the catalog declares {:?}",
            family.help.as_deref().unwrap_or(""),
            metric.help
        ));
    }
    if family.unit.is_some() && family.unit != metric.unit {
        found(format!(
            "unit is `{}`, the catalog declares `{}`",
            family.unit.as_deref().unwrap_or(""),
            metric.unit.as_deref().unwrap_or("")
        ));
    }
    let declared: BTreeSet<&str> = metric.labels.iter().map(|l| l.name.as_str()).collect();
    let mut series: BTreeMap<Vec<(String, String)>, usize> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for sample in family
        .samples
        .iter()
        .filter(|s| !s.name.ends_with("_created"))
    {
        let own: Vec<(String, String)> = sample
            .labels
            .iter()
            .filter(|(name, _)| !STRUCTURAL_LABELS.contains(&name.as_str()))
            .cloned()
            .collect();
        *series.entry(own.clone()).or_default() += 1;
        if sample.label("otel_metric_overflow").is_some() {
            continue;
        }
        let names: BTreeSet<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
        if names != declared && reported.insert(format!("{names:?}")) {
            found(format!(
                "line {}: labels are {{{}}}, the catalog declares {{{}}}",
                sample.line,
                names.iter().copied().collect::<Vec<_>>().join(", "),
                declared.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        for (name, value) in &own {
            let Some(label) = metric.label(name) else {
                continue;
            };
            match label.fixed_values() {
                Some(values)
                    if !values.contains(value) && reported.insert(format!("{name}={value}")) =>
                {
                    found(format!(
                        "line {}: label `{name}` has value `{value}`, outside its declared set{}",
                        sample.line,
                        hint(value, values.iter().map(String::as_str))
                    ));
                }
                None => {
                    let cap = metric
                        .max_label_bytes
                        .unwrap_or(obs_runtime::DEFAULT_MAX_LABEL_BYTES);
                    if value.len() > cap {
                        found(format!(
                            "line {}: label `{name}` is {} bytes, over its cap of {cap}",
                            sample.line,
                            value.len()
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    let budget = metric.series_budget();
    if series.len() > budget {
        found(format!(
            "{} series, over its budget of {budget}",
            series.len()
        ));
    }
    series.len()
}
