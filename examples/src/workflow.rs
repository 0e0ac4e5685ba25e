//! Workflow primitives: a workflow is a tree of steps composed with
//! sequential, parallel, cache and retry primitives. Every primitive runs in
//! a span of its own under the workflow's one root span, parallel branches
//! included (their threads carry the span over), so a trace shows the
//! workflow's real shape. The nightly report, after a retry:
//!
//! ```text
//! workflow.run
//! └── workflow.sequential
//!     ├── workflow.step              load_rates
//!     ├── workflow.parallel          (branches on threads)
//!     │   ├── workflow.cache         orders_eu: a miss runs the step, a hit does not
//!     │   │   └── workflow.step      fetch_orders_eu
//!     │   ├── workflow.retry
//!     │   │   ├── workflow.attempt   1, failed
//!     │   │   │   └── workflow.step  fetch_orders_us
//!     │   │   └── workflow.attempt   2
//!     │   │       └── workflow.step  fetch_orders_us
//!     │   └── workflow.step          fetch_orders_apac
//!     └── workflow.step              render_report
//! ```

use obs_runtime::{
    traced, Counter, Family, Histogram, LabelSet, LabelValue, MetricGroup, Metrics, Registry,
    RegistryError,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use tracing::field::Empty;

/// How a step or a run ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Outcome {
    /// It returned a value.
    Ok,
    /// It failed.
    Error,
}

impl Outcome {
    fn of<T, E>(result: &Result<T, E>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Error,
        }
    }
}

/// Labels by outcome: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct OutcomeLabels {
    /// How it ended.
    pub outcome: Outcome,
}

/// Everything the engine records.
#[derive(Metrics, Debug)]
#[metrics(prefix = "workflow")]
pub struct WorkflowMetrics {
    /// Cache lookups that found a value.
    pub cache_hits_total: Counter,
    /// Cache lookups that found none and ran the cached node.
    pub cache_misses_total: Counter,
    /// Attempts after the first, over every retry primitive.
    pub retries_total: Counter,
    /// Steps run, by outcome (each attempt counts).
    pub steps_total: Family<OutcomeLabels, Counter>,
    /// Workflow runs, by outcome.
    pub runs_total: Family<OutcomeLabels, Counter>,
    /// Time to run one workflow.
    #[metric(buckets = exponential(0.0001, 4.0, 10), objective(latency(0.1024) = 0.95))]
    pub run_duration_seconds: Histogram,
}

/// What a step receives: the value flowing through the workflow and, inside
/// a retry, the attempt number (1 elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// The previous step's output, or the workflow's input.
    pub value: u64,
    /// The attempt, from 1.
    pub attempt: u32,
}

impl Input {
    /// The workflow's input, on a first attempt.
    pub fn first(value: u64) -> Self {
        Input { value, attempt: 1 }
    }
}

/// A step that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError {
    /// The step.
    pub step: &'static str,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step `{}` failed: {}", self.step, self.message)
    }
}

impl std::error::Error for StepError {}

type StepFn = dyn Fn(Input) -> Result<u64, String> + Send + Sync;

/// A node of a workflow: a step, or a primitive over other nodes.
#[derive(Clone)]
pub enum Node {
    /// A named unit of work.
    Step(&'static str, Arc<StepFn>),
    /// Nodes run in order, each one's output the next one's input.
    Sequential(Vec<Node>),
    /// Nodes run at once on threads, with the same input; outputs summed.
    Parallel(Vec<Node>),
    /// A node whose value is kept under a key and reused.
    Cached(&'static str, Box<Node>),
    /// A node run up to `max_attempts` times, until it succeeds.
    Retry(u32, Box<Node>),
}

impl Node {
    /// A step.
    pub fn step(
        name: &'static str,
        run: impl Fn(Input) -> Result<u64, String> + Send + Sync + 'static,
    ) -> Node {
        Node::Step(name, Arc::new(run))
    }

    /// This node, its value cached under `key`.
    pub fn cached(self, key: &'static str) -> Node {
        Node::Cached(key, Box::new(self))
    }

    /// This node, retried up to `max_attempts` times in all.
    pub fn retry(self, max_attempts: u32) -> Node {
        Node::Retry(max_attempts, Box::new(self))
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Step(name, _) => f.debug_tuple("Step").field(name).finish(),
            Node::Sequential(nodes) => f.debug_tuple("Sequential").field(nodes).finish(),
            Node::Parallel(nodes) => f.debug_tuple("Parallel").field(nodes).finish(),
            Node::Cached(key, node) => f.debug_tuple("Cached").field(key).field(node).finish(),
            Node::Retry(max, node) => f.debug_tuple("Retry").field(max).field(node).finish(),
        }
    }
}

/// The example workflow: load an exchange rate, fetch three regions' order
/// totals in parallel (one cached, one flaky and retried), render the sum.
pub fn nightly_report() -> Node {
    // Order totals in cents, converted at the loaded rate (in percent).
    let convert = |cents: u64| move |input: Input| Ok(cents * input.value / 100);
    Node::Sequential(vec![
        Node::step("load_rates", |_| Ok(108)),
        Node::Parallel(vec![
            Node::step("fetch_orders_eu", convert(1_200_000)).cached("orders_eu"),
            Node::step("fetch_orders_us", |input: Input| {
                if input.attempt < 2 {
                    Err("orders service timed out".to_owned())
                } else {
                    Ok(950_000 * input.value / 100)
                }
            })
            .retry(3),
            Node::step("fetch_orders_apac", convert(400_000)),
        ]),
        Node::step("render_report", |input| Ok(input.value)),
    ])
}

/// Runs workflows, with one cache shared by all of them.
#[derive(Debug)]
pub struct Engine {
    /// The metrics, registered.
    pub metrics: Arc<WorkflowMetrics>,
    cache: Mutex<HashMap<&'static str, u64>>,
}

impl Engine {
    /// Registers the metrics with `registry`.
    pub fn new(registry: &Registry) -> Result<Self, RegistryError> {
        Ok(Engine {
            metrics: WorkflowMetrics::register(registry)?,
            cache: Mutex::default(),
        })
    }

