//! The router: it looks each extension up, calls it through its breaker,
//! decides where the job runs, and dispatches it to the worker.

use super::*;

/// An extension's simulated answer times.
pub(super) struct Profile {
    pub(super) micros: RangeInclusive<u64>,
    pub(super) timeout_micros: u64,
}

/// The router's side of one extension: its breaker and its simulated
/// behaviour.
pub(super) struct ExtensionClient {
    pub(super) extension: Extension,
    pub(super) rng: Rng,
    pub(super) breaker: CircuitBreaker,
}

impl ExtensionClient {
    /// Calls the (simulated) extension during message `message`: the
    /// outcome and the seconds it took.
    fn call(
        &mut self,
        message: u64,
        outages: &[Outage],
        failure_percent: u64,
    ) -> (CallOutcome, f64) {
        let profile = self.extension.profile();
        let timeout = profile.timeout_micros as f64 / 1e6;
        let down = outages
            .iter()
            .any(|o| o.extension == self.extension && o.messages.contains(&message));
        if down {
            return (CallOutcome::Timeout, timeout);
        }
        if self.rng.percent(failure_percent) {
            return if self.rng.percent(50) {
                (CallOutcome::Timeout, timeout)
            } else {
                (CallOutcome::Error, *profile.micros.start() as f64 / 1e6)
            };
        }
        let micros = self
            .rng
            .between(*profile.micros.start(), *profile.micros.end());
        (CallOutcome::Ok, micros as f64 / 1e6)
    }
}

pub(super) struct Router {
    pub(super) metrics: Arc<RouterMetrics>,
    /// The worker's, for its queue's depth.
    pub(super) worker_metrics: Arc<WorkerMetrics>,
    pub(super) extensions: Vec<ExtensionClient>,
    /// The extensions the registry has loaded (their manifests read): a
    /// first lookup of each loads it, later ones are served from here.
    pub(super) loaded: [bool; Extension::ALL.len()],
    pub(super) outages: Vec<Outage>,
    pub(super) failure_percent: u64,
    pub(super) retry: RetryPolicy,
    pub(super) worker: mpsc::Sender<Work>,
    /// The router's clock: messages taken so far.
    pub(super) message: u64,
    pub(super) tally: Arc<Mutex<Tally>>,
}

impl Router {
    pub(super) async fn run(mut self, mut messages: mpsc::Receiver<Message>) {
        while let Some(message) = messages.recv().await {
            self.metrics.router_pending_messages.dec();
            self.route(message).await;
        }
    }

