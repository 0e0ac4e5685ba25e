//! `obs diff OLD NEW`: what changed between two catalogs, breaking or safe.
//!
//! Breaking, for dashboards, alerts and recording rules that read the old
//! names: a metric or span removed (or renamed, which is a removal and an
//! addition), a type change, a label removed or renamed, a label value
//! removed, a unit or bucket change. Safe: additions.

use obs_runtime::{Catalog, CatalogMetric};

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether dashboards, alerts or rules reading the old catalog break.
    pub breaking: bool,
    /// What changed.
    pub message: String,
}

/// The changes from `old` to `new`: breaking first, each group in catalog
/// order.
///
/// ```
/// let read = |json: &str| obs_cli::input::parse_catalog("c.json", json).unwrap();
/// let old = read(r#"{"version": 1, "spans": [], "metrics": [
///     {"name": "jobs_total", "type": "counter", "help": "Jobs.", "series": 1, "owner": "app"}]}"#);
/// let new = read(r#"{"version": 1, "spans": [], "metrics": [
///     {"name": "jobs_run_total", "type": "counter", "help": "Jobs.", "series": 1, "owner": "app"}]}"#);
/// let changes = obs_cli::diff::diff(&old, &new);
/// assert_eq!(changes[0].message, "metric `jobs_total` removed (was it renamed `jobs_run_total`?)");
/// assert!(changes[0].breaking);
/// assert_eq!(changes[1].message, "metric `jobs_run_total` added");
/// assert!(!changes[1].breaking);
/// ```
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut change = |breaking: bool, message: String| changes.push(Change { breaking, message });
    let added_metrics = added(&new.metrics, |m| &m.name, |name| old.metric(name).is_some());
    for before in &old.metrics {
        match new.metric(&before.name) {
            None => change(
                true,
                format!(
                    "metric `{}` removed{}",
                    before.name,
                    renamed(&before.name, &added_metrics)
                ),
            ),
            Some(after) => metric(before, after, &mut change),
        }
    }
    let added_spans = added(&new.spans, |s| &s.name, |name| old.span(name).is_some());
    for before in &old.spans {
        let Some(after) = new.span(&before.name) else {
            change(
                true,
                format!(
                    "span `{}` removed{}",
                    before.name,
                    renamed(&before.name, &added_spans)
                ),
            );
            continue;
        };
        if before.metrics && !after.metrics {
            change(
                true,
                format!("span `{}` no longer records RED metrics", before.name),
            );
        }
        for field in before.fields.iter().filter(|f| !after.fields.contains(f)) {
            change(
                true,
                format!("span `{}`: field `{field}` removed", before.name),
            );
        }
        if before.kind != after.kind {
            change(
                true,
                format!(
                    "span `{}`: kind changed from {} to {}",
                    before.name, before.kind, after.kind
                ),
            );
        }
        if before.level != after.level {
            change(
                false,
                format!(
                    "span `{}`: level changed from {} to {}",
                    before.name, before.level, after.level
                ),
            );
        }
        for field in after.fields.iter().filter(|f| !before.fields.contains(f)) {
            change(
                false,
                format!("span `{}`: field `{field}` added", before.name),
            );
        }
    }
    for name in added_metrics {
        change(false, format!("metric `{name}` added"));
    }
    for name in added_spans {
        change(false, format!("span `{name}` added"));
    }
    changes.sort_by_key(|c| !c.breaking);
    changes
}

/// The names of `items` that `existed` says are new.
fn added<'a, T>(
    items: &'a [T],
    name: impl Fn(&'a T) -> &'a String,
    existed: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    items
        .iter()
        .map(|item| name(item).as_str())
        .filter(|name| !existed(name))
        .collect()
}

/// A rename guess: an added name within half the removed one's length of
/// edits (renames add or drop whole words, more than a typo does).
fn renamed(name: &str, added: &[&str]) -> String {
    crate::names::nearest(name, added.iter().copied(), name.chars().count() / 2)
        .map_or_else(String::new, |to| format!(" (was it renamed `{to}`?)"))
}

fn metric(before: &CatalogMetric, after: &CatalogMetric, change: &mut dyn FnMut(bool, String)) {
    let name = &before.name;
    if before.metric_type != after.metric_type {
        change(
            true,
            format!(
                "metric `{name}`: type changed from {} to {}",
                before.metric_type, after.metric_type
            ),
        );
    }
    if before.unit != after.unit {
        change(
            true,
            format!(
                "metric `{name}`: unit changed from {} to {}",
                before.unit.as_deref().unwrap_or("none"),
                after.unit.as_deref().unwrap_or("none")
            ),
        );
    }
    if before.buckets != after.buckets {
        change(
            true,
            format!(
                "metric `{name}`: buckets changed from {:?} to {:?}",
                before.buckets.as_deref().unwrap_or_default(),
                after.buckets.as_deref().unwrap_or_default()
            ),
        );
    }
    let added = added(
        &after.labels,
        |l| &l.name,
        |name| before.label(name).is_some(),
    );
    for label in &before.labels {
        let Some(now) = after.label(&label.name) else {
            change(
                true,
                format!(
                    "metric `{name}`: label `{}` removed{}",
                    label.name,
                    renamed(&label.name, &added)
                ),
            );
            continue;
        };
        if let (Some(was), Some(is)) = (label.fixed_values(), now.fixed_values()) {
            for value in was.iter().filter(|v| !is.contains(v)) {
                change(
                    true,
                    format!(
                        "metric `{name}`: label `{}` lost value `{value}`",
                        label.name
                    ),
                );
            }
            for value in is.iter().filter(|v| !was.contains(v)) {
                change(
                    false,
                    format!(
                        "metric `{name}`: label `{}` gained value `{value}`",
                        label.name
                    ),
                );
            }
        } else if label.unbounded != now.unbounded {
            let to = if now.unbounded {
                "unbounded"
            } else {
                "a fixed set"
            };
            change(
                false,
                format!("metric `{name}`: label `{}` is now {to}", label.name),
            );
        }
    }
    for label in added {
        // A new label splits every existing series: sums still add up, but
        // queries matching on the old label set see new series.
        change(false, format!("metric `{name}`: label `{label}` added"));
    }
    if before.help != after.help {
        change(false, format!("metric `{name}`: help changed"));
    }
}
