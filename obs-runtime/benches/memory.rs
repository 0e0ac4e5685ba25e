//! Memory per series: 100,000 counter series, each with one string label
//! value of its own (`tenant`) and one shared one (`method`), in obs,
//! prometheus, prometheus-client and metrics. Every allocation is counted by
//! a global allocator wrapper; the figure is the bytes still held once the
//! series exist and their inputs are dropped, divided by the series count.
//!
//! `cargo bench -p obs-runtime --bench memory`

use obs_runtime::{Counter, Family, LabelSet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Bytes allocated and not yet freed, by everything in the process.
static HELD: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only the sizes are
// counted on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERIES: usize = 100_000;

fn tenant(i: usize) -> String {
    format!("tenant-{i:06}")
}

/// The bytes per series `build` leaves allocated, keeping what it returns
/// alive until they are counted.
fn per_series<T>(build: impl FnOnce() -> T) -> f64 {
    let before = HELD.load(Ordering::Relaxed);
    let kept = build();
    let after = HELD.load(Ordering::Relaxed);
    drop(kept);
    (after - before) as f64 / SERIES as f64
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ObsLabels {
    #[label(unbounded)]
    tenant: String,
    #[label(unbounded)]
    method: &'static str,
}

#[derive(prometheus_client::encoding::EncodeLabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct ClientLabels {
    tenant: String,
    method: &'static str,
}

fn main() {
    let obs = per_series(|| {
        let family: Family<ObsLabels, Counter> = Family::new().with_max_series(SERIES);
        for i in 0..SERIES {
            family
                .get(&ObsLabels {
                    tenant: tenant(i),
                    method: "GET",
                })
                .inc();
        }
        assert_eq!(family.series_count(), SERIES);
        family
    });

    let prometheus = per_series(|| {
        let vec = prometheus::IntCounterVec::new(
            prometheus::Opts::new("requests_total", "Requests."),
            &["tenant", "method"],
        )
        .expect("valid metric");
        for i in 0..SERIES {
            vec.with_label_values(&[tenant(i).as_str(), "GET"]).inc();
        }
        vec
    });

    let client = per_series(|| {
        let family = prometheus_client::metrics::family::Family::<
            ClientLabels,
            prometheus_client::metrics::counter::Counter,
        >::default();
        for i in 0..SERIES {
            family
                .get_or_create(&ClientLabels {
                    tenant: tenant(i),
                    method: "GET",
                })
                .inc();
        }
        family
    });

    let metrics = per_series(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::with_local_recorder(&recorder, || {
            for i in 0..SERIES {
                metrics::counter!("requests_total", "tenant" => tenant(i), "method" => "GET")
                    .increment(1);
            }
        });
        recorder
    });

    let best_peer = prometheus.min(client).min(metrics);
    println!("### memory_per_series\n");
    println!("{SERIES} counter series, one string label value of their own and one shared.\n");
    println!("| crate | bytes per series | × best peer |");
    println!("| --- | ---: | ---: |");
    for (name, bytes) in [
        ("obs", obs),
        ("prometheus", prometheus),
        ("prometheus-client", client),
        ("metrics", metrics),
    ] {
        println!("| {name} | {bytes:.0} | {:.2} |", bytes / best_peer);
    }
    let verdict = if obs <= best_peer { "met" } else { "MISSED" };
    println!("\nTarget (at or below the best peer): {verdict}.");
}
