//! An actor runtime for AI agents. Agents are virtual actors: activated
//! (their state loaded from storage) on their first invocation, deactivated
//! when a round passes without one or when they crash. An invocation is a
//! transaction on the agent's memory (core, working, archival): staged, then
//! written to storage, then committed. Storage writes fail and agents crash
//! mid-transaction at seeded rates, and the metrics must stay exact anyway:
//! nothing is counted as committed unless the write went through.
//!
//! Levels follow the crate's policy (`examples/obs.toml`): the critical paths
//! (`runtime.start`, `runtime.round`, `runtime.invoke`, `runtime.actor.*`) at
//! INFO, internals
//! (`runtime.storage.*`, `runtime.gc.idle`) at DEBUG, the dispatcher loop
//! (`runtime.dispatch.tick`) at TRACE.

use crate::sim::Rng;
use obs_runtime::{
    traced, Counter, Family, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup, Metrics,
    Registry, RegistryError,
};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

/// An agent's id.
pub type AgentId = u32;

/// What an invocation asks of an agent.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Operation {
    /// Append a message to working memory (a write).
    Message,
    /// Search archival memory (read-only).
    Recall,
    /// Move working memory to archival memory (a write).
    Archive,
}

/// How an invocation ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Status {
    /// Committed (or read).
    Ok,
    /// The storage write failed; the transaction was rolled back.
    StorageError,
    /// The agent crashed mid-transaction and was deactivated.
    Crashed,
}

/// A tier of agent memory.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Tier {
    /// Always in context: persona and key facts.
    Core,
    /// The recent conversation.
    Working,
    /// Long-term memory, searched on demand.
    Archival,
}

/// Why an agent was deactivated.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Reason {
    /// A round passed without an invocation.
    Idle,
    /// It crashed.
    Crash,
}

/// Labels of handled invocations: 9 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct InvocationLabels {
    /// The operation.
    pub operation: Operation,
    /// How it ended.
    pub status: Status,
}

/// Labels by operation: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct OperationLabels {
    /// The operation.
    pub operation: Operation,
}

/// Labels of memory by tier: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TierLabels {
    /// The tier.
    pub tier: Tier,
}

/// Labels of deactivations: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ReasonLabels {
    /// Why.
    pub reason: Reason,
}

/// Everything the runtime records.
#[derive(Metrics, Debug)]
#[metrics(prefix = "runtime")]
pub struct RuntimeMetrics {
    /// Agents active now.
    pub active_agents: IntGauge,
    /// Agent activations.
    pub activations_total: Counter,
    /// Agent deactivations, by reason.
    pub deactivations_total: Family<ReasonLabels, Counter>,
    /// Invocations handled, by operation and status.
    pub invocations_total: Family<InvocationLabels, Counter>,
    /// Time to handle one invocation, activation included.
    #[metric(
        buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
        objective(latency(0.05) = 0.99)
    )]
    pub invocation_duration_seconds: Family<OperationLabels, Histogram>,
    /// Invocations waiting for the dispatcher.
    pub pending_invocations: IntGauge,
    /// Committed agent memory, by tier.
    pub memory_bytes: Family<TierLabels, IntGauge>,
    /// Committed agent memory in blocks of 1 KiB (an agent's tier holds
    /// whole blocks), by tier.
    pub memory_blocks: Family<TierLabels, IntGauge>,
}

/// The size of a memory block.
pub const BLOCK_BYTES: i64 = 1024;

/// An agent's memory, in bytes per tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Core memory.
    pub core: i64,
    /// Working memory.
    pub working: i64,
    /// Archival memory.
    pub archival: i64,
}

impl Memory {
    /// The blocks `tier` takes: its bytes, rounded up to whole blocks.
    pub fn blocks(&self, tier: Tier) -> i64 {
        (self.get(tier) + BLOCK_BYTES - 1) / BLOCK_BYTES
    }

