//! The actor runtime: span levels follow the crate's level policy, and under
//! injected faults (failed storage writes, agents crashing mid-transaction)
//! every metric stays exact, monotonic and reproducible. The binary, set up
//! by `init()`, logs with trace ids as `RUST_LOG` says.

mod support;

use support::values;

use obs_examples::actors::{
    Faults, InvocationLabels, Operation, OperationLabels, Reason, ReasonLabels, Runtime, Status,
    Tier, TierLabels,
};
use obs_runtime::testing::{capture, capture_at};
use obs_runtime::{Registry, SeriesValue};

const AGENTS: u32 = 12;
const SEED: u64 = 2024;
const FAULTS: Faults = Faults {
    storage_write_failure_percent: 10,
    crash_percent: 5,
};
const ROUNDS: usize = 40;
const PER_ROUND: usize = 25;

#[test]
fn spans_follow_the_level_policy() {
    let mut runtime = Runtime::new(&Registry::new(), SEED, AGENTS, Faults::NONE).unwrap();
    runtime.submit_traffic(PER_ROUND);
    let (_, spans) = capture(|| runtime.run_round());

    let level = |name: &str| match name {
        "runtime.round"
        | "runtime.invoke"
        | "runtime.actor.activate"
        | "runtime.actor.deactivate" => "INFO",
        "runtime.storage.load" | "runtime.storage.write" | "runtime.gc.idle" => "DEBUG",
        "runtime.dispatch.tick" => "TRACE",
        other => panic!("unexpected span `{other}`"),
    };
    for span in &spans.spans {
        assert_eq!(span.level, level(&span.name), "{}", span.name);
    }

    // round → tick (one per invocation, and the one that finds the queue
    // empty) → invoke → activate → load, and invoke → write.
    let round = spans.span("runtime.round");
    assert_eq!(round.parent, None);
    assert_eq!(round.field("pending"), Some("25"));
    let ticks = spans.all("runtime.dispatch.tick");
    assert_eq!(ticks.len(), PER_ROUND + 1);
    assert!(ticks.iter().all(|tick| tick.parent == Some(round.index)));
    let invokes = spans.all("runtime.invoke");
    assert_eq!(invokes.len(), PER_ROUND);
    for invoke in &invokes {
        assert_eq!(
            spans.ancestors(invoke),
            ["runtime.dispatch.tick", "runtime.round"]
        );
        for child in spans.children(invoke) {
            assert!(
                ["runtime.actor.activate", "runtime.storage.write"].contains(&child.name.as_str())
            );
        }
    }
    let activations = spans.all("runtime.actor.activate");
    assert_eq!(
        activations.len() as u64,
        runtime.metrics.activations_total.get()
    );
    for activation in activations {
        let loads = spans.children(activation);
        assert_eq!(loads.len(), 1);
        assert_eq!(loads[0].name, "runtime.storage.load");
        assert_eq!(loads[0].field("agent"), activation.field("agent"));
    }

    // As `RUST_LOG=info` would show the next round: critical paths only,
    // attached to the nearest span that is enabled.
    runtime.submit_traffic(3);
    let (report, spans) = capture_at(tracing::Level::INFO, || runtime.run_round());
    assert!(report.idle > 0);
    let round = spans.span("runtime.round");
    for span in &spans.spans {
        assert_eq!(span.level, "INFO");
        if span.name == "runtime.invoke" || span.name == "runtime.actor.deactivate" {
            assert_eq!(span.parent, Some(round.index));
        }
    }
    let idle = spans.all("runtime.actor.deactivate");
    assert_eq!(idle.len() as u64, report.idle);
    assert!(idle.iter().all(|span| span.field("reason") == Some("idle")));
}

