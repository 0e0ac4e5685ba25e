//! The worker: it runs each job's one step.

use super::*;

pub(super) struct Worker {
    pub(super) metrics: Arc<WorkerMetrics>,
    pub(super) rng: Rng,
    pub(super) failure_percent: u64,
    pub(super) tally: Arc<Mutex<Tally>>,
}

impl Worker {
    pub(super) async fn run(mut self, mut jobs: mpsc::Receiver<Work>) {
        while let Some(work) = jobs.recv().await {
            self.metrics.worker_pending_messages.dec();
            let reply = match self.step(&work) {
                Ok(digest) => Reply::Done {
                    enriched: work.enriched,
                    digest,
                },
                Err(err) => Reply::Failed(err),
            };
            let _ = work.reply.send(reply);
        }
    }

    /// Runs the job's one step (simulated: a seeded duration, and a seeded
    /// failure rate).
    #[traced(
        level = "info",
        name = "worker.step",
        kind = "consumer",
        err,
        remote_parent = propagation::extract(&work.headers),
        fields(
            tenant_id = work.correlation.tenant_id.as_str(),
            run_id = work.correlation.run_id,
            flow_id = work.correlation.flow_id.as_str(),
            step_id = "execute",
            bytes = work.payload.len(),
            enriched = work.enriched
        )
    )]
    fn step(&mut self, work: &Work) -> Result<u64, StepError> {
        let micros = self.rng.between(5_000, 60_000) + work.payload.len() as u64 * 10;
        self.metrics
            .worker_step_duration_seconds
            .observe_in_trace(micros as f64 / 1e6);
        let result = if self.rng.percent(self.failure_percent) {
            Err(StepError { job: work.job })
        } else {
            Ok(fnv1a(&work.payload))
        };
        let outcome = match result {
            Ok(_) => JobOutcome::Done,
            Err(_) => JobOutcome::Failed,
        };
        self.metrics
            .worker_jobs_total
            .get(&JobLabels { outcome })
            .inc();
        *self
            .tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .jobs
            .entry(outcome)
            .or_default() += 1;
        result
    }
}

/// The job's "result": a hash of its payload.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
