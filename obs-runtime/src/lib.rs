//! # obs-runtime
//!
//! Instrumentation checked by the compiler. Declare metrics as a plain struct;
//! `#[derive(Metrics)]` checks every name, unit, label and bucket at compile
//! time and generates the descriptors the runtime registers and exports.
//!
//! ```
//! use obs_runtime::{Counter, Family, Format, Gauge, Histogram, LabelSet, LabelValue, Metrics, MetricGroup, Registry};
//!
//! #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
//! enum Backend { Llvm, Cranelift }
//!
//! #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
//! enum Outcome { Success, Failure }
//!
//! #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
//! struct CompileLabels { backend: Backend, outcome: Outcome }
//!
//! #[derive(Metrics)]
//! #[metrics(prefix = "pipeline")]
//! struct PipelineMetrics {
//!     /// Total duration from spec ingest to distribution.
//!     #[metric(buckets = exponential(0.001, 2.0, 16))]
//!     latency_seconds: Histogram,
//!     /// Toolchain outcomes by backend.
//!     compile_total: Family<CompileLabels, Counter>,
//!     /// Ratio of blocked artefacts in the current interval.
//!     verification_block_ratio: Gauge,
//! }
//!
//! let registry = Registry::new();
//! let metrics = PipelineMetrics::register(&registry)?;
//!
//! metrics.latency_seconds.observe(0.042);
//! metrics.compile_total.get(&CompileLabels { backend: Backend::Llvm, outcome: Outcome::Success }).inc();
//! metrics.verification_block_ratio.set(0.25);
//!
//! assert_eq!(CompileLabels::CARDINALITY, Some(4));
//! let scrape = registry.encode(Format::OPENMETRICS);
//! assert!(scrape.contains(r#"pipeline_compile_total{backend="llvm",outcome="success"} 1"#));
//! assert!(scrape.ends_with("# EOF\n"));
//! # Ok::<(), obs_runtime::RegistryError>(())
//! ```
//!
//! Misspell a name and the build fails, pointing at the field:
//!
//! ```compile_fail
//! #[derive(obs_runtime::Metrics)]
//! struct Bad {
//!     /// Requests served.
//!     requests: obs_runtime::Counter, // counter `requests` must end in `_total`
//! }
//! ```
//!
//! ## Modules at a glance
//!
//! Data flows one way: metric cells ([`Counter`], [`Gauge`], [`IntGauge`],
//! [`Histogram`], [`Family`]) → [`Registry`] → encoder ([`Format`]) →
//! exporter. A [`Collector`] adds values read at scrape time instead of
//! recorded; the `process` module has the standard ones (process, Tokio
//! runtime, `build_info`).
//!
//! ## One-call set-up
//!
//! With the `init` feature (and `otlp` for an OpenTelemetry collector),
//! `obs_runtime::init()` reads the standard `OTEL_*` variables, `RUST_LOG` and
//! obs's `OBS_*` switches, installs the `tracing` subscriber (spans with
//! OpenTelemetry ids, log lines carrying `trace_id`/`span_id`), serves
//! `/metrics` and exports traces and metrics over OTLP; the guard it returns
//! flushes on drop. [`Config`] does the same from code; `docs/CONFIGURATION.md`
//! lists every variable and feature.

// docs.rs builds with every optional part on and labels each item with the
// feature it needs (`[package.metadata.docs.rs]` in Cargo.toml).
#![cfg_attr(docsrs, feature(doc_cfg))]

// Lets the derives, which name `::obs_runtime`, be used inside this crate.
extern crate self as obs_runtime;

#[cfg(feature = "catalog")]
mod catalog;
mod clock;
mod config;
#[cfg(feature = "init")]
mod console;
mod descriptor;
#[cfg(any(feature = "init", feature = "otlp-plaintext", feature = "testing"))]
mod diagnostics;
mod encoding;
mod exemplar;
pub mod export;
#[cfg(feature = "init")]
mod init;
mod labels;
mod linked;
#[cfg(feature = "init")]
pub mod logs;
mod metric;
mod metrics;
#[cfg(feature = "process")]
pub mod process;
#[cfg(feature = "opentelemetry")]
pub mod propagation;

mod registry;
mod secret;
mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tower")]
pub mod tower;
mod trace;