    /// Calls every extension for the message, then dispatches it to the
    /// worker, or answers at once when a required extension failed.
    #[traced(
        level = "info",
        name = "router.route",
        kind = "consumer",
        remote_parent = propagation::extract(&message.headers),
        fields(
            tenant_id = message.correlation.tenant_id.as_str(),
            run_id = message.correlation.run_id,
            flow_id = message.correlation.flow_id.as_str(),
            step_id = "route",
            sequence = Empty
        )
    )]
    async fn route(&mut self, message: Message) {
        self.message += 1;
        self.tally().messages = self.message;
        tracing::Span::current().record("sequence", self.message);
        let mut enriched = true;
        for extension in Extension::ALL {
            self.lookup(extension, &message.correlation);
            if let Err(err) = self.call(extension, &message.correlation) {
                if extension.is_required() {
                    let _ = message.reply.send(Reply::Rejected(extension, err));
                    return;
                }
                enriched = false;
            }
        }
        self.decide(&message.correlation, enriched);
        let work = Work {
            headers: message_headers(message.job),
            correlation: message.correlation,
            job: message.job,
            payload: message.payload,
            enriched,
            reply: message.reply,
        };
        self.dispatch(work).await;
    }

    /// Calls an extension, and calls a required one again after a failure
    /// or a timeout, up to [`RetryPolicy::retries`] times; a breaker's
    /// refusal is final. An optional extension is never retried: the job
    /// runs without it.
    fn call(
        &mut self,
        extension: Extension,
        correlation: &Correlation,
    ) -> Result<(), ExtensionError> {
        let retries = match extension.is_required() {
            true => self.retry.retries,
            false => 0,
        };
        let mut result = self.invoke(extension, correlation, 1);
        for attempt in 2..=retries + 1 {
            if !matches!(
                result,
                Err(ExtensionError::Failed | ExtensionError::TimedOut)
            ) {
                break;
            }
            self.metrics
                .router_extension_retries_total
                .get(&ExtensionLabels { extension })
                .inc();
            *self.tally().retries.entry(extension).or_default() += 1;
            result = self.invoke(extension, correlation, attempt);
        }
        result
    }

    /// Decides where the job runs: the policy that applies, and the provider
    /// it picks.
    #[traced(
        level = "info",
        name = "router.decide",
        fields(
            policy = Empty,
            provider = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "decide"
        )
    )]
    fn decide(&mut self, correlation: &Correlation, enriched: bool) -> Provider {
        let pinned = correlation
            .tenant_id
            .as_bytes()
            .first()
            .is_some_and(|c| *c <= b'm');
        let policy = match (enriched, pinned) {
            (false, _) => Policy::Degraded,
            (true, true) => Policy::Affinity,
            (true, false) => Policy::Balance,
        };
        let provider = match policy {
            Policy::Affinity => Provider::Primary,
            Policy::Degraded => Provider::Secondary,
            Policy::Balance if self.message.is_multiple_of(2) => Provider::Primary,
            Policy::Balance => Provider::Secondary,
        };
        let span = tracing::Span::current();
        span.record("policy", policy.as_str());
        span.record("provider", provider.as_str());
        // Simulated: a few tens of microseconds, the same for the same run.
        let seconds = (20 + (correlation.run_id % 7) * 15) as f64 / 1e6;
        let m = &self.metrics;
        m.router_policy_evaluation_duration_seconds
            .get(&PolicyLabels { policy })
            .observe(seconds);
        m.router_routing_decisions_total
            .get(&DecisionLabels { policy, provider })
            .inc();
        *self
            .tally()
            .decisions
            .entry((policy, provider))
            .or_default() += 1;
        provider
    }

    /// Finds the extension in the registry before a call: from its cache,
    /// or by loading it on its first use.
    #[traced(
        level = "info",
        name = "router.extension.registry.lookup",
        fields(
            extension = extension.as_str(),
            cache_hit = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "lookup"
        )
    )]
    fn lookup(&mut self, extension: Extension, correlation: &Correlation) {
        let m = &self.metrics;
        m.router_extension_registry_lookups_total.inc();
        let loaded = &mut self.loaded[extension.index()];
        let hit = *loaded;
        *loaded = true;
        tracing::Span::current().record("cache_hit", hit);
        let counter = match hit {
            true => &m.router_extension_registry_cache_hits_total,
            false => &m.router_extension_registry_cache_misses_total,
        };
        counter.inc();
    }

    /// One extension call (its `attempt`, from 1), through its breaker.
    #[traced(
        level = "info",
        name = "router.extension.invoke",
        kind = "client",
        err,
        metrics,
        objective(success = 0.99),
        fields(
            extension = extension.as_str(),
            attempt,
            breaker = Empty,
            tenant_id = correlation.tenant_id.as_str(),
            run_id = correlation.run_id,
            flow_id = correlation.flow_id.as_str(),
            step_id = "extension"
        )
    )]
    fn invoke(
        &mut self,
        extension: Extension,
        correlation: &Correlation,
        attempt: u32,
    ) -> Result<(), ExtensionError> {
        let client = &mut self.extensions[extension.index()];
        let (permitted, half_opened) = client.breaker.acquire();
        let breaker = client.breaker.state();
        if let Some(transition) = half_opened {
            self.transition(extension, transition);
        }
        tracing::Span::current().record("breaker", breaker.as_str());
        let m = &self.metrics;
        if !permitted {
            let outcome = CallOutcome::ShortCircuited;
            m.router_extension_calls_total
                .get(&CallLabels { extension, outcome })
                .inc();
            *self.tally().calls.entry((extension, outcome)).or_default() += 1;
            return Err(ExtensionError::CircuitOpen);
        }

        let client = &mut self.extensions[extension.index()];
        let (outcome, seconds) = client.call(self.message, &self.outages, self.failure_percent);
        let transition = client.breaker.record(outcome == CallOutcome::Ok);
        let recorded = match outcome {
            CallOutcome::Ok => &m.router_extension_circuit_breaker_successes_total,
            _ => &m.router_extension_circuit_breaker_failures_total,
        };
        recorded.get(&ExtensionLabels { extension }).inc();
        m.router_extension_invocation_duration_seconds
            .get(&ExtensionLabels { extension })
            .observe_in_trace(seconds);
        m.router_extension_calls_total
            .get(&CallLabels { extension, outcome })
            .inc();
        {
            let mut tally = self.tally();
            *tally.calls.entry((extension, outcome)).or_default() += 1;
            tally.latencies.push((extension, seconds));
        }
        if let Some(transition) = transition {
            self.transition(extension, transition);
        }
        match outcome {
            CallOutcome::Ok => Ok(()),
            CallOutcome::Timeout => Err(ExtensionError::TimedOut),
            CallOutcome::Error | CallOutcome::ShortCircuited => Err(ExtensionError::Failed),
        }
    }

    /// Records a breaker transition: gauges, counter, tally and a log line
    /// (in the trace of the message that caused it).
    fn transition(&self, extension: Extension, Transition { from, to }: Transition) {
        let m = &self.metrics;
        m.router_extension_circuit_breaker_state
            .get(&BreakerStateLabels {
                extension,
                state: from,
            })
            .set(0);
        m.router_extension_circuit_breaker_state
            .get(&BreakerStateLabels {
                extension,
                state: to,
            })
            .set(1);
        m.router_extension_circuit_breaker_transitions_total
            .get(&TransitionLabels {
                extension,
                from,
                to,
            })
            .inc();
        self.tally().transitions.push(BreakerEvent {
            message: self.message,
            extension,
            transition: Transition { from, to },
        });
        let opened = to == BreakerState::Open;
        let (extension, from, to) = (extension.as_str(), from.as_str(), to.as_str());
        if opened {
            tracing::warn!(extension, from, to, "circuit breaker opened");
        } else {
            tracing::info!(extension, from, to, "circuit breaker state changed");
        }
    }

    /// Sends the job to the worker, its headers carrying this span's
    /// context.
    #[traced(
        level = "info",
        name = "router.dispatch",
        kind = "producer",
        fields(
            tenant_id = work.correlation.tenant_id.as_str(),
            run_id = work.correlation.run_id,
            flow_id = work.correlation.flow_id.as_str(),
            step_id = "dispatch",
            messaging.destination.name = "worker"
        )
    )]
    async fn dispatch(&self, mut work: Work) {
        propagation::inject_current(&mut work.headers);
        self.worker_metrics.worker_pending_messages.inc();
        if let Err(mpsc::error::SendError(work)) = self.worker.send(work).await {
            self.worker_metrics.worker_pending_messages.dec();
            let _ = work.reply.send(Reply::Failed(StepError { job: work.job }));
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
