//! Scrape latency while writers run: a 10,000-series exposition (100
//! counter families × 100 label sets of two labels) encoded again and again
//! while two threads increment random series of it, in obs, prometheus and
//! prometheus-client. Prints the p50 and p99 of the scrape times and the
//! writers' increments per second meanwhile (a crate that blocks its writers
//! during a scrape shows it there).
//!
//! `cargo bench -p obs-runtime --bench scrape_under_load`

mod support;

use obs_runtime::{Counter, Family, Format, LabelSet, LabelValue, MetricDef, Registry};
use prometheus_client::encoding::EncodeLabelSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Method, Route};

const FAMILIES: usize = 100;
/// Scrapes timed, and untimed before them: fewer when `cargo test
/// --benches` runs this once as a test (cargo passes `--bench` only to a
/// benchmark run).
fn rounds() -> (usize, usize) {
    if std::env::args().any(|arg| arg == "--bench") {
        (200, 20)
    } else {
        (5, 1)
    }
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsLabels {
    method: Method,
    route: Route,
}

#[derive(EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientLabels {
    method: &'static str,
    route: &'static str,
}

fn name(family: usize) -> String {
    format!("load_family_{family:03}_total")
}

/// A small fast generator, so the writers spend their time writing.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Runs `write(family, series)` on two threads while `scrape` is timed
/// `SCRAPES` times (after a warm-up); the p50 and p99 scrape times and the
/// increments the writers made.
fn under_load(
    write: impl Fn(usize, usize) + Send + Sync + 'static,
    mut scrape: impl FnMut() -> usize,
) -> (Duration, Duration, f64) {
    let write = Arc::new(write);
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..2u64)
        .map(|seed| {
            let (write, stop, writes) = (write.clone(), stop.clone(), writes.clone());
            std::thread::spawn(move || {
                let mut state = 0x9E37_79B9_7F4A_7C15 ^ (seed + 1);
                let mut done = 0;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..256 {
                        let n = next(&mut state) as usize;
                        write(n % FAMILIES, (n >> 16) % 100);
                    }
                    done += 256;
                }
                writes.fetch_add(done, Ordering::Relaxed);
            })
        })
        .collect();
    let (scrapes, warm_up) = rounds();
    let mut times = Vec::with_capacity(scrapes);
    let began = Instant::now();
    for round in 0..warm_up + scrapes {
        let start = Instant::now();
        let bytes = scrape();
        let elapsed = start.elapsed();
        assert!(bytes > 500_000, "a whole exposition: {bytes} bytes");
        if round >= warm_up {
            times.push(elapsed);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer");
    }
    let rate = writes.load(Ordering::Relaxed) as f64 / began.elapsed().as_secs_f64();
    times.sort_unstable();
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    (p50, p99, rate)
}

fn main() {
    let mut rows = Vec::new();

    // obs: fixed label sets, the global default format of a Prometheus scrape.
    let registry = Arc::new(Registry::new());
    let families: Arc<Vec<Arc<Family<ObsLabels, Counter>>>> = Arc::new(
        (0..FAMILIES)
            .map(|f| {
                let family = registry
                    .register_metric::<Family<ObsLabels, Counter>>(MetricDef::new(
                        name(f),
                        "Requests.",
                    ))
                    .expect("valid metric");
                for i in 0..100 {
                    let labels = ObsLabels {
                        method: Method::from_index(i / 10).expect("in range"),
                        route: Route::from_index(i % 10).expect("in range"),
                    };
                    family.get(&labels).inc();
                }
                family
            })
            .collect(),
    );
    let mut out = String::new();
    let scraped = registry.clone();
    let handles = families.clone();
    rows.push((
        "obs (OpenMetrics)",
        under_load(
            move |f, i| {
                let labels = ObsLabels {
                    method: Method::from_index(i / 10).expect("in range"),
                    route: Route::from_index(i % 10).expect("in range"),
                };
                handles[f].get(&labels).inc();
            },
            || {
                out.clear();
                scraped.encode_to(Format::OPENMETRICS, &mut out);
                out.len()
            },
        ),
    ));

    // prometheus-client: its text encoder over a `Family` per name.
    const METHODS: [&str; 10] = [
        "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "purge",
    ];
    const ROUTES: [&str; 10] = [
        "users", "user", "products", "product", "owner", "purchase", "orders", "order", "cart",
        "checkout",
    ];
    let mut client_registry = prometheus_client::registry::Registry::default();
    let client_families: Vec<_> = (0..FAMILIES)
        .map(|f| {
            let family = prometheus_client::metrics::family::Family::<
                ClientLabels,
                prometheus_client::metrics::counter::Counter,
            >::default();
            for i in 0..100 {
                family
                    .get_or_create(&ClientLabels {
                        method: METHODS[i / 10],
                        route: ROUTES[i % 10],
                    })
                    .inc();
            }
            let n = name(f);
            client_registry.register(
                n.strip_suffix("_total").expect("counter"),
                "Requests.",
                family.clone(),
            );
            family
        })
        .collect();
    let client_families = Arc::new(client_families);
    let mut out = String::new();
    rows.push((
        "prometheus-client",
        under_load(
            move |f, i| {
                client_families[f]
                    .get_or_create(&ClientLabels {
                        method: METHODS[i / 10],
                        route: ROUTES[i % 10],
                    })
                    .inc();
            },
            || {
                out.clear();
                prometheus_client::encoding::text::encode(&mut out, &client_registry)
                    .expect("encodes");
                out.len()
            },
        ),
    ));

    // prometheus: `gather` and its `TextEncoder`, as its users scrape.
    let prometheus_registry = prometheus::Registry::new();
    let vecs: Vec<_> = (0..FAMILIES)
        .map(|f| {
            let vec = prometheus::IntCounterVec::new(
                prometheus::Opts::new(name(f), "Requests."),
                &["method", "route"],
            )
            .expect("valid metric");
            prometheus_registry
                .register(Box::new(vec.clone()))
                .expect("unique");
            for i in 0..100 {
                vec.with_label_values(&[METHODS[i / 10], ROUTES[i % 10]])
                    .inc();
            }
            vec
        })
        .collect();
    let vecs = Arc::new(vecs);
    rows.push((
        "prometheus",
        under_load(
            move |f, i| {
                vecs[f]
                    .with_label_values(&[METHODS[i / 10], ROUTES[i % 10]])
                    .inc()
            },
            || {
                use prometheus::Encoder as _;
                let mut buffer = Vec::new();
                prometheus::TextEncoder::new()
                    .encode(&prometheus_registry.gather(), &mut buffer)
                    .expect("encodes");
                buffer.len()
            },
        ),
    ));

    let (scrapes, warm_up) = rounds();
    println!("### scrape_under_load\n");
    println!(
        "{scrapes} scrapes of 10,000 series (after {warm_up}) while two threads increment random series.\n"
    );
    println!("| crate | p50 | p99 | writers' increments per second |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, (p50, p99, writes)) in rows {
        println!(
            "| {name} | {:.3} ms | {:.3} ms | {:.1} M |",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            writes / 1e6
        );
    }
}
