//! Workflow primitives: every primitive's span nests under the one root span
//! (parallel branches included, though they run on other threads), retries
//! are sibling attempt spans, and the cache and retry counters match.

use obs_examples::workflow::{
    nightly_report, Engine, Node, Outcome, OutcomeLabels, PrimitiveLabels, PrimitiveStatusLabels,
    PrimitiveType,
};
use obs_runtime::testing::{capture, Captured, CapturedSpan};
use obs_runtime::Registry;

/// The names of `span`'s children, sorted (parallel branches start in any order).
fn child_names(spans: &Captured, span: &CapturedSpan) -> Vec<String> {
    let mut names: Vec<String> = spans
        .children(span)
        .iter()
        .map(|child| match child.field("step") {
            Some(step) => format!("{} {step}", child.name),
            None => child.name.clone(),
        })
        .collect();
    names.sort();
    names
}

#[test]
fn primitives_nest_under_one_root_span() {
    let engine = Engine::new(&Registry::new()).unwrap();
    let report = nightly_report();
    let (result, spans) = capture(|| engine.run("nightly_report", &report, 0));
    // EU 1,200,000 + US 950,000 + APAC 400,000 cents, at a rate of 108%.
    assert_eq!(result, Ok(2_754_000));

    let root = spans.span("workflow.run");
    assert_eq!(root.parent, None);
    assert_eq!(root.level, "INFO");
    assert_eq!(root.field("workflow"), Some("nightly_report"));
    for span in &spans.spans {
        assert!(span.closed);
        if span.index != root.index {
            assert_eq!(spans.ancestors(span).last(), Some(&"workflow.run"));
            assert_eq!(span.level, "DEBUG", "{}", span.name);
        }
    }

    assert_eq!(child_names(&spans, root), ["workflow.sequential"]);
    let sequential = spans.span("workflow.sequential");
    let steps: Vec<_> = spans.children(sequential);
    let names: Vec<_> = steps
        .iter()
        .map(|s| (s.name.as_str(), s.field("step")))
        .collect();
    assert_eq!(
        names,
        [
            ("workflow.step", Some("load_rates")),
            ("workflow.parallel", None),
            ("workflow.validate", None),
            ("workflow.retry", None),
        ]
    );
    let parallel = spans.span("workflow.parallel");
    assert_eq!(
        child_names(&spans, parallel),
        [
            "workflow.cache",
            "workflow.retry",
            "workflow.step fetch_orders_apac"
        ]
    );

    // A cache miss runs its node inside the cache span.
    let cache = spans.span("workflow.cache");
    assert_eq!(cache.field("hit"), Some("false"));
    assert_eq!(cache.field("key"), Some("orders_eu"));
    assert_eq!(
        child_names(&spans, cache),
        ["workflow.step fetch_orders_eu"]
    );

    // Retries are sibling attempt spans, each with the step inside.
    let retry = spans.span("workflow.retry");
    assert!(!retry.is_error());
    let attempts = spans.children(retry);
    let numbers: Vec<_> = attempts.iter().map(|a| a.field("attempt")).collect();
    assert_eq!(numbers, [Some("1"), Some("2")]);
    assert!(attempts[0].is_error());
    assert!(!attempts[1].is_error());
    for attempt in attempts {
        assert_eq!(
            child_names(&spans, attempt),
            ["workflow.step fetch_orders_us"]
        );
    }
    let flaky = spans
        .all("workflow.step")
        .into_iter()
        .find(|step| step.field("step") == Some("fetch_orders_us"))
        .unwrap();
    assert_eq!(
        spans.ancestors(flaky),
        [
            "workflow.attempt",
            "workflow.retry",
            "workflow.parallel",
            "workflow.sequential",
            "workflow.run"
        ]
    );
    assert_eq!(
        flaky.field("exception.message"),
        Some("step `fetch_orders_us` failed: orders service timed out")
    );

    let m = &engine.metrics;
    let steps = |outcome| m.steps_total.get(&OutcomeLabels { outcome }).get();
    assert_eq!(
        (m.cache_hits_total.get(), m.cache_misses_total.get()),
        (0, 1)
    );
    // The US orders and the model call each needed a second attempt.
    assert_eq!(m.retries_total.get(), 2);
    assert_eq!((steps(Outcome::Ok), steps(Outcome::Error)), (6, 2));

    // The second run finds the EU orders in the cache: no step under it.
    let (again, spans) = capture(|| engine.run("nightly_report", &report, 0));
    assert_eq!(again, result);
    let cache = spans.span("workflow.cache");
    assert_eq!(cache.field("hit"), Some("true"));
    assert!(spans.children(cache).is_empty());
    assert_eq!(
        (m.cache_hits_total.get(), m.cache_misses_total.get()),
        (1, 1)
    );
    assert_eq!(m.retries_total.get(), 4);
    assert_eq!((steps(Outcome::Ok), steps(Outcome::Error)), (11, 4));
    assert_eq!(m.cache_hit_ratio.get(), 0.5);
    let runs = |outcome| m.runs_total.get(&OutcomeLabels { outcome }).get();
    assert_eq!((runs(Outcome::Ok), runs(Outcome::Error)), (2, 0));
    assert_eq!(m.run_duration_seconds.snapshot().count, 2);
}

