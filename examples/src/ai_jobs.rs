//! An AI-job workflow runner: a workflow runs jobs, a job runs actions (plan,
//! generate, review) on one model, and each action calls the model until it
//! succeeds or runs out of attempts. The model client is simulated: its
//! latencies, token counts and failures come from a seeded generator, so a
//! run is reproducible and a test can assert exact metric values.
//!
//! Spans: `ai.workflow.run` → `ai.job.run` → `ai.action.run` → `llm.complete`
//! (one per attempt). Job ids and each job's token usage are span fields;
//! metric labels stay bounded (model, action, token kind, error kind).
//!
//! `llm.complete` also records obs's RED metrics (`obs_function_calls_total`
//! and `obs_function_duration_seconds`, `function="llm.complete"`): calls by
//! result, and the real time they took, which for this simulated client is
//! next to nothing. The model's (simulated) time is in
//! `ai_action_duration_seconds`.

use crate::sim::Rng;
use obs_runtime::{
    traced, Counter, Family, Histogram, LabelSet, LabelValue, MetricGroup, Metrics, Registry,
    RegistryError,
};
use std::fmt;
use std::sync::Arc;
use tracing::field::Empty;

/// A model the runner calls.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Model {
    /// A large model: slow, verbose.
    #[label(rename = "llama-3-70b")]
    Large,
    /// A small model: fast, terse.
    #[label(rename = "mistral-7b")]
    Small,
}

/// What a job asks of the model.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// Outline the work.
    Plan,
    /// Produce the result.
    Generate,
    /// Check the result.
    Review,
}

/// Which side of a request tokens were counted on.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TokenKind {
    /// Tokens sent.
    Prompt,
    /// Tokens generated.
    Completion,
}

/// Why a model request failed.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ErrorKind {
    /// No answer in time.
    Timeout,
    /// Refused: too many requests.
    RateLimited,
}

/// How a job ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum JobOutcome {
    /// Every action succeeded.
    Succeeded,
    /// An action ran out of attempts.
    Failed,
}

/// Labels by action: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ActionLabels {
    /// The action.
    pub action: Action,
}

/// Labels of failed requests: 6 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ErrorLabels {
    /// The action that sent the request.
    pub action: Action,
    /// Why it failed.
    pub error: ErrorKind,
}

/// Labels of token usage: 4 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TokenLabels {
    /// The model billed.
    pub model: Model,
    /// Prompt or completion.
    pub kind: TokenKind,
}

/// Which side of a request tokens were counted on, as the OpenTelemetry
/// GenAI conventions name it (`gen_ai.token.type`).
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum GenAiTokenType {
    /// Tokens sent.
    Input,
    /// Tokens generated.
    Output,
}

/// Labels of the GenAI token histogram: 4 series. The conventions'
/// `gen_ai.request.model` and `gen_ai.token.type`, with `_` for `.` as
/// Prometheus names them.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct GenAiTokenLabels {
    /// The model asked.
    pub gen_ai_request_model: Model,
    /// Input or output.
    pub gen_ai_token_type: GenAiTokenType,
}

/// Labels of the GenAI operation histogram: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct GenAiModelLabels {
    /// The model asked.
    pub gen_ai_request_model: Model,
}

/// Labels of finished jobs: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct JobLabels {
    /// How the job ended.
    pub outcome: JobOutcome,
}

/// Everything the runner records.
#[derive(Metrics, Debug)]
pub struct AiJobMetrics {
    /// Model requests sent, by action; every attempt counts.
    pub ai_requests_total: Family<ActionLabels, Counter>,
    /// Model requests that failed, by action and error.
    pub ai_request_errors_total: Family<ErrorLabels, Counter>,
    /// Time to complete one action, failed attempts and backoff included.
    #[metric(buckets = exponential(0.25, 2.0, 8))]
    pub ai_action_duration_seconds: Family<ActionLabels, Histogram>,
    /// Tokens billed, by model and kind.
    pub llm_tokens_total: Family<TokenLabels, Counter>,
    /// Tokens one job used, prompt and completion together.
    #[metric(buckets = exponential(500.0, 2.0, 8))]
    pub ai_job_tokens: Histogram,
    /// Jobs finished, by outcome.
    pub ai_jobs_total: Family<JobLabels, Counter>,
    /// Workflows run.
    pub ai_workflows_total: Counter,
    /// Tokens per model request, input and output apart (the GenAI
    /// conventions' `gen_ai.client.token.usage`, with their buckets).
    #[metric(buckets = exponential(1.0, 4.0, 14))]
    pub gen_ai_client_token_usage: Family<GenAiTokenLabels, Histogram>,
    /// Time one model request took, failed ones included (the GenAI
    /// conventions' `gen_ai.client.operation.duration`, with their buckets).
    #[metric(buckets = exponential(0.01, 2.0, 14))]
    pub gen_ai_client_operation_duration_seconds: Family<GenAiModelLabels, Histogram>,
}

