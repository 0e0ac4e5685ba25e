//! `obs rules`: Prometheus recording and alert rules from the catalog, and a
//! `promtool test rules` file that proves each alert fires on a synthetic
//! failure and stays quiet on healthy data.
//!
//! - RED recording rules (calls, error ratio, p99) for `#[traced(metrics)]`
//!   functions;
//! - for each declared objective, its error ratio over the seven windows of
//!   the SRE workbook's multi-window, multi-burn-rate alerts, and the two
//!   alerts: `ObsErrorBudgetBurnFast` (14.4× over 1 h and 5 m, or 6× over
//!   6 h and 30 m: page) and `ObsErrorBudgetBurnSlow` (3× over 1 d and 2 h,
//!   or 1× over 3 d and 6 h: ticket), as sloth and pyrra generate;
//! - `ObsMetricAbsent` for every fixed family, which always exposes its
//!   series.

use crate::promql;
use obs_runtime::{Catalog, CatalogMetric, MetricType, Objective};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// A Prometheus rule file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleFile {
    /// The rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A group of rules evaluated together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    /// The group name.
    pub name: String,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A recording or alerting rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The series a recording rule writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The name of an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The PromQL expression.
    #[serde(deserialize_with = "scalar")]
    pub expr: String,
    /// How long an alert's condition must hold before it fires.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Labels added to the result.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// An alert's annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// `record: x` or `alert: X`, for reports.
    pub fn title(&self) -> String {
        match (&self.record, &self.alert) {
            (Some(record), _) => format!("record `{record}`"),
            (None, Some(alert)) => format!("alert `{alert}`"),
            (None, None) => "a rule".to_owned(),
        }
    }
}

/// An expression may be written as a bare number in YAML.
fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::Text(text) => text,
        Scalar::Int(n) => n.to_string(),
        Scalar::Float(x) => x.to_string(),
    })
}

/// The windows of the SLI recording rules.
const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];
/// The SLI series every objective records, one per window.
pub const SLI_RECORD: &str = "obs_slo:sli_error:ratio_rate";

/// A burn-rate alert: its name, severity, and its two (long, short, factor)
/// conditions.
struct Burn {
    alert: &'static str,
    severity: &'static str,
    conditions: [(&'static str, &'static str, f64); 2],
    summary: &'static str,
    lasts: &'static str,
}

const BURNS: [Burn; 2] = [
    Burn {
        alert: "ObsErrorBudgetBurnFast",
        severity: "critical",
        conditions: [("1h", "5m", 14.4), ("6h", "30m", 6.0)],
        summary: "is burning its error budget fast",
        lasts: "at this rate a 30-day error budget is gone in 2 to 5 days",
    },
    Burn {
        alert: "ObsErrorBudgetBurnSlow",
        severity: "warning",
        conditions: [("1d", "2h", 3.0), ("3d", "6h", 1.0)],
        summary: "is burning its error budget",
        lasts: "at this rate a 30-day error budget is gone within 10 to 30 days",
    },
];

/// How long a fixed family may be missing before `ObsMetricAbsent` fires.
const ABSENT_FOR: &str = "10m";

/// One objective of the catalog, with what its SLI is measured on.
pub struct Slo<'c> {
    /// The `slo` label value: `{span or metric}-{kind}[-{threshold}]`.
    pub id: String,
    /// What it promises, for annotations.
    pub description: String,
    /// The objective.
    pub objective: Objective,
    /// The metric its SLI reads (RED calls or durations, or the histogram).
    pub metric: &'c CatalogMetric,
    /// Matchers that select the span's series, empty for a histogram's own.
    pub matchers: Vec<(String, String)>,
    /// A latency objective's `le` value, as exposed.
    pub le: Option<String>,
}

/// Every objective the catalog declares, on spans and on histograms.
pub fn slos(catalog: &Catalog) -> Vec<Slo<'_>> {
    let mut slos = Vec::new();
    let calls = catalog.metric("obs_function_calls_total");
    let durations = catalog.metric("obs_function_duration_seconds");
    for span in &catalog.spans {
        let matchers = vec![
            ("function".to_owned(), span.name.clone()),
            ("module".to_owned(), span.module.clone()),
        ];
        for objective in &span.objectives {
            let (metric, le) = match objective {
                Objective::Success { .. } => (calls, None),
                Objective::Latency { threshold, .. } => {
                    (durations, durations.and_then(|d| le_text(d, *threshold)))
                }
            };
            let Some(metric) = metric else { continue };
            slos.push(Slo {
                id: slo_id(&span.name, objective),
                description: describe(&format!("`{}`", span.name), objective, "calls"),
                objective: *objective,
                metric,
                matchers: matchers.clone(),
                le,
            });
        }
    }
    for metric in &catalog.metrics {
        for objective in &metric.objectives {
            let Objective::Latency { threshold, .. } = objective else {
                continue;
            };
            slos.push(Slo {
                id: slo_id(&metric.name, objective),
                description: describe(&format!("`{}`", metric.name), objective, "observations"),
                objective: *objective,
                metric,
                matchers: Vec::new(),
                le: le_text(metric, *threshold),
            });
        }
    }
    slos
}

