//! How long `obs check` takes on a service of realistic size: a
//! 10,000-series scrape checked against its catalog, and 50 dashboards
//! checked query by query. The target is under a second for both together.
//!
//! ```text
//! cargo bench -p obs-cli --bench check
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use obs_runtime::{Catalog, CatalogLabel, CatalogMetric, MetricType, CATALOG_VERSION};
use std::fmt::Write as _;
use std::hint::black_box;

/// 100 counter families, each with one label of 100 fixed values: 10,000
/// series.
const FAMILIES: usize = 100;
const VALUES: usize = 100;
const DASHBOARDS: usize = 50;

fn catalog() -> Catalog {
    let values: Vec<String> = (0..VALUES).map(|i| format!("value_{i}")).collect();
    let metrics = (0..FAMILIES)
        .map(|f| CatalogMetric {
            name: format!("bench_family_{f}_total"),
            metric_type: MetricType::Counter,
            help: format!("Family {f}."),
            unit: None,
            labels: vec![CatalogLabel {
                name: "kind".into(),
                values: values.clone(),
                unbounded: false,
            }],
            series: Some(VALUES),
            max_series: None,
            max_label_bytes: None,
            buckets: None,
            owner: "bench::Metrics".into(),
            crate_name: Some("bench".into()),
            module: Some("bench".into()),
            objectives: Vec::new(),
        })
        .collect();
    Catalog {
        version: CATALOG_VERSION,
        service: Some("bench".into()),
        metrics,
        spans: Vec::new(),
    }
}

/// The OpenMetrics exposition of the catalog's 10,000 series.
fn exposition(catalog: &Catalog) -> String {
    let mut text = String::new();
    for metric in &catalog.metrics {
        let family = metric.name.trim_end_matches("_total");
        let _ = writeln!(
            text,
            "# TYPE {family} counter\n# HELP {family} {}",
            metric.help
        );
        for value in &metric.labels[0].values {
            let _ = writeln!(text, "{}{{kind=\"{value}\"}} 17", metric.name);
        }
    }
    text.push_str("# EOF\n");
    text
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    let text = exposition(&catalog);
    let dashboards: Vec<obs_cli::check::File> = (0..DASHBOARDS)
        .map(|i| obs_cli::check::File {
            name: format!("dashboard_{i}.json"),
            text: obs_cli::dashboards::render(&catalog).remove(0).1,
        })
        .collect();
    // The work is real: every series and every query is read.
    let report = obs_cli::scrape::check(&catalog, "bench", &text).unwrap();
    assert_eq!(
        (report.series, report.findings.len()),
        (FAMILIES * VALUES, 0)
    );
    assert!(obs_cli::check::check_files(&catalog, &dashboards)
        .unwrap()
        .is_empty());

    let mut group = c.benchmark_group("obs_check");
    group.sample_size(10);
    group.bench_function("scrape_10000_series", |b| {
        b.iter(|| obs_cli::scrape::check(black_box(&catalog), "bench", black_box(&text)).unwrap())
    });
    group.bench_function("dashboards_50", |b| {
        b.iter(|| obs_cli::check::check_files(black_box(&catalog), black_box(&dashboards)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
