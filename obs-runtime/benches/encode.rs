//! Encoding 10,000 counter series (100 families × 100 label sets) to the
//! Prometheus text format, obs side by side with prometheus-client,
//! prometheus, metrics-exporter-prometheus and measured on the same data.
//!
//! `cargo bench -p obs-runtime --bench encode`

mod support;

use support::{Method, Route};

use criterion::{criterion_group, criterion_main, Criterion};
use measured::label::StaticLabelSet;
use measured::metric::name::MetricName;
use measured::metric::MetricFamilyEncoding;
use measured::text::BufferedTextEncoder;
use obs_runtime::{Counter, Family, Format, LabelSet, LabelValue, MetricDef, Registry};
use prometheus_client::encoding::EncodeLabelSet;
use std::hint::black_box;
use support::{Group, Target};

const FAMILIES: usize = 100;

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsDense {
    method: Method,
    route: Route,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsStr {
    #[label(unbounded)]
    method: &'static str,
    #[label(unbounded)]
    route: &'static str,
}

#[derive(EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientStr {
    method: &'static str,
    route: &'static str,
}

#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MeasuredSet)]
struct MeasuredLabels {
    method: Method,
    route: Route,
}

/// Family `family`'s series: label values and the count to record, every
/// count different so the numbers have varied widths.
fn series(family: usize) -> impl Iterator<Item = (Method, Route, u64)> {
    (0..Method::CARDINALITY).flat_map(move |m| {
        (0..Route::CARDINALITY).map(move |r| {
            let method = Method::from_index(m).expect("in range");
            let route = Route::from_index(r).expect("in range");
            let value = (family * 100 + m * 10 + r) as u64 * 37 + 1;
            (method, route, value)
        })
    })
}

fn name(family: usize) -> String {
    format!("bench_family_{family:03}_total")
}

fn help(family: usize) -> String {
    format!("Requests of bench family {family}.")
}

/// Checks an exposition holds every family and series: correctness, not timing.
fn check_exposition(id: &str, text: &str) -> String {
    let samples = text
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count();
    let helps = text
        .lines()
        .filter(|line| line.starts_with("# HELP"))
        .count();
    assert_eq!(samples, FAMILIES * 100, "{id}: series");
    assert!(
        text.contains("bench_family_099_total{") && text.contains("checkout"),
        "{id}: last family"
    );
    format!("{id}: {} bytes, {helps} HELP lines", text.len())
}