fn slo_id(name: &str, objective: &Objective) -> String {
    match objective {
        Objective::Success { .. } => format!("{name}-success"),
        Objective::Latency { threshold, .. } => {
            format!("{name}-latency-{}", promql::number(*threshold))
        }
    }
}

fn describe(subject: &str, objective: &Objective, things: &str) -> String {
    let percent = percent(objective.target());
    match objective {
        Objective::Success { .. } => format!("{percent} of {subject} {things} succeed"),
        Objective::Latency { threshold, .. } => {
            format!(
                "{percent} of {subject} {things} take at most {}",
                promql::number(*threshold)
            )
        }
    }
}

fn percent(share: f64) -> String {
    format!("{}%", obs_rules::share_text(share * 100.0))
}

/// The `le` text of a bound, as the exposition writes it.
fn le_text(metric: &CatalogMetric, threshold: f64) -> Option<String> {
    let buckets = metric.buckets.as_ref()?;
    let at = buckets.iter().position(|b| *b == threshold)?;
    metric.le_values().into_iter().nth(at)
}

/// The error budget of a target, written without float noise.
fn budget(target: f64) -> String {
    obs_rules::share_text(1.0 - target)
}

fn matcher_text(slo: &Slo<'_>, extra: &[(&str, &str)]) -> String {
    let mut matchers: Vec<(&str, &str, &str)> = slo
        .matchers
        .iter()
        .map(|(n, v)| (n.as_str(), "=", v.as_str()))
        .collect();
    matchers.extend(extra.iter().map(|(n, v)| (*n, "=", *v)));
    promql::selector(&matchers)
}

