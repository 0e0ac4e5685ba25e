//! Which signals each component records, and where its metrics go: the
//! gateway, the router and the worker each keep their own registry (and, in
//! the binary, serve it on their own `/metrics`), and each has its own
//! metrics and tracing switch.

use super::*;
use obs_runtime::export::otlp::{OtlpExporter, OtlpExporterBuilder};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// The signals one component records; both on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signals {
    /// Its metrics go to its registry. Off, they are kept in a registry of
    /// its own that nothing serves or exports, so its registry stays empty.
    pub metrics: bool,
    /// Its spans go to the `tracing` dispatcher that was current when the
    /// gateway started. Off, it records no span and carries no trace
    /// context on to the next hop; its log lines are still written, outside
    /// any span.
    pub tracing: bool,
}

impl Signals {
    /// Metrics and tracing on.
    pub const ON: Signals = Signals {
        metrics: true,
        tracing: true,
    };
    /// Metrics and tracing off.
    pub const OFF: Signals = Signals {
        metrics: false,
        tracing: false,
    };
}

impl Default for Signals {
    fn default() -> Self {
        Signals::ON
    }
}

/// The signals of each component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Telemetry {
    /// The HTTP front: its HTTP layer (the server span, request durations,
    /// requests in flight) and its own spans and metrics.
    pub gateway: Signals,
    /// The router.
    pub router: Signals,
    /// The worker.
    pub worker: Signals,
}

impl Telemetry {
    /// Everything on, the default.
    pub const ON: Telemetry = Telemetry {
        gateway: Signals::ON,
        router: Signals::ON,
        worker: Signals::ON,
    };
    /// Everything off: the service answers as it does with everything on,
    /// and records nothing anyone can read.
    pub const OFF: Telemetry = Telemetry {
        gateway: Signals::OFF,
        router: Signals::OFF,
        worker: Signals::OFF,
    };
}

/// The registry each component's metrics go to. `From<&Registry>` puts all
/// three in one.
#[derive(Clone, Copy, Debug)]
pub struct Registries<'a> {
    /// The gateway's, with its HTTP layer's.
    pub gateway: &'a Registry,
    /// The router's.
    pub router: &'a Registry,
    /// The worker's.
    pub worker: &'a Registry,
}

impl<'a> Registries<'a> {
    /// These registries, with `unread` (a registry nothing serves or
    /// exports) in place of each component's whose metrics are off.
    pub(super) fn switched(self, telemetry: Telemetry, unread: &'a Registry) -> Registries<'a> {
        let pick = |registry, signals: Signals| if signals.metrics { registry } else { unread };
        Registries {
            gateway: pick(self.gateway, telemetry.gateway),
            router: pick(self.router, telemetry.router),
            worker: pick(self.worker, telemetry.worker),
        }
    }
}

impl<'a> From<&'a Registry> for Registries<'a> {
    fn from(registry: &'a Registry) -> Self {
        Registries {
            gateway: registry,
            router: registry,
            worker: registry,
        }
    }
}

/// Exports `registry` over OTLP as the service `component`, when `config`
/// has a metrics target (`OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`), with its export settings and
/// resource attributes: how the router's and the worker's registries are
/// exported beside obs's own (the gateway's). `None` without a target;
/// dropping the exporter flushes it.
pub fn export(
    config: &obs_runtime::Config,
    component: &str,
    registry: Arc<Registry>,
) -> Result<Option<OtlpExporter>, obs_runtime::ConfigError> {
    if config.metrics_target()?.is_none() {
        return Ok(None);
    }
    OtlpExporterBuilder::from_config(config)?
        .without_traces()
        .without_logs()
        .service_name(component)
        .registry(registry)
        .start()
        .map(Some)
}

/// The dispatcher a component's work runs under: `current` when its
/// tracing is on; with it off, `current` for log lines only.
pub(super) fn dispatch(current: &Dispatch, signals: Signals) -> Dispatch {
    match signals.tracing {
        true => current.clone(),
        false => Dispatch::new(SpansOff(current.clone())),
    }
}

/// A dispatcher's events without its spans: what a component with its
/// tracing off logs through. No span is ever created, so the log lines are
/// written outside any span, and nothing carries a trace context on.
struct SpansOff(Dispatch);

impl Subscriber for SpansOff {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Spans are asked about every time: the same callsites record
        // under the other components' dispatchers.
        match metadata.is_span() {
            true => Interest::sometimes(),
            false => self.0.register_callsite(metadata),
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && self.0.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        // Never called for a disabled span; should it be, the span is the
        // inner dispatcher's to keep.
        self.0.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.0.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.0.record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        // The inner dispatcher asks its own `event_enabled` first.
        self.0.event(event);
    }

    fn enter(&self, span: &Id) {
        self.0.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.0.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.0.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.0.try_close(id)
    }
}
