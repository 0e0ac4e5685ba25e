//! `#[traced]` on `async fn` (free, methods, in trait impls) and on functions
//! returning `impl Future` whose body ends in an `async` block: the span
//! covers every poll, and the futures stay `Send`.
#![deny(warnings)]

use obs_runtime::testing::capture_future;
use obs_runtime::{function_metrics, traced};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Polls a future to completion on this thread (the futures here only wait
/// for `YieldNow`).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Returns `Pending` once, so the futures below are polled more than once.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

fn yield_now() -> YieldNow {
    YieldNow(false)
}

fn assert_send<T: Send>(_: &T) {}

#[derive(Debug, PartialEq)]
struct StepError(u32);

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} failed", self.0)
    }
}

impl From<std::num::TryFromIntError> for StepError {
    fn from(_: std::num::TryFromIntError) -> Self {
        StepError(u32::MAX)
    }
}

#[traced(level = "info", name = "workflow.run", fields(steps), ret)]
async fn run(steps: u32) -> u32 {
    let mut done = 0;
    for step in 0..steps {
        done += step_once(step).await.unwrap_or(0);
    }
    done
}

// `impl Future<Output = Result<…>>`: `err` reads the future's output.
#[traced(level = "debug", name = "workflow.check", err, metrics)]
fn check(step: u32) -> impl Future<Output = Result<u32, StepError>> {
    async move {
        yield_now().await;
        if step > 5 {
            return Err(StepError(step));
        }
        Ok(step)
    }
}

// `?`, an early `return` and `err`/`metrics` in an `async fn`.
#[traced(
    level = "debug",
    name = "workflow.step",
    err,
    ret,
    metrics,
    fields(step)
)]
async fn step_once(step: u32) -> Result<u32, StepError> {
    yield_now().await;
    if step == 1 {
        return Err(StepError(step));
    }
    let small: u8 = u8::try_from(step * 100)?;
    Ok(u32::from(small) / 100 + 1)
}

// Nothing read from the result: the body is instrumented as is.
#[traced(level = "debug", name = "workflow.idle")]
async fn idle() {
    yield_now().await;
}

// `impl Future` whose body ends in an `async` block: the synchronous part and
// every poll of the returned future are in the span.
#[traced(level = "debug", name = "workflow.fetch", fields(key), ret, metrics)]
fn fetch(key: &'static str) -> impl Future<Output = usize> + Send {
    // The synchronous part runs in the function's scope: its names do not
    // meet the expansion's.
    let __obs_span = key.len();
    let __obs_future_span = __obs_span;
    let __obs_record_span = __obs_future_span;
    let __obs_entered = __obs_record_span;
    let length = __obs_entered;
    async move {
        yield_now().await;
        inner().await + length
    }
}

#[traced(level = "trace", name = "workflow.inner")]
async fn inner() -> usize {
    yield_now().await;
    1
}

// The same shape without a value to read.
#[traced(level = "debug", name = "workflow.fire")]
fn fire() -> impl Future<Output = ()> {
    async {
        yield_now().await;
    }
}

struct Worker {
    id: u32,
}

impl Worker {
    #[traced(level = "debug", name = "worker.handle", fields(id = self.id), err)]
    async fn handle(&self, job: u32) -> Result<u32, StepError> {
        step_once(job).await.map(|n| n + self.id)
    }

    #[traced(level = "debug", name = "worker.reset")]
    async fn reset(&mut self) {
        yield_now().await;
        self.id = 0;
    }
}

trait Job {
    async fn execute(&self) -> u32;
    fn name(&self) -> &'static str;
}

impl Job for Worker {
    #[traced(level = "debug", name = "job.execute", ret)]
    async fn execute(&self) -> u32 {
        yield_now().await;
        self.id
    }

    #[traced(level = "trace", name = "job.name")]
    fn name(&self) -> &'static str {
        "worker"
    }
}

#[traced(level = "debug")]
impl Worker {
    async fn pause(&self) -> u32 {
        yield_now().await;
        self.id
    }
}

fn main() {
    // Every future stays `Send`, so it can run on a multi-threaded executor.
    assert_send(&run(3));
    assert_send(&step_once(1));
    assert_send(&idle());
    assert_send(&fetch("k"));
    assert_send(&fire());
    assert_send(&check(1));
    let worker = Worker { id: 7 };
    assert_send(&worker.handle(2));
    assert_send(&worker.execute());
    assert_send(&worker.pause());

    let (done, spans) = block_on(capture_future(run(3)));
    assert_eq!(done, 1 + 3);
    let root = spans.span("workflow.run");
    assert_eq!(root.field("steps"), Some("3"));
    assert_eq!(root.field("ret"), Some("4"));
    let steps = spans.children(root);
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s.name == "workflow.step" && s.closed));
    assert_eq!(steps[1].field("step"), Some("1"));
    assert!(steps[1].is_error());
    assert_eq!(steps[1].field("exception.message"), Some("step 1 failed"));
    assert!(!steps[2].is_error());
    assert_eq!(steps[2].field("ret"), Some("3"));
    assert_eq!(
        block_on(step_once(3)),
        Err(StepError(u32::MAX)),
        "`?` converts the error"
    );
    let red = function_metrics("workflow.step").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (2, 2));

    let (_, spans) = block_on(capture_future(idle()));
    assert!(spans.span("workflow.idle").closed);

    // The span is created when `fetch` is called, so the call is captured too.
    let (length, spans) = block_on(capture_future(async { fetch("key").await }));
    assert_eq!(length, 4);
    let fetch_span = spans.span("workflow.fetch");
    assert_eq!(fetch_span.field("key"), Some("key"));
    assert_eq!(fetch_span.field("ret"), Some("4"));
    assert_eq!(
        spans.span("workflow.inner").parent,
        Some(fetch_span.index),
        "polls of the returned future are inside the span"
    );
    assert_eq!(
        function_metrics("workflow.fetch")
            .expect("called")
            .ok_count(),
        1
    );
    let (checked, spans) = block_on(capture_future(async { (check(1).await, check(9).await) }));
    assert_eq!(checked, (Ok(1), Err(StepError(9))));
    let checks = spans.all("workflow.check");
    assert!(!checks[0].is_error());
    assert!(checks[1].is_error());
    assert_eq!(checks[1].field("exception.message"), Some("step 9 failed"));
    let red = function_metrics("workflow.check").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (1, 1));

    let (_, spans) = block_on(capture_future(async { fire().await }));
    assert!(spans.span("workflow.fire").closed);

    let (handled, spans) = block_on(capture_future(async {
        let mut worker = Worker { id: 7 };
        let ok = worker.handle(2).await;
        let failed = worker.handle(1).await;
        let executed = worker.execute().await;
        let paused = worker.pause().await;
        let name = worker.name();
        worker.reset().await;
        (ok, failed, executed, paused, name, worker.id)
    }));
    assert_eq!(handled, (Ok(10), Err(StepError(1)), 7, 7, "worker", 0));
    let handles = spans.all("worker.handle");
    assert_eq!(handles[0].field("id"), Some("7"));
    assert!(!handles[0].is_error());
    assert!(handles[1].is_error());
    assert_eq!(spans.span("workflow.step").parent, Some(handles[0].index));
    assert_eq!(spans.span("job.execute").field("ret"), Some("7"));
    assert_eq!(spans.span("worker.pause").level, "DEBUG");
    assert!(spans.find("job.name").is_some());
    assert!(spans.span("worker.reset").closed);
}
