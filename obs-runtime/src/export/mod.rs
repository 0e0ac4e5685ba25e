//! Exporters: how encoded metrics leave the process.
//!
//! - [`http`] (feature `http`): an embedded `/metrics` endpoint with content
//!   negotiation, and a response builder for services that already run an
//!   HTTP server.
//! - [`otlp`] (feature `otlp`): OTLP export of traces and metrics to an
//!   OpenTelemetry collector, over gRPC or HTTP/protobuf.

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "otlp-plaintext")]
pub mod otlp;
#[cfg(feature = "prometheus")]
pub mod prometheus;
