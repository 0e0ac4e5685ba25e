//! Workflow primitives: every primitive's span nests under the one root span
//! (parallel branches included, though they run on other threads), retries
//! are sibling attempt spans, and the cache and retry counters match.

use obs_examples::workflow::{nightly_report, Engine, Node, Outcome, OutcomeLabels};
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
            ("workflow.step", Some("render_report")),
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
    assert_eq!(m.retries_total.get(), 1);
    assert_eq!((steps(Outcome::Ok), steps(Outcome::Error)), (5, 1));

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
    assert_eq!(m.retries_total.get(), 2);
    assert_eq!((steps(Outcome::Ok), steps(Outcome::Error)), (9, 2));
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