/// Every metric equals the simulation's own account of what happened.
fn assert_exact(runtime: &Runtime) {
    let (m, tally) = (&runtime.metrics, runtime.tally());
    for operation in [Operation::Message, Operation::Recall, Operation::Archive] {
        for status in [Status::Ok, Status::StorageError, Status::Crashed] {
            let expected = tally.invocations.get(&(operation, status)).copied();
            let labels = InvocationLabels { operation, status };
            assert_eq!(
                m.invocations_total.get(&labels).get(),
                expected.unwrap_or(0)
            );
        }
    }
    let deactivations = |reason| m.deactivations_total.get(&ReasonLabels { reason }).get();
    assert_eq!(m.activations_total.get(), tally.activations);
    assert_eq!(deactivations(Reason::Idle), tally.idle_deactivations);
    assert_eq!(deactivations(Reason::Crash), tally.crashes);
    let active = runtime.active_agents() as i64;
    assert_eq!(m.active_agents.get(), active);
    assert_eq!(
        active as u64,
        tally.activations - tally.idle_deactivations - tally.crashes
    );
    // Memory counts what storage holds: never a rolled-back transaction.
    let committed = runtime.committed_memory();
    for tier in [Tier::Core, Tier::Working, Tier::Archival] {
        let gauge = m.memory_bytes.get(&TierLabels { tier });
        assert_eq!(gauge.get(), committed.get(tier), "{tier:?}");
        let blocks = m.memory_blocks.get(&TierLabels { tier });
        assert_eq!(blocks.get(), runtime.committed_blocks(tier), "{tier:?}");
    }
    assert_eq!(m.pending_invocations.get(), runtime.pending() as i64);
}

/// Every counter value and cumulative histogram count in the registry.
fn cumulative_values(registry: &Registry) -> Vec<u64> {
    let mut values = Vec::new();
    for metric in registry.snapshot() {
        for series in metric.series {
            match series.value {
                SeriesValue::Counter(n) => values.push(n),
                SeriesValue::Histogram { snapshot, .. } => {
                    values.extend(snapshot.cumulative_counts);
                }
                SeriesValue::FloatCounter(_) | SeriesValue::Gauge(_) | SeriesValue::IntGauge(_) => {
                }
            }
        }
    }
    values
}

fn run(registry: &Registry, seed: u64) -> Runtime {
    let mut runtime = Runtime::new(registry, seed, AGENTS, FAULTS).unwrap();
    for _ in 0..ROUNDS {
        runtime.submit_traffic(PER_ROUND);
        runtime.run_round();
    }
    runtime
}

#[test]
fn metrics_stay_exact_and_monotonic_under_faults() {
    let registry = Registry::new();
    let mut runtime = Runtime::new(&registry, SEED, AGENTS, FAULTS).unwrap();
    assert_exact(&runtime);
    let mut previous = cumulative_values(&registry);
    for _ in 0..ROUNDS {
        runtime.submit_traffic(PER_ROUND);
        assert_eq!(runtime.metrics.pending_invocations.get(), PER_ROUND as i64);
        runtime.run_round();
        assert_exact(&runtime);
        let now = cumulative_values(&registry);
        assert_eq!(now.len(), previous.len());
        assert!(previous
            .iter()
            .zip(&now)
            .all(|(before, after)| before <= after));
        previous = now;
    }

    // The faults did happen, at the injected rates.
    let tally = runtime.tally();
    let failure_ratio = tally.storage_failures as f64 / tally.storage_writes as f64;
    assert!((0.05..=0.15).contains(&failure_ratio), "{failure_ratio}");
    assert!(tally.crashes > 0);
    let handled: u64 = tally.invocations.values().sum();
    assert_eq!(handled, (ROUNDS * PER_ROUND) as u64);

    // Each invocation's latency lands in the first bucket whose bound is at
    // least the latency.
    let m = &runtime.metrics;
    for operation in [Operation::Message, Operation::Recall, Operation::Archive] {
        let latencies: Vec<f64> = tally
            .latencies
            .iter()
            .filter(|(op, _)| *op == operation)
            .map(|&(_, seconds)| seconds)
            .collect();
        let histogram = m
            .invocation_duration_seconds
            .get(&OperationLabels { operation });
        let snapshot = histogram.snapshot();
        let mut expected: Vec<u64> = histogram
            .buckets()
            .bounds()
            .iter()
            .map(|&bound| latencies.iter().filter(|&&l| l <= bound).count() as u64)
            .collect();
        expected.push(latencies.len() as u64);
        assert_eq!(snapshot.cumulative_counts, expected, "{operation:?}");
        assert_eq!(snapshot.count, latencies.len() as u64);
        assert_eq!(snapshot.sum, support::seconds_sum(&latencies));
    }
}

#[test]
fn the_same_seed_gives_the_same_metrics() {
    let (first, second, other) = (Registry::new(), Registry::new(), Registry::new());
    let a = run(&first, SEED);
    let b = run(&second, SEED);
    run(&other, SEED + 1);
    assert_eq!(a.tally(), b.tally());
    assert_eq!(values(&first), values(&second));
    assert_ne!(values(&first), values(&other));
}

