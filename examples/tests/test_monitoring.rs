//! Every scenario ships what `obs` generates from its catalog, under
//! `examples/monitoring/<scenario>/`: the catalog, its docs, a Grafana
//! dashboard, Prometheus rules with their `promtool` tests, and a Weaver
//! registry. These tests prove the committed files current (regenerating
//! gives no diff) and valid: `promtool check rules` and `promtool test
//! rules` pass, `obs check` passes on every dashboard and rule file, and the
//! dashboards type-check against Grafana's published schema
//! (`@grafana/schema`, through `tsc`).
//!
//! After changing a scenario's metrics or spans, regenerate with
//! `OBS_BLESS=1 cargo test -p obs-examples --test test_monitoring`.

mod support;

use obs_runtime::Catalog;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::process::{command, probe, Running};

/// Each scenario, and its binary.
const SCENARIOS: [(&str, &str); 5] = [
    ("actors", env!("CARGO_BIN_EXE_actors")),
    ("ai_jobs", env!("CARGO_BIN_EXE_ai_jobs")),
    ("gateway", env!("CARGO_BIN_EXE_gateway")),
    ("pipeline", env!("CARGO_BIN_EXE_pipeline")),
    ("workflow", env!("CARGO_BIN_EXE_workflow")),
];

fn monitoring(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("monitoring")
        .join(scenario)
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obs-monitoring-{what}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The catalog the scenario's binary writes with `OBS_CATALOG_OUT`, in a
/// clean environment (no `OTEL_SERVICE_NAME` or other setting leaks in).
fn catalog(scenario: &str, binary: &str) -> Catalog {
    let path = temp_dir(&format!("catalog-{scenario}")).join("catalog.json");
    let output = command(binary, &[], [("OBS_CATALOG_OUT", &path)])
        .output()
        .unwrap_or_else(|err| panic!("cannot run {binary}: {err}"));
    assert!(
        output.status.success(),
        "{scenario} did not write its catalog: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stdout.is_empty(),
        "{scenario} started instead of only writing its catalog"
    );
    Catalog::from_json(&fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(current) = dirs.pop() {
        for entry in fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                files.insert(relative.display().to_string());
            }
        }
    }
    files
}