/// The SLI of an objective over `window`: the share of bad events.
fn sli(slo: &Slo<'_>, window: &str) -> String {
    let family = promql::family(slo.metric);
    match (&slo.objective, &slo.le) {
        (Objective::Success { .. }, _) => format!(
            "sum(rate({}{}[{window}])) / sum(rate({}{}[{window}]))",
            slo.metric.name,
            matcher_text(slo, &[("result", "error")]),
            slo.metric.name,
            matcher_text(slo, &[])
        ),
        (Objective::Latency { .. }, Some(le)) => format!(
            "1 - (sum(rate({family}_bucket{}[{window}])) / sum(rate({family}_count{}[{window}])))",
            matcher_text(slo, &[("le", le)]),
            matcher_text(slo, &[])
        ),
        // Validated catalogs put every threshold on a bound.
        (Objective::Latency { .. }, None) => "vector(0)".to_owned(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The rule file of a catalog.
pub fn rule_file(catalog: &Catalog) -> RuleFile {
    let service = catalog
        .service
        .clone()
        .unwrap_or_else(|| "service".to_owned());
    let slug = crate::dashboards::slug(&service);
    let mut groups = Vec::new();

    if let (Some(calls), Some(durations)) = (
        catalog.metric("obs_function_calls_total"),
        catalog.metric("obs_function_duration_seconds"),
    ) {
        let by = ["function", "module"];
        let record = |record: &str, expr: String| Rule {
            record: Some(record.to_owned()),
            alert: None,
            expr,
            for_: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        };
        groups.push(RuleGroup {
            name: format!("obs-{slug}-red"),
            rules: vec![
                record(
                    "function_module_result:obs_function_calls:rate5m",
                    promql::rate(calls, &["function", "module", "result"], "", promql::WINDOW),
                ),
                record(
                    "function_module:obs_function_error:ratio_rate5m",
                    format!(
                        "{} / {}",
                        promql::rate(calls, &by, "{result=\"error\"}", promql::WINDOW),
                        promql::rate(calls, &by, "", promql::WINDOW)
                    ),
                ),
                record(
                    "function_module:obs_function_duration_seconds:p99_rate5m",
                    promql::quantile(durations, 0.99, &by, "", promql::WINDOW),
                ),
            ],
        });
    }

    let slos = slos(catalog);
    if !slos.is_empty() {
        let mut rules = Vec::new();
        for slo in &slos {
            for window in WINDOWS {
                rules.push(Rule {
                    record: Some(format!("{SLI_RECORD}{window}")),
                    alert: None,
                    expr: sli(slo, window),
                    for_: None,
                    labels: labels(&[("slo", &slo.id)]),
                    annotations: BTreeMap::new(),
                });
            }
        }
        for slo in &slos {
            for burn in &BURNS {
                rules.extend(burn_alert(&service, slo, burn));
            }
        }
        groups.push(RuleGroup {
            name: format!("obs-{slug}-slo"),
            rules,
        });
    }

    let absent: Vec<Rule> = catalog
        .metrics
        .iter()
        .filter(|m| m.series.is_some() && !promql::is_obs_own(m))
        .map(|metric| absent_alert(&service, metric))
        .collect();
    if !absent.is_empty() {
        groups.push(RuleGroup {
            name: format!("obs-{slug}-absent"),
            rules: absent,
        });
    }
    RuleFile { groups }
}

/// A burn-rate alert of an objective, from the conditions that can hold:
/// a burn rate whose threshold is 1 or more (14.4× the budget of a 90%
/// objective) would need more than every event to fail, so it is left
/// out, and an alert with no condition left is not written.
fn burn_alert(service: &str, slo: &Slo<'_>, burn: &Burn) -> Option<Rule> {
    let target = slo.objective.target();
    let budget = budget(target);
    let conditions: Vec<_> = burn
        .conditions
        .iter()
        .filter(|(_, _, factor)| factor * (1.0 - target) < 1.0)
        .collect();
    let clauses: Vec<String> = conditions
        .iter()
        .map(|(long, short, factor)| {
            let factor = promql::number(*factor);
            format!(
                "({SLI_RECORD}{long}{{slo=\"{id}\"}} > ({factor} * {budget}) and {SLI_RECORD}{short}{{slo=\"{id}\"}} > ({factor} * {budget}))",
                id = slo.id
            )
        })
        .collect();
    let rates: Vec<String> = conditions
        .iter()
        .map(|(long, short, factor)| {
            format!(
                "{}× the error budget over {long} and {short}",
                promql::number(*factor)
            )
        })
        .collect();
    (!clauses.is_empty()).then(|| Rule {
        record: None,
        alert: Some(burn.alert.to_owned()),
        expr: clauses.join(" or "),
        for_: None,
        labels: labels(&[("severity", burn.severity), ("slo", &slo.id)]),
        annotations: labels(&[
            (
                "summary",
                &format!("{service}: {} {}", slo.id, burn.summary),
            ),
            (
                "description",
                &format!(
                    "The objective is that {}. Errors are arriving at {}: {}.",
                    slo.description,
                    rates.join(", or "),
                    burn.lasts
                ),
            ),
        ]),
    })
}

/// The sample that shows a family is exposed.
pub fn presence_sample(metric: &CatalogMetric) -> String {
    match metric.metric_type {
        MetricType::Histogram => format!("{}_count", promql::family(metric)),
        _ => metric.name.clone(),
    }
}

fn absent_alert(service: &str, metric: &CatalogMetric) -> Rule {
    let series = metric.series.unwrap_or(1);
    Rule {
        record: None,
        alert: Some("ObsMetricAbsent".to_owned()),
        expr: format!("absent({})", presence_sample(metric)),
        for_: Some(ABSENT_FOR.to_owned()),
        labels: labels(&[("metric", &metric.name), ("severity", "warning")]),
        annotations: labels(&[
            ("summary", &format!("{service}: `{}` is not exposed", metric.name)),
            (
                "description",
                &format!(
                    "`{}` ({}, declared by {}) always has {series} series, but no target has exposed it for {ABSENT_FOR}: the service is down or not scraped, or it no longer registers the metric.",
                    metric.name, metric.metric_type, metric.owner
                ),
            ),
        ]),
    }
}

/// The rule file as YAML.
pub fn render(catalog: &Catalog) -> String {
    let header = "# Generated by `obs rules` from the telemetry catalog: regenerate it rather than editing it.\n";
    format!(
        "{header}{}",
        serde_norway::to_string(&rule_file(catalog)).unwrap_or_default()
    )
}

// === the promtool tests ===

#[derive(Serialize)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval: String,
    tests: Vec<TestGroup>,
}

#[derive(Serialize)]
struct TestGroup {
    name: String,
    interval: String,
    input_series: Vec<InputSeries>,
    alert_rule_test: Vec<AlertTest>,
}

#[derive(Serialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Serialize)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    exp_alerts: Vec<ExpectedAlert>,
}

#[derive(Serialize)]
struct ExpectedAlert {
    exp_labels: BTreeMap<String, String>,
    exp_annotations: BTreeMap<String, String>,
}

/// Minutes of synthetic data, and when alerts are evaluated.
const TEST_MINUTES: u32 = 240;
const TEST_EVAL: &str = "4h";

fn series(name: &str, matchers: &[(&str, &str)], per_minute: u32) -> InputSeries {
    let matchers: Vec<(&str, &str, &str)> = matchers.iter().map(|(n, v)| (*n, "=", *v)).collect();
    InputSeries {
        series: format!("{name}{}", promql::selector(&matchers)),
        values: format!("0+{per_minute}x{TEST_MINUTES}"),
    }
}

/// The input series of an objective: `bad` bad events and `good` good ones
/// per minute.
fn slo_series(slo: &Slo<'_>, bad: u32, good: u32) -> Vec<InputSeries> {
    let base: Vec<(&str, &str)> = slo
        .matchers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    fn with<'a>(base: &[(&'a str, &'a str)], extra: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
        let mut all = base.to_vec();
        all.push(extra);
        all
    }
    match (&slo.objective, &slo.le) {
        (Objective::Success { .. }, _) => vec![
            series(&slo.metric.name, &with(&base, ("result", "error")), bad),
            series(&slo.metric.name, &with(&base, ("result", "ok")), good),
        ],
        (Objective::Latency { .. }, le) => {
            let family = promql::family(slo.metric);
            let le = le.as_deref().unwrap_or("+Inf");
            vec![
                series(&format!("{family}_bucket"), &with(&base, ("le", le)), good),
                series(
                    &format!("{family}_bucket"),
                    &with(&base, ("le", "+Inf")),
                    bad + good,
                ),
                series(&format!("{family}_count"), &base, bad + good),
            ]
        }
    }
}

