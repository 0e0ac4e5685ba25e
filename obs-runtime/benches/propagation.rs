//! `propagation::extract` of a valid `traceparent` and a `tracestate` of 1,
//! 32, 4,500 and 45,000 distinct valid list-members, in one header: the cost
//! must stay linear in the bytes examined and bounded whatever the header
//! holds (reading stops at the 32nd member kept or after 8 KiB). A last
//! case, 45,000 members with an invalid key (`M{i}=1`), keeps none, so
//! reading goes on to the 8 KiB limit: the worst case.
//!
//! `cargo bench -p obs-runtime --features opentelemetry --bench propagation -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use obs_runtime::propagation;
use std::hint::black_box;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Message headers with a `tracestate` of `members` entries `{key}{i}=1`.
fn headers(key: &str, members: usize) -> Vec<(String, String)> {
    let tracestate: Vec<String> = (0..members).map(|i| format!("{key}{i}=1")).collect();
    vec![
        ("traceparent".to_owned(), TRACEPARENT.to_owned()),
        ("tracestate".to_owned(), tracestate.join(",")),
    ]
}

fn extract(c: &mut Criterion) {
    let mut group = c.benchmark_group("propagation_extract");
    for members in [1, 32, 4_500, 45_000] {
        let headers = headers("m", members);
        let remote = propagation::extract(&headers);
        assert_eq!(
            remote.trace_state().header().split(',').count(),
            members.min(32)
        );
        let id = BenchmarkId::new(
            "tracestate members",
            format!("{members} ({} B)", headers[1].1.len()),
        );
        group.bench_with_input(id, &headers, |b, headers| {
            b.iter(|| black_box(propagation::extract(black_box(headers))));
        });
    }
    let invalid = headers("M", 45_000);
    assert!(propagation::extract(&invalid)
        .trace_state()
        .header()
        .is_empty());
    let id = BenchmarkId::new(
        "invalid members",
        format!("45000 ({} B)", invalid[1].1.len()),
    );
    group.bench_with_input(id, &invalid, |b, headers| {
        b.iter(|| black_box(propagation::extract(black_box(headers))));
    });
    group.finish();
}

criterion_group!(benches, extract);
criterion_main!(benches);
