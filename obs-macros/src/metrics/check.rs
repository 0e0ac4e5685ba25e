//! The rules of `#[derive(Metrics)]`. The naming rules themselves live in
//! `obs-rules`, shared with the runtime; this file decides which apply where
//! and points each error at the right tokens.

use super::ast::{Container, Field};
use crate::ctxt::Ctxt;
use crate::display::type_name;
use obs_rules::{FamilyLimit, MetricType};
use std::collections::HashMap;

pub(crate) fn check(cx: &Ctxt, container: &Container<'_>) {
    check_prefix(cx, container);
    for field in &container.fields {
        check_type(cx, field);
        check_name(cx, field);
        check_help(cx, field);
        check_unit(cx, field);
        check_buckets(cx, field);
        check_limits(cx, field);
        check_objectives(cx, field);
    }
    check_duplicates(cx, container);
}

// An objective on a derived metric is a latency objective on a histogram:
// a counter or gauge has no distribution to hold a threshold against, and
// success needs failures, which `#[traced(metrics)]` counts.
fn check_objectives(cx: &Ctxt, field: &Field<'_>) {
    let (Some(class), Some((tokens, objectives))) = (field.class, &field.objectives) else {
        return;
    };
    if class.metric_type != MetricType::Histogram {
        cx.error_with_help(
            tokens,
            &format!("`objective(…)` goes on a histogram, and `{}` is a {}", field.name.1, class.metric_type),
            "declare latency objectives on a histogram, and success objectives on `#[traced(metrics, objective(success = …))]`",
        );
        return;
    }
    for decl in objectives.iter().filter(|decl| decl.threshold.is_none()) {
        cx.error_with_help(
            &decl.kind,
            "a histogram counts no failures, so it cannot hold a `success` objective",
            "declare it on the function: `#[traced(metrics, objective(success = …))]`",
        );
    }
    let buckets = match &field.buckets {
        Some((_, expr)) => match expr.evaluate() {
            Ok(buckets) => buckets,
            // The bucket error is reported on its own.
            Err(_) => return,
        },
        None => obs_rules::DEFAULT_BUCKETS.to_vec(),
    };
    crate::objective::check(cx, objectives, &buckets);
}

// The prefix is spelled like a metric name, so prefix + `_` + name is too.
fn check_prefix(cx: &Ctxt, container: &Container<'_>) {
    if let Some((tokens, prefix)) = &container.prefix {
        if let Err(violation) = obs_rules::check_prefix(prefix) {
            cx.violation(tokens, violation);
        }
    }
}

// A field must be a metric type, read from its tokens, so that the name rules
// for its type can run at compile time. Saying so beats a trait-bound wall.
fn check_type(cx: &Ctxt, field: &Field<'_>) {
    if field.class.is_none() {
        let ty = field.ty;
        cx.error_with_help(
            ty,
            &format!(
                "field `{}` has type `{}`, which is not a metric type",
                field.member,
                type_name(ty)
            ),
            "use `Counter`, `Gauge`, `IntGauge`, `Histogram` or `Family<Labels, Counter | Gauge | IntGauge | Histogram>`",
        );
    }
}

// Names follow Prometheus conventions: snake_case, `_total` on counters only,
// base units, no reserved suffix. Checked on the name as written (without the
// prefix) so that the suggested rename is what the user should type.
fn check_name(cx: &Ctxt, field: &Field<'_>) {
    let Some(class) = field.class else { return };
    let (tokens, name) = &field.name;
    if let Err(violation) = obs_rules::check_metric_name(name, class.metric_type) {
        cx.violation(tokens, violation);
    }
}

// Every metric needs help text: it is the only documentation a dashboard
// reader sees. An explicit `help = ""` is pointed at; a missing one at the
// field, with how to write one.
fn check_help(cx: &Ctxt, field: &Field<'_>) {
    match &field.help {
        Some((tokens, help)) => {
            if let Err(violation) = obs_rules::check_help(&field.name.1, help) {
                cx.violation(tokens, violation);
            }
        }
        None => {
            if let Err(mut violation) = obs_rules::check_help(&field.name.1, "") {
                violation.help = Some(
                    "add a doc comment (`/// What it measures.`) or `#[metric(help = \"…\")]`"
                        .to_owned(),
                );
                cx.violation(field.member, violation);
            }
        }
    }
}

// A declared unit must be a base unit and the name must end in it.
fn check_unit(cx: &Ctxt, field: &Field<'_>) {
    let (Some(class), Some((tokens, unit))) = (field.class, &field.unit) else {
        return;
    };
    if let Err(violation) = obs_rules::check_declared_unit(&field.name.1, class.metric_type, unit) {
        cx.violation(tokens, violation);
    }
}

// Buckets belong to histograms only, and must be non-empty, finite and
// strictly increasing, whichever form wrote them.
fn check_buckets(cx: &Ctxt, field: &Field<'_>) {
    let (Some(class), Some((tokens, buckets))) = (field.class, &field.buckets) else {
        return;
    };
    if let Err(violation) = obs_rules::check_buckets_allowed(&field.name.1, class.metric_type) {
        cx.violation(tokens, violation);
        return;
    }
    if let Err((at, violation)) = buckets.evaluate() {
        cx.violation(at.unwrap_or(tokens), violation);
    }
}

// Series caps and label-value limits only mean something for a family.
fn check_limits(cx: &Ctxt, field: &Field<'_>) {
    let Some(class) = field.class else {
        return;
    };
    for (limit, set) in [
        (FamilyLimit::MaxSeries, &field.max_series),
        (FamilyLimit::MaxLabelBytes, &field.max_label_bytes),
    ] {
        if let Some((tokens, value)) = set {
            let checked = obs_rules::check_family_limit(limit, *value, &field.name.1, class.family);
            if let Err(violation) = checked {
                cx.violation(tokens, violation);
            }
        }
    }
}

// Two metrics of one struct cannot share a name, nor an OpenMetrics family
// name (a gauge `jobs` and a counter `jobs_total` are both family `jobs`).
fn check_duplicates(cx: &Ctxt, container: &Container<'_>) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in &container.fields {
        let Some(class) = field.class else { continue };
        let name = field.name.1.as_str();
        let family = obs_rules::family_name(name, class.metric_type);
        if let Some(first) = seen.get(family) {
            let owner = &container.original.ident;
            let message = if first.name.1 == name {
                format!(
                    "metric `{name}` is declared twice in `{owner}`: field `{}` already has this name",
                    first.member
                )
            } else {
                format!(
                    "metric `{name}` collides with `{}` (field `{}`) in `{owner}`: both belong to the OpenMetrics family `{family}`",
                    first.name.1, first.member
                )
            };
            cx.error_with_help(
                &field.name.0,
                &message,
                "give each metric its own name with `#[metric(name = \"…\")]`",
            );
        } else {
            seen.insert(family, field);
        }
    }
}