    /// The bytes in `tier`.
    pub fn get(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Core => self.core,
            Tier::Working => self.working,
            Tier::Archival => self.archival,
        }
    }
}

/// A request to an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The agent.
    pub agent: AgentId,
    /// What to do.
    pub operation: Operation,
    /// The message size, for [`Operation::Message`].
    pub bytes: i64,
}

/// Injected faults, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Faults {
    /// Storage writes that fail.
    pub storage_write_failure_percent: u64,
    /// Write transactions during which the agent crashes, before its write.
    pub crash_percent: u64,
}

impl Faults {
    /// No faults.
    pub const NONE: Faults = Faults {
        storage_write_failure_percent: 0,
        crash_percent: 0,
    };
}

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvokeError {
    /// The storage write failed; nothing was committed.
    Storage,
    /// The agent crashed before committing.
    Crashed,
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvokeError::Storage => "storage write failed; transaction rolled back",
            InvokeError::Crashed => "agent crashed mid-transaction",
        })
    }
}

impl std::error::Error for InvokeError {}

/// A storage write that did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WriteTimeout {
    micros: u64,
}

impl fmt::Display for WriteTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage write timed out after {} µs", self.micros)
    }
}

/// The simulation's own account of what happened, kept apart from the
/// metrics so that tests can compare the two.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Invocations by operation and status.
    pub invocations: BTreeMap<(Operation, Status), u64>,
    /// Every invocation's operation and simulated duration, in order.
    pub latencies: Vec<(Operation, f64)>,
    /// Activations.
    pub activations: u64,
    /// Deactivations after an idle round.
    pub idle_deactivations: u64,
    /// Deactivations after a crash.
    pub crashes: u64,
    /// Storage writes attempted.
    pub storage_writes: u64,
    /// Storage writes that failed.
    pub storage_failures: u64,
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Invocations handled.
    pub handled: u64,
    /// Of those, rolled back after a failed write.
    pub storage_errors: u64,
    /// Of those, ended by a crash.
    pub crashes: u64,
    /// Agents deactivated for idleness at the end of the round.
    pub idle: u64,
}

/// The actor runtime.
#[derive(Debug)]
pub struct Runtime {
    /// The metrics, registered.
    pub metrics: Arc<RuntimeMetrics>,
    rng: Rng,
    faults: Faults,
    agents: AgentId,
    /// What storage holds: the committed state of every agent.
    storage: BTreeMap<AgentId, Memory>,
    /// Active agents and the last round each was invoked in.
    active: BTreeMap<AgentId, u64>,
    queue: VecDeque<Invocation>,
    round: u64,
    report: RoundReport,
    tally: Tally,
}

impl Runtime {
    /// A runtime of `agents` agents whose core memory is already stored,
    /// with its metrics registered in `registry`: the runtime's start, in a
    /// span of its own.
    #[traced(level = "info", name = "runtime.start", err, fields(seed, agents))]
    pub fn new(
        registry: &Registry,
        seed: u64,
        agents: AgentId,
        faults: Faults,
    ) -> Result<Self, RegistryError> {
        let metrics = RuntimeMetrics::register(registry)?;
        let mut rng = Rng::new(seed);
        let storage: BTreeMap<_, _> = (0..agents)
            .map(|agent| {
                let core = 1024 * rng.between(1, 4) as i64;
                let memory = Memory {
                    core,
                    ..Memory::default()
                };
                (agent, memory)
            })
            .collect();
        let core: i64 = storage.values().map(|memory| memory.core).sum();
        let blocks: i64 = storage
            .values()
            .map(|memory| memory.blocks(Tier::Core))
            .sum();
        let labels = TierLabels { tier: Tier::Core };
        metrics.memory_bytes.get(&labels).set(core);
        metrics.memory_blocks.get(&labels).set(blocks);
        tracing::info!(name: "runtime.started", agents, core_bytes = core, "runtime.started");
        Ok(Runtime {
            metrics,
            rng,
            faults,
            agents,
            storage,
            active: BTreeMap::new(),
            queue: VecDeque::new(),
            round: 0,
            report: RoundReport::default(),
            tally: Tally::default(),
        })
    }