#[cfg(feature = "catalog")]
pub use catalog::{
    catalog, catalog_of, Catalog, CatalogError, CatalogLabel, CatalogMetric, CatalogSpan,
    CATALOG_VERSION,
};
pub use config::{
    Compression, Config, ConfigError, ConfigWarning, ExportSettings, LogFormat, LogWriter,
    OtlpTarget, Protocol, Sampler, SignalSettings, Temporality, TlsFiles,
};
pub use descriptor::{MetricDescriptor, MetricType};
pub use encoding::Format;
pub use exemplar::Exemplar;
#[cfg(feature = "init")]
pub use init::{init, ObsGuard};
pub use labels::{LabelSet, LabelText, LabelValue, UnboundedLabelValue};
pub use metric::{EncodeMetric, Metric};
pub use metrics::counter::Counter;
pub use metrics::family::{Family, Series, DEFAULT_MAX_LABEL_BYTES, DEFAULT_MAX_SERIES};
pub use metrics::gauge::{Gauge, IntGauge};
pub use metrics::histogram::{Buckets, Histogram, HistogramTimer};
/// Puts a function in a checked span: see [docs/TRACING.md] for every
/// option.
///
/// On a request handler, four options shape the span the way the
/// OpenTelemetry conventions describe it:
///
/// - `error_if = |value| …` marks the span failed (`otel.status_code =
///   "ERROR"`, `error.type = "_OTHER"`) and counts the call as an error in
///   the RED metrics when the predicate holds on the returned value (on a
///   `Result`, on its `Ok` value; `err` is then required, for the `Err`);
/// - `err(if = |error| …)` counts only the errors the predicate accepts: an
///   expected error (a "not found") leaves the span's status unset and the
///   call counted `ok`;
/// - `otel_name = expr` is the exported span name, computed at run time
///   (`{method} {route}`), recorded as the `otel.name` field; `name` stays
///   the checked, static name;
/// - `fields(semconv::attribute::HTTP_ROUTE = route)` names a field by a
///   [`semconv::attribute`] constant, resolved when the macro expands (a
///   typo is a compile error that suggests the closest constant).
///
/// Integers given as values (`fields(size = body.len())`) are recorded as
/// `i64`, so that OTLP exports them as integers.
///
/// ```
/// use obs_runtime::traced;
///
/// pub struct Response { status: u16 }
///
/// #[derive(Debug, PartialEq)]
/// pub enum UserError { NotFound, Store(String) }
///
/// impl std::fmt::Display for UserError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str(match self { UserError::NotFound => "no such user", UserError::Store(_) => "store down" })
///     }
/// }
///
/// #[traced(
///     level = "info",
///     name = "http.server.request",
///     kind = "server",
///     otel_name = format!("{method} {route}"),
///     err(if = |e: &UserError| *e != UserError::NotFound),
///     error_if = |r: &Response| r.status >= 500,
///     fields(semconv::attribute::HTTP_ROUTE = route, http.request.method = method),
///     metrics
/// )]
/// async fn get_user(method: &str, route: &str, id: u32) -> Result<Response, UserError> {
///     match id {
///         0 => Err(UserError::NotFound),
///         _ => Ok(Response { status: 200 }),
///     }
/// }
/// ```
///
/// [docs/TRACING.md]: https://github.com/obs-rs/obs/blob/main/docs/TRACING.md
pub use obs_macros::traced;
pub use obs_macros::{LabelSet, LabelValue, Metrics};
pub use obs_rules::{semconv, Violation};
pub use registry::{
    CollectedMetric, Collection, Collector, MetricDef, MetricGroup, Registry, RegistryError,
    RegistrySource,
};
pub use secret::Secret;
pub use snapshot::{HistogramSnapshot, MetricSnapshot, SeriesSnapshot, SeriesValue};
pub use trace::catalog::{span_descriptors, Objective, SpanDescriptor, SpanKind, SpanLevel};
pub use trace::red::{function_metrics, FunctionMetrics, DURATION_BUCKETS};

/// Support for the code the obs macros generate. Not a stable API: it may
/// change in any release, and the macros are pinned to this exact version.
#[doc(hidden)]
pub mod __private {
    pub use crate::descriptor::{MetricDescriptor, MetricType};
    pub use crate::encoding::MetricEncoder;
    pub use crate::labels::{LabelSet, LabelText, LabelValue, UnboundedLabelValue};
    pub use crate::metric::{EncodeMetric, Metric, Sealed};
    pub use crate::metrics::bucket::BucketCell;
    #[cfg(feature = "opentelemetry")]
    pub use crate::propagation::{set_remote_parent, RemoteContext};
    pub use crate::registry::MetricGroup;
    pub use crate::registry::{declared_latency, DeclaredObjective, GroupDeclaration};
    pub use crate::trace::red::{bucket_cells, duration_cells, CallTimer, DURATION_BUCKETS};

    /// Without the `opentelemetry` feature there is no remote context:
    /// `#[traced(remote_parent = …)]` fails with this trait's message.
    #[cfg(not(feature = "opentelemetry"))]
    #[diagnostic::on_unimplemented(
        message = "`#[traced(remote_parent = …)]` needs obs-runtime's `opentelemetry` feature",
        label = "remote contexts come from `obs_runtime::propagation::extract`",
        note = "enable it: `obs-runtime = {{ version = \"…\", features = [\"opentelemetry\"] }}`"
    )]
    pub trait RemoteParentNeedsOpentelemetry {}

    /// See [`RemoteParentNeedsOpentelemetry`].
    #[cfg(not(feature = "opentelemetry"))]
    pub fn set_remote_parent<T: RemoteParentNeedsOpentelemetry + ?Sized>(_: &tracing::Span, _: &T) {
    }
    pub use crate::registry::Registry;
    pub use crate::trace::catalog::{
        holds, record_error_debug, record_error_display, record_error_type, record_failure,
        Objective, SpanDescriptor, SpanKind, SpanLevel,
    };
    pub use crate::trace::red::FunctionMetrics;
    pub use crate::trace::value::{AsValue, FieldValue, Integer, ViaInteger, ViaValue};
    pub use core::option::Option::{None, Some};
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub use inventory;
    pub use std::borrow::Cow;
    pub use tracing;
    pub use tracing::Instrument;

    /// Fails the build when a field's declared metric type (read from its
    /// tokens by the derive) differs from the type's own `Metric::TYPE`.
    pub const fn assert_metric_type(actual: MetricType, expected: MetricType) {
        let same = matches!(
            (actual, expected),
            (MetricType::Counter, MetricType::Counter)
                | (MetricType::Gauge, MetricType::Gauge)
                | (MetricType::Histogram, MetricType::Histogram)
        );
        if !same {
            panic!("the field's metric type differs from the type its name was checked as; use obs_runtime's metric types directly");
        }
    }
}

/// The README's examples, compiled as doctests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// docs/SERVICES.md's examples, compiled as doctests.
#[cfg(all(doctest, feature = "tower"))]
#[doc = include_str!("../../docs/SERVICES.md")]
pub struct ServicesDoctests;

/// docs/TESTING.md's examples, compiled as doctests.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../../docs/TESTING.md")]
pub struct TestingDoctests;
