//! Exporters: how encoded metrics leave the process.
//!
//! - [`http`] (feature `http`): an embedded `/metrics` endpoint with content
//!   negotiation, and a response builder for services that already run an
//!   HTTP server.

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "prometheus")]
pub mod prometheus;