#[test]
fn exhausted_retries_fail_the_workflow() {
    let engine = Engine::new(&Registry::new()).unwrap();
    let workflow = Node::Sequential(vec![
        Node::step("publish", |_| Err("broker unavailable".to_owned())).retry(3),
        Node::step("notify", |input| Ok(input.value)),
    ]);
    let (result, spans) = capture(|| engine.run("release", &workflow, 1));
    let err = result.unwrap_err();
    assert_eq!(err.to_string(), "step `publish` failed: broker unavailable");

    let attempts = spans.all("workflow.attempt");
    assert_eq!(attempts.len(), 3);
    let retry = spans.span("workflow.retry");
    assert!(attempts
        .iter()
        .all(|attempt| attempt.is_error() && attempt.parent == Some(retry.index)));
    for name in ["workflow.retry", "workflow.sequential", "workflow.run"] {
        let span = spans.span(name);
        assert!(span.is_error(), "{name}");
        assert_eq!(
            span.field("exception.message"),
            Some(err.to_string().as_str())
        );
    }
    // The sequence stops at the failure.
    assert!(spans
        .all("workflow.step")
        .iter()
        .all(|step| step.field("step") == Some("publish")));

    let m = &engine.metrics;
    assert_eq!(m.retries_total.get(), 2);
    let steps = |outcome| m.steps_total.get(&OutcomeLabels { outcome }).get();
    assert_eq!((steps(Outcome::Ok), steps(Outcome::Error)), (0, 3));
    let runs = |outcome| m.runs_total.get(&OutcomeLabels { outcome }).get();
    assert_eq!((runs(Outcome::Ok), runs(Outcome::Error)), (0, 1));
}

#[test]
fn the_model_call_is_retried_and_the_report_validated() {
    let engine = Engine::new(&Registry::new()).unwrap();
    let (result, spans) = capture(|| engine.run("nightly_report", &nightly_report(), 0));
    assert_eq!(result, Ok(2_754_000));
    let validate = spans.span("workflow.validate");
    assert_eq!(validate.field("rule"), Some("report_not_empty"));
    assert_eq!(
        child_names(&spans, validate),
        ["workflow.step render_report"]
    );
    let model = spans
        .all("workflow.step")
        .into_iter()
        .filter(|step| step.field("step") == Some("llm_summarize"))
        .collect::<Vec<_>>();
    assert_eq!(model.len(), 2);
    assert_eq!(
        model[0].field("exception.message"),
        Some("step `llm_summarize` failed: model rate-limited (429)")
    );
    assert_eq!(
        spans.ancestors(model[1])[..2],
        ["workflow.attempt", "workflow.retry"]
    );

    // A failed check fails the workflow, naming the rule.
    let empty = Node::step("render_report", |_| Ok(0)).validated("report_not_empty", |total| {
        if total == 0 {
            Err("the report has no revenue".to_owned())
        } else {
            Ok(())
        }
    });
    let (result, spans) = capture(|| engine.run("empty_report", &empty, 0));
    assert_eq!(
        result.unwrap_err().to_string(),
        "step `report_not_empty` failed: the report has no revenue"
    );
    assert!(spans.span("workflow.validate").is_error());
}

#[test]
fn every_primitive_is_counted_and_timed_by_type_and_status() {
    let engine = Engine::new(&Registry::new()).unwrap();
    engine.run("nightly_report", &nightly_report(), 0).unwrap();
    let m = &engine.metrics;
    let requests = |primitive_type, status| {
        m.primitive_requests_total
            .get(&PrimitiveStatusLabels {
                primitive_type,
                status,
            })
            .get()
    };
    let counted = [
        (PrimitiveType::Step, 6, 2),
        (PrimitiveType::Sequential, 1, 0),
        (PrimitiveType::Parallel, 1, 0),
        (PrimitiveType::Cache, 1, 0),
        (PrimitiveType::Retry, 2, 0),
        (PrimitiveType::Validate, 1, 0),
    ];
    for (primitive_type, ok, error) in counted {
        assert_eq!(
            (
                requests(primitive_type, Outcome::Ok),
                requests(primitive_type, Outcome::Error)
            ),
            (ok, error),
            "{primitive_type:?}"
        );
        let timed = m
            .primitive_duration_seconds
            .get(&PrimitiveLabels { primitive_type })
            .snapshot()
            .count;
        assert_eq!(timed, ok + error, "{primitive_type:?}");
    }
    assert_eq!(m.cache_hit_ratio.get(), 0.0);
}

/// Captured spans carry when they started and ended: every parent, on any
/// thread, spans over each of its children.
#[test]
fn every_parent_lasts_at_least_as_long_as_its_children() {
    let engine = Engine::new(&Registry::new()).unwrap();
    let (_, spans) = capture(|| engine.run("nightly_report", &nightly_report(), 0));
    let mut pairs = 0;
    for span in &spans.spans {
        assert!(span.duration().is_some(), "{} never closed", span.name);
        for child in spans.children(span) {
            assert!(
                span.spans_over(child),
                "{} ({:?}) does not span over its child {} ({:?})",
                span.name,
                span.duration(),
                child.name,
                child.duration()
            );
            assert!(span.duration() >= child.duration());
            pairs += 1;
        }
    }
    // Every span but the root is someone's child.
    assert_eq!(pairs, spans.spans.len() - 1);
}
