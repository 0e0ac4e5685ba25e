//! [`W3cPropagator`]: obs's propagation as an OpenTelemetry
//! `TextMapPropagator`.

use super::{Outgoing, RemoteContext, TRACEPARENT, TRACESTATE};
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;
use std::sync::LazyLock;

/// A [`TextMapPropagator`] for W3C Trace Context with obs's conforming
/// extraction (see the [module docs](super)), for OpenTelemetry APIs and
/// middleware that take a propagator, e.g.
/// `opentelemetry::global::set_text_map_propagator(W3cPropagator::new())`.
///
/// ```
/// use obs_runtime::propagation::W3cPropagator;
/// use opentelemetry::propagation::TextMapPropagator as _;
/// use opentelemetry::trace::TraceContextExt as _;
/// use std::collections::HashMap;
///
/// let mut headers = HashMap::new();
/// // A version-00 header with an extra field is invalid.
/// headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-".to_owned());
/// let context = W3cPropagator::new().extract(&headers);
/// assert!(!context.span().span_context().is_valid());
/// ```
#[derive(Clone, Debug, Default)]
pub struct W3cPropagator {
    _private: (),
}

impl W3cPropagator {
    /// The propagator.
    pub fn new() -> Self {
        Self::default()
    }
}

static FIELDS: LazyLock<[String; 2]> =
    LazyLock::new(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]);

impl TextMapPropagator for W3cPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let Some(outgoing) = Outgoing::of(cx) else {
            return;
        };
        injector.set(TRACEPARENT, outgoing.traceparent);
        if let Some(tracestate) = outgoing.tracestate {
            injector.set(TRACESTATE, tracestate);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let traceparents = extractor.get_all(TRACEPARENT).unwrap_or_default();
        let tracestates = extractor.get_all(TRACESTATE).unwrap_or_default();
        RemoteContext::from_headers(&traceparents, &tracestates).within(cx)
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&*FIELDS)
    }
}
