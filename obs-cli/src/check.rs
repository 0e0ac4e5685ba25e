//! `obs check --catalog CATALOG FILES...`: every PromQL expression in
//! Grafana dashboards and Prometheus rule files parses (with a real PromQL
//! parser) and names only declared metrics, declared label names, and
//! values inside a label's declared set.

use crate::input::{self, InputError};
use crate::names::{self, hint};
use crate::rules::RuleFile;
use crate::Finding;
use obs_runtime::{Catalog, CatalogMetric};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, LabelModifier};
use serde_json::Value;
use std::collections::BTreeSet;

/// Labels every scraped series carries, whatever the exposition says.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];
/// Series Prometheus writes itself.
const BUILTIN_SERIES: [&str; 7] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
];
/// Where a Grafana variable stood, once replaced for parsing.
const VARIABLE: &str = "__obs_variable__";

/// The names an expression may use: the catalog's, and the series that
/// recording rules in the checked files write.
pub struct Known<'c> {
    catalog: &'c Catalog,
    recorded: BTreeSet<String>,
}

impl<'c> Known<'c> {
    /// The catalog's names only.
    pub fn new(catalog: &'c Catalog) -> Self {
        Known {
            catalog,
            recorded: BTreeSet::new(),
        }
    }

    /// Also accepts the series `rules` record.
    pub fn with_recorded(mut self, rules: &RuleFile) -> Self {
        for rule in rules.groups.iter().flat_map(|g| &g.rules) {
            if let Some(record) = &rule.record {
                self.recorded.insert(record.clone());
            }
        }
        self
    }

    fn sample_names(&self) -> impl Iterator<Item = String> + '_ {
        self.catalog
            .metrics
            .iter()
            .flat_map(names::sample_names)
            .chain(self.recorded.iter().cloned())
    }
}

/// Checks one expression: `Err` when it does not parse, else what it names
/// that the catalog does not declare.
///
/// ```
/// use obs_cli::check::{check_expr, Known};
///
/// let catalog = obs_cli::input::parse_catalog("c.json", r#"{"version": 1, "spans": [], "metrics": [
///     {"name": "jobs_total", "type": "counter", "help": "Jobs.", "series": 2, "owner": "app",
///      "labels": [{"name": "outcome", "values": ["ok", "failed"]}]}]}"#)?;
/// let known = Known::new(&catalog);
/// assert_eq!(check_expr(&known, r#"sum by (outcome) (rate(jobs_total{outcome="ok"}[5m]))"#), Ok(vec![]));
/// assert_eq!(
///     check_expr(&known, r#"rate(jobs_totl{outcome="fail"}[5m])"#).unwrap(),
///     ["unknown metric `jobs_totl` (did you mean `jobs_total`?)"]
/// );
/// assert_eq!(
///     check_expr(&known, r#"rate(jobs_total{outcome="fail"}[5m])"#).unwrap(),
///     ["`jobs_total`: label `outcome` has no value `fail` (did you mean `failed`?)"]
/// );
/// assert!(check_expr(&known, "rate(jobs_total[5m]").is_err());
/// # Ok::<(), obs_cli::input::InputError>(())
/// ```
pub fn check_expr(known: &Known<'_>, expr: &str) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    walk(known, &parse(expr)?, &mut problems);
    Ok(problems)
}

/// Parses an expression, Grafana variables replaced.
fn parse(expr: &str) -> Result<Expr, String> {
    parser::parse(&replace_variables(expr)).map_err(|err| format!("does not parse: {err}"))
}

