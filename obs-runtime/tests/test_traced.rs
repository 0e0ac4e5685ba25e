//! `#[traced]` behavior, observed through the in-memory capture: nesting
//! across sync and async calls, error status, opt-in fields, redaction,
//! runtime level filtering, RED metrics and span descriptors.

use obs_runtime::testing::{capture, capture_at, capture_future};
use obs_runtime::{function_metrics, span_descriptors, traced, SpanKind, SpanLevel};
use std::fmt;

#[derive(Debug)]
struct LowerError(&'static str);

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot lower: {}", self.0)
    }
}

#[traced(level = "info", name = "pipeline.cycle", kind = "server")]
fn cycle(clauses: &[u32]) -> usize {
    clauses
        .iter()
        .filter(|c| lower("llvm", **c).is_ok())
        .count()
}

#[traced(
    level = "debug",
    name = "codegen.lower",
    err,
    fields(backend, clause),
    metrics
)]
fn lower(backend: &str, clause: u32) -> Result<u32, LowerError> {
    if clause == 0 {
        return Err(LowerError("empty clause"));
    }
    let checked = verify(clause)?;
    Ok(checked * 2)
}

#[traced(level = "trace", name = "codegen.verify", err(Debug))]
fn verify(clause: u32) -> Result<u32, LowerError> {
    if clause > 100 {
        Err(LowerError("too large"))
    } else {
        Ok(clause)
    }
}

#[test]
fn spans_nest_and_errors_set_the_status() {
    let (count, spans) = capture(|| cycle(&[1, 0, 200]));
    assert_eq!(count, 1);
    assert_eq!(
        spans.names(),
        [
            "pipeline.cycle",
            "codegen.lower",
            "codegen.verify",
            "codegen.lower",
            "codegen.lower",
            "codegen.verify"
        ]
    );
    let root = spans.span("pipeline.cycle");
    assert_eq!(root.kind(), "server");
    assert_eq!(root.level, "INFO");
    assert_eq!(root.parent, None);
    assert!(!root.is_error());
    assert!(
        !root.fields.contains_key("clauses"),
        "arguments are not recorded by default"
    );

    let lowers = spans.all("codegen.lower");
    assert!(lowers.iter().all(|s| s.parent == Some(root.index)));
    assert_eq!(lowers[0].field("backend"), Some("llvm"));
    assert_eq!(lowers[0].field("clause"), Some("1"));
    assert!(!lowers[0].is_error());

    // An early `return Err(..)` sets the status.
    assert!(lowers[1].is_error());
    assert_eq!(lowers[1].field("error.type"), Some("LowerError"));
    assert_eq!(
        lowers[1].field("exception.message"),
        Some("cannot lower: empty clause")
    );

    // `?` propagation: the child and the parent both fail, each with its own
    // formatting (`err(Debug)` on verify).
    let verify = &spans.all("codegen.verify")[1];
    assert_eq!(verify.parent, Some(lowers[2].index));
    assert_eq!(
        verify.field("exception.message"),
        Some("LowerError(\"too large\")")
    );
    assert!(lowers[2].is_error());
    assert!(spans.spans.iter().all(|s| s.closed));
    // No event is emitted for errors unless asked.
    assert!(spans.spans.iter().all(|s| s.events.is_empty()));
}

#[test]
fn levels_are_filtered_at_run_time() {
    let (_, spans) = capture_at(tracing::Level::DEBUG, || cycle(&[1]));
    assert_eq!(spans.names(), ["pipeline.cycle", "codegen.lower"]);
    let (_, spans) = capture_at(tracing::Level::INFO, || cycle(&[1]));
    assert_eq!(spans.names(), ["pipeline.cycle"]);
    let (_, spans) = capture_at(tracing::Level::ERROR, || cycle(&[1]));
    assert!(spans.names().is_empty());
}

#[traced(level = "info", name = "auth.login", redact(password), fields(user))]
fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && password.len() > 3
}

#[test]
fn secrets_are_redacted() {
    let (ok, spans) = capture(|| login("ada", "hunter22"));
    assert!(ok);
    let span = spans.span("auth.login");
    assert_eq!(span.field("user"), Some("ada"));
    assert_eq!(span.field("password"), Some("[redacted]"));
    assert!(!format!("{spans:?}").contains("hunter22"));
}

#[traced(level = "info", name = "fields.custom", fields(size = items.len(), first = ?items.first(), label = %name), ret)]
fn custom_fields(items: Vec<u8>, name: String) -> usize {
    items.len() * 2
}

