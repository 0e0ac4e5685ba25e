//! The catalog of the running binary, from what it declares.

use super::{Catalog, CatalogLabel, CatalogMetric, CatalogSpan, CATALOG_VERSION};
use crate::descriptor::MetricDescriptor;
use crate::registry::{metric_groups, Registry};
use crate::trace::catalog::span_descriptors;
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

/// The service name `init` runs as, for the catalogs it serves.
static SERVICE: OnceLock<String> = OnceLock::new();

/// The modules `init` scoped the catalog to; empty for the whole binary.
static SCOPE: OnceLock<Vec<String>> = OnceLock::new();

/// Records the service name and the catalog's scope (the first set stays).
#[cfg(feature = "init")]
pub(crate) fn set_service(name: String, modules: Vec<String>) {
    let _ = SERVICE.set(name);
    let _ = SCOPE.set(modules);
}

/// The catalog of this binary: every `#[derive(Metrics)]` struct and
/// `#[traced]` function linked into it, the RED metrics of
/// `#[traced(metrics)]` functions, and every metric registered with
/// [`Registry::global`] (run-time definitions, generic groups).
///
/// Declared metrics are listed whether or not they were registered, so a
/// catalog can be written before the service starts (`OBS_CATALOG_OUT`).
/// When `init` was given [`Config::catalog_modules`](crate::Config::catalog_modules),
/// the catalog is scoped to them, as with [`catalog_of`].
///
/// ```
/// #[obs_runtime::traced(level = "info", metrics, name = "docs.lookup")]
/// fn lookup() {}
///
/// let catalog = obs_runtime::catalog();
/// assert!(catalog.span("docs.lookup").unwrap().metrics);
/// let calls = catalog.metric("obs_function_calls_total").unwrap();
/// assert!(calls.label("function").unwrap().values.contains(&"docs.lookup".to_owned()));
/// ```
pub fn catalog() -> Catalog {
    let scope: Vec<&str> = SCOPE
        .get()
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    catalog_of(&scope)
}

/// The catalog of what the binary declares in `modules` (each a module path
/// and everything under it), with obs's own metrics and what was registered
/// at run time; with no modules, of the whole binary.
///
/// A binary links every crate it depends on and so declares all their
/// metrics and spans. When one crate serves several binaries, scope each
/// binary's catalog to the modules it runs, so that its dashboards and
/// alerts do not expect what it never registers.
///
/// ```
/// #[obs_runtime::traced(name = "docs.kept")]
/// fn kept() {}
///
/// let everything = obs_runtime::catalog_of(&[]);
/// assert!(everything.span("docs.kept").is_some());
/// let elsewhere = obs_runtime::catalog_of(&["some_other_crate"]);
/// assert!(elsewhere.span("docs.kept").is_none());
/// ```
pub fn catalog_of(modules: &[&str]) -> Catalog {
    let in_scope = |module: &str| {
        modules.is_empty()
            || modules.iter().any(|scope| {
                module
                    .strip_prefix(scope)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
            })
    };
    let mut spans: Vec<CatalogSpan> = span_descriptors()
        .iter()
        .filter(|span| in_scope(span.module))
        .map(|span| CatalogSpan {
            name: span.name.to_owned(),
            level: span.level,
            kind: span.kind,
            fields: span
                .fields
                .iter()
                .map(|field| (*field).to_owned())
                .collect(),
            metrics: span.metrics,
            target: span.target.to_owned(),
            module: span.module.to_owned(),
            file: span.file.to_owned(),
            line: span.line,
            objectives: span.objectives.to_vec(),
            buckets: span.metrics.then(|| span.buckets.to_vec()),
        })
        .collect();
    spans.sort_by(|a, b| (&a.name, &a.module, a.line).cmp(&(&b.name, &b.module, b.line)));

    // obs's own metrics are listed in every catalog; the tower layers'
    // only where a service declares them (`declare_metrics!`), as only it
    // knows whether it adds the layer.
    let own = |module: &str| {
        module.starts_with("obs_runtime") && !module.starts_with("obs_runtime::tower")
    };
    let mut groups: Vec<_> = metric_groups()
        .iter()
        .copied()
        .filter(|group| in_scope(group.module) || own(group.module))
        .collect();
    groups.sort_by_key(|group| group.owner);
    // Objectives a service gave `declare_metrics!`, kept before the
    // duplicates go.
    let declared: Vec<_> = groups
        .iter()
        .flat_map(|group| {
            group
                .objectives
                .iter()
                .map(|declared| (group.owner, declared))
        })
        .collect();
    // A group declared by its derive and again by `declare_metrics!` is
    // listed once.
    groups.dedup_by_key(|group| group.owner);
    let mut metrics: Vec<CatalogMetric> = groups
        .iter()
        .flat_map(|group| {
            group
                .descriptors
                .iter()
                .map(|descriptor| entry(descriptor, group.owner, Some(group.module)))
        })
        .collect();
    for (owner, declared) in declared {
        let metric = metrics
            .iter_mut()
            .find(|metric| metric.owner == owner && metric.name == declared.metric);
        if let Some(metric) = metric {
            if !metric.objectives.contains(&declared.objective) {
                metric.objectives.push(declared.objective);
            }
        }
    }
    metrics.extend(function_metrics(&spans));

    let mut seen: HashSet<String> = metrics.iter().map(|metric| metric.name.clone()).collect();
    let mut registered: Vec<CatalogMetric> = Registry::global()
        .declared()
        .into_iter()
        .filter(|(_, descriptor)| seen.insert(descriptor.name.to_string()))
        .map(|(owner, descriptor)| entry(&descriptor, &owner, None))
        .collect();
    registered.sort_by(|a, b| a.name.cmp(&b.name));
    metrics.extend(registered);

    Catalog {
        version: CATALOG_VERSION,
        service: SERVICE.get().cloned(),
        metrics,
        spans,
    }
}

