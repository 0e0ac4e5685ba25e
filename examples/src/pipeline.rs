//! The spec-to-solution pipeline: a spec is parsed, planned, lowered per
//! backend and operator, compiled, verified and packaged. Every stage is
//! deterministic (a seeded generator stands in for real work), so a test can
//! assert exact metric values.

use crate::sim::Rng;
use obs_runtime::{
    traced, Counter, Family, Gauge, Histogram, IntGauge, LabelSet, LabelValue, MetricGroup,
    Metrics, Registry, RegistryError,
};
use std::sync::Arc;
use tracing::field::Empty;

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

/// How far a spec clause has come: the playbook's maturity levels.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Maturity {
    /// Written, not reviewed.
    Draft,
    /// Reviewed.
    Reviewed,
    /// Verified against its reference.
    Verified,
}

/// Labels of the readiness gauge of clauses: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct MaturityLabels {
    /// The maturity level.
    pub maturity: Maturity,
}

/// Labels by backend: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct BackendLabels {
    /// The backend.
    pub backend: Backend,
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
    #[metric(buckets = exponential(0.001, 2.0, 16), objective(latency(1.024) = 0.99))]
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
    /// Readiness: 1 when a backend's toolchain binary is not on `PATH`,
    /// 0 when it is (looked up at start).
    pub toolchain_binaries_missing: Family<BackendLabels, IntGauge>,
    /// Readiness: the last spec's clauses, by maturity.
    pub spec_clauses: Family<MaturityLabels, IntGauge>,
}

impl Backend {
    /// The toolchain binary that compiles for this backend.
    pub fn toolchain_binary(self) -> &'static str {
        match self {
            Backend::Llvm => "llc",
            Backend::Cranelift => "clif-util",
            Backend::Wasm => "wasm-opt",
        }
    }

    /// Where its builds run: WebAssembly on a remote builder.
    pub fn host_kind(self) -> &'static str {
        match self {
            Backend::Wasm => "remote",
            _ => "local",
        }
    }
}

/// Whether `binary` is an executable file in a directory of `PATH`.
fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()))
}

/// A clause of the spec: one operator to lower for one backend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clause {
    /// The clause's id within the spec.
    pub id: u32,
    /// The backend it targets.
    pub backend: Backend,
    /// The operator it computes.
    pub operator: Operator,
    /// How far the clause has come.
    pub maturity: Maturity,
}

impl Clause {
    /// The clause as the spec writes it.
    pub fn text(&self) -> String {
        format!(
            "{} {} for {}",
            self.id,
            self.operator.as_str(),
            self.backend.as_str()
        )
    }

    /// `clause.id`: a hash of the clause's text (64-bit FNV-1a, in hex), the
    /// same for the same clause in every cycle and every run.
    pub fn hash_id(&self) -> String {
        let hash = self
            .text()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        format!("{hash:016x}")
    }
}

/// A clause lowered to backend code.
#[derive(Clone, Copy, Debug)]
struct Lowered {
    clause: Clause,
}

/// Why a compilation failed.
#[derive(Debug)]
pub struct CompileError {
    /// The clause that failed.
    pub clause: u32,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "toolchain failed on clause {}", self.clause)
    }
}

impl std::error::Error for CompileError {}

/// The pipeline: its metrics and its source of (simulated) work.
#[derive(Debug)]
pub struct Pipeline {
    /// The metrics, registered.
    pub metrics: Arc<PipelineMetrics>,
    rng: Rng,
    cycles: u64,
    /// The simulated clock, in seconds: every stage moves it by the time it
    /// would take, so a cycle's latency is the sum of all its stages.
    clock: f64,
    /// The build cache: the clauses already compiled, by `clause.id`.
    built: std::collections::HashSet<String>,
    /// Whether each stage also takes its simulated time on the wall clock.
    real_time: bool,
}