    /// Queues an invocation for the dispatcher.
    pub fn submit(&mut self, invocation: Invocation) {
        self.queue.push_back(invocation);
        self.metrics.pending_invocations.inc();
    }

    /// Queues `n` seeded invocations: mostly messages, to random agents.
    pub fn submit_traffic(&mut self, n: usize) {
        for _ in 0..n {
            let agent = self.rng.below(u64::from(self.agents)) as AgentId;
            let operation = match self.rng.below(10) {
                0..=5 => Operation::Message,
                6..=7 => Operation::Recall,
                _ => Operation::Archive,
            };
            let bytes = 64 * self.rng.between(1, 32) as i64;
            self.submit(Invocation {
                agent,
                operation,
                bytes,
            });
        }
    }

    /// Dispatches every queued invocation, then deactivates the agents this
    /// round did not invoke.
    #[traced(level = "info", name = "runtime.round", fields(pending = self.queue.len()))]
    pub fn run_round(&mut self) -> RoundReport {
        self.round += 1;
        self.report = RoundReport::default();
        while self.tick() {}
        self.collect_idle();
        self.report
    }

    /// The committed memory of all agents: what storage holds.
    pub fn committed_memory(&self) -> Memory {
        self.storage
            .values()
            .fold(Memory::default(), |sum, memory| Memory {
                core: sum.core + memory.core,
                working: sum.working + memory.working,
                archival: sum.archival + memory.archival,
            })
    }

    /// The committed memory of all agents in `tier`, in blocks.
    pub fn committed_blocks(&self, tier: Tier) -> i64 {
        self.storage
            .values()
            .map(|memory| memory.blocks(tier))
            .sum()
    }

    /// The number of active agents.
    pub fn active_agents(&self) -> usize {
        self.active.len()
    }

    /// Invocations waiting for the dispatcher.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The simulation's own tally.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    // The dispatcher loop: one invocation per tick.
    #[traced(level = "trace", name = "runtime.dispatch.tick", fields(pending = self.queue.len()))]
    fn tick(&mut self) -> bool {
        let Some(invocation) = self.queue.pop_front() else {
            return false;
        };
        self.metrics.pending_invocations.dec();
        // The error is recorded on the invocation's span and in its metrics.
        let _ = self.invoke(invocation);
        true
    }

