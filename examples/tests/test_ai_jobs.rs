//! The AI-job runner: spans nest workflow → job → action → model request,
//! and every metric agrees with the spans and with the runner's reports.

mod support;

use support::values;

use obs_examples::ai_jobs::{
    Action, ActionLabels, ErrorKind, ErrorLabels, GenAiTokenLabels, GenAiTokenType, JobLabels,
    JobOutcome, Model, Runner, TokenKind, TokenLabels, Usage, Workflow, WorkflowReport,
};
use obs_runtime::testing::{capture, capture_at, Captured, CapturedSpan};
use obs_runtime::{function_metrics, LabelValue, Registry};
use std::collections::HashMap;

/// A seed whose run retries some requests and fails some jobs.
const SEED: u64 = 9;
const FAILURE_PERCENT: u64 = 30;
const WORKFLOWS: u64 = 3;
const JOBS: u64 = 4;

fn workflows() -> Vec<Workflow> {
    (0..WORKFLOWS)
        .map(|n| Workflow::batch("nightly_batch", n * JOBS, JOBS))
        .collect()
}

fn run(registry: &Registry, seed: u64) -> (Runner, Vec<WorkflowReport>) {
    let mut runner = Runner::new(registry, seed, FAILURE_PERCENT).unwrap();
    let reports = workflows().iter().map(|w| runner.run_workflow(w)).collect();
    (runner, reports)
}

fn run_captured(registry: &Registry) -> (Runner, Vec<WorkflowReport>, Captured) {
    let ((runner, reports), spans) = capture(|| run(registry, SEED));
    (runner, reports, spans)
}

fn field<'a>(span: &'a CapturedSpan, name: &str) -> &'a str {
    span.field(name)
        .unwrap_or_else(|| panic!("span `{}` has no field `{name}`", span.name))
}

#[test]
fn spans_nest_workflow_job_action_request() {
    let (_, reports, spans) = run_captured(&Registry::new());
    let results: HashMap<String, _> = reports
        .iter()
        .flat_map(|report| &report.jobs)
        .map(|(id, result)| (id.to_string(), result))
        .collect();

    let workflows = spans.all("ai.workflow.run");
    assert_eq!(workflows.len() as u64, WORKFLOWS);
    for workflow in &workflows {
        assert_eq!(workflow.parent, None);
        assert_eq!(workflow.level, "INFO");
        assert_eq!(field(workflow, "workflow"), "nightly_batch");
        let jobs = spans.children(workflow);
        assert_eq!(jobs.len() as u64, JOBS);
        for job in jobs {
            assert_eq!(job.name, "ai.job.run");
            assert_eq!(job.level, "INFO");
            // The job's id and token usage are span fields, not labels.
            let result = results[field(job, "job")];
            let usage = match result {
                Ok(usage) => *usage,
                Err(err) => err.usage,
            };
            // Under the OpenTelemetry GenAI conventions' names.
            assert_eq!(
                field(job, "gen_ai.usage.input_tokens"),
                usage.prompt.to_string()
            );
            assert_eq!(
                field(job, "gen_ai.usage.output_tokens"),
                usage.completion.to_string()
            );
            assert_eq!(job.is_error(), result.is_err());
            if let Err(err) = result {
                assert_eq!(field(job, "exception.message"), err.to_string());
            }
            for action in spans.children(job) {
                assert_eq!(action.name, "ai.action.run");
                assert_eq!(action.level, "DEBUG");
                // One request span per attempt, siblings; all but the last failed.
                let requests = spans.children(action);
                assert_eq!(field(action, "attempts"), requests.len().to_string());
                for (n, request) in requests.iter().enumerate() {
                    assert_eq!(request.name, "llm.complete");
                    assert_eq!(request.kind(), "client");
                    assert_eq!(field(request, "attempt"), (n + 1).to_string());
                    assert_eq!(field(request, "action"), field(action, "action"));
                    assert_eq!(
                        field(request, "gen_ai.request.model"),
                        field(job, "gen_ai.request.model")
                    );
                    assert_eq!(field(request, "gen_ai.operation.name"), "chat");
                    let last = n + 1 == requests.len();
                    // A request that answered says how many tokens it wrote.
                    assert_eq!(
                        request.field("gen_ai.usage.output_tokens").is_some(),
                        !request.is_error()
                    );
                    assert_eq!(request.is_error(), !last || action.is_error());
                }
            }
        }
    }
    assert!(spans.spans.iter().all(|span| span.closed));

    // As `RUST_LOG=info` would show it: workflows and jobs only.
    let (_, info) = capture_at(tracing::Level::INFO, || run(&Registry::new(), SEED));
    assert_eq!(info.all("ai.job.run").len() as u64, WORKFLOWS * JOBS);
    assert!(info
        .names()
        .iter()
        .all(|name| ["ai.workflow.run", "ai.job.run"].contains(name)));
}