/// What one cycle produced.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleReport {
    /// The spec the cycle read, clause by clause, as parsed.
    pub spec: Vec<Clause>,
    /// Clauses lowered: every clause of the spec.
    pub clauses: usize,
    /// Compilations that failed.
    pub failures: usize,
    /// Artefacts blocked by verification.
    pub blocked: usize,
    /// The bundle size.
    pub bundle_bytes: i64,
    /// Simulated time the cycle took from spec ingest to distribution, in
    /// seconds: every stage's, as `pipeline_latency_seconds` records it.
    pub seconds: f64,
}

const BACKENDS: [Backend; 3] = [Backend::Llvm, Backend::Cranelift, Backend::Wasm];
const OPERATORS: [Operator; 3] = [Operator::MatMul, Operator::Conv2d, Operator::Reduce];

impl Pipeline {
    /// Registers the pipeline's metrics with `registry`.
    pub fn new(registry: &Registry, seed: u64) -> Result<Self, RegistryError> {
        let metrics = PipelineMetrics::register(registry)?;
        for backend in BACKENDS {
            let missing = !on_path(backend.toolchain_binary());
            metrics
                .toolchain_binaries_missing
                .get(&BackendLabels { backend })
                .set(i64::from(missing));
        }
        Ok(Pipeline {
            metrics,
            rng: Rng::new(seed),
            cycles: 0,
            clock: 0.0,
            built: std::collections::HashSet::new(),
            real_time: false,
        })
    }

    /// Makes each stage take its simulated time on the wall clock too
    /// (sleeping it), so that spans last what the histograms record, and a
    /// latency bucket's exemplar leads to a trace of about that length.
    /// Without it, a cycle takes microseconds and only the metrics tell of
    /// its simulated seconds: what tests want.
    pub fn real_time(mut self) -> Self {
        self.real_time = true;
        self
    }

    /// Runs one cycle: parse, plan, lower, compile, verify, package.
    #[traced(level = "info", name = "pipeline.cycle", fields(cycle = self.cycles + 1))]
    pub fn run_cycle(&mut self) -> CycleReport {
        self.cycles += 1;
        let started = self.clock;
        let spec = self.parse_spec();
        let plan = self.compile_graph(spec.clone());
        let mut artifacts = Vec::new();
        let mut failures = 0;
        for clause in &plan {
            let lowered = self.lower(*clause);
            match self.execute(lowered) {
                Ok(artifact) => artifacts.push(artifact),
                Err(_) => failures += 1,
            }
        }
        let blocked = self.verify(&artifacts);
        let bundle_bytes = self.package(artifacts.len() - blocked);
        // Spec ingest to distribution: every stage of the cycle.
        let seconds = self.clock - started;
        let m = &self.metrics;
        m.latency_seconds.observe_in_trace(seconds);
        m.cycles_total.inc();
        CycleReport {
            spec,
            clauses: plan.len(),
            failures,
            blocked,
            bundle_bytes,
            seconds,
        }
    }

    /// Reads the spec: a handful of clauses, each an operator for a backend.
    #[traced(level = "info", name = "spec.parse")]
    fn parse_spec(&mut self) -> Vec<Clause> {
        let clauses = 4 + self.rng.below(5) as u32;
        self.spend(0.002 + 0.0005 * f64::from(clauses));
        let spec: Vec<Clause> = (0..clauses)
            .map(|id| Clause {
                id,
                backend: BACKENDS[self.rng.below(3) as usize],
                operator: OPERATORS[self.rng.below(3) as usize],
                maturity: [Maturity::Draft, Maturity::Reviewed, Maturity::Verified]
                    [self.rng.below(3) as usize],
            })
            .collect();
        for maturity in [Maturity::Draft, Maturity::Reviewed, Maturity::Verified] {
            let clauses = spec
                .iter()
                .filter(|clause| clause.maturity == maturity)
                .count();
            self.metrics
                .spec_clauses
                .get(&MaturityLabels { maturity })
                .set(clauses as i64);
        }
        spec
    }

    /// Orders the clauses into a compile graph: grouped by backend, so each
    /// toolchain runs once per group.
    #[traced(level = "info", name = "plan.compile_graph", fields(clauses = spec.len()))]
    fn compile_graph(&mut self, mut spec: Vec<Clause>) -> Vec<Clause> {
        self.spend(0.001);
        spec.sort_by_key(|clause| (clause.backend.index(), clause.id));
        spec
    }

