//! Traces on the export thread: the official `opentelemetry-otlp` span
//! exporter, built inside the thread's Tokio runtime. The user-thread side,
//! the bounded span processor, is in `processor.rs`.

use crate::config::{ConfigError, OtlpTarget, Protocol};
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SpanExporter as _;
use opentelemetry_sdk::Resource;
use std::time::Duration;

/// The official OTLP span exporter for `target`, with the resource set.
/// Called on the export thread, inside its Tokio runtime.
pub(super) fn build_exporter(
    target: &OtlpTarget,
    timeout: Duration,
    resource: &Resource,
) -> Result<SpanExporter, ConfigError> {
    let built = match target.protocol {
        Protocol::Grpc => SpanExporter::builder()
            .with_tonic()
            .with_protocol(opentelemetry_otlp::Protocol::Grpc)
            .with_endpoint(target.endpoint.clone())
            .with_timeout(timeout)
            .build(),
        Protocol::HttpProtobuf => SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(target.endpoint.clone())
            .with_timeout(timeout)
            .build(),
    };
    let mut exporter = built.map_err(|err| {
        ConfigError::invalid(
            "the OTLP traces endpoint",
            target.endpoint.clone(),
            format!("an endpoint the OTLP exporter accepts ({err})"),
        )
    })?;
    exporter.set_resource(resource);
    Ok(exporter)
}