/// The `promtool test rules` file for the rules of `render`, which it
/// reads from `rules_file` (a path relative to the test file).
pub fn render_tests(catalog: &Catalog, rules_file: &str) -> String {
    let file = rule_file(catalog);
    let alerts: Vec<&Rule> = file
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.alert.is_some())
        .collect();
    let expected = |rule: &Rule| ExpectedAlert {
        exp_labels: rule.labels.clone(),
        exp_annotations: rule.annotations.clone(),
    };
    let mut tests = Vec::new();
    for slo in slos(catalog) {
        let of_slo: Vec<&&Rule> = alerts
            .iter()
            .filter(|r| r.labels.get("slo") == Some(&slo.id))
            .collect();
        let check = |firing: bool| -> Vec<AlertTest> {
            of_slo
                .iter()
                .map(|rule| AlertTest {
                    eval_time: TEST_EVAL.to_owned(),
                    alertname: rule.alert.clone().unwrap_or_default(),
                    exp_alerts: if firing {
                        vec![expected(rule)]
                    } else {
                        Vec::new()
                    },
                })
                .collect()
        };
        tests.push(TestGroup {
            name: format!("{}: every event bad, the burn-rate alerts fire", slo.id),
            interval: "1m".to_owned(),
            input_series: slo_series(&slo, 60, 0),
            alert_rule_test: check(true),
        });
        tests.push(TestGroup {
            name: format!("{}: no bad events, no alert", slo.id),
            interval: "1m".to_owned(),
            input_series: slo_series(&slo, 0, 60),
            alert_rule_test: check(false),
        });
    }
    let absent: Vec<&&Rule> = alerts
        .iter()
        .filter(|r| r.alert.as_deref() == Some("ObsMetricAbsent"))
        .collect();
    if !absent.is_empty() {
        let metrics: Vec<&CatalogMetric> = catalog
            .metrics
            .iter()
            .filter(|m| m.series.is_some() && !promql::is_obs_own(m))
            .collect();
        tests.push(TestGroup {
            name: "every fixed family missing: ObsMetricAbsent fires for each".to_owned(),
            interval: "1m".to_owned(),
            input_series: vec![series("up", &[("job", "unrelated")], 0)],
            alert_rule_test: vec![AlertTest {
                eval_time: "15m".to_owned(),
                alertname: "ObsMetricAbsent".to_owned(),
                exp_alerts: absent.iter().map(|rule| expected(rule)).collect(),
            }],
        });
        tests.push(TestGroup {
            name: "every fixed family exposed: no ObsMetricAbsent".to_owned(),
            interval: "1m".to_owned(),
            input_series: metrics
                .iter()
                .map(|m| series(&presence_sample(m), &[], 1))
                .collect(),
            alert_rule_test: vec![AlertTest {
                eval_time: "15m".to_owned(),
                alertname: "ObsMetricAbsent".to_owned(),
                exp_alerts: Vec::new(),
            }],
        });
    }
    let file = TestFile {
        rule_files: vec![rules_file.to_owned()],
        evaluation_interval: "1m".to_owned(),
        tests,
    };
    let header = "# Generated by `obs rules`: run it with `promtool test rules`.\n";
    format!(
        "{header}{}",
        serde_norway::to_string(&file).unwrap_or_default()
    )
}
