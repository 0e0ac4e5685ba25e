//! `obs weaver`: the catalog as an OpenTelemetry Weaver semantic-convention
//! registry: one attribute group holding every label and span field (enum
//! members for fixed label values), one `metric` group per metric and one
//! `span` group per span, so that Weaver's own checks and generators can run
//! on what the code declares.

use obs_runtime::{Catalog, CatalogMetric, MetricType};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Registry {
    groups: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    brief: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stability: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instrument: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span_kind: Option<String>,
    attributes: Vec<Attribute>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Attribute {
    Definition {
        id: String,
        #[serde(rename = "type")]
        kind: AttributeType,
        brief: String,
        stability: &'static str,
    },
    Reference {
        #[serde(rename = "ref")]
        id: String,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum AttributeType {
    Plain(&'static str),
    Enum { members: Vec<Member> },
}

#[derive(Serialize)]
struct Member {
    id: String,
    value: String,
    stability: &'static str,
}

#[derive(Serialize)]
struct Manifest {
    name: String,
    description: String,
    semconv_version: String,
    schema_base_url: String,
}

/// Telemetry declared in code has not been through a stability review.
const STABILITY: &str = "development";

/// The registry's files, as (path relative to the output directory, YAML).
pub fn render(catalog: &Catalog) -> Vec<(String, String)> {
    let service = catalog
        .service
        .clone()
        .unwrap_or_else(|| "service".to_owned());
    let slug = crate::dashboards::slug(&service).replace('-', "_");
    let mut attributes: BTreeMap<String, (AttributeSource, Vec<String>)> = BTreeMap::new();
    for metric in &catalog.metrics {
        for label in &metric.labels {
            let entry = attributes
                .entry(label.name.clone())
                .or_insert((AttributeSource::Label, Vec::new()));
            match label.fixed_values() {
                Some(values) if entry.0 == AttributeSource::Label => {
                    for value in values {
                        if !entry.1.contains(value) {
                            entry.1.push(value.clone());
                        }
                    }
                }
                _ => entry.0 = AttributeSource::Free,
            }
        }
    }
    for span in &catalog.spans {
        for field in &span.fields {
            attributes
                .entry(field.clone())
                .or_insert((AttributeSource::Free, Vec::new()))
                .0 = AttributeSource::Free;
        }
    }
    let definitions = attributes
        .iter()
        .map(|(id, (source, values))| Attribute::Definition {
            id: id.clone(),
            kind: match source {
                AttributeSource::Label => AttributeType::Enum {
                    members: values
                        .iter()
                        .map(|v| Member {
                            id: v.clone(),
                            value: v.clone(),
                            stability: STABILITY,
                        })
                        .collect(),
                },
                AttributeSource::Free => AttributeType::Plain("string"),
            },
            brief: format!("`{id}`, as {service} declares it."),
            stability: STABILITY,
        })
        .collect();
    let mut groups = vec![Group {
        id: format!("registry.{slug}"),
        kind: "attribute_group",
        brief: format!("Every label and span field {service} declares."),
        stability: None,
        metric_name: None,
        instrument: None,
        unit: None,
        span_kind: None,
        attributes: definitions,
    }];
    groups.extend(catalog.metrics.iter().map(metric_group));
    groups.extend(catalog.spans.iter().map(|span| {
        Group {
            id: format!("span.{}", span.name),
            kind: "span",
            brief: format!(
                "The span of `{}` ({}), at level {}.",
                span.name, span.module, span.level
            ),
            stability: Some(STABILITY),
            metric_name: None,
            instrument: None,
            unit: None,
            span_kind: Some(span.kind.to_string()),
            attributes: span
                .fields
                .iter()
                .map(|f| Attribute::Reference { id: f.clone() })
                .collect(),
        }
    }));
    let registry = Registry { groups };
    let manifest = Manifest {
        name: slug.clone(),
        description: format!(
            "The telemetry {service} declares, generated by `obs weaver` from its catalog."
        ),
        semconv_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_base_url: format!("https://{slug}.invalid/schemas/"),
    };
    let header = "# Generated by `obs weaver` from the telemetry catalog: regenerate it rather than editing it.\n";
    vec![
        (
            "registry_manifest.yaml".to_owned(),
            format!(
                "{header}{}",
                serde_norway::to_string(&manifest).unwrap_or_default()
            ),
        ),
        (
            format!("model/{slug}.yaml"),
            format!(
                "{header}{}",
                serde_norway::to_string(&registry).unwrap_or_default()
            ),
        ),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AttributeSource {
    /// A label with a fixed set of values everywhere it appears.
    Label,
    /// Any string: an unbounded label or a span field.
    Free,
}

fn metric_group(metric: &CatalogMetric) -> Group {
    Group {
        id: format!("metric.{}", metric.name),
        kind: "metric",
        brief: metric.help.clone(),
        stability: Some(STABILITY),
        metric_name: Some(metric.name.clone()),
        instrument: Some(match metric.metric_type {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }),
        // UCUM, as OpenTelemetry writes units.
        unit: Some(match metric.unit.as_deref() {
            Some("seconds") => "s",
            Some("bytes") => "By",
            Some("meters") => "m",
            Some("grams") => "g",
            Some("celsius") => "Cel",
            Some("volts") => "V",
            Some("amperes") => "A",
            Some("joules") => "J",
            _ => "1",
        }),
        span_kind: None,
        attributes: metric
            .labels
            .iter()
            .map(|l| Attribute::Reference { id: l.name.clone() })
            .collect(),
    }
}
