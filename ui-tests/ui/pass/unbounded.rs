//! Unbounded label fields, opted in, of every accepted kind; a capped family
//! sends new values to its overflow series.
#![deny(warnings)]

use obs_runtime::{Counter, Family, LabelSet, LabelValue, MetricGroup, Metrics, Registry};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Prompt,
    Completion,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct TokenLabels {
    #[label(unbounded)]
    model: String,
    kind: Kind,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct RouteLabels {
    #[label(unbounded)]
    route: &'static str,
    #[label(unbounded)]
    tenant: Arc<str>,
    #[label(unbounded)]
    region: Cow<'static, str>,
    #[label(unbounded)]
    shard: u64,
    #[label(unbounded)]
    offset: i32,
}

#[derive(Metrics)]
#[metrics(prefix = "llm")]
struct LlmMetrics {
    /// Tokens used, by model and kind.
    #[metric(max_series = 2)]
    tokens_total: Family<TokenLabels, Counter>,
    /// Requests, by route.
    requests_total: Family<RouteLabels, Counter>,
}

fn main() {
    assert_eq!(TokenLabels::CARDINALITY, None);
    assert_eq!(
        RouteLabels::NAMES,
        ["route", "tenant", "region", "shard", "offset"]
    );
    assert_eq!(LlmMetrics::DESCRIPTORS[0].max_series, Some(2));
    assert_eq!(LlmMetrics::DESCRIPTORS[1].max_series, None);
    assert_eq!(LlmMetrics::DESCRIPTORS[1].cardinality, None);

    let registry = Registry::new();
    let metrics = LlmMetrics::register(&registry).expect("registers");
    for model in ["small", "large", "huge", "giant"] {
        metrics
            .tokens_total
            .get(&TokenLabels {
                model: model.to_owned(),
                kind: Kind::Prompt,
            })
            .inc_by(10);
    }
    assert_eq!(metrics.tokens_total.series_count(), 2);
    assert_eq!(metrics.tokens_total.overflow_count(), 2);
    metrics
        .requests_total
        .get(&RouteLabels {
            route: "/v1/chat",
            tenant: Arc::from("acme"),
            region: Cow::Borrowed("eu"),
            shard: 7,
            offset: -3,
        })
        .inc();

    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(r#"llm_tokens_total{model="small",kind="prompt"} 10"#),
        "{text}"
    );
    assert!(
        text.contains(r#"llm_tokens_total{otel_metric_overflow="true"} 20"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"llm_requests_total{route="/v1/chat",tenant="acme",region="eu",shard="7",offset="-3"} 1"#
        ),
        "{text}"
    );
}