/// Grafana's `$__rate_interval` and friends become a duration, and other
/// variables (`$backend`, `${backend}`, `[[backend]]`) a placeholder whose
/// values are not checked.
fn replace_variables(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(at) = rest.find(['$', '[']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (name, len) = if let Some(inner) = tail.strip_prefix("${") {
            match inner.find('}') {
                Some(end) => (inner[..end].split(':').next().unwrap_or(""), end + 3),
                None => ("", 0),
            }
        } else if let Some(inner) = tail.strip_prefix("[[") {
            match inner.find("]]") {
                Some(end) => (&inner[..end], end + 4),
                None => ("", 0),
            }
        } else if let Some(inner) = tail.strip_prefix('$') {
            let end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            (&inner[..end], end + 1)
        } else {
            ("", 0)
        };
        if name.is_empty() {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        if name.starts_with("__") {
            out.push_str("5m");
        } else {
            out.push_str(VARIABLE);
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// The labels an expression's result may carry; `None` when unknown (a
/// recorded series).
type Labels = Option<BTreeSet<String>>;

fn union(a: Labels, b: Labels) -> Labels {
    match (a, b) {
        (Some(mut a), Some(b)) => {
            a.extend(b);
            Some(a)
        }
        _ => None,
    }
}

fn walk(known: &Known<'_>, expr: &Expr, problems: &mut Vec<String>) -> Labels {
    match expr {
        Expr::VectorSelector(selector) => vector(known, selector, problems),
        Expr::MatrixSelector(matrix) => vector(known, &matrix.vs, problems),
        Expr::Paren(paren) => walk(known, &paren.expr, problems),
        Expr::Unary(unary) => walk(known, &unary.expr, problems),
        Expr::Subquery(sub) => walk(known, &sub.expr, problems),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {
            Some(BTreeSet::new())
        }
        Expr::Aggregate(aggregate) => {
            if let Some(param) = &aggregate.param {
                walk(known, param, problems);
            }
            let inner = walk(known, &aggregate.expr, problems);
            match &aggregate.modifier {
                Some(LabelModifier::Include(by)) => {
                    grouping(&inner, &by.labels, "by", problems);
                    Some(by.labels.iter().cloned().collect())
                }
                Some(LabelModifier::Exclude(without)) => {
                    grouping(&inner, &without.labels, "without", problems);
                    inner.map(|labels| {
                        labels
                            .into_iter()
                            .filter(|l| !without.labels.contains(l))
                            .collect()
                    })
                }
                None => Some(BTreeSet::new()),
            }
        }
        Expr::Binary(binary) => {
            let both = union(
                walk(known, &binary.lhs, problems),
                walk(known, &binary.rhs, problems),
            );
            if let Some(modifier) = &binary.modifier {
                if let Some(matching) = &modifier.matching {
                    let (labels, word) = match matching {
                        LabelModifier::Include(on) => (on, "on"),
                        LabelModifier::Exclude(ignoring) => (ignoring, "ignoring"),
                    };
                    grouping(&both, &labels.labels, word, problems);
                }
            }
            both
        }
        Expr::Call(call) => {
            let mut labels = Some(BTreeSet::new());
            for arg in &call.args.args {
                labels = union(labels, walk(known, arg, problems));
            }
            let string_arg = |i: usize| match call.args.args.get(i).map(|a| a.as_ref()) {
                Some(Expr::StringLiteral(s)) => Some(s.val.clone()),
                _ => None,
            };
            match call.func.name {
                "label_replace" | "label_join" => {
                    // The source labels must exist; the destination is new.
                    let sources: Vec<String> = match call.func.name {
                        "label_replace" => string_arg(3).into_iter().collect(),
                        _ => (3..call.args.args.len()).filter_map(string_arg).collect(),
                    };
                    grouping(&labels, &sources, call.func.name, problems);
                    if let (Some(set), Some(dst)) = (labels.as_mut(), string_arg(1)) {
                        set.insert(dst);
                    }
                    labels
                }
                "histogram_quantile" => labels.map(|mut set| {
                    set.remove("le");
                    set
                }),
                _ => labels,
            }
        }
    }
}

/// Label names used in `by`, `without`, `on`, `ignoring` or a function must
/// be on some series of the expression.
fn grouping(available: &Labels, used: &[String], word: &str, problems: &mut Vec<String>) {
    let Some(available) = available else { return };
    for label in used {
        if label.contains(VARIABLE)
            || available.contains(label)
            || TARGET_LABELS.contains(&label.as_str())
        {
            continue;
        }
        problems.push(format!(
            "`{word}` names label `{label}`, which no series of the expression has{}",
            hint(label, available.iter().map(String::as_str))
        ));
    }
}

fn vector(
    known: &Known<'_>,
    selector: &parser::VectorSelector,
    problems: &mut Vec<String>,
) -> Labels {
    let name = selector.name.clone().or_else(|| {
        selector
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.clone())
    });
    let name = name?;
    if known.recorded.contains(&name)
        || BUILTIN_SERIES.contains(&name.as_str())
        || name.contains(VARIABLE)
    {
        return None;
    }
    let Some((metric, suffix)) = names::resolve(known.catalog, &name) else {
        let candidates: Vec<String> = known.sample_names().collect();
        problems.push(format!(
            "unknown metric `{name}`{}",
            hint(&name, candidates.iter().map(String::as_str))
        ));
        return None;
    };
    let mut allowed: BTreeSet<String> = metric.labels.iter().map(|l| l.name.clone()).collect();
    allowed.insert("otel_metric_overflow".to_owned());
    if suffix == "_bucket" {
        allowed.insert("le".to_owned());
    }
    let matchers = selector
        .matchers
        .matchers
        .iter()
        .chain(selector.matchers.or_matchers.iter().flatten());
    for matcher in matchers {
        if matcher.name == "__name__" {
            continue;
        }
        if !allowed.contains(&matcher.name) && !TARGET_LABELS.contains(&matcher.name.as_str()) {
            problems.push(format!(
                "`{name}` has no label `{}`{}",
                matcher.name,
                hint(&matcher.name, allowed.iter().map(String::as_str))
            ));
            continue;
        }
        values(metric, &name, matcher, problems);
    }
    let mut labels = allowed;
    labels.extend(TARGET_LABELS.map(str::to_owned));
    Some(labels)
}

/// Values a matcher compares against must be in the label's declared set;
/// a regex is checked when it is a plain alternation (`a|b`).
fn values(
    metric: &CatalogMetric,
    name: &str,
    matcher: &promql_parser::label::Matcher,
    problems: &mut Vec<String>,
) {
    let declared: Vec<String> = if matcher.name == "le" {
        metric.le_values()
    } else {
        match metric.label(&matcher.name).and_then(|l| l.fixed_values()) {
            Some(values) => values.to_vec(),
            None => return,
        }
    };
    let literals: Vec<&str> = match &matcher.op {
        MatchOp::Equal | MatchOp::NotEqual => vec![matcher.value.as_str()],
        MatchOp::Re(_) | MatchOp::NotRe(_) => {
            let plain = matcher
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '|' | '-' | ':'));
            if !plain {
                return;
            }
            matcher.value.split('|').collect()
        }
    };
    for value in literals {
        if value.is_empty() || value.contains(VARIABLE) || declared.iter().any(|d| d == value) {
            continue;
        }
        problems.push(format!(
            "`{name}`: label `{}` has no value `{value}`{}",
            matcher.name,
            hint(value, declared.iter().map(String::as_str))
        ));
    }
}

/// One file to check, by its name and text.
pub struct File {
    /// The name reports use.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// Checks dashboards (`.json`) and rule files (`.yml`, `.yaml`). A file that
/// cannot be read as its kind is an [`InputError`]; what its queries name
/// wrongly are findings.
pub fn check_files(catalog: &Catalog, files: &[File]) -> Result<Vec<Finding>, InputError> {
    let mut rule_files = Vec::new();
    let mut dashboards = Vec::new();
    for file in files {
        if file.name.ends_with(".json") {
            dashboards.push((file, input::parse_json(&file.name, &file.text)?));
        } else if file.name.ends_with(".yml") || file.name.ends_with(".yaml") {
            rule_files.push((file, input::parse_yaml::<RuleFile>(&file.name, &file.text)?));
        } else {
            return Err(InputError::new(
                &file.name,
                "not a dashboard (`.json`) or a rule file (`.yml`, `.yaml`)",
            ));
        }
    }
    let mut known = Known::new(catalog);
    for (_, rules) in &rule_files {
        known = known.with_recorded(rules);
    }
    let mut findings = Vec::new();
    let mut report = |source: &str, place: String, result: Result<Vec<String>, String>| {
        let messages = match result {
            Ok(problems) => problems,
            Err(parse) => vec![parse],
        };
        for message in messages {
            findings.push(Finding {
                source: source.to_owned(),
                place: place.clone(),
                message,
            });
        }
    };
    for (file, rules) in &rule_files {
        for group in &rules.groups {
            for rule in &group.rules {
                let place = format!("group `{}`, {}", group.name, rule.title());
                report(&file.name, place, check_expr(&known, &rule.expr));
            }
        }
    }
    for (file, dashboard) in &dashboards {
        for (place, expr) in dashboard_queries(dashboard) {
            let result = match expr {
                Query::PromQl(expr) => check_expr(&known, &expr),
                Query::LabelValues { metric, label } => {
                    label_values(&known, metric.as_deref(), &label)
                }
            };
            report(&file.name, place, result);
        }
    }
    Ok(findings)
}

/// A query a dashboard runs.
enum Query {
    PromQl(String),
    /// `label_values(metric, label)` or `label_values(label)`.
    LabelValues {
        metric: Option<String>,
        label: String,
    },
}

/// Every Prometheus query of a dashboard: panel targets (rows' panels
/// included) and query variables, each with where it is.
fn dashboard_queries(dashboard: &Value) -> Vec<(String, Query)> {
    let mut queries = Vec::new();
    panel_queries(&dashboard["panels"], &mut queries);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"].as_str() != Some("query") {
            continue;
        }
        let query = variable["query"]
            .as_str()
            .or(variable["query"]["query"].as_str())
            .unwrap_or("");
        let place = format!("variable `{}`", variable["name"].as_str().unwrap_or(""));
        if let Some(args) = query
            .trim()
            .strip_prefix("label_values(")
            .and_then(|q| q.strip_suffix(')'))
        {
            let (metric, label) = match args.rsplit_once(',') {
                Some((metric, label)) => (Some(metric.trim().to_owned()), label.trim().to_owned()),
                None => (None, args.trim().to_owned()),
            };
            queries.push((place, Query::LabelValues { metric, label }));
        } else if let Some(expr) = query
            .trim()
            .strip_prefix("query_result(")
            .and_then(|q| q.strip_suffix(')'))
        {
            queries.push((place, Query::PromQl(expr.to_owned())));
        }
    }
    queries
}

