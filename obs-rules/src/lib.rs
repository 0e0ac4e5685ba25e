//! The rules obs applies to metric names, units, label names, label values,
//! family limits, histogram buckets, span names and secrets.
//!
//! There is exactly one copy of each rule: `obs-macros` calls these functions
//! at expansion time (turning a [`Violation`] into a spanned compile error) and
//! `obs-runtime` calls them for names built at run time (turning a
//! [`Violation`] into an error value). Two copies would drift.
//!
//! This crate has no dependencies, so the proc-macro crate stays lean.
//!
//! ```
//! use obs_rules::{check_metric_name, MetricType};
//!
//! assert!(check_metric_name("http_requests_total", MetricType::Counter).is_ok());
//! let err = check_metric_name("latency_ms", MetricType::Histogram).unwrap_err();
//! assert_eq!(err.help.as_deref(), Some("rename it `latency_seconds` and record seconds as `f64`"));
//! ```

mod buckets;
mod case;
mod label;
mod limits;
mod metric;
mod objective;
mod secret;
pub mod semconv;
mod span;
pub mod standard;

pub use buckets::{check_buckets, exponential_buckets, linear_buckets, DEFAULT_BUCKETS};
pub use case::{suggest_snake_case, to_snake_case};
pub use label::{check_label_name, check_label_value, RESERVED_LABEL_NAMES, UNBOUNDED_LABEL_TYPES};
pub use limits::{
    check_family_limit, FamilyLimit, DEFAULT_MAX_LABEL_BYTES, DEFAULT_MAX_SERIES,
    MAX_MAX_LABEL_BYTES, MAX_MAX_SERIES,
};
pub use metric::{
    check_buckets_allowed, check_declared_unit, check_help, check_info_metric_name,
    check_metric_name, check_prefix, family_name, unit_of, MetricType, BASE_UNITS,
};
pub use objective::{
    check_latency_threshold, check_objective_target, is_bucket_bound, is_objective_target,
    share_text, Objective, RED_DURATION_BUCKETS,
};
pub use secret::{
    secret_argument, secret_exposed, secret_field_name, secret_in_field, secret_return,
    secret_word, SecretSource, NOT_SECRET, REDACTED, VERBATIM_METHODS,
};
pub use span::{
    check_span_kind, check_span_level, check_span_name, is_internal_field, SpanKind, SpanLevel,
    DEFAULT_SPAN_LEVEL, SPAN_KINDS, SPAN_LEVELS, TRACED_ERROR_FIELDS, TRACED_KIND_FIELD,
    TRACED_RETURN_FIELD,
};

use std::fmt;

/// A broken rule: what is wrong, and what to write instead when a fix exists.
///
/// Messages are lowercase and name the offending item literally, so they read
/// well both as a compiler error and inside a runtime error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// What is wrong, e.g. ``counter `requests` must end in `_total` ``.
    pub message: String,
    /// What to write instead, e.g. ``rename it `requests_total` ``.
    pub help: Option<String>,
}

impl Violation {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Violation {
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}
