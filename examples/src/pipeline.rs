//! The spec-to-solution pipeline: a spec is parsed, planned, lowered per
//! backend and operator, compiled, verified and packaged. Every stage is
//! deterministic (a seeded generator stands in for real work), so a test can
//! assert exact metric values.

use obs_runtime::{
    Counter, Family, Gauge, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup, Metrics,
    Registry, RegistryError,
};
use std::sync::Arc;

/// A code generation backend.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Backend {
    /// LLVM.
    Llvm,
    /// Cranelift.
    Cranelift,
    /// WebAssembly.
    Wasm,
}

/// An operator of the plan graph.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Operator {
    /// A matrix multiplication.
    MatMul,
    /// A convolution.
    Conv2d,
    /// A reduction.
    Reduce,
}

/// How a compilation ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Outcome {
    /// It produced an artefact.
    Success,
    /// The toolchain failed.
    Failure,
}

/// Labels of the lowering histogram: both fixed, 9 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct LoweringLabels {
    /// The backend lowered to.
    pub backend: Backend,
    /// The operator lowered.
    pub operator: Operator,
}

/// Labels of the compile counter: both fixed, 6 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct CompileLabels {
    /// The backend compiled for.
    pub backend: Backend,
    /// How it ended.
    pub outcome: Outcome,
}

/// Everything the pipeline records.
#[derive(Metrics, Debug)]
#[metrics(prefix = "pipeline")]
pub struct PipelineMetrics {
    /// Total duration from spec ingest to distribution.
    #[metric(buckets = exponential(0.001, 2.0, 16))]
    pub latency_seconds: Histogram,
    /// Time to lower one clause, by backend and operator.
    #[metric(buckets = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1])]
    pub lowering_duration_seconds: Family<LoweringLabels, Histogram>,
    /// Toolchain outcomes by backend.
    pub compile_total: Family<CompileLabels, Counter>,
    /// Ratio of blocked artefacts in the last cycle.
    pub verification_block_ratio: Gauge,
    /// Size of the last distributed bundle.
    pub bundle_size_bytes: IntGauge,
    /// Pipeline cycles completed.
    pub cycles_total: Counter,
}

/// A tiny deterministic generator (xorshift), so runs are reproducible.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The pipeline: its metrics and its source of (simulated) work.
#[derive(Debug)]
pub struct Pipeline {
    /// The metrics, registered.
    pub metrics: Arc<PipelineMetrics>,
    rng: Rng,
}

/// What one cycle produced.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleReport {
    /// Clauses lowered.
    pub clauses: usize,
    /// Compilations that failed.
    pub failures: usize,
    /// Artefacts blocked by verification.
    pub blocked: usize,
    /// The bundle size.
    pub bundle_bytes: i64,
    /// Simulated time the cycle took, in seconds.
    pub seconds: f64,
}

const BACKENDS: [Backend; 3] = [Backend::Llvm, Backend::Cranelift, Backend::Wasm];
const OPERATORS: [Operator; 3] = [Operator::MatMul, Operator::Conv2d, Operator::Reduce];

impl Pipeline {
    /// Registers the pipeline's metrics with `registry`.
    pub fn new(registry: &Registry, seed: u64) -> Result<Self, RegistryError> {
        Ok(Pipeline {
            metrics: PipelineMetrics::register(registry)?,
            rng: Rng::new(seed),
        })
    }

    /// Runs one cycle: parse, plan, lower, compile, verify, package.
    pub fn run_cycle(&mut self) -> CycleReport {
        let m = &self.metrics;
        let clauses = 4 + self.rng.below(5) as usize;
        let mut seconds = 0.0;
        let mut failures = 0;
        for _ in 0..clauses {
            let backend = BACKENDS[self.rng.below(3) as usize];
            let operator = OPERATORS[self.rng.below(3) as usize];
            let lowering = (1 + self.rng.below(80)) as f64 / 1000.0;
            m.lowering_duration_seconds
                .get(&LoweringLabels { backend, operator })
                .observe(lowering);
            let outcome = if self.rng.below(10) == 0 {
                failures += 1;
                Outcome::Failure
            } else {
                Outcome::Success
            };
            m.compile_total
                .get(&CompileLabels { backend, outcome })
                .inc();
            seconds += lowering;
        }
        let blocked = (0..clauses - failures)
            .filter(|_| self.rng.below(20) == 0)
            .count();
        let produced = (clauses - failures).max(1);
        m.verification_block_ratio
            .set(blocked as f64 / produced as f64);
        let bundle_bytes = 1024 * (64 + self.rng.below(512) as i64);
        m.bundle_size_bytes.set(bundle_bytes);
        m.latency_seconds.observe(seconds);
        m.cycles_total.inc();
        CycleReport {
            clauses,
            failures,
            blocked,
            bundle_bytes,
            seconds,
        }
    }
}
