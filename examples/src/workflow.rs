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
//!     ├── workflow.validate          report_not_empty: the rendered report is checked
//!     │   └── workflow.step          render_report
//!     └── workflow.retry             the model call, rate-limited once
//!         ├── workflow.attempt       1, failed
//!         │   └── workflow.step      llm_summarize
//!         └── workflow.attempt       2
//!             └── workflow.step      llm_summarize
//! ```
//!
//! Every primitive also counts in `workflow_primitive_requests_total` by
//! `primitive_type` and `status`, and times itself in
//! `workflow_primitive_duration_seconds` by `primitive_type` (a primitive's
//! time includes the primitives inside it); `workflow_cache_hit_ratio` is
//! the share of cache lookups that found a value. The correlation values a
//! run carries (the workflow name, a step's input) are span fields, never
//! labels: each would be a new series.

use obs_runtime::{
    traced, Counter, Family, Gauge, Histogram, LabelSet, LabelValue, MetricGroup, Metrics,
    Registry, RegistryError,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Instant;
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

/// The kind of a node: a bounded label.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PrimitiveType {
    /// A unit of work.
    Step,
    /// Nodes in order.
    Sequential,
    /// Nodes at once.
    Parallel,
    /// A cached node.
    Cache,
    /// A retried node.
    Retry,
    /// A node whose output is checked.
    Validate,
}

/// Labels by primitive type: 6 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PrimitiveLabels {
    /// The primitive.
    pub primitive_type: PrimitiveType,
}

/// Labels by primitive type and status: 12 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PrimitiveStatusLabels {
    /// The primitive.
    pub primitive_type: PrimitiveType,
    /// How it ended.
    pub status: Outcome,
}

/// Everything the engine records.
#[derive(Metrics, Debug)]
#[metrics(prefix = "workflow")]
pub struct WorkflowMetrics {
    /// Cache lookups that found a value.
    pub cache_hits_total: Counter,
    /// Cache lookups that found none and ran the cached node.
    pub cache_misses_total: Counter,
    /// The share of cache lookups that found a value, since start.
    pub cache_hit_ratio: Gauge,
    /// Primitives run, by type and status (nested ones count too).
    pub primitive_requests_total: Family<PrimitiveStatusLabels, Counter>,
    /// Time to run one primitive, by type (the primitives inside it
    /// included).
    #[metric(buckets = exponential(0.00001, 4.0, 10))]
    pub primitive_duration_seconds: Family<PrimitiveLabels, Histogram>,
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
type CheckFn = dyn Fn(u64) -> Result<(), String> + Send + Sync;

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
    /// A node whose output must pass the named check.
    Validate(&'static str, Arc<CheckFn>, Box<Node>),
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

    /// This node, its output checked by `check` (named `rule`).
    pub fn validated(
        self,
        rule: &'static str,
        check: impl Fn(u64) -> Result<(), String> + Send + Sync + 'static,
    ) -> Node {
        Node::Validate(rule, Arc::new(check), Box::new(self))
    }

    /// The primitive this node is.
    pub fn primitive_type(&self) -> PrimitiveType {
        match self {
            Node::Step(..) => PrimitiveType::Step,
            Node::Sequential(_) => PrimitiveType::Sequential,
            Node::Parallel(_) => PrimitiveType::Parallel,
            Node::Cached(..) => PrimitiveType::Cache,
            Node::Retry(..) => PrimitiveType::Retry,
            Node::Validate(..) => PrimitiveType::Validate,
        }
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
            Node::Validate(rule, _, node) => {
                f.debug_tuple("Validate").field(rule).field(node).finish()
            }
        }
    }
}

/// The example workflow: load an exchange rate, fetch three regions' order
/// totals in parallel (one cached, one flaky and retried), render the sum
/// and check it, then have a (simulated) language model summarise it, which
/// is rate-limited on its first attempt and retried.
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
        Node::step("render_report", |input| Ok(input.value)).validated(
            "report_not_empty",
            |total| match total {
                0 => Err("the report has no revenue".to_owned()),
                _ => Ok(()),
            },
        ),
        Node::step("llm_summarize", |input: Input| {
            if input.attempt < 2 {
                Err("model rate-limited (429)".to_owned())
            } else {
                Ok(input.value)
            }
        })
        .retry(3),
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
        let started = Instant::now();
        let result = match node {
            Node::Step(name, run) => self.step(name, run.as_ref(), input),
            Node::Sequential(nodes) => self.sequential(nodes, input),
            Node::Parallel(nodes) => self.parallel(nodes, input),
            Node::Cached(key, node) => self.cached(key, node, input),
            Node::Retry(max_attempts, node) => self.retry(*max_attempts, node, input),
            Node::Validate(rule, check, node) => self.validate(rule, check.as_ref(), node, input),
        };
        let primitive_type = node.primitive_type();
        let m = &self.metrics;
        m.primitive_duration_seconds
            .get(&PrimitiveLabels { primitive_type })
            .observe(started.elapsed().as_secs_f64());
        m.primitive_requests_total
            .get(&PrimitiveStatusLabels {
                primitive_type,
                status: Outcome::of(&result),
            })
            .inc();
        result
    }

    #[traced(level = "debug", name = "workflow.validate", err, fields(rule))]
    fn validate(
        &self,
        rule: &'static str,
        check: &CheckFn,
        node: &Node,
        input: Input,
    ) -> Result<u64, StepError> {
        let value = self.execute(node, input)?;
        check(value).map_err(|message| StepError {
            step: rule,
            message,
        })?;
        Ok(value)
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
        let m = &self.metrics;
        if let Some(value) = cached {
            m.cache_hits_total.inc();
            self.update_hit_ratio();
            return Ok(value);
        }
        m.cache_misses_total.inc();
        self.update_hit_ratio();
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

    fn update_hit_ratio(&self) {
        let m = &self.metrics;
        let (hits, misses) = (m.cache_hits_total.get(), m.cache_misses_total.get());
        m.cache_hit_ratio
            .set(hits as f64 / (hits + misses).max(1) as f64);
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, u64>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