#[test]
fn the_runtime_starts_in_an_info_span() {
    let (runtime, spans) = capture(|| Runtime::new(&Registry::new(), SEED, AGENTS, FAULTS));
    let runtime = runtime.unwrap();
    let start = spans.span("runtime.start");
    assert_eq!((start.level.as_str(), start.parent), ("INFO", None));
    assert_eq!(
        (start.field("seed"), start.field("agents")),
        (Some("2024"), Some("12"))
    );
    assert!(start.closed && !start.is_error());
    assert_eq!(start.events[0].name, "runtime.started");
    let core = runtime
        .metrics
        .memory_blocks
        .get(&TierLabels { tier: Tier::Core })
        .get();
    assert!(
        (i64::from(AGENTS)..=4 * i64::from(AGENTS)).contains(&core),
        "{core}"
    );
}

/// With every write transaction crashing its agent, each span still ends:
/// the invocation (an error), and the deactivation inside it.
#[test]
fn spans_complete_and_close_when_an_actor_crashes_mid_transaction() {
    let crashing = Faults {
        storage_write_failure_percent: 0,
        crash_percent: 100,
    };
    let mut runtime = Runtime::new(&Registry::new(), SEED, AGENTS, crashing).unwrap();
    runtime.submit_traffic(PER_ROUND);
    let (report, spans) = capture(|| runtime.run_round());
    assert!(report.crashes > 0);
    for span in &spans.spans {
        assert!(
            span.closed && span.duration().is_some(),
            "{} left open",
            span.name
        );
    }
    let crashed: Vec<_> = spans
        .all("runtime.invoke")
        .into_iter()
        .filter(|invoke| invoke.is_error())
        .collect();
    assert_eq!(crashed.len() as u64, report.crashes);
    for invoke in crashed {
        assert_eq!(invoke.field("error.type"), Some("InvokeError"));
        let children: Vec<&str> = spans
            .children(invoke)
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        // Nothing was written: the transaction died with the agent.
        assert!(!children.contains(&"runtime.storage.write"), "{children:?}");
        let deactivation = spans
            .children(invoke)
            .into_iter()
            .find(|child| child.name == "runtime.actor.deactivate")
            .expect("the crash deactivates the agent inside the invocation");
        assert_eq!(deactivation.field("reason"), Some("crash"));
        assert!(invoke.spans_over(deactivation));
    }
    assert_exact(&runtime);
}

/// Several threads drive one runtime (each round under its lock) while
/// another scrapes the registry: every scrape sees counters and histogram
/// counts that never go down, and at the end every metric is exact.
#[test]
fn counters_stay_monotonic_and_exact_under_concurrent_load_with_faults() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let registry = Arc::new(Registry::new());
    let runtime = Arc::new(Mutex::new(
        Runtime::new(&registry, SEED, AGENTS, FAULTS).unwrap(),
    ));
    let done = Arc::new(AtomicBool::new(false));
    let scraper = {
        let (registry, done) = (registry.clone(), done.clone());
        std::thread::spawn(move || {
            let mut previous = cumulative_values(&registry);
            let mut scrapes = 0;
            // At least one scrape after the writers finish.
            loop {
                let finished = done.load(Ordering::Acquire);
                let now = cumulative_values(&registry);
                assert_eq!(now.len(), previous.len());
                assert!(previous
                    .iter()
                    .zip(&now)
                    .all(|(before, after)| before <= after));
                previous = now;
                scrapes += 1;
                if finished {
                    return scrapes;
                }
            }
        })
    };
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let runtime = runtime.clone();
            std::thread::spawn(move || {
                for _ in 0..ROUNDS / 2 {
                    let mut runtime = runtime.lock().unwrap();
                    runtime.submit_traffic(PER_ROUND);
                    runtime.run_round();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Release);
    assert!(scraper.join().unwrap() >= 1);

    let runtime = runtime.lock().unwrap();
    assert_exact(&runtime);
    let handled: u64 = runtime.tally().invocations.values().sum();
    assert_eq!(handled, (3 * (ROUNDS / 2) * PER_ROUND) as u64);
    assert!(runtime.tally().crashes > 0 && runtime.tally().storage_failures > 0);
}

// === the binary under init() ===

/// The level of a log line as obs's pretty format writes it (`<timestamp>
/// <LEVEL> <spans>: <target>: <message> <fields>`), or `None` for any other
/// line of the output.
fn log_level(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    let timestamp = words.next()?;
    let level = words.next()?;
    let stamped = timestamp.ends_with('Z') && timestamp.contains('T');
    let known = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level);
    (stamped && known).then_some(level)
}

