//! Shared by the propagation tests: header lists, extraction helpers, and
//! spans exported through the OpenTelemetry SDK to memory.

// Each test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use obs_runtime::propagation::{self, RemoteContext, SpanId, TraceId};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;

pub const TRACE_ID: &str = "12345678901234567890123456789012";
pub const SPAN_ID: &str = "1234567890123456";
pub const TRACEPARENT: &str = "00-12345678901234567890123456789012-1234567890123456-01";

pub fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

pub fn extract(headers: &[(&str, &str)]) -> RemoteContext {
    propagation::extract(&pairs(headers))
}

/// The tracestate extracted alongside a valid `traceparent`, as it would
/// be sent on.
pub fn tracestate(values: &[&str]) -> String {
    let mut headers = vec![("traceparent", TRACEPARENT)];
    headers.extend(values.iter().map(|value| ("tracestate", *value)));
    let remote = extract(&headers);
    assert!(remote.is_valid());
    remote.tracestate().unwrap_or_default()
}

pub fn trace_id(hex: &str) -> TraceId {
    TraceId::from_hex(hex).unwrap()
}

pub fn span_id(hex: &str) -> SpanId {
    SpanId::from_hex(hex).unwrap()
}

/// Runs `f` under a scoped subscriber whose spans go through
/// `tracing-opentelemetry` to the SDK's in-memory exporter; returns `f`'s
/// result and the finished spans.
pub fn exported<T>(f: impl FnOnce() -> T) -> (T, Vec<SpanData>) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test_propagation")));
    let result = tracing::subscriber::with_default(subscriber, f);
    provider.force_flush().unwrap();
    (result, exporter.get_finished_spans().unwrap())
}

pub fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span `{name}` among {:?}", names(spans)))
}

pub fn names(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|span| &*span.name).collect()
}