/// Tokens used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt: u64,
    /// Completion tokens.
    pub completion: u64,
}

impl Usage {
    /// Prompt and completion together.
    pub fn total(self) -> u64 {
        self.prompt + self.completion
    }
}

/// A successful model request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Completion {
    /// The tokens billed.
    pub usage: Usage,
    /// How long it took (simulated).
    pub seconds: f64,
}

/// A failed model request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelError {
    /// Why it failed.
    pub kind: ErrorKind,
    /// How long it took to fail (simulated).
    pub seconds: f64,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Timeout => write!(f, "timed out after {} s", self.seconds),
            ErrorKind::RateLimited => f.write_str("rate limited"),
        }
    }
}

impl std::error::Error for ModelError {}

/// A job that ran out of attempts on one of its actions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobError {
    /// The action that failed.
    pub action: Action,
    /// Its last error.
    pub cause: ModelError,
    /// The tokens spent before the failure.
    pub usage: Usage,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.action.as_str(), self.cause)
    }
}

impl std::error::Error for JobError {}

/// One job: actions run in order on one model.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its id: unbounded, so a span field, never a label.
    pub id: u64,
    /// The model it runs on.
    pub model: Model,
    /// What it asks, in order.
    pub actions: Vec<Action>,
}

/// Jobs run one after the other.
#[derive(Clone, Debug)]
pub struct Workflow {
    /// The workflow's name.
    pub name: &'static str,
    /// Its jobs.
    pub jobs: Vec<Job>,
}

impl Workflow {
    /// `jobs` jobs numbered from `first_id`, alternating between the models,
    /// each planning, generating and reviewing.
    pub fn batch(name: &'static str, first_id: u64, jobs: u64) -> Self {
        let jobs = (first_id..first_id + jobs)
            .map(|id| Job {
                id,
                model: if id % 2 == 0 {
                    Model::Large
                } else {
                    Model::Small
                },
                actions: vec![Action::Plan, Action::Generate, Action::Review],
            })
            .collect();
        Workflow { name, jobs }
    }
}

/// What a workflow did: each job's id and result.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowReport {
    /// Jobs in order.
    pub jobs: Vec<(u64, Result<Usage, JobError>)>,
}

/// A simulated model endpoint: seeded latencies, token counts and failures.
#[derive(Debug)]
struct ModelClient {
    rng: Rng,
    failure_percent: u64,
}

impl ModelClient {
    #[traced(
        level = "debug",
        name = "llm.complete",
        kind = "client",
        err,
        metrics,
        objective(success = 0.9),
        fields(
            gen_ai.operation.name = "chat",
            gen_ai.request.model = model.as_str(),
            gen_ai.usage.input_tokens = prompt,
            gen_ai.usage.output_tokens = Empty,
            action = action.as_str(),
            attempt
        )
    )]
    fn complete(
        &mut self,
        model: Model,
        action: Action,
        prompt: u64,
        attempt: u32,
    ) -> Result<Completion, ModelError> {
        if self.rng.percent(self.failure_percent) {
            return Err(if self.rng.percent(50) {
                ModelError {
                    kind: ErrorKind::Timeout,
                    seconds: 4.0,
                }
            } else {
                ModelError {
                    kind: ErrorKind::RateLimited,
                    seconds: 0.05,
                }
            });
        }
        let completion = match action {
            Action::Plan => self.rng.between(100, 300),
            Action::Generate => self.rng.between(400, 1200),
            Action::Review => self.rng.between(50, 200),
        };
        // Time to first token, then a steady rate, in milliseconds.
        let (first_ms, per_token_ms) = match model {
            Model::Large => (500, 20),
            Model::Small => (200, 8),
        };
        let millis = first_ms + per_token_ms * completion + self.rng.below(200);
        tracing::Span::current().record("gen_ai.usage.output_tokens", completion);
        Ok(Completion {
            usage: Usage { prompt, completion },
            seconds: millis as f64 / 1000.0,
        })
    }
}

/// The runner: its metrics and its model client.
#[derive(Debug)]
pub struct Runner {
    /// The metrics, registered.
    pub metrics: Arc<AiJobMetrics>,
    client: ModelClient,
}

impl Runner {
    /// Attempts per action, the first included.
    pub const MAX_ATTEMPTS: u32 = 3;

