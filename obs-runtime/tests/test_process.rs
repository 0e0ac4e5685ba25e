//! The standard collectors (feature `process`): the process metrics read
//! from `/proc`, `build_info`, a Tokio runtime's metrics, and `init`'s
//! switch for them. Values are checked for plausibility, never for timing.

mod support;

use obs_runtime::process::BuildInfo;
use obs_runtime::{Format, Registry, SeriesValue};
use support::{assert_promtool_clean, family, parse_openmetrics};

/// The value of the only series of `name`, as a float.
fn value(registry: &Registry, name: &str) -> f64 {
    let snapshot = registry.snapshot();
    let metric = snapshot
        .iter()
        .find(|m| m.descriptor.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(metric.series.len(), 1, "{metric:?}");
    match metric.series[0].value {
        SeriesValue::Counter(n) => n as f64,
        SeriesValue::FloatCounter(x) | SeriesValue::Gauge(x) => x,
        SeriesValue::IntGauge(n) => n as f64,
        ref other => panic!("{other:?}"),
    }
}

// Spelled out rather than taken from `obs_rules::standard`: these are the
// names dashboards written for client_golang query.
const PROCESS_METRICS: [&str; 7] = [
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
    "process_threads",
];

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[cfg(target_os = "linux")]
#[test]
fn the_seven_process_series_have_plausible_values() {
    let registry = Registry::new();
    obs_runtime::process::register(&registry).unwrap();

    assert!(value(&registry, "process_threads") >= 1.0);
    let rss = value(&registry, "process_resident_memory_bytes");
    assert!(rss > 0.0);
    assert!(value(&registry, "process_virtual_memory_bytes") >= rss);
    let open = value(&registry, "process_open_fds");
    assert!(
        open >= 3.0,
        "standard input, output and error at least: {open}"
    );
    assert!(value(&registry, "process_max_fds") >= open);
    assert!(value(&registry, "process_cpu_seconds_total") >= 0.0);
    let start = value(&registry, "process_start_time_seconds");
    let now = unix_now();
    assert!(
        start <= now + 1.0 && start > now - 86_400.0,
        "{start} vs {now}"
    );

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    for name in PROCESS_METRICS {
        assert!(text.contains(&format!("\n{name} ")), "{name} in\n{text}");
    }
    assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
    assert_promtool_clean(&text);
    let families = parse_openmetrics(&registry.encode(Format::OPENMETRICS));
    assert_eq!(family(&families, "process_cpu_seconds").kind, "counter");
    assert_eq!(
        family(&families, "process_resident_memory_bytes").unit,
        "bytes"
    );
}

#[test]
fn the_standard_names_are_client_golangs() {
    assert_eq!(obs_rules::standard::PROCESS_METRICS, PROCESS_METRICS);
}

#[test]
fn build_info_is_one_with_its_labels() {
    let registry = Registry::new();
    let info = obs_runtime::build_info!();
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let revision = option_env!("OBS_GIT_COMMIT").filter(|c| !c.is_empty());
    assert_eq!(info.revision, revision.unwrap_or("unknown"));
    assert_eq!(BuildInfo::new("1.0.0").revision("").revision, "unknown");
    assert!(
        info.rustc_version.starts_with("1."),
        "{}",
        info.rustc_version
    );
    BuildInfo::new("2.3.4")
        .revision("0a1b2c3")
        .register(&registry)
        .unwrap();

    let snapshot = registry.snapshot();
    assert_eq!(snapshot[0].descriptor.name, "build_info");
    let series = &snapshot[0].series[0];
    assert_eq!(series.value, SeriesValue::IntGauge(1));
    let labels: Vec<(&str, &str)> = series
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("version", "2.3.4"),
            ("revision", "0a1b2c3"),
            ("rustc_version", &*info.rustc_version),
        ]
    );
    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert_promtool_clean(&text);
    let families = parse_openmetrics(&registry.encode(Format::OPENMETRICS));
    let build = family(&families, "build_info");
    assert_eq!(
        (build.kind.as_str(), build.samples[0].value),
        ("gauge", 1.0)
    );
}

#[cfg(feature = "http")]
#[test]
fn a_tokio_runtime_reports_its_workers_tasks_queue_and_busy_time() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let registry = Registry::new();
    obs_runtime::process::register_tokio(&registry, runtime.handle()).unwrap();
    // Spawned, not yet polled: alive until the runtime runs it.
    let task = runtime.spawn(async {});
    assert_eq!(value(&registry, "tokio_workers"), 1.0);
    assert!(value(&registry, "tokio_alive_tasks") >= 1.0);
    assert!(value(&registry, "tokio_global_queue_depth") >= 0.0);
    runtime.block_on(task).unwrap();
    let snapshot = registry.snapshot();
    let busy = snapshot
        .iter()
        .find(|m| m.descriptor.name == "tokio_worker_busy_seconds_total")
        .unwrap();
    assert_eq!(busy.series.len(), 1);
    assert_eq!(
        busy.series[0].labels,
        [("worker".to_owned(), "0".to_owned())]
    );
    assert!(matches!(busy.series[0].value, SeriesValue::FloatCounter(x) if x >= 0.0));
    assert_promtool_clean(&registry.encode(Format::PROMETHEUS_TEXT));

    let err = obs_runtime::process::register_tokio(&registry, runtime.handle()).unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
}

/// `init`'s collectors, on the registry it serves: on by default (with
/// Tokio's when built inside a runtime), off with `OBS_PROCESS_METRICS=off`.
#[cfg(feature = "init")]
mod init {
    use super::*;
    use obs_runtime::Config;
    use std::sync::Arc;

    fn build(vars: &[(&str, &str)]) -> (Arc<Registry>, obs_runtime::ObsGuard) {
        let registry = Arc::new(Registry::new());
        let vars = [("OBS_METRICS", "off"), ("OBS_TRACING", "off")]
            .into_iter()
            .chain(vars.iter().copied());
        let guard = Config::from_vars(vars)
            .unwrap()
            .registry(registry.clone())
            .logs(false)
            .build_info(BuildInfo::new("2.3.4"))
            .build()
            .unwrap();
        (registry, guard)
    }

    fn registered(registry: &Registry) -> Vec<String> {
        let names = registry.descriptors().into_iter();
        names.map(|d| d.name.into_owned()).collect()
    }

    #[test]
    fn init_registers_the_process_metrics_unless_switched_off() {
        let (registry, _guard) = build(&[]);
        let names = registered(&registry);
        #[cfg(target_os = "linux")]
        for name in PROCESS_METRICS {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        assert!(names.iter().any(|n| n == "build_info"));
        assert!(
            !names.iter().any(|n| n.starts_with("tokio_")),
            "no runtime here"
        );

        let (registry, _guard) = build(&[("OBS_PROCESS_METRICS", "off")]);
        assert_eq!(registered(&registry), ["build_info"]);
        let text = registry.encode(Format::PROMETHEUS_TEXT);
        assert!(!text.contains("process_"), "{text}");
    }

    #[test]
    fn init_inside_a_tokio_runtime_registers_its_metrics() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (registry, _guard) = runtime.block_on(async { build(&[]) });
        assert_eq!(value(&registry, "tokio_workers"), 1.0);
        let (registry, _guard) =
            runtime.block_on(async { build(&[("OBS_PROCESS_METRICS", "off")]) });
        assert!(!registered(&registry)
            .iter()
            .any(|n| n.starts_with("tokio_")));
    }
}