/// The RED metrics, when any function records them: their `function` and
/// `module` labels take exactly the traced functions' names and modules, and
/// the durations' buckets are every bound a function uses (each function's
/// own are on its span).
fn function_metrics(spans: &[CatalogSpan]) -> Vec<CatalogMetric> {
    let red: Vec<&CatalogSpan> = spans.iter().filter(|span| span.metrics).collect();
    if red.is_empty() {
        return Vec::new();
    }
    let functions: BTreeSet<&str> = red.iter().map(|span| span.name.as_str()).collect();
    let modules: BTreeSet<&str> = red.iter().map(|span| span.module.as_str()).collect();
    let pairs: BTreeSet<(&str, &str)> = red
        .iter()
        .map(|span| (span.name.as_str(), span.module.as_str()))
        .collect();
    crate::trace::red::DESCRIPTORS
        .iter()
        .map(|descriptor| {
            let mut metric = entry(descriptor, crate::trace::red::OWNER, Some("obs_runtime"));
            for label in &mut metric.labels {
                let values = match label.name.as_str() {
                    "function" => &functions,
                    "module" => &modules,
                    _ => continue,
                };
                label.values = values.iter().map(|value| (*value).to_owned()).collect();
                label.unbounded = false;
            }
            // One series per function and module (per result for the calls).
            let per_pair = metric
                .label("result")
                .map_or(1, |result| result.values.len());
            metric.series = Some(pairs.len() * per_pair);
            metric.max_series = None;
            metric.max_label_bytes = None;
            if metric.buckets.is_some() {
                let mut bounds: Vec<f64> = red
                    .iter()
                    .flat_map(|span| span.buckets.iter().flatten().copied())
                    .collect();
                bounds.sort_by(f64::total_cmp);
                bounds.dedup();
                metric.buckets = Some(bounds);
            }
            metric
        })
        .collect()
}

fn entry(descriptor: &MetricDescriptor, owner: &str, module: Option<&str>) -> CatalogMetric {
    let labels = descriptor
        .label_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values = descriptor.label_values.get(i).copied().flatten();
            CatalogLabel {
                name: (*name).to_owned(),
                values: values
                    .unwrap_or_default()
                    .iter()
                    .map(|value| (*value).to_owned())
                    .collect(),
                unbounded: values.is_none(),
            }
        })
        .collect();
    let unbounded = descriptor.cardinality.is_none();
    CatalogMetric {
        name: descriptor.name.to_string(),
        metric_type: descriptor.metric_type,
        help: descriptor.help.to_string(),
        unit: descriptor.unit.map(str::to_owned),
        labels,
        series: descriptor.cardinality,
        max_series: unbounded.then(|| descriptor.max_series.unwrap_or(crate::DEFAULT_MAX_SERIES)),
        max_label_bytes: unbounded.then(|| {
            descriptor
                .max_label_bytes
                .unwrap_or(crate::DEFAULT_MAX_LABEL_BYTES)
        }),
        buckets: descriptor.buckets.as_ref().map(|buckets| buckets.to_vec()),
        owner: owner.to_owned(),
        crate_name: module.map(|module| module.split("::").next().unwrap_or(module).to_owned()),
        module: module.map(str::to_owned),
        objectives: descriptor.objectives.to_vec(),
    }
}