    #[traced(
        level = "info",
        name = "runtime.invoke",
        err,
        metrics,
        objective(success = 0.999),
        fields(agent = invocation.agent, operation = invocation.operation.as_str())
    )]
    fn invoke(&mut self, invocation: Invocation) -> Result<(), InvokeError> {
        let Invocation {
            agent,
            operation,
            bytes,
        } = invocation;
        let mut micros = 0;
        if !self.active.contains_key(&agent) {
            micros += self.activate(agent);
        }
        self.active.insert(agent, self.round);

        let committed = self.storage[&agent];
        let staged = match operation {
            Operation::Recall => None,
            Operation::Message => Some(Memory {
                working: committed.working + bytes,
                ..committed
            }),
            Operation::Archive => Some(Memory {
                working: 0,
                archival: committed.archival + committed.working,
                ..committed
            }),
        };
        micros += match operation {
            Operation::Message => 800 + bytes as u64,
            Operation::Recall => 2_000 + committed.archival as u64 / 8,
            Operation::Archive => 1_500 + committed.working as u64 / 4,
        };
        let result = match staged {
            None => Ok(()),
            Some(_) if self.rng.percent(self.faults.crash_percent) => {
                // The transaction dies with the agent: nothing is written.
                self.deactivate(agent, Reason::Crash);
                Err(InvokeError::Crashed)
            }
            Some(staged) => match self.write(agent, staged) {
                Ok(write_micros) => {
                    micros += write_micros;
                    self.commit(agent, committed, staged);
                    Ok(())
                }
                Err(timeout) => {
                    micros += timeout.micros;
                    Err(InvokeError::Storage)
                }
            },
        };

        let status = match result {
            Ok(()) => Status::Ok,
            Err(InvokeError::Storage) => Status::StorageError,
            Err(InvokeError::Crashed) => Status::Crashed,
        };
        let seconds = micros as f64 / 1e6;
        let m = &self.metrics;
        m.invocations_total
            .get(&InvocationLabels { operation, status })
            .inc();
        m.invocation_duration_seconds
            .get(&OperationLabels { operation })
            .observe(seconds);
        *self
            .tally
            .invocations
            .entry((operation, status))
            .or_default() += 1;
        self.tally.latencies.push((operation, seconds));
        self.report.handled += 1;
        match status {
            Status::Ok => {}
            Status::StorageError => self.report.storage_errors += 1,
            Status::Crashed => self.report.crashes += 1,
        }
        result
    }

    /// Returns the simulated time it took, in microseconds.
    #[traced(level = "info", name = "runtime.actor.activate", fields(agent))]
    fn activate(&mut self, agent: AgentId) -> u64 {
        let micros = self.load(agent);
        self.metrics.activations_total.inc();
        self.metrics.active_agents.inc();
        self.tally.activations += 1;
        micros
    }

    #[traced(
        level = "info",
        name = "runtime.actor.deactivate",
        fields(agent, reason = reason.as_str())
    )]
    fn deactivate(&mut self, agent: AgentId, reason: Reason) {
        if self.active.remove(&agent).is_none() {
            return;
        }
        self.metrics.active_agents.dec();
        self.metrics
            .deactivations_total
            .get(&ReasonLabels { reason })
            .inc();
        match reason {
            Reason::Idle => self.tally.idle_deactivations += 1,
            Reason::Crash => self.tally.crashes += 1,
        }
    }

    /// Reads the agent's state; returns the time it took, in microseconds.
    #[traced(level = "debug", name = "runtime.storage.load", fields(agent))]
    fn load(&self, agent: AgentId) -> u64 {
        let memory = self.storage[&agent];
        3_000 + (memory.core + memory.working) as u64 / 16
    }

    /// Writes the agent's state; returns the time it took, in microseconds.
    #[traced(level = "debug", name = "runtime.storage.write", err, fields(agent))]
    fn write(&mut self, agent: AgentId, memory: Memory) -> Result<u64, WriteTimeout> {
        self.tally.storage_writes += 1;
        if self.rng.percent(self.faults.storage_write_failure_percent) {
            self.tally.storage_failures += 1;
            return Err(WriteTimeout { micros: 20_000 });
        }
        let size = memory.core + memory.working + memory.archival;
        Ok(1_000 + self.rng.below(1_000) + size as u64 / 64)
    }

    /// Makes a written transaction visible, memory gauges included.
    fn commit(&mut self, agent: AgentId, before: Memory, after: Memory) {
        for tier in [Tier::Core, Tier::Working, Tier::Archival] {
            let labels = TierLabels { tier };
            let delta = after.get(tier) - before.get(tier);
            if delta != 0 {
                self.metrics.memory_bytes.get(&labels).add(delta);
            }
            let blocks = after.blocks(tier) - before.blocks(tier);
            if blocks != 0 {
                self.metrics.memory_blocks.get(&labels).add(blocks);
            }
        }
        self.storage.insert(agent, after);
    }

    #[traced(level = "debug", name = "runtime.gc.idle")]
    fn collect_idle(&mut self) {
        let idle: Vec<AgentId> = self
            .active
            .iter()
            .filter(|&(_, &round)| round < self.round)
            .map(|(&agent, _)| agent)
            .collect();
        self.report.idle = idle.len() as u64;
        for agent in idle {
            self.deactivate(agent, Reason::Idle);
        }
    }
}