/// The Prometheus queries of `panels` and of the panels inside them (a
/// collapsed row holds its own), in document order.
fn panel_queries(panels: &Value, queries: &mut Vec<(String, Query)>) {
    for panel in panels.as_array().into_iter().flatten() {
        let title = panel["title"].as_str().unwrap_or("");
        for target in panel["targets"].as_array().into_iter().flatten() {
            let kind = target["datasource"]["type"]
                .as_str()
                .or(panel["datasource"]["type"].as_str());
            if kind.is_some_and(|kind| kind != "prometheus") {
                continue;
            }
            if let Some(expr) = target["expr"].as_str() {
                let ref_id = target["refId"].as_str().unwrap_or("?");
                queries.push((
                    format!("panel `{title}` (query {ref_id})"),
                    Query::PromQl(expr.to_owned()),
                ));
            }
        }
        panel_queries(&panel["panels"], queries);
    }
}

/// `label_values(metric, label)`: the metric is checked as a selector, and
/// the label must be one of its labels (or of any metric, without one).
fn label_values(
    known: &Known<'_>,
    metric: Option<&str>,
    label: &str,
) -> Result<Vec<String>, String> {
    let Some(metric) = metric else {
        let all: BTreeSet<&str> = known
            .catalog
            .metrics
            .iter()
            .flat_map(|m| m.labels.iter().map(|l| l.name.as_str()))
            .collect();
        if all.contains(label) || TARGET_LABELS.contains(&label) {
            return Ok(Vec::new());
        }
        return Ok(vec![format!(
            "no metric has label `{label}`{}",
            hint(label, all.iter().copied())
        )]);
    };
    // One walk checks the selector and gives the labels its series carry.
    let mut problems = Vec::new();
    let labels = walk(known, &parse(metric)?, &mut problems);
    grouping(&labels, &[label.to_owned()], "label_values", &mut problems);
    Ok(problems)
}