/// 5. 10,000 counter series to text.
fn encode(c: &mut Criterion) {
    let handle = support::metrics_recorder(metrics_exporter_prometheus::PrometheusBuilder::new);

    let obs_dense = Registry::new();
    let obs_str = Registry::new();
    let prometheus = prometheus::Registry::new();
    let mut client = prometheus_client::registry::Registry::default();
    let mut measured = Vec::new();
    for family in 0..FAMILIES {
        let (name, help) = (name(family), help(family));
        let dense = obs_dense
            .register_metric::<Family<ObsDense, Counter>>(MetricDef::new(&name, &help))
            .expect("valid metric");
        let strings = obs_str
            .register_metric::<Family<ObsStr, Counter>>(MetricDef::new(&name, &help))
            .expect("valid metric");
        let prometheus_vec = prometheus::IntCounterVec::new(
            prometheus::Opts::new(&name, &help),
            &["method", "route"],
        )
        .expect("valid metric");
        prometheus
            .register(Box::new(prometheus_vec.clone()))
            .expect("unique metric");
        let client_family = prometheus_client::metrics::family::Family::<
            ClientStr,
            prometheus_client::metrics::counter::Counter,
        >::default();
        // prometheus-client appends `_total` to counter names itself.
        let client_name = name.strip_suffix("_total").expect("counter name");
        client.register(client_name, &help, client_family.clone());
        metrics::describe_counter!(name.clone(), help.clone());
        let measured_vec = measured::CounterVec::with_label_set(MeasuredSet {
            method: StaticLabelSet::new(),
            route: StaticLabelSet::new(),
        });

        for (method, route, value) in series(family) {
            let (m, r) = (method.as_str(), route.as_str());
            dense.get(&ObsDense { method, route }).inc_by(value);
            strings
                .get(&ObsStr {
                    method: m,
                    route: r,
                })
                .inc_by(value);
            prometheus_vec.with_label_values(&[m, r]).inc_by(value);
            client_family
                .get_or_create(&ClientStr {
                    method: m,
                    route: r,
                })
                .inc_by(value);
            metrics::counter!(name.clone(), "method" => m, "route" => r).increment(value);
            measured_vec.inc_by(MeasuredLabels { method, route }, value);
        }
        let name: &'static MetricName = MetricName::from_str(name.leak());
        measured.push((name, help, measured_vec));
    }

    let mut group = Group::new(c, "encode_10k_series");
    group.floor();
    let mut sizes = Vec::new();

    let mut out = String::new();
    obs_dense.encode_to(Format::PROMETHEUS_TEXT, &mut out);
    sizes.push(check_exposition("obs (enum labels)", &out));
    group.bench("obs (enum labels)", || {
        out.clear();
        black_box(&obs_dense).encode_to(Format::PROMETHEUS_TEXT, &mut out);
        black_box(&out);
    });

    out.clear();
    obs_str.encode_to(Format::PROMETHEUS_TEXT, &mut out);
    sizes.push(check_exposition("obs (&'static str labels)", &out));
    group.bench("obs (&'static str labels)", || {
        out.clear();
        black_box(&obs_str).encode_to(Format::PROMETHEUS_TEXT, &mut out);
        black_box(&out);
    });

    out.clear();
    prometheus_client::encoding::text::encode(&mut out, &client).expect("encodes");
    sizes.push(check_exposition("prometheus-client", &out));
    group.bench("prometheus-client", || {
        out.clear();
        prometheus_client::encoding::text::encode(&mut out, black_box(&client)).expect("encodes");
        black_box(&out);
    });

    let encoder = prometheus::TextEncoder::new();
    out.clear();
    encoder
        .encode_utf8(&prometheus.gather(), &mut out)
        .expect("encodes");
    sizes.push(check_exposition("prometheus", &out));
    group.bench("prometheus", || {
        out.clear();
        encoder
            .encode_utf8(&black_box(&prometheus).gather(), &mut out)
            .expect("encodes");
        black_box(&out);
    });

    let mut bytes = Vec::new();
    handle.render_to_write(&mut bytes).expect("renders");
    sizes.push(check_exposition(
        "metrics",
        std::str::from_utf8(&bytes).expect("utf-8"),
    ));
    group.bench("metrics", || {
        bytes.clear();
        black_box(handle)
            .render_to_write(&mut bytes)
            .expect("renders");
        black_box(&bytes);
    });

    let mut measured_encoder = BufferedTextEncoder::new();
    let encode_measured = |encoder: &mut BufferedTextEncoder| {
        for (name, help, vec) in black_box(&measured) {
            let _ = measured::metric::group::Encoding::write_help(encoder, *name, help);
            let _ = vec.collect_family_into(*name, encoder);
        }
        encoder.finish()
    };
    let text = encode_measured(&mut measured_encoder);
    sizes.push(check_exposition(
        "measured",
        std::str::from_utf8(&text).expect("utf-8"),
    ));
    group.bench("measured", || {
        black_box(encode_measured(&mut measured_encoder));
    });

    for id in ["obs (enum labels)", "obs (&'static str labels)"] {
        group.target(id, Target::MaxNanos(500_000.0));
        group.target(id, Target::FasterThan("prometheus-client", 2.0));
    }
    group.note(format!("Output: {}.", sizes.join("; ")));
    group.finish();

    // 5b. The same series in OpenMetrics, what Prometheus asks for by
    // default. By default obs writes no `_created` lines (nor does
    // prometheus-client); turned on, they are one more line per series.
    let mut group = Group::new(c, "encode_10k_series_openmetrics");
    group.floor();
    let mut sizes = Vec::new();
    for (id, registry, created) in [
        ("obs (enum labels)", &obs_dense, false),
        ("obs (enum labels, with _created)", &obs_dense, true),
        ("obs (&'static str labels)", &obs_str, false),
    ] {
        registry.set_created_series(created);
        out.clear();
        registry.encode_to(Format::OPENMETRICS, &mut out);
        let lines = out
            .lines()
            .filter(|l| l.ends_with("_created") || l.contains("_created{"))
            .count();
        assert_eq!(
            lines,
            if created { FAMILIES * 100 } else { 0 },
            "{id}: _created lines"
        );
        sizes.push(format!("{id}: {} bytes", out.len()));
        // Each case gets its own registry setting; the closure keeps it.
        group.bench(id, || {
            registry.set_created_series(created);
            out.clear();
            black_box(registry).encode_to(Format::OPENMETRICS, &mut out);
            black_box(&out);
        });
    }
    obs_dense.set_created_series(false);
    obs_str.set_created_series(false);
    out.clear();
    prometheus_client::encoding::text::encode(&mut out, &client).expect("encodes");
    sizes.push(format!("prometheus-client: {} bytes", out.len()));
    group.bench("prometheus-client", || {
        out.clear();
        prometheus_client::encoding::text::encode(&mut out, black_box(&client)).expect("encodes");
        black_box(&out);
    });
    for id in ["obs (enum labels)", "obs (&'static str labels)"] {
        group.target(id, Target::MaxNanos(250_000.0));
    }
    group.note(format!("Output: {}.", sizes.join("; ")));
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
