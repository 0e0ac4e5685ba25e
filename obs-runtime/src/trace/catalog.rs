//! What `#[traced]` knows about each span at compile time, and the helpers its
//! expansion calls at run time (error status on the span).

use std::fmt;

// Levels and kinds have one definition, in obs-rules, as the macro reads
// them from the attribute.
pub use obs_rules::{Objective, SpanKind, SpanLevel};

/// Everything `#[traced]` knows about one span at compile time.
///
/// Every `#[traced]` function in the binary contributes one, and
/// [`span_descriptors`] lists them all at start-up: documentation, dashboards
/// and checks can be generated from the code itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpanDescriptor {
    /// The span name (`codegen.lower`).
    pub name: &'static str,
    /// The declared level.
    pub level: SpanLevel,
    /// The OpenTelemetry span kind.
    pub kind: SpanKind,
    /// The `tracing` target (the module path unless set).
    pub target: &'static str,
    /// The recorded fields, in order (arguments opted in, `fields(...)`, and
    /// the fields obs adds such as `otel.status_code`).
    pub fields: &'static [&'static str],
    /// The module the function is in.
    pub module: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The line of the function.
    pub line: u32,
    /// Whether the function records RED metrics (`#[traced(metrics)]`).
    pub metrics: bool,
    /// The objectives declared with `objective(…)`, measured on the RED
    /// metrics.
    pub objectives: &'static [Objective],
    /// The RED duration buckets (`buckets = […]`, else
    /// [`DURATION_BUCKETS`](crate::DURATION_BUCKETS)); empty without
    /// `metrics`.
    pub buckets: &'static [f64],
}

/// Submits one `#[traced]` function's [`SpanDescriptor`]: what the macro
/// expands its descriptor to, written here so that rustc's declarative
/// expander builds its tokens (a proc macro builds each across a bridge).
/// `module_path!`, `file!` and `line!` name the attribute's site.
#[doc(hidden)]
#[macro_export]
macro_rules! __span_descriptor {
    (
        $name:expr, $level:ident, $kind:ident, $target:expr, [$($field:expr),*],
        $metrics:expr, $objectives:expr, $buckets:expr
    ) => {
        $crate::__linked! {
            "obs_0_1_spans",
            $crate::__private::SpanDescriptor,
            $crate::__private::SpanDescriptor {
                name: $name,
                level: $crate::__private::SpanLevel::$level,
                kind: $crate::__private::SpanKind::$kind,
                target: $target,
                fields: &[$($field),*],
                module: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                metrics: $metrics,
                objectives: $objectives,
                buckets: $buckets,
            }
        }
    };
}

crate::linked::linked_list! {
    /// Every span declared with `#[traced]` in this binary, in no particular order.
    ///
    /// ```
    /// #[obs_runtime::traced(level = "debug", name = "docs.example")]
    /// fn example() {}
    ///
    /// let span = obs_runtime::span_descriptors()
    ///     .iter()
    ///     .find(|span| span.name == "docs.example")
    ///     .unwrap();
    /// assert_eq!(span.level, obs_runtime::SpanLevel::Debug);
    /// ```
    pub fn span_descriptors() -> &'static [&'static SpanDescriptor],
    section = "obs_0_1_spans",
    start = "__start_obs_0_1_spans",
    stop = "__stop_obs_0_1_spans"
}

/// Marks `span` as failed with OpenTelemetry's conventions:
/// `otel.status_code = "ERROR"`, `error.type` (the error's type name), and
/// its `Display` as `exception.message` and as the status description
/// (`otel.status_description`).
#[doc(hidden)]
pub fn record_error_display<E: fmt::Display + ?Sized>(span: &tracing::Span, error: &E) {
    record_error::<E>(span, Some(&tracing::field::display(error)));
}

/// As [`record_error_display`], with the error's `Debug` as the message
/// (`#[traced(err(Debug))]`).
#[doc(hidden)]
pub fn record_error_debug<E: fmt::Debug + ?Sized>(span: &tracing::Span, error: &E) {
    record_error::<E>(span, Some(&tracing::field::debug(error)));
}

/// As [`record_error_display`], without the message: only the error's type
/// name is recorded, as `error.type` and as the status description
/// (`#[traced(err(type_only))]`), for errors whose message may carry
/// credentials.
#[doc(hidden)]
pub fn record_error_type<E: ?Sized>(span: &tracing::Span, _error: &E) {
    record_error::<E>(span, None);
}

/// Whether `predicate` holds on `value`: how `error_if = …` and
/// `err(if = …)` call their predicate, so that its type is inferred from
/// the value and a mismatch is reported at the user's closure.
#[doc(hidden)]
#[inline]
pub fn holds<T: ?Sized>(value: &T, predicate: impl FnOnce(&T) -> bool) -> bool {
    predicate(value)
}

/// Marks `span` as failed for a value that is not an error
/// (`#[traced(error_if = …)]`): `otel.status_code = "ERROR"`, and
/// `error.type = "_OTHER"`, the conventions' name when there is no error
/// type to give.
#[doc(hidden)]
pub fn record_failure(span: &tracing::Span) {
    if span.is_disabled() {
        return;
    }
    let [status, _, error_type, _] = obs_rules::TRACED_ERROR_FIELDS;
    span.record(status, "ERROR");
    span.record(error_type, obs_rules::semconv::ERROR_TYPE_OTHER);
}

fn record_error<E: ?Sized>(span: &tracing::Span, message: Option<&dyn tracing::Value>) {
    if span.is_disabled() {
        return;
    }
    let [status, description, error_type, exception_message] = obs_rules::TRACED_ERROR_FIELDS;
    span.record(status, "ERROR");
    span.record(error_type, short_type_name::<E>());
    match message {
        Some(message) => {
            span.record(exception_message, message);
            span.record(description, message);
        }
        None => {
            span.record(description, short_type_name::<E>());
        }
    }
}

/// The last path segment of a type's name, generics kept: `io::Error` → `Error`.
fn short_type_name<E: ?Sized>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    match base.rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}