    /// Runs the workflow `root` on `input`, in the root span of its trace.
    #[traced(
        level = "info",
        name = "workflow.run",
        err,
        fields(workflow = name, input),
        metrics,
        objective(success = 0.99)
    )]
    pub fn run(&self, name: &str, root: &Node, input: u64) -> Result<u64, StepError> {
        let _timer = self.metrics.run_duration_seconds.start_timer();
        let result = self.execute(root, Input::first(input));
        let outcome = Outcome::of(&result);
        self.metrics
            .runs_total
            .get(&OutcomeLabels { outcome })
            .inc();
        result
    }

    fn execute(&self, node: &Node, input: Input) -> Result<u64, StepError> {
        match node {
            Node::Step(name, run) => self.step(name, run.as_ref(), input),
            Node::Sequential(nodes) => self.sequential(nodes, input),
            Node::Parallel(nodes) => self.parallel(nodes, input),
            Node::Cached(key, node) => self.cached(key, node, input),
            Node::Retry(max_attempts, node) => self.retry(*max_attempts, node, input),
        }
    }

    #[traced(level = "debug", name = "workflow.sequential", err, fields(nodes = nodes.len()))]
    fn sequential(&self, nodes: &[Node], input: Input) -> Result<u64, StepError> {
        nodes.iter().try_fold(input.value, |value, node| {
            self.execute(node, Input { value, ..input })
        })
    }

    #[traced(level = "debug", name = "workflow.parallel", err, fields(branches = nodes.len()))]
    fn parallel(&self, nodes: &[Node], input: Input) -> Result<u64, StepError> {
        // A thread starts outside any span and with the global subscriber:
        // give each branch this span as parent, and this thread's subscriber.
        let span = tracing::Span::current();
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let results: Vec<Result<u64, StepError>> = thread::scope(|scope| {
            let branches: Vec<_> = nodes
                .iter()
                .map(|node| {
                    let (span, dispatch) = (span.clone(), dispatch.clone());
                    scope.spawn(move || {
                        tracing::dispatcher::with_default(&dispatch, || {
                            span.in_scope(|| self.execute(node, input))
                        })
                    })
                })
                .collect();
            branches
                .into_iter()
                .map(|branch| {
                    branch
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        results.into_iter().sum()
    }

    #[traced(level = "debug", name = "workflow.cache", err, fields(key, hit = Empty))]
    fn cached(&self, key: &'static str, node: &Node, input: Input) -> Result<u64, StepError> {
        let cached = self.lock_cache().get(key).copied();
        tracing::Span::current().record("hit", cached.is_some());
        if let Some(value) = cached {
            self.metrics.cache_hits_total.inc();
            return Ok(value);
        }
        self.metrics.cache_misses_total.inc();
        let value = self.execute(node, input)?;
        self.lock_cache().insert(key, value);
        Ok(value)
    }

    #[traced(level = "debug", name = "workflow.retry", err, fields(max_attempts))]
    fn retry(&self, max_attempts: u32, node: &Node, input: Input) -> Result<u64, StepError> {
        let mut attempt = 1;
        loop {
            match self.attempt(node, Input { attempt, ..input }) {
                Err(_) if attempt < max_attempts => {
                    self.metrics.retries_total.inc();
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    #[traced(level = "debug", name = "workflow.attempt", err, fields(attempt = input.attempt))]
    fn attempt(&self, node: &Node, input: Input) -> Result<u64, StepError> {
        self.execute(node, input)
    }

    #[traced(level = "debug", name = "workflow.step", err, fields(step = name, input = input.value))]
    fn step(&self, name: &'static str, run: &StepFn, input: Input) -> Result<u64, StepError> {
        let result = run(input).map_err(|message| StepError {
            step: name,
            message,
        });
        let outcome = Outcome::of(&result);
        self.metrics
            .steps_total
            .get(&OutcomeLabels { outcome })
            .inc();
        result
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, u64>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