#[test]
fn committed_artefacts_are_what_obs_generates() {
    let bless = std::env::var_os("OBS_BLESS").is_some();
    let mut stale = Vec::new();
    for (scenario, binary) in SCENARIOS {
        let dir = monitoring(scenario);
        let catalog = catalog(scenario, binary);
        assert_eq!(catalog.service.as_deref(), Some(scenario));
        let generated = obs_cli::artefacts(&catalog);
        let names: BTreeSet<String> = generated.iter().map(|(name, _)| name.clone()).collect();
        for (name, text) in &generated {
            let path = dir.join(name);
            if fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
                continue;
            }
            if bless {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, text).unwrap();
            } else {
                stale.push(format!("{scenario}/{name} differs from what obs generates"));
            }
        }
        for extra in files_under(&dir).difference(&names) {
            if bless {
                fs::remove_file(dir.join(extra)).unwrap();
            } else {
                stale.push(format!("{scenario}/{extra} is not generated any more"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "examples/monitoring is stale:\n  {}\nregenerate with OBS_BLESS=1 cargo test -p obs-examples --test test_monitoring",
        stale.join("\n  ")
    );
}

/// `$OBS_PROMTOOL`, else `promtool` on the `PATH`.
fn promtool() -> String {
    std::env::var("OBS_PROMTOOL").unwrap_or_else(|_| "promtool".into())
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|err| {
        panic!("cannot run {what}: {err}; install it (./.ci/run does) or point its variable at it")
    });
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn rules_pass_promtool_check_and_test() {
    for (scenario, _) in SCENARIOS {
        let dir = monitoring(scenario);
        run(
            Command::new(promtool())
                .args(["check", "rules", "rules.yml"])
                .current_dir(&dir),
            &format!("promtool check rules ({scenario})"),
        );
        run(
            Command::new(promtool())
                .args(["test", "rules", "rules.test.yml"])
                .current_dir(&dir),
            &format!("promtool test rules ({scenario})"),
        );
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn dashboards_and_rules_pass_obs_check() {
    for (scenario, _) in SCENARIOS {
        let dir = monitoring(scenario);
        let catalog = Catalog::from_json(&read(&dir.join("catalog.json"))).unwrap();
        let files: Vec<obs_cli::check::File> = files_under(&dir)
            .into_iter()
            .filter(|name| name.starts_with("dashboards/") || name == "rules.yml")
            .map(|name| obs_cli::check::File {
                text: read(&dir.join(&name)),
                name,
            })
            .collect();
        assert!(files.len() >= 2, "{scenario}: no dashboard or rule file");
        let findings = obs_cli::check::check_files(&catalog, &files).unwrap();
        assert!(findings.is_empty(), "{scenario}: {findings:#?}");
    }
}

/// Each dashboard becomes a TypeScript object literal typed as Grafana's
/// `Dashboard`: `tsc --strict` then refuses any property the schema does
/// not have and any value of the wrong type.
#[test]
fn dashboards_match_grafanas_published_schema() {
    let node = std::env::var("OBS_NODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-node"));
    let tsc = node.join("node_modules/.bin/tsc");
    assert!(
        tsc.exists() && node.join("node_modules/@grafana/schema").exists(),
        "{} has no typescript and @grafana/schema: run ./.ci/run, or `npm install --prefix {} typescript@5 @grafana/schema`, or set OBS_NODE_DIR",
        node.display(),
        node.display()
    );
    let dir = node.join(format!("dashboards-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let mut sources = Vec::new();
    for (scenario, _) in SCENARIOS {
        let dashboards = monitoring(scenario).join("dashboards");
        for name in files_under(&dashboards) {
            let json = read(&dashboards.join(&name));
            let file = format!("{scenario}_{}.ts", name.trim_end_matches(".json"));
            fs::write(
                dir.join(&file),
                format!("import type {{ Dashboard }} from '@grafana/schema';\nexport const dashboard: Dashboard = {json};\n"),
            )
            .unwrap();
            sources.push(file);
        }
    }
    let config = serde_json::json!({
        "compilerOptions": {"strict": true, "noEmit": true, "module": "commonjs", "moduleResolution": "node", "target": "es2020", "skipLibCheck": true},
        "files": sources,
    });
    fs::write(dir.join("tsconfig.json"), config.to_string()).unwrap();
    run(
        Command::new(&tsc).arg("-p").arg(dir.join("tsconfig.json")),
        "tsc against @grafana/schema",
    );
    let _ = fs::remove_dir_all(&dir);
}

/// End to end, all on loopback: the actor runtime runs with its injected
/// faults (storage writes fail, actors crash); a real Prometheus scrapes it
/// with the scenario's generated rules loaded; the fast burn-rate alert of
/// `runtime.invoke`'s 99.9% objective reaches `firing`, and a real
/// Alertmanager receives it. The live exposition passes `obs check
/// --scrape` against the committed catalog, and fails against another
/// scenario's, whose metrics it does not expose.
#[test]
fn generated_alerts_fire_in_prometheus_and_reach_alertmanager() {
    use obs_integration_tests::{Alertmanager, Prometheus};
    use std::process::Stdio;
    use std::time::Duration;

    let dir = monitoring("actors");
    let metrics = obs_integration_tests::free_loopback_addr();
    let _actors = Running(
        command(
            env!("CARGO_BIN_EXE_actors"),
            &["--cycles", "100000"],
            [("OBS_METRICS_ADDR", metrics.to_string())],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let alertmanager = Alertmanager::start("actors");
    let rules = dir.join("rules.yml");
    let config = format!(
        "rule_files:\n  - '{}'\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{}']\n",
        rules.display(),
        alertmanager.addr
    );
    let prometheus = Prometheus::start_with("actors-alerts", metrics, &config, &[]);

    let slo = "runtime.invoke-success";
    let firing = prometheus.poll(Duration::from_secs(90), || {
        let alerts = prometheus.api("/api/v1/alerts")?;
        alerts["alerts"]
            .as_array()?
            .iter()
            .find(|alert| {
                alert["labels"]["alertname"] == "ObsErrorBudgetBurnFast"
                    && alert["labels"]["slo"] == slo
                    && alert["state"] == "firing"
            })
            .cloned()
    });
    let firing = firing
        .unwrap_or_else(|| panic!("the fast burn-rate alert never fired\n{}", prometheus.log()));
    assert_eq!(firing["labels"]["severity"], "critical");

    let received = prometheus.poll(Duration::from_secs(60), || {
        alertmanager.alerts()?.into_iter().find(|alert| {
            alert["labels"]["alertname"] == "ObsErrorBudgetBurnFast"
                && alert["labels"]["slo"] == slo
        })
    });
    let received = received.unwrap_or_else(|| {
        panic!(
            "Alertmanager never received the alert\n{}",
            alertmanager.log()
        )
    });
    assert_eq!(received["status"]["state"], "active");
    assert!(received["annotations"]["summary"]
        .as_str()
        .unwrap()
        .contains("burning its error budget fast"));

    let url = format!("http://{metrics}/metrics");
    let catalog = Catalog::from_json(&read(&dir.join("catalog.json"))).unwrap();
    let report = obs_cli::scrape::scrape(&catalog, &url, Duration::from_secs(10)).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    // Everything but the OTLP exporter's own metrics, which exist only
    // while it exports.
    let exposed = catalog
        .metrics
        .iter()
        .filter(|m| !m.name.starts_with("obs_otlp_"))
        .count();
    assert_eq!(report.metrics, exposed);

    let drifted = Catalog::from_json(&read(&monitoring("workflow").join("catalog.json"))).unwrap();
    let report = obs_cli::scrape::scrape(&drifted, &url, Duration::from_secs(10)).unwrap();
    let messages: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`runtime_invocations` (line") && m.ends_with("undeclared metric")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`workflow_runs_total`") && m.contains("not exposed")),
        "{messages:#?}"
    );
}

/// The validator pack on each binary as CI runs it: `--probe` runs one
/// cycle and prints what a scrape reads, and that exposition passes the live
/// check against the committed catalog (every declared metric present with
/// its type, help and labels; nothing undeclared; values within their sets).
#[test]
fn every_probe_exposes_what_its_catalog_declares() {
    for (scenario, binary) in SCENARIOS {
        let stdout = probe(binary, "off");
        let scrape: String = stdout
            .lines()
            .skip_while(|line| !line.starts_with("--- what a scrape reads"))
            .skip(1)
            .take_while(|line| !line.starts_with("--- ") && !line.starts_with("stopped after "))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(
            scrape.contains("# TYPE"),
            "{scenario} printed no scrape:\n{stdout}"
        );
        let catalog =
            Catalog::from_json(&read(&monitoring(scenario).join("catalog.json"))).unwrap();
        let report = obs_cli::scrape::check(&catalog, scenario, &scrape).unwrap();
        assert!(
            report.findings.is_empty(),
            "{scenario}: {:#?}",
            report.findings
        );
        assert!(report.metrics > 0 && report.series > 0);
    }
}

/// The PromQL on each scenario's page (docs/scenarios/) parses and names
/// only what the scenario's catalog declares.
#[test]
fn the_scenario_pages_query_only_what_the_catalogs_declare() {
    for (scenario, _) in SCENARIOS {
        let page = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/scenarios")
            .join(format!("{scenario}.md"));
        let text = read(&page);
        let catalog =
            Catalog::from_json(&read(&monitoring(scenario).join("catalog.json"))).unwrap();
        let known = obs_cli::check::Known::new(&catalog);
        let mut queries = 0;
        let mut in_promql = false;
        for line in text.lines() {
            match line.trim() {
                "```promql" => in_promql = true,
                "```" => in_promql = false,
                query if in_promql && !query.is_empty() && !query.starts_with('#') => {
                    queries += 1;
                    let problems = obs_cli::check::check_expr(&known, query);
                    assert_eq!(problems, Ok(vec![]), "{scenario}: {query}");
                }
                _ => {}
            }
        }
        assert!(queries >= 4, "{scenario}: {queries} queries");
    }
}
