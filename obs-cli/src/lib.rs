//! # obs-cli
//!
//! The `obs` command turns a service's telemetry catalog (what
//! `obs_runtime::catalog()` writes: every metric and span the binary
//! declares) into the artefacts teams otherwise write by hand and let drift,
//! and checks those artefacts, and the running service, against it:
//!
//! - `obs docs CATALOG`: Markdown reference with ready-to-use PromQL;
//! - `obs dashboards CATALOG -o DIR`: Grafana dashboards;
//! - `obs rules CATALOG -o FILE`: Prometheus recording and alert rules, and
//!   a `promtool test rules` file proving each alert;
//! - `obs check --catalog CATALOG FILES...`: every PromQL expression in
//!   dashboards and rule files parses and names only declared metrics,
//!   labels and label values;
//! - `obs check --catalog CATALOG --scrape URL`: the live exposition matches
//!   the catalog;
//! - `obs diff OLD NEW`: breaking changes between two catalogs;
//! - `obs weaver CATALOG -o DIR`: the catalog as an OpenTelemetry Weaver
//!   semantic-convention registry.
//!
//! Each generator is a function of the catalog alone, so the output is the
//! same on every run and can be committed and diffed in CI.
//!
//! ```
//! let catalog = obs_cli::input::parse_catalog("catalog.json", r#"{
//!     "version": 1, "spans": [],
//!     "metrics": [{"name": "jobs_total", "type": "counter", "help": "Jobs run.",
//!                  "series": 1, "owner": "app::JobMetrics"}]
//! }"#)?;
//! let markdown = obs_cli::docs::render(&catalog);
//! assert!(markdown.contains("sum(rate(jobs_total[5m]))"));
//! # Ok::<(), obs_cli::input::InputError>(())
//! ```

pub mod check;
pub mod dashboards;
pub mod diff;
pub mod docs;
pub mod exposition;
pub mod input;
pub mod names;
pub mod promql;
pub mod rules;
pub mod scrape;
pub mod weaver;

/// Every artefact of a catalog, as (path relative to the output directory,
/// contents): what `obs generate` writes and what a service commits.
///
/// - `catalog.json`, the catalog itself;
/// - `CATALOG.md` ([`docs`]);
/// - `dashboards/SERVICE.json` ([`dashboards`]);
/// - `rules.yml` and `rules.test.yml` ([`rules`]);
/// - `weaver/` ([`weaver`]).
pub fn artefacts(catalog: &obs_runtime::Catalog) -> Vec<(String, String)> {
    let mut files = vec![
        ("catalog.json".to_owned(), catalog.to_json()),
        ("CATALOG.md".to_owned(), docs::render(catalog)),
    ];
    files.extend(
        dashboards::render(catalog)
            .into_iter()
            .map(|(name, json)| (format!("dashboards/{name}"), json)),
    );
    files.push(("rules.yml".to_owned(), rules::render(catalog)));
    files.push((
        "rules.test.yml".to_owned(),
        rules::render_tests(catalog, "rules.yml"),
    ));
    files.extend(
        weaver::render(catalog)
            .into_iter()
            .map(|(name, yaml)| (format!("weaver/{name}"), yaml)),
    );
    files
}

/// A finding of a check or a diff: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file, or the URL scraped.
    pub source: String,
    /// Where in it: a panel, a rule, a metric.
    pub place: String,
    /// What is wrong, with a did-you-mean where one exists.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{}: {}: {}", self.source, self.place, self.message)
        }
    }
}
