//! Traces on the export thread: a batch of finished spans as an OTLP
//! `ExportTraceServiceRequest`, converted by opentelemetry-proto and sent by
//! `transport.rs`. The caller's side, the bounded span processor, is in
//! `processor.rs`.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::SpanData;

/// The resource of every span request, converted once.
pub(super) struct TraceResource(ResourceAttributesWithSchema);

impl TraceResource {
    pub(super) fn new(resource: &opentelemetry_sdk::Resource) -> Self {
        TraceResource(resource.into())
    }

    /// One request holding `spans`, grouped by instrumentation scope.
    pub(super) fn request(&self, spans: Vec<SpanData>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(spans, &self.0),
        }
    }
}
