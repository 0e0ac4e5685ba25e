//! The `obs` command as a user runs it: what each subcommand writes, the
//! findings it reports (naming the file, the panel or rule, and a
//! did-you-mean), and its exit codes: 0 when all is well, 1 on findings or
//! a breaking change, 2 on input it cannot read, with the file and position.

use obs_runtime::export::http::MetricsServer;
use obs_runtime::{
    Counter, Family, Histogram, LabelSet, LabelValue, MetricDef, MetricGroup, Metrics, Registry,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Ok,
    Failed,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct JobLabels {
    outcome: Outcome,
}

#[derive(Metrics)]
#[metrics(prefix = "cli")]
struct CliMetrics {
    /// Jobs run, by outcome.
    jobs_total: Family<JobLabels, Counter>,
    /// Time to run a job.
    #[metric(buckets = [0.1, 0.5, 1.0], objective(latency(0.5) = 0.99))]
    job_duration_seconds: Histogram,
}

#[obs_runtime::traced(metrics, objective(success = 0.999), name = "cli.handle")]
fn handle() -> Result<(), std::io::Error> {
    Ok(())
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("obs-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    /// This test binary's catalog, scoped to this file's module.
    fn catalog(&self) -> PathBuf {
        handle().unwrap();
        let mut catalog = obs_runtime::catalog_of(&["test_cli"]);
        catalog.service = Some("cli".into());
        self.write("catalog.json", &catalog.to_json())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn obs(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_obs"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn generate_writes_the_whole_pack_and_it_checks_clean() {
    let dir = Dir::new("generate");
    let catalog = dir.catalog();
    let out = dir.0.join("pack");
    let run = obs(&[&"generate", &catalog, &"-o", &out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in [
        "catalog.json",
        "CATALOG.md",
        "dashboards/cli.json",
        "rules.yml",
        "rules.test.yml",
        "weaver/registry_manifest.yaml",
        "weaver/model/cli.yaml",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let rules = fs::read_to_string(out.join("rules.yml")).unwrap();
    assert!(rules.contains("alert: ObsErrorBudgetBurnFast"), "{rules}");
    assert!(rules.contains(r#"slo: cli.handle-success"#), "{rules}");
    assert!(
        rules.contains(r#"cli_job_duration_seconds_bucket{le="0.5"}"#),
        "{rules}"
    );
    assert!(rules.contains("absent(cli_jobs_total)"), "{rules}");
    let docs = fs::read_to_string(out.join("CATALOG.md")).unwrap();
    assert!(
        docs.contains("| Labels | `outcome`: `ok`, `failed` |"),
        "{docs}"
    );

    let run = obs(&[
        &"check",
        &"--catalog",
        &catalog,
        &out.join("dashboards/cli.json"),
        &out.join("rules.yml"),
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok: 2 files match the catalog\n"),
        "{}",
        run.stderr
    );

    // `obs rules` names the rule file in its tests relative to them.
    let run = obs(&[&"rules", &catalog, &"-o", &dir.0.join("r/alerts.yml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tests = fs::read_to_string(dir.0.join("r/alerts.test.yml")).unwrap();
    assert!(tests.contains("rule_files:\n- alerts.yml\n"), "{tests}");
}

#[test]
fn check_reports_unknown_names_with_where_and_a_did_you_mean() {
    let dir = Dir::new("check");
    let catalog = dir.catalog();
    let dashboard = dir.write(
        "board.json",
        r#"{"panels": [
            {"type": "row", "title": "jobs", "panels": [
                {"title": "Job rate", "targets": [{"refId": "A", "expr": "sum by (outcome) (rate(cli_job_total[$__rate_interval]))"}]}
            ]},
            {"title": "Failures", "targets": [
                {"refId": "A", "expr": "rate(cli_jobs_total{outcom=\"failed\"}[5m])"},
                {"refId": "B", "expr": "rate(cli_jobs_total{outcome=\"faild\"}[5m])"},
                {"refId": "C", "expr": "rate(cli_jobs_total{outcome=~\"$outcome\"}[5m])"},
                {"refId": "D", "expr": "histogram_quantile(0.99, sum by (le) (rate(cli_job_duration_seconds_bucket{le=\"0.25\"}[5m])))"},
                {"refId": "E", "expr": "rate(cli_jobs_total[5m]"},
                {"refId": "F", "datasource": {"type": "loki"}, "expr": "{job=\"x\"} |= \"y\""}
            ]}
        ],
        "templating": {"list": [{"type": "query", "name": "outcome", "query": "label_values(cli_jobs_total, outcme)"}]}}"#,
    );
    let rules = dir.write(
        "rules.yml",
        "groups:\n  - name: jobs\n    rules:\n      - record: job:cli_jobs:rate5m\n        expr: sum by (outcome) (rate(cli_jobs_total[5m]))\n      - alert: JobsFailing\n        expr: job:cli_jobs:rate5m{outcome=\"failed\"} > 1 and on (instance) up\n      - alert: Slow\n        expr: sum without (tenant) (rate(cli_job_duration_seconds_count[5m])) > 1\n",
    );
    let run = obs(&[&"check", &"--catalog", &catalog, &dashboard, &rules]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let board = dashboard.display();
    let rule_file = rules.display();
    let expected = [
        format!("{rule_file}: group `jobs`, alert `Slow`: `without` names label `tenant`, which no series of the expression has"),
        format!("{board}: panel `Job rate` (query A): unknown metric `cli_job_total` (did you mean `cli_jobs_total`?)"),
        format!("{board}: panel `Failures` (query A): `cli_jobs_total` has no label `outcom` (did you mean `outcome`?)"),
        format!("{board}: panel `Failures` (query B): `cli_jobs_total`: label `outcome` has no value `faild` (did you mean `failed`?)"),
        format!("{board}: panel `Failures` (query D): `cli_job_duration_seconds_bucket`: label `le` has no value `0.25` (did you mean `0.5`?)"),
        format!("{board}: panel `Failures` (query E): does not parse: unclosed left parenthesis"),
        format!("{board}: variable `outcome`: `label_values` names label `outcme`, which no series of the expression has (did you mean `outcome`?)"),
        "7 problems (2 files)".to_owned(),
    ];
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines, expected, "{}", run.stdout);
}

#[test]
fn unreadable_inputs_exit_2_naming_the_file_and_position() {
    let dir = Dir::new("bad");
    let catalog = dir.catalog();
    let cases: Vec<(PathBuf, String)> = vec![
        (
            dir.write("dash.json", "{\"panels\": [\n  {\"title\": }\n]}"),
            "dash.json:2:13: not valid JSON: expected value".into(),
        ),
        (
            dir.write("rules.yaml", "groups:\n  - name: x\n    rules: [\n"),
            "rules.yaml:4:1: not a valid rule file:".into(),
        ),
        (
            dir.write(
                "rules.yml",
                "groups:\n  - name: x\n    rules:\n      - record: y\n",
            ),
            "rules.yml:4:9: not a valid rule file: groups[0].rules[0]: missing field `expr`".into(),
        ),
        (
            dir.write("notes.txt", "hello"),
            "notes.txt: not a dashboard (`.json`) or a rule file (`.yml`, `.yaml`)".into(),
        ),
    ];
    for (file, message) in cases {
        let run = obs(&[&"check", &"--catalog", &catalog, &file]);
        assert_eq!(run.code, 2, "{}: {}", file.display(), run.stderr);
        assert!(
            run.stderr.starts_with("obs: ") && run.stderr.contains(&message),
            "{}\nwanted: {message}",
            run.stderr
        );
    }

    let newer = dir.write(
        "newer.json",
        r#"{"version": 7, "metrics": [], "spans": []}"#,
    );
    let malformed = dir.write(
        "malformed.json",
        "{\"version\": 1,\n \"metrics\": [{\"name\": 3}]}",
    );
    for (path, message) in [
        (&newer, "newer.json: not a valid catalog: catalog version 7 is newer than this obs reads (version 1): upgrade obs".to_owned()),
        (&malformed, "malformed.json:2:23: not a valid catalog: invalid type: integer `3`, expected a string".to_owned()),
        (&dir.0.join("missing.json"), "missing.json: No such file or directory".to_owned()),
    ] {
        for args in [vec!["docs"], vec!["diff", catalog.to_str().unwrap()]] {
            let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>).collect();
            all.push(path);
            let run = obs(&all);
            assert_eq!(run.code, 2, "{}", run.stderr);
            assert!(run.stderr.contains(&message), "{}\nwanted: {message}", run.stderr);
        }
    }
    let run = obs(&[&"check", &"--catalog", &catalog]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nothing to check"), "{}", run.stderr);
    let run = obs(&[&"docs"]);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
}

#[test]
fn diff_exits_1_on_breaking_changes_only() {
    let dir = Dir::new("diff");
    let old = dir.write(
        "old.json",
        r#"{"version": 1, "spans": [{"name": "job.run", "level": "info", "kind": "internal", "target": "t", "module": "m", "file": "f", "line": 1, "fields": ["id"]}],
            "metrics": [
              {"name": "jobs_total", "type": "counter", "help": "Jobs.", "series": 2, "owner": "o", "labels": [{"name": "outcome", "values": ["ok", "failed"]}]},
              {"name": "job_seconds", "type": "histogram", "help": "Time.", "unit": "seconds", "series": 1, "owner": "o", "buckets": [0.1, 1.0]}
            ]}"#,
    );
    let added = dir.write(
        "added.json",
        r#"{"version": 1, "spans": [{"name": "job.run", "level": "info", "kind": "internal", "target": "t", "module": "m", "file": "f", "line": 9, "fields": ["id", "tenant"]}],
            "metrics": [
              {"name": "jobs_total", "type": "counter", "help": "Jobs.", "series": 3, "owner": "o", "labels": [{"name": "outcome", "values": ["ok", "failed", "skipped"]}]},
              {"name": "job_seconds", "type": "histogram", "help": "Time.", "unit": "seconds", "series": 1, "owner": "o", "buckets": [0.1, 1.0]},
              {"name": "queue_depth", "type": "gauge", "help": "Queue.", "series": 1, "owner": "o"}
            ]}"#,
    );
    let broken = dir.write(
        "broken.json",
        r#"{"version": 1, "spans": [],
            "metrics": [
              {"name": "jobs_total", "type": "counter", "help": "Jobs.", "series": 1, "owner": "o", "labels": [{"name": "result", "values": ["ok"]}]},
              {"name": "job_seconds", "type": "histogram", "help": "Time.", "unit": "seconds", "series": 1, "owner": "o", "buckets": [0.5, 1.0]}
            ]}"#,
    );
    let run = obs(&[&"diff", &old, &added]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "safe: metric `jobs_total`: label `outcome` gained value `skipped`\n\
         safe: span `job.run`: field `tenant` added\n\
         safe: metric `queue_depth` added\n\
         3 changes, none breaking\n"
    );
    let run = obs(&[&"diff", &old, &broken]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "breaking: metric `jobs_total`: label `outcome` removed\n\
         breaking: metric `job_seconds`: buckets changed from [0.1, 1.0] to [0.5, 1.0]\n\
         breaking: span `job.run` removed\n\
         safe: metric `jobs_total`: label `result` added\n\
         4 changes, 3 breaking\n"
    );
    assert_eq!(obs(&[&"diff", &old, &old]).stdout, "no changes\n");
}

fn serve(registry: Arc<Registry>) -> MetricsServer {
    MetricsServer::builder()
        .addr("127.0.0.1:0".parse().unwrap())
        .registry(registry)
        .start()
        .unwrap()
}

#[test]
fn scrape_check_passes_on_the_service_and_fails_on_drift() {
    let dir = Dir::new("scrape");
    let catalog = dir.catalog();

    let registry = Arc::new(Registry::new());
    let metrics = CliMetrics::register(&registry).unwrap();
    metrics
        .jobs_total
        .get(&JobLabels {
            outcome: Outcome::Ok,
        })
        .inc();
    metrics.job_duration_seconds.observe(0.2);
    // The standard collectors' metrics need no catalog entry, like obs's own.
    obs_runtime::process::register(&registry).unwrap();
    obs_runtime::build_info!().register(&registry).unwrap();
    let server = serve(registry.clone());
    let url = format!("http://{}/metrics", server.local_addr());
    let run = obs(&[&"check", &"--catalog", &catalog, &"--scrape", &url]);
    // The RED metrics are obs's own, in the global registry: not expected here.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        format!("ok: {url}: 2 declared metrics with 3 series match the catalog\n")
    );

    // Drift: a metric the catalog does not declare, and a hostile value.
    registry
        .register_metric::<Counter>(MetricDef::new("cli_retries_total", "Retries."))
        .unwrap();
    let run = obs(&[&"check", &"--catalog", &catalog, &"--scrape", &url]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!("{url}: `cli_retries` (line "))
            && run.stdout.contains("undeclared metric"),
        "{}",
        run.stdout
    );

    let gone = format!("http://{}/metrics", server.local_addr());
    server.shutdown();
    let run = obs(&[
        &"check",
        &"--catalog",
        &catalog,
        &"--scrape",
        &gone,
        &"--timeout",
        &"2",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot scrape"), "{}", run.stderr);
}

#[test]
fn scrape_check_reads_an_exposition_that_breaks_the_catalog() {
    let dir = Dir::new("exposition");
    let catalog = obs_cli::input::read_catalog(&dir.catalog()).unwrap();
    let text = "# TYPE cli_jobs counter\n# HELP cli_jobs Jobs run.\n\
                cli_jobs_total{outcome=\"ok\"} 1\ncli_jobs_total{outcome=\"skipped\"} 1\ncli_jobs_total{outcome=\"ok\",tenant=\"a\"} 1\n\
                # TYPE cli_job_duration_seconds gauge\n# HELP cli_job_duration_seconds Time to run a job.\ncli_job_duration_seconds 1\n\
                # TYPE BadName gauge\nBadName 1\n# EOF\n";
    let report = obs_cli::scrape::check(&catalog, "test", text).unwrap();
    let messages: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.place, f.message))
        .collect();
    for wanted in [
        "`cli_jobs` (line 1): help is \"Jobs run.\", the catalog declares \"Jobs run, by outcome.\"",
        "`cli_jobs` (line 1): line 4: label `outcome` has value `skipped`, outside its declared set",
        "`cli_jobs` (line 1): line 5: labels are {outcome, tenant}, the catalog declares {outcome}",
        "`cli_jobs` (line 1): 3 series, over its budget of 2",
        "`cli_job_duration_seconds` (line 6): declared a histogram, exposed as a gauge",
        "`BadName` (line 9): breaks obs's naming rules: metric name `BadName` must be lowercase snake_case",
        "`BadName` (line 9): undeclared metric",
    ] {
        assert!(messages.iter().any(|m| m.starts_with(wanted)), "missing {wanted:?} in {messages:#?}");
    }
    let err =
        obs_cli::scrape::check(&catalog, "test", "cli_jobs_total{outcome=ok} 1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "test:1:0: not a valid exposition: label `outcome` needs a quoted value: `outcome=\"…\"`"
    );
}

#[test]
fn the_committed_paths_in_the_help_exist() {
    // The README and docs/CATALOG.md show the workflow with these commands.
    let help = obs(&[&"--help"]).stdout;
    for command in [
        "docs",
        "dashboards",
        "rules",
        "check",
        "diff",
        "weaver",
        "generate",
    ] {
        assert!(help.contains(command), "{help}");
    }
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/CATALOG.md")
        .exists());
}