#[test]
fn custom_fields_and_return_values_are_recorded() {
    let (_, spans) = capture(|| custom_fields(vec![7, 8], "batch".into()));
    let span = spans.span("fields.custom");
    assert_eq!(span.field("size"), Some("2"));
    assert_eq!(span.field("first"), Some("Some(7)"));
    assert_eq!(span.field("label"), Some("batch"));
    assert_eq!(span.field("ret"), Some("4"));
}

#[traced(level = "info", name = "workflow.run")]
async fn workflow(steps: u32) -> u32 {
    let mut done = 0;
    for step in 0..steps {
        done += step_async(step).await.unwrap_or(0);
    }
    done
}

#[traced(level = "debug", name = "workflow.step", err, fields(step))]
async fn step_async(step: u32) -> Result<u32, LowerError> {
    tokio::task::yield_now().await;
    if step == 1 {
        Err(LowerError("step failed"))
    } else {
        Ok(1)
    }
}

#[tokio::test]
async fn async_spans_nest_across_awaits() {
    let (done, spans) = capture_future(workflow(3)).await;
    assert_eq!(done, 2);
    let root = spans.span("workflow.run");
    let steps = spans.children(root);
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s.name == "workflow.step"));
    assert_eq!(steps[1].field("step"), Some("1"));
    assert!(steps[1].is_error());
    assert!(!steps[0].is_error());
}

#[traced(level = "debug", name = "red.checked", metrics, err)]
fn checked(n: u32) -> Result<u32, String> {
    if n.is_multiple_of(3) {
        Err(format!("{n} is a multiple of 3"))
    } else {
        Ok(n)
    }
}

#[test]
fn red_metrics_count_ok_and_error_calls() {
    for n in 0..10 {
        let _ = checked(n);
    }
    let red = function_metrics("red.checked").expect("called");
    // 0, 3, 6, 9 fail.
    assert_eq!((red.ok_count(), red.error_count()), (6, 4));
    let duration = red.duration();
    assert_eq!(duration.count, 10);
    assert_eq!(duration.cumulative_counts.last(), Some(&10));

    // They are exposed in the global registry under names shared by all functions.
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(text.contains(
        "obs_function_calls_total{function=\"red.checked\",module=\"test_traced\",result=\"error\"} 4\n"
    ), "{text}");
    assert!(text.contains(
        "obs_function_duration_seconds_count{function=\"red.checked\",module=\"test_traced\"} 10\n"
    ));
}

#[traced(level = "debug", name = "red.bucketed", metrics, buckets = [0.5, 1.0])]
fn bucketed() {}

#[test]
fn red_metrics_use_the_functions_own_buckets() {
    bucketed();
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    for le in ["0.5", "1.0", "+Inf"] {
        let line = format!(
            "obs_function_duration_seconds_bucket{{function=\"red.bucketed\",module=\"test_traced\",le=\"{le}\"}} 1\n"
        );
        assert!(text.contains(&line), "{line} in {text}");
    }
    assert!(!text.contains("function=\"red.bucketed\",module=\"test_traced\",le=\"0.25\""));
}

// Two callsites sharing a span name in one module are one series; the
// second's durations are read in the first's buckets, counts kept exact.
struct Fast;
struct Slow;

impl Fast {
    #[traced(level = "debug", name = "red.shared", metrics, buckets = [0.001, 10.0])]
    fn run(&self) {}
}

impl Slow {
    #[traced(level = "debug", name = "red.shared", metrics, buckets = [5.0, 20.0])]
    fn run(&self) {}
}

#[test]
fn callsites_with_one_name_and_different_buckets_are_one_exact_series() {
    Fast.run();
    Slow.run();
    Slow.run();
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    let series = |le: &str| {
        let prefix = format!(
            "obs_function_duration_seconds_bucket{{function=\"red.shared\",module=\"test_traced\",le=\"{le}\"}} "
        );
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{prefix} in {text}"))
            .to_owned()
    };
    // The fast call is under 1 ms in the first callsite's buckets; the slow
    // ones were counted under 5 s, which is not under 0.001, so only `10.0`
    // and `+Inf` can claim them.
    assert_eq!(series("10.0"), "3");
    assert_eq!(series("+Inf"), "3");
    assert!(text.contains(
        "obs_function_duration_seconds_count{function=\"red.shared\",module=\"test_traced\"} 3\n"
    ), "{text}");
}

