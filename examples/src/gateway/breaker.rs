//! The circuit breaker each extension call goes through, with a clock of calls rather than of time.

use super::*;

/// A change of a breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// A circuit breaker whose clock is the calls it sees: no wall-clock time,
/// so a run is reproducible.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: BreakerState,
    /// Consecutive failures while closed.
    failures: u32,
    /// Calls refused since it opened.
    refused: u32,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        CircuitBreaker {
            policy,
            state: BreakerState::Closed,
            failures: 0,
            refused: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to call: `true` if the call may go ahead. An open breaker
    /// refuses [`BreakerPolicy::cooldown_calls`] calls, then half-opens (the
    /// transition returned) and lets the next one through as a trial.
    pub fn acquire(&mut self) -> (bool, Option<Transition>) {
        match self.state {
            BreakerState::Closed | BreakerState::HalfOpen => (true, None),
            BreakerState::Open if self.refused < self.policy.cooldown_calls => {
                self.refused += 1;
                (false, None)
            }
            BreakerState::Open => (true, Some(self.set(BreakerState::HalfOpen))),
        }
    }

    /// Records the result of a call [`acquire`](Self::acquire) let through.
    pub fn record(&mut self, ok: bool) -> Option<Transition> {
        match (self.state, ok) {
            (BreakerState::Closed, true) => {
                self.failures = 0;
                None
            }
            (BreakerState::Closed, false) => {
                self.failures += 1;
                (self.failures >= self.policy.failure_threshold)
                    .then(|| self.set(BreakerState::Open))
            }
            (BreakerState::HalfOpen, true) => Some(self.set(BreakerState::Closed)),
            (BreakerState::HalfOpen, false) => Some(self.set(BreakerState::Open)),
            // No call goes through an open breaker.
            (BreakerState::Open, _) => None,
        }
    }

    fn set(&mut self, to: BreakerState) -> Transition {
        let from = std::mem::replace(&mut self.state, to);
        self.failures = 0;
        self.refused = 0;
        Transition { from, to }
    }
}