/// The `trace_id` and `span_id` obs's log layer ends a line with (32 and 16
/// lowercase hex digits), when the line has them.
fn correlation_ids(line: &str) -> Option<(&str, &str)> {
    let (_, ids) = line.split_once(" trace_id=")?;
    let (trace, span) = ids.split_once(" span_id=")?;
    let hex = |id: &str, len| {
        id.len() == len && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    (hex(trace, 32) && hex(span, 16)).then_some((trace, span))
}

/// `actors --probe` under `RUST_LOG=filter`: its standard output, once it
/// has exited 0 (after the guard's flush, which its last line follows).
fn probe_with_filter(filter: &str) -> String {
    let stdout = support::process::probe(env!("CARGO_BIN_EXE_actors"), filter);
    assert_eq!(
        stdout.lines().last(),
        Some("stopped after 1 rounds"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "logs: pretty lines on standard output, RUST_LOG={filter}\n"
        )),
        "{stdout}"
    );
    stdout
}

/// The binary set up by `init()`: under `RUST_LOG=info` it writes log lines
/// for its events, none below INFO, and an event in a span carries that
/// span's trace id; under `RUST_LOG=off` it writes none (and records no
/// span, so no trace id appears at all).
#[test]
fn the_binary_logs_with_trace_ids_as_rust_log_says() {
    let info = probe_with_filter("info");
    let logs: Vec<&str> = info.lines().filter(|l| log_level(l).is_some()).collect();
    assert!(
        logs.iter()
            .all(|line| matches!(log_level(line), Some("INFO" | "WARN" | "ERROR"))),
        "{logs:#?}"
    );
    let started = logs
        .iter()
        .find(|line| line.contains("runtime.started"))
        .unwrap_or_else(|| panic!("no runtime.started line under RUST_LOG=info:\n{info}"));
    assert!(started.contains(" runtime.start{"), "{started}");
    let (trace_id, span_id) = correlation_ids(started)
        .unwrap_or_else(|| panic!("runtime.started carries no trace id: {started}"));
    assert_ne!(trace_id, "0".repeat(32));
    assert_ne!(span_id, "0".repeat(16));

    let off = probe_with_filter("off");
    let lines: Vec<&str> = off
        .lines()
        .filter(|line| log_level(line).is_some() || line.contains("trace_id"))
        .collect();
    assert!(lines.is_empty(), "RUST_LOG=off: {lines:#?}");
}

/// An open-ended run (no `--cycles`) goes on until Ctrl-C, then ends its
/// round, flushes its telemetry and exits 0, saying how many rounds ran.
#[test]
fn an_open_ended_run_stops_at_ctrl_c_and_exits_cleanly() {
    use std::io::BufRead as _;
    use std::process::Stdio;
    use support::process::{command, Running};

    let mut binary = Running(
        command(
            env!("CARGO_BIN_EXE_actors"),
            &[],
            [("OBS_METRICS_ADDR", "127.0.0.1:0"), ("RUST_LOG", "off")],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let mut stdout = std::io::BufReader::new(binary.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    // The first round's line: the handler is installed before the first
    // round, so the signal is the binary's to handle, not the default
    // action's.
    for line in stdout.by_ref() {
        let line = line.unwrap();
        let first_round = line.starts_with("round 1:");
        printed.push(line);
        if first_round {
            break;
        }
    }
    assert!(
        printed.contains(&"running until Ctrl-C".to_owned()),
        "{printed:#?}"
    );
    assert!(
        printed
            .last()
            .is_some_and(|line| line.starts_with("round 1:")),
        "{printed:#?}"
    );

    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &binary.0.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let rest: Vec<String> = stdout.map(Result::unwrap).collect();
    let status = binary.0.wait().unwrap();
    assert!(status.success(), "{status}: {rest:#?}");
    let rounds = rest
        .iter()
        .filter(|line| line.starts_with("round "))
        .count()
        + 1;
    assert_eq!(
        rest.last().map(String::as_str),
        Some(format!("stopped after {rounds} rounds").as_str()),
        "{rest:#?}"
    );
}