#[test]
fn every_traced_function_has_a_descriptor() {
    let lower = span_descriptors()
        .iter()
        .find(|d| d.name == "codegen.lower")
        .expect("descriptor");
    assert_eq!(lower.level, SpanLevel::Debug);
    assert_eq!(lower.kind, SpanKind::Internal);
    assert_eq!(lower.module, "test_traced");
    assert_eq!(lower.target, "test_traced");
    assert!(lower.metrics);
    assert_eq!(
        lower.fields,
        [
            "otel.kind",
            "backend",
            "clause",
            "otel.status_code",
            "otel.status_description",
            "error.type",
            "exception.message"
        ]
    );
    assert!(lower.file.ends_with("test_traced.rs"));
    let cycle = span_descriptors()
        .iter()
        .find(|d| d.name == "pipeline.cycle")
        .unwrap();
    assert_eq!(cycle.kind, SpanKind::Server);
    assert_eq!(cycle.level, SpanLevel::Info);
}

struct Dispatcher {
    queue: Vec<u32>,
}

impl Dispatcher {
    #[traced(level = "trace", name = "runtime.dispatch.tick", fields(pending = self.queue.len()))]
    fn tick(&mut self) -> Option<u32> {
        self.queue.pop()
    }
}

#[test]
fn methods_are_traced() {
    let mut dispatcher = Dispatcher { queue: vec![1, 2] };
    let (popped, spans) = capture(|| dispatcher.tick());
    assert_eq!(popped, Some(2));
    assert_eq!(
        spans.span("runtime.dispatch.tick").field("pending"),
        Some("2")
    );
}

struct HttpRouter {
    routes: usize,
}

#[traced(level = "debug")]
impl HttpRouter {
    fn route(&self, path: &str) -> bool {
        path.len() <= self.routes
    }

    #[traced(level = "trace", fields(n))]
    fn grow(&mut self, n: usize) {
        self.routes += n;
    }

    #[traced(level = "info", name = "router.reset")]
    fn reset(&mut self) {
        self.routes = 0;
    }
}

#[test]
fn an_impl_block_names_spans_after_its_type() {
    let mut router = HttpRouter { routes: 1 };
    let (_, spans) = capture(|| {
        router.route("/a");
        router.grow(2);
        router.reset();
    });
    assert_eq!(
        spans.names(),
        ["http_router.route", "http_router.grow", "router.reset"]
    );
    assert_eq!(spans.span("http_router.route").level, "DEBUG");
    assert_eq!(spans.span("http_router.grow").level, "TRACE");
    assert_eq!(spans.span("http_router.grow").field("n"), Some("2"));
    assert_eq!(spans.span("router.reset").level, "INFO");
}

// === RED outcomes: cancelled calls, shared span names ===

#[traced(level = "debug", name = "red.cancelled", metrics)]
async fn never_finishes() {
    std::future::pending::<()>().await
}

/// An async call whose future is dropped before it completes counts as
/// `cancelled`, not `ok`.
#[test]
fn a_dropped_future_counts_as_cancelled() {
    use std::future::Future as _;
    use std::task::{Context, Waker};
    let mut future = Box::pin(never_finishes());
    let poll = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(poll.is_pending());
    drop(future);
    let red = function_metrics("red.cancelled").expect("called");
    assert_eq!(
        (red.ok_count(), red.error_count(), red.cancelled_count()),
        (0, 0, 1)
    );
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(text.contains(
        "obs_function_calls_total{function=\"red.cancelled\",module=\"test_traced\",result=\"cancelled\"} 1\n"
    ), "{text}");
}

struct Primary;
struct Replica;

impl Primary {
    #[traced(level = "debug", name = "red.store_write", metrics)]
    fn write(&self) {}
}

impl Replica {
    #[traced(level = "debug", name = "red.store_write", metrics)]
    fn write(&self) {}
}

/// Two callsites with one span name in one module are one series, their
/// calls added up: duplicate series would make the scrape invalid.
#[test]
fn callsites_sharing_a_span_name_are_one_series() {
    Primary.write();
    Primary.write();
    Replica.write();
    let text = obs_runtime::Registry::global().encode(obs_runtime::Format::PROMETHEUS_TEXT);
    let lines = |prefix: &str| -> Vec<&str> {
        text.lines()
            .filter(|line| line.starts_with(prefix))
            .collect()
    };
    assert_eq!(
        lines("obs_function_calls_total{function=\"red.store_write\",module=\"test_traced\",result=\"ok\"}"),
        ["obs_function_calls_total{function=\"red.store_write\",module=\"test_traced\",result=\"ok\"} 3"]
    );
    assert_eq!(
        lines("obs_function_duration_seconds_count{function=\"red.store_write\""),
        ["obs_function_duration_seconds_count{function=\"red.store_write\",module=\"test_traced\"} 3"]
    );
}
