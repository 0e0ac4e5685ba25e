//! What each component records: the gateway (its HTTP layer's metrics, and
//! its own), the router and the worker, each group in its component's
//! registry.

use super::*;

// The HTTP layer's metrics, at the gateway's routes: in the catalog before
// any request, each route a known value of `http_route`, with the
// gateway's latency objective on its request durations (0.25 s is one of
// the conventions' bucket bounds).
obs_runtime::declare_metrics!(
    ServerMetrics<Route>,
    objective(http_server_request_duration_seconds: latency(0.25) = 0.99),
);

/// The gateway's own metrics, beside its HTTP layer's
/// ([`ServerMetrics`]: request durations by method, route and status, and
/// requests in flight).
#[derive(Metrics, Debug)]
pub struct GatewayMetrics {
    /// Requests refused because their tenant was over its rate limit.
    pub gateway_rate_limited_requests_total: Counter,
    /// Requests with an `idempotency-key` answered again from the cache,
    /// without running the job twice.
    pub gateway_idempotency_cache_hits_total: Counter,
    /// Requests with an `idempotency-key` seen for the first time.
    pub gateway_idempotency_cache_misses_total: Counter,
}

/// The router's metrics.
#[derive(Metrics, Debug)]
pub struct RouterMetrics {
    /// Messages published to the router and not yet taken: its inbound
    /// queue, added to by the gateway as it publishes.
    pub router_pending_messages: IntGauge,
    /// Extension calls, by extension and outcome; short-circuited calls never
    /// reached the extension.
    pub router_extension_calls_total: Family<CallLabels, Counter>,
    /// Extension calls made again after a failure or a timeout, by
    /// extension (required extensions only).
    pub router_extension_retries_total: Family<ExtensionLabels, Counter>,
    /// Time an extension took to answer, or to time out, by extension.
    #[metric(buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])]
    pub router_extension_invocation_duration_seconds: Family<ExtensionLabels, Histogram>,
    /// Each extension's circuit-breaker state: 1 for the current state, 0
    /// for the two others.
    pub router_extension_circuit_breaker_state: Family<BreakerStateLabels, IntGauge>,
    /// Circuit-breaker state changes, by extension.
    pub router_extension_circuit_breaker_transitions_total: Family<TransitionLabels, Counter>,
    /// Calls a breaker let through that succeeded, by extension: what
    /// closes a half-open breaker.
    pub router_extension_circuit_breaker_successes_total: Family<ExtensionLabels, Counter>,
    /// Calls a breaker let through that failed or timed out, by extension:
    /// what opens it.
    pub router_extension_circuit_breaker_failures_total: Family<ExtensionLabels, Counter>,
    /// Routing decisions, by policy and provider.
    pub router_routing_decisions_total: Family<DecisionLabels, Counter>,
    /// Time to evaluate the routing policy (simulated), by policy.
    #[metric(buckets = [0.00002, 0.00005, 0.0001, 0.0002, 0.0005])]
    pub router_policy_evaluation_duration_seconds: Family<PolicyLabels, Histogram>,
    /// Extensions in the router's registry.
    pub router_extension_registry_extensions: IntGauge,
    /// Registry lookups, one before each extension call.
    pub router_extension_registry_lookups_total: Counter,
    /// Lookups answered from the registry's cache of loaded extensions.
    pub router_extension_registry_cache_hits_total: Counter,
    /// Lookups that had to load the extension first.
    pub router_extension_registry_cache_misses_total: Counter,
}

impl RouterMetrics {
    /// The state `extension`'s breaker gauge reads: the one at 1.
    pub fn breaker_state(&self, extension: Extension) -> Option<BreakerState> {
        [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
        ]
        .into_iter()
        .find(|&state| {
            let labels = BreakerStateLabels { extension, state };
            self.router_extension_circuit_breaker_state
                .get(&labels)
                .get()
                == 1
        })
    }
}

/// The worker's metrics.
#[derive(Metrics, Debug)]
pub struct WorkerMetrics {
    /// Jobs dispatched to the worker and not yet taken: its inbound queue,
    /// added to by the router as it dispatches.
    pub worker_pending_messages: IntGauge,
    /// Jobs the worker ran, by outcome.
    pub worker_jobs_total: Family<JobLabels, Counter>,
    /// Time the worker's step took (simulated).
    #[metric(buckets = exponential(0.005, 2.0, 8))]
    pub worker_step_duration_seconds: Histogram,
}
