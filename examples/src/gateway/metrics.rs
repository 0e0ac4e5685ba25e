//! Everything the gateway, the router and the worker record.

use super::*;

/// Everything the gateway, the router and the worker record.
#[derive(Metrics, Debug)]
pub struct GatewayMetrics {
    /// HTTP requests answered, by route and status.
    pub gateway_requests_total: Family<RequestLabels, Counter>,
    /// Time to answer one HTTP request, by route.
    #[metric(
        buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0],
        objective(latency(0.25) = 0.99)
    )]
    pub gateway_request_duration_seconds: Family<RouteLabels, Histogram>,
    /// HTTP requests being answered now.
    pub gateway_in_flight_requests: IntGauge,
    /// Messages published to the router and not yet taken.
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
    /// Requests refused because their tenant was over its rate limit.
    pub gateway_rate_limited_requests_total: Counter,
    /// Requests with an `idempotency-key` answered again from the cache,
    /// without running the job twice.
    pub gateway_idempotency_cache_hits_total: Counter,
    /// Requests with an `idempotency-key` seen for the first time.
    pub gateway_idempotency_cache_misses_total: Counter,
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
    /// Jobs dispatched to the worker and not yet taken.
    pub worker_pending_messages: IntGauge,
    /// Jobs the worker ran, by outcome.
    pub worker_jobs_total: Family<JobLabels, Counter>,
    /// Time the worker's step took (simulated).
    #[metric(buckets = exponential(0.005, 2.0, 8))]
    pub worker_step_duration_seconds: Histogram,
}

impl GatewayMetrics {
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