    /// Lowers one clause for its backend.
    #[traced(
        level = "debug",
        name = "codegen.lower",
        fields(
            backend.name = clause.backend.as_str(),
            operator.name = clause.operator.as_str(),
            clause.id = clause.hash_id()
        ),
        metrics
    )]
    fn lower(&mut self, clause: Clause) -> Lowered {
        let seconds = (1 + self.rng.below(80)) as f64 / 1000.0;
        self.spend(seconds);
        self.metrics
            .lowering_duration_seconds
            .get(&LoweringLabels {
                backend: clause.backend,
                operator: clause.operator,
            })
            .observe(seconds);
        Lowered { clause }
    }

    /// Runs the backend toolchain on a lowered clause; one in ten fails.
    #[traced(
        level = "info",
        name = "compile.execute",
        err,
        fields(
            backend.name = lowered.clause.backend.as_str(),
            clause.id = lowered.clause.hash_id(),
            toolchain.binary = lowered.clause.backend.toolchain_binary(),
            host.kind = lowered.clause.backend.host_kind(),
            build.cache_hit = Empty,
            error.code = Empty
        ),
        metrics,
        objective(success = 0.85)
    )]
    fn execute(&mut self, lowered: Lowered) -> Result<Clause, CompileError> {
        let clause = lowered.clause;
        tracing::info!(name: "compile.start", backend = clause.backend.as_str(), clause = clause.id, "compile.start");
        // A clause built before is served from the build cache, and cannot
        // fail; a new one runs the toolchain, which fails one time in ten.
        let cache_hit = !self.built.insert(clause.hash_id());
        let span = tracing::Span::current();
        span.record("build.cache_hit", cache_hit);
        let outcome = if cache_hit {
            self.spend(0.002);
            Outcome::Success
        } else {
            let toolchain = (10 + self.rng.below(50)) as f64 / 1000.0;
            self.spend(toolchain);
            if self.rng.below(10) == 0 {
                // A failed build is not cached.
                self.built.remove(&clause.hash_id());
                span.record("error.code", "toolchain_exit_1");
                Outcome::Failure
            } else {
                Outcome::Success
            }
        };
        self.metrics
            .compile_total
            .get(&CompileLabels {
                backend: clause.backend,
                outcome,
            })
            .inc();
        tracing::info!(name: "compile.end", backend = clause.backend.as_str(), clause = clause.id, outcome = outcome.as_str(), "compile.end");
        match outcome {
            Outcome::Success => Ok(clause),
            Outcome::Failure => Err(CompileError { clause: clause.id }),
        }
    }

    /// Verifies the artefacts; one in twenty is blocked.
    #[traced(level = "info", name = "verify.run", fields(artifacts = artifacts.len()))]
    fn verify(&mut self, artifacts: &[Clause]) -> usize {
        self.spend(0.005 * artifacts.len() as f64);
        let mut blocked = 0;
        for artifact in artifacts {
            if self.rng.below(20) == 0 {
                blocked += 1;
                tracing::warn!(name: "verify.block", clause = artifact.id, reason = "unsafe memory access", "verify.block");
            }
        }
        let produced = artifacts.len().max(1);
        self.metrics
            .verification_block_ratio
            .set(blocked as f64 / produced as f64);
        blocked
    }

    /// Moves the simulated clock by what a stage takes, and in real time
    /// waits as long.
    fn spend(&mut self, seconds: f64) {
        self.clock += seconds;
        if self.real_time {
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        }
    }

    /// Packages the verified artefacts into a bundle.
    #[traced(level = "info", name = "distribute.package", fields(artifacts = verified))]
    fn package(&mut self, verified: usize) -> i64 {
        let bundle_bytes = 1024 * (64 + self.rng.below(512) as i64 + 16 * verified as i64);
        // Writing the bundle out at about 100 MB/s.
        self.spend(bundle_bytes as f64 / 100e6);
        self.metrics.bundle_size_bytes.set(bundle_bytes);
        bundle_bytes
    }
}
