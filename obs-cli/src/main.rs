//! The `obs` command: see the crate documentation, or `obs --help`.

use clap::{Parser, Subcommand};
use obs_cli::input::{self, InputError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Documentation, Grafana dashboards, Prometheus rules and live checks,
/// generated from a service's telemetry catalog.
///
/// Write the catalog with `OBS_CATALOG_OUT=catalog.json ./your-service`
/// (or read it from the running service's `/catalog`). Exit codes: 0 when
/// all is well, 1 when a check finds problems or a diff finds a breaking
/// change, 2 when an input cannot be read.
#[derive(Parser)]
#[command(name = "obs", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Markdown reference: one entry per metric (type, unit, labels, PromQL) and per span.
    Docs {
        /// The catalog (JSON).
        catalog: PathBuf,
        /// Where to write it (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Grafana dashboards, one per service.
    Dashboards {
        /// The catalog (JSON).
        catalog: PathBuf,
        /// The directory to write them to.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Prometheus recording and alert rules, and their `promtool test rules` file.
    Rules {
        /// The catalog (JSON).
        catalog: PathBuf,
        /// The rule file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// The test file to write (default: next to the rule file, `NAME.test.yml`).
        #[arg(long)]
        tests: Option<PathBuf>,
    },
    /// Checks dashboards and rule files, or a running service's exposition, against the catalog.
    Check {
        /// The catalog (JSON).
        #[arg(long)]
        catalog: PathBuf,
        /// Grafana dashboards (`.json`) and Prometheus rule files (`.yml`, `.yaml`).
        files: Vec<PathBuf>,
        /// A `/metrics` URL to scrape and check.
        #[arg(long)]
        scrape: Option<String>,
        /// How long the scrape may take, in seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Everything at once: the catalog, docs, dashboards, rules and their tests, and the Weaver registry.
    Generate {
        /// The catalog (JSON).
        catalog: PathBuf,
        /// The directory to write them to.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Breaking changes between two catalogs.
    Diff {
        /// The catalog before.
        old: PathBuf,
        /// The catalog after.
        new: PathBuf,
    },
    /// An OpenTelemetry Weaver semantic-convention registry.
    Weaver {
        /// The catalog (JSON).
        catalog: PathBuf,
        /// The directory to write the registry to.
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("obs: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command: `Ok(false)` when it found problems.
fn run(cli: Cli) -> Result<bool, InputError> {
    match cli.command {
        Command::Docs { catalog, output } => {
            let docs = obs_cli::docs::render(&input::read_catalog(&catalog)?);
            match output {
                Some(path) => write(&path, &docs)?,
                None => print!("{docs}"),
            }
            Ok(true)
        }
        Command::Dashboards { catalog, output } => {
            for (name, json) in obs_cli::dashboards::render(&input::read_catalog(&catalog)?) {
                write(&output.join(name), &json)?;
            }
            Ok(true)
        }
        Command::Rules {
            catalog,
            output,
            tests,
        } => {
            let catalog = input::read_catalog(&catalog)?;
            let tests = tests.unwrap_or_else(|| test_path(&output));
            let relative = relative_to(&output, tests.parent().unwrap_or(Path::new("")));
            write(&output, &obs_cli::rules::render(&catalog))?;
            write(&tests, &obs_cli::rules::render_tests(&catalog, &relative))?;
            Ok(true)
        }
        Command::Check {
            catalog,
            files,
            scrape,
            timeout,
        } => {
            let catalog = input::read_catalog(&catalog)?;
            if files.is_empty() && scrape.is_none() {
                return Err(InputError::new(
                    "obs check",
                    "nothing to check: name dashboards or rule files, or `--scrape URL`",
                ));
            }
            let files = files
                .iter()
                .map(|path| {
                    Ok(obs_cli::check::File {
                        name: path.display().to_string(),
                        text: input::read(path)?,
                    })
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            let mut findings = obs_cli::check::check_files(&catalog, &files)?;
            let mut summary = Vec::new();
            if !files.is_empty() {
                summary.push(format!("{} files", files.len()));
            }
            if let Some(url) = scrape {
                let report =
                    obs_cli::scrape::scrape(&catalog, &url, Duration::from_secs(timeout.max(1)))?;
                summary.push(format!(
                    "{url}: {} declared metrics with {} series",
                    report.metrics, report.series
                ));
                findings.extend(report.findings);
            }
            let summary = summary.join(", ");
            for finding in &findings {
                println!("{finding}");
            }
            match findings.len() {
                0 => println!("ok: {summary} match the catalog"),
                n => println!("{n} problems ({summary})"),
            }
            Ok(findings.is_empty())
        }
        Command::Generate { catalog, output } => {
            for (name, text) in obs_cli::artefacts(&input::read_catalog(&catalog)?) {
                write(&output.join(name), &text)?;
            }
            Ok(true)
        }
        Command::Diff { old, new } => {
            let changes =
                obs_cli::diff::diff(&input::read_catalog(&old)?, &input::read_catalog(&new)?);
            for change in &changes {
                let kind = if change.breaking { "breaking" } else { "safe" };
                println!("{kind}: {}", change.message);
            }
            let breaking = changes.iter().filter(|c| c.breaking).count();
            match (changes.len(), breaking) {
                (0, _) => println!("no changes"),
                (n, 0) => println!("{n} changes, none breaking"),
                (n, b) => println!("{n} changes, {b} breaking"),
            }
            Ok(breaking == 0)
        }
        Command::Weaver { catalog, output } => {
            for (name, yaml) in obs_cli::weaver::render(&input::read_catalog(&catalog)?) {
                write(&output.join(name), &yaml)?;
            }
            Ok(true)
        }
    }
}

/// `rules.yml` → `rules.test.yml`.
fn test_path(rules: &Path) -> PathBuf {
    let stem = rules
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rules".to_owned());
    rules.with_file_name(format!("{stem}.test.yml"))
}

/// The rule file as the test file names it: relative to the test's folder
/// when it is inside it, else as given.
fn relative_to(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

fn write(path: &Path, text: &str) -> Result<(), InputError> {
    let failed = |err: std::io::Error| {
        InputError::new(path.display().to_string(), format!("cannot write: {err}"))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}
