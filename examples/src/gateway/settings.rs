//! How a gateway runs: its breakers' and retries' policies, the faults it
//! injects, each tenant's rate limit, and where it listens.

use super::*;

/// When breakers open and half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures (errors or timeouts) that open a closed breaker.
    pub failure_threshold: u32,
    /// Calls an open breaker refuses before it lets a trial call through.
    pub cooldown_calls: u32,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 3,
            cooldown_calls: 2,
        }
    }
}

/// How often the router calls a required extension again after it failed
/// or timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls after the first, at most; 0 for none.
    pub retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { retries: 1 }
    }
}

/// An extension that times out on every call while the router handles the
/// messages numbered `messages` (from 1, in arrival order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    /// The extension down.
    pub extension: Extension,
    /// The messages during which it is down.
    pub messages: RangeInclusive<u64>,
}

/// Injected failures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Extension calls that fail, in percent: half of them answer an error
    /// at once, half time out.
    pub extension_failure_percent: u64,
    /// Scheduled outages.
    pub outages: Vec<Outage>,
    /// Worker steps that fail, in percent.
    pub worker_failure_percent: u64,
}

/// How to run a gateway.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen; port 0 for a free one.
    pub addr: SocketAddr,
    /// Seeds the simulated latencies and failures.
    pub seed: u64,
    /// Injected failures.
    pub faults: Faults,
    /// The breakers' policy.
    pub breaker: BreakerPolicy,
    /// Each tenant's rate limit.
    pub rate_limit: RateLimit,
    /// Retries of required extensions.
    pub retry: RetryPolicy,
    /// Each component's metrics and tracing switches.
    pub telemetry: Telemetry,
}

impl Settings {
    /// A free port on 127.0.0.1, no faults, the default breaker policy,
    /// rate limit and retries, every signal on.
    pub fn loopback(seed: u64) -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed,
            faults: Faults::default(),
            breaker: BreakerPolicy::default(),
            rate_limit: RateLimit::default(),
            retry: RetryPolicy::default(),
            telemetry: Telemetry::ON,
        }
    }
}

/// A token bucket per tenant: `burst` requests at once, refilled at
/// `per_second`. A request over it gets `429 Too Many Requests`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// The most requests a tenant may send at once.
    pub burst: u32,
    /// Requests per second a tenant's bucket regains.
    pub per_second: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            burst: 100,
            per_second: 50.0,
        }
    }
}