#[test]
fn metrics_agree_with_spans_and_reports() {
    let registry = Registry::new();
    let (runner, reports, spans) = run_captured(&registry);
    let m = &runner.metrics;

    // The seed exercises retries that recover and jobs that fail.
    let actions = spans.all("ai.action.run");
    assert!(actions
        .iter()
        .any(|a| !a.is_error() && field(a, "attempts") != "1"));
    let failed = reports
        .iter()
        .flat_map(|r| &r.jobs)
        .filter(|(_, result)| result.is_err())
        .count() as u64;
    assert!(failed > 0);

    let requests = spans.all("llm.complete");
    for action in [Action::Plan, Action::Generate, Action::Review] {
        let of_action = |span: &&&CapturedSpan| field(span, "action") == action.as_str();
        let sent = requests.iter().filter(of_action).count() as u64;
        assert_eq!(
            m.ai_requests_total.get(&ActionLabels { action }).get(),
            sent
        );
        for error in [ErrorKind::Timeout, ErrorKind::RateLimited] {
            let text = match error {
                ErrorKind::Timeout => "timed out",
                ErrorKind::RateLimited => "rate limited",
            };
            let failed = requests
                .iter()
                .filter(of_action)
                .filter(|s| s.is_error() && field(s, "exception.message").starts_with(text))
                .count() as u64;
            let labels = ErrorLabels { action, error };
            assert_eq!(m.ai_request_errors_total.get(&labels).get(), failed);
        }
        let run = actions.iter().filter(of_action).count() as u64;
        let latency = m.ai_action_duration_seconds.get(&ActionLabels { action });
        assert_eq!(latency.snapshot().count, run);
    }

    // Tokens by model and kind: what the jobs report, failed jobs included.
    let mut tokens: HashMap<(Model, TokenKind), u64> = HashMap::new();
    let mut job_tokens = Vec::new();
    for (workflow, report) in workflows().iter().zip(&reports) {
        for (job, (_, result)) in workflow.jobs.iter().zip(&report.jobs) {
            let usage: Usage = match result {
                Ok(usage) => *usage,
                Err(err) => err.usage,
            };
            *tokens.entry((job.model, TokenKind::Prompt)).or_default() += usage.prompt;
            *tokens
                .entry((job.model, TokenKind::Completion))
                .or_default() += usage.completion;
            job_tokens.push(usage.total());
        }
    }
    m.llm_tokens_total
        .for_each(|labels: &TokenLabels, counter| {
            let expected = tokens.get(&(labels.model, labels.kind)).copied();
            assert_eq!(counter.get(), expected.unwrap_or(0), "{labels:?}");
        });
    // The GenAI conventions' histograms: one duration per request, failed
    // ones included; the token usage of each answered one, input and output.
    let mut durations = 0;
    m.gen_ai_client_operation_duration_seconds
        .for_each(|_, histogram| durations += histogram.snapshot().count);
    assert_eq!(durations, requests.len() as u64);
    m.gen_ai_client_token_usage
        .for_each(|labels: &GenAiTokenLabels, histogram| {
            let kind = match labels.gen_ai_token_type {
                GenAiTokenType::Input => TokenKind::Prompt,
                GenAiTokenType::Output => TokenKind::Completion,
            };
            let billed = m
                .llm_tokens_total
                .get(&TokenLabels {
                    model: labels.gen_ai_request_model,
                    kind,
                })
                .get();
            assert_eq!(histogram.snapshot().sum, billed as f64, "{labels:?}");
        });
    let answered = requests.iter().filter(|s| !s.is_error()).count() as u64;
    let mut token_observations = 0;
    m.gen_ai_client_token_usage
        .for_each(|_, histogram| token_observations += histogram.snapshot().count);
    assert_eq!(token_observations, 2 * answered);

    let per_job = m.ai_job_tokens.snapshot();
    assert_eq!(per_job.count, WORKFLOWS * JOBS);
    assert_eq!(per_job.sum, job_tokens.iter().sum::<u64>() as f64);

    let outcome = |outcome| m.ai_jobs_total.get(&JobLabels { outcome }).get();
    assert_eq!(outcome(JobOutcome::Failed), failed);
    assert_eq!(outcome(JobOutcome::Succeeded), WORKFLOWS * JOBS - failed);
    assert_eq!(m.ai_workflows_total.get(), WORKFLOWS);

    // The model client's RED metrics (process-wide: other tests call it too).
    let red = function_metrics("llm.complete").expect("called");
    let errors = requests.iter().filter(|s| s.is_error()).count() as u64;
    assert!(red.error_count() >= errors);
    assert!(red.ok_count() >= requests.len() as u64 - errors);

    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    let key = TokenLabels {
        model: Model::Large,
        kind: TokenKind::Prompt,
    };
    let large_prompt = m.llm_tokens_total.get(&key).get();
    assert!(text.contains(&format!(
        "llm_tokens_total{{model=\"llama-3-70b\",kind=\"prompt\"}} {large_prompt}\n"
    )));
}

#[test]
fn the_same_seed_gives_the_same_metrics() {
    let (first, second, other) = (Registry::new(), Registry::new(), Registry::new());
    let (_, reports) = run(&first, SEED);
    let (_, again) = run(&second, SEED);
    run(&other, SEED + 1);
    assert_eq!(reports, again);
    assert_eq!(values(&first), values(&second));
    assert_ne!(values(&first), values(&other));
}