    /// Registers the metrics with `registry`; the model fails
    /// `failure_percent` of its requests, as drawn from `seed`.
    pub fn new(
        registry: &Registry,
        seed: u64,
        failure_percent: u64,
    ) -> Result<Self, RegistryError> {
        Ok(Runner {
            metrics: AiJobMetrics::register(registry)?,
            client: ModelClient {
                rng: Rng::new(seed),
                failure_percent,
            },
        })
    }

    /// Runs every job of `workflow`; a failed job does not stop the others.
    #[traced(
        level = "info",
        name = "ai.workflow.run",
        fields(workflow = workflow.name, jobs = workflow.jobs.len())
    )]
    pub fn run_workflow(&mut self, workflow: &Workflow) -> WorkflowReport {
        let jobs = workflow
            .jobs
            .iter()
            .map(|job| (job.id, self.run_job(job)))
            .collect();
        self.metrics.ai_workflows_total.inc();
        WorkflowReport { jobs }
    }

    // The usage fields carry the GenAI conventions' names: token counts are
    // not credentials, and obs's secret rule tells `input_tokens` from
    // `access_tokens`.
    #[traced(
        level = "info",
        name = "ai.job.run",
        err,
        fields(
            job = job.id,
            gen_ai.request.model = job.model.as_str(),
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty
        )
    )]
    fn run_job(&mut self, job: &Job) -> Result<Usage, JobError> {
        let mut usage = Usage::default();
        let mut context = 0; // each action's prompt carries the previous answer
        let mut result = Ok(());
        for &action in &job.actions {
            match self.run_action(job.model, action, action_prompt(action) + context) {
                Ok(completion) => {
                    usage.prompt += completion.usage.prompt;
                    usage.completion += completion.usage.completion;
                    context = completion.usage.completion;
                }
                Err(cause) => {
                    result = Err((action, cause));
                    break;
                }
            }
        }
        let span = tracing::Span::current();
        span.record("gen_ai.usage.input_tokens", usage.prompt);
        span.record("gen_ai.usage.output_tokens", usage.completion);
        self.metrics.ai_job_tokens.observe(usage.total() as f64);
        let outcome = match result {
            Ok(()) => JobOutcome::Succeeded,
            Err(_) => JobOutcome::Failed,
        };
        self.metrics.ai_jobs_total.get(&JobLabels { outcome }).inc();
        result.map(|()| usage).map_err(|(action, cause)| JobError {
            action,
            cause,
            usage,
        })
    }

    #[traced(
        level = "debug",
        name = "ai.action.run",
        err,
        fields(action = action.as_str(), attempts = Empty)
    )]
    fn run_action(
        &mut self,
        model: Model,
        action: Action,
        prompt: u64,
    ) -> Result<Completion, ModelError> {
        let m = &self.metrics;
        let labels = ActionLabels { action };
        let mut seconds = 0.0;
        let mut attempt = 1;
        let result = loop {
            m.ai_requests_total.get(&labels).inc();
            let request = GenAiModelLabels {
                gen_ai_request_model: model,
            };
            match self.client.complete(model, action, prompt, attempt) {
                Ok(completion) => {
                    seconds += completion.seconds;
                    m.gen_ai_client_operation_duration_seconds
                        .get(&request)
                        .observe(completion.seconds);
                    for (gen_ai_token_type, tokens) in [
                        (GenAiTokenType::Input, completion.usage.prompt),
                        (GenAiTokenType::Output, completion.usage.completion),
                    ] {
                        m.gen_ai_client_token_usage
                            .get(&GenAiTokenLabels {
                                gen_ai_request_model: model,
                                gen_ai_token_type,
                            })
                            .observe(tokens as f64);
                    }
                    break Ok(completion);
                }
                Err(err) => {
                    seconds += err.seconds;
                    m.gen_ai_client_operation_duration_seconds
                        .get(&request)
                        .observe(err.seconds);
                    let error = err.kind;
                    m.ai_request_errors_total
                        .get(&ErrorLabels { action, error })
                        .inc();
                    if attempt == Self::MAX_ATTEMPTS {
                        break Err(err);
                    }
                    seconds += 0.5 * f64::from(1 << (attempt - 1)); // backoff
                    attempt += 1;
                }
            }
        };
        tracing::Span::current().record("attempts", attempt);
        m.ai_action_duration_seconds.get(&labels).observe(seconds);
        if let Ok(completion) = &result {
            for (kind, tokens) in [
                (TokenKind::Prompt, completion.usage.prompt),
                (TokenKind::Completion, completion.usage.completion),
            ] {
                m.llm_tokens_total
                    .get(&TokenLabels { model, kind })
                    .inc_by(tokens);
            }
        }
        result
    }
}

/// The instructions an action sends before any context.
fn action_prompt(action: Action) -> u64 {
    match action {
        Action::Plan => 400,
        Action::Generate => 600,
        Action::Review => 300,
    }
}
