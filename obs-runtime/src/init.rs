//! One-call set-up from the environment (feature `init`): the `tracing`
//! subscriber (filter, OpenTelemetry spans, log lines with trace ids), the
//! `/metrics` endpoint and, with feature `otlp`, OTLP export.

use crate::config::{Config, ConfigError, SHUTDOWN_TIMEOUT};
use crate::export::http::MetricsServer;
use crate::logs;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::fmt;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::Dispatch;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::{Identity, Layer, SubscriberExt};

/// Whether `init` has run (successfully) in this process.
static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// Whether obs set the global `tracing` subscriber: `init`, or the first
/// capture of `obs_runtime::testing`.
pub(crate) static GLOBAL_SUBSCRIBER_SET: AtomicBool = AtomicBool::new(false);

/// Sets up metrics, tracing and logs from the environment and installs the
/// global `tracing` subscriber; keep the guard for the life of the program.
///
/// Reads the variables listed in `docs/CONFIGURATION.md` ([`Config::from_env`]).
/// An invalid value is an error naming the variable and the value.
///
/// The registry it serves gets the [standard collectors](crate::process):
/// the process metrics and, when called inside a Tokio runtime, that
/// runtime's (unless `OBS_PROCESS_METRICS=off`). A `build_info` gauge needs
/// the application's version, read where it is written:
/// `Config::from_env()?.build_info(obs_runtime::build_info!()).init()`.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _obs = obs_runtime::init()?;
///     // … the application: #[traced] spans, metrics, `tracing` events …
///     Ok(())
/// } // the guard flushes and stops the exporters here (5 s at most)
/// ```
pub fn init() -> Result<ObsGuard, ConfigError> {
    Config::from_env()?.init()
}

impl Config {
    /// Starts everything this configuration asks for and installs the
    /// `tracing` subscriber as the global default (and, when spans are
    /// recorded, the tracer provider as OpenTelemetry's global one; obs's W3C
    /// Trace Context propagator as its global propagator).
    ///
    /// Fails with [`ConfigError::AlreadyInitialized`], before anything is
    /// started, when `init` already ran in this process or a global
    /// subscriber is already set (by other code, or by
    /// `obs_runtime::testing`'s captures in a test binary).
    ///
    /// With [`Config::catalog_out`] set (`OBS_CATALOG_OUT=path`), it starts
    /// nothing: it writes the binary's [`catalog()`](crate::catalog()) to
    /// the path, as JSON, and ends the process with exit code 0, so that CI
    /// can write a service's catalog without running it. A path that cannot
    /// be written is an error.
    pub fn init(self) -> Result<ObsGuard, ConfigError> {
        if let Some(path) = &self.catalog_out {
            self.write_catalog(path)?;
            std::process::exit(0);
        }
        // An `init` after a test capture set the global subscriber is
        // refused before anything binds or spawns. (A subscriber set by
        // other code is found when installing ours: `tracing` cannot tell
        // it apart from scoped ones until then.)
        if (self.logs || self.tracing) && GLOBAL_SUBSCRIBER_SET.load(Ordering::Acquire) {
            return Err(ConfigError::AlreadyInitialized);
        }
        // Metrics alone install no subscriber, but a second endpoint and
        // exporter would double them: `init` runs once per process.
        if INITIALIZED.swap(true, Ordering::AcqRel) {
            return Err(ConfigError::AlreadyInitialized);
        }
        let guard = self
            .build()
            .inspect_err(|_| INITIALIZED.store(false, Ordering::Release))?;
        if guard.installs_subscriber {
            // Other code set one meanwhile: nothing of this `init` stays.
            tracing::dispatcher::set_global_default(guard.dispatch.clone()).map_err(|_| {
                INITIALIZED.store(false, Ordering::Release);
                ConfigError::AlreadyInitialized
            })?;
            GLOBAL_SUBSCRIBER_SET.store(true, Ordering::Release);
        }
        if let Some(provider) = &guard.tracer_provider {
            opentelemetry::global::set_tracer_provider(provider.clone());
        }
        // For OpenTelemetry APIs and middleware that propagate through the
        // global propagator: obs's conforming W3C Trace Context.
        opentelemetry::global::set_text_map_propagator(crate::propagation::W3cPropagator::new());
        Ok(guard)
    }

    /// Writes the catalog, with this configuration's service name.
    fn write_catalog(&self, path: &std::path::Path) -> Result<(), ConfigError> {
        let modules: Vec<&str> = self.catalog_modules.iter().map(String::as_str).collect();
        let mut catalog = crate::catalog::catalog_of(&modules);
        catalog.service = Some(self.effective_service_name());
        std::fs::write(path, catalog.to_json()).map_err(|err| ConfigError::Start {
            what: "the catalog file",
            reason: format!("{}: {err}", path.display()),
        })
    }

    /// Starts everything this configuration asks for without installing the
    /// subscriber: run code under [`ObsGuard::dispatch`] with
    /// `tracing::dispatcher::with_default` (tests, or applications that pick
    /// their dispatcher themselves).
    pub fn build(self) -> Result<ObsGuard, ConfigError> {
        self.validate()?;
        // The values the environment held that were ignored, each once.
        for warning in &self.warnings {
            crate::diagnostics::emit(&warning.to_string());
        }
        let env_filter = EnvFilter::builder()
            .parse(self.log_filter.trim())
            .map_err(|err| {
                ConfigError::invalid("log_filter", self.log_filter.clone(), err.to_string())
            })?;

        // Whether `tracing` events leave as OTLP log records: the subscriber
        // is then needed even with log lines and spans off.
        let exports_logs = self.logs_target()?.is_some();

        #[cfg(feature = "otlp-plaintext")]
        let otlp = {
            let builder = crate::export::otlp::OtlpExporterBuilder::from_config(&self)?;
            let traces = self.tracing && self.traces_target()?.is_some();
            let metrics = self.metrics_target()?.is_some();
            let logs = exports_logs;
            let builder = if traces {
                builder
            } else {
                builder.without_traces()
            };
            let builder = if logs {
                builder
            } else {
                builder.without_logs()
            };
            if traces || metrics || logs {
                Some(builder.start()?)
            } else {
                None
            }
        };

        let console = crate::console::Console::new(self.log_writer.clone());
        let tracer_provider = self.tracing.then(|| {
            let builder = SdkTracerProvider::builder().with_sampler(self.sampler.to_sdk());
            let builder = if self.otlp_traces.console {
                builder.with_span_processor(crate::console::ConsoleSpanProcessor(console.clone()))
            } else {
                builder
            };
            #[cfg(feature = "otlp-plaintext")]
            let builder = match &otlp {
                Some(otlp) => {
                    let builder = builder.with_resource(otlp.resource());
                    match otlp.span_processor() {
                        Some(processor) => builder.with_span_processor(processor),
                        None => builder,
                    }
                }
                None => builder,
            };
            builder.build()
        });

        let console_metrics = if self.otlp_metrics.console {
            let metrics = crate::console::ConsoleMetrics::start(
                self.registry.clone(),
                self.export.metrics_interval,
                console,
            )
            .map_err(|err| ConfigError::Start {
                what: "the console metrics writer",
                reason: err.to_string(),
            })?;
            Some(metrics)
        } else {
            None
        };

        self.register_collectors();
        self.registry.get().set_created_series(self.created_series);
        crate::catalog::set_service(self.effective_service_name(), self.catalog_modules.clone());
        let metrics_server = if self.metrics {
            let server = MetricsServer::builder()
                .addr(self.metrics_addr)
                .catalog(self.catalog)
                .registry(self.registry.clone())
                .start()
                .map_err(|err| ConfigError::Start {
                    what: "the /metrics endpoint",
                    reason: format!("{}: {err}", self.metrics_addr),
                })?;
            Some(server)
        } else {
            None
        };

        // With tracing off, spans are refused by a global filter: every span
        // callsite gets `Interest::never`, the cost of a disabled span.
        let spans_off = (!self.tracing).then(|| filter_fn(|metadata| !metadata.is_span()));
        let otel = tracer_provider.as_ref().map(|provider| {
            // The scope every `tracing` span is exported under: obs, and
            // its version.
            let scope = opentelemetry::InstrumentationScope::builder("obs")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build();
            tracing_opentelemetry::layer().with_tracer(provider.tracer_with_scope(scope))
        });
        // Not an `Option`: the log layer must see `on_register_dispatch`,
        // which `Option<Layer>` does not pass on.
        let service = self.effective_service_name();
        let log_lines: Box<dyn Layer<_> + Send + Sync> = match (&self.log_writer, self.logs) {
            (_, false) => Box::new(Identity::new()),
            (Some(writer), true) => {
                let writer = writer.0.clone();
                logs::layer_for_service(&service, self.log_format, move || writer(), false)
            }
            (None, true) => logs::layer_for_service(
                &service,
                self.log_format,
                std::io::stdout,
                std::io::stdout().is_terminal(),
            ),
        };
        // `tracing` events as OTLP log records; boxed for the same reason.
        #[cfg(feature = "otlp-plaintext")]
        let otlp_logs: Box<dyn Layer<_> + Send + Sync> =
            match otlp.as_ref().and_then(|otlp| otlp.log_layer()) {
                Some(layer) => Box::new(layer),
                None => Box::new(Identity::new()),
            };
        #[cfg(not(feature = "otlp-plaintext"))]
        let otlp_logs = Identity::new();
        let installs_subscriber = self.logs || self.tracing || exports_logs;
        let dispatch = if installs_subscriber {
            Dispatch::new(
                tracing_subscriber::registry()
                    .with(env_filter)
                    .with(spans_off)
                    .with(otel)
                    .with(log_lines)
                    .with(otlp_logs),
            )
        } else {
            Dispatch::none()
        };

        // An endpoint is set but this build cannot export: said once, in the
        // log, rather than ignored.
        #[cfg(not(feature = "otlp-plaintext"))]
        if self.traces_target()?.is_some() || self.metrics_target()?.is_some() || exports_logs {
            tracing::dispatcher::with_default(&dispatch, || {
                tracing::warn!(
                    "an OTLP endpoint is set, but obs-runtime was built without its `otlp` \
                     feature: nothing is exported"
                );
            });
        }

        Ok(ObsGuard {
            dispatch,
            installs_subscriber,
            metrics_server,
            tracer_provider,
            #[cfg(feature = "otlp-plaintext")]
            otlp,
            console_metrics,
            stopped: false,
        })
    }
}

impl Config {
    /// Registers the standard collectors on the registry: the process
    /// metrics and those of the Tokio runtime this runs on, unless
    /// `process_metrics` is off, and `build_info` when set. A collector is
    /// registered once per registry (a second `build` on it finds it
    /// there); a name the application took already is reported, not fatal.
    fn register_collectors(&self) {
        let registry = self.registry.get();
        let report = |result: Result<(), crate::RegistryError>| match result {
            Err(crate::RegistryError::Conflict {
                owner,
                existing_owner,
                ..
            }) if owner == existing_owner => {}
            Err(err) => crate::diagnostics::emit(&format!("not registered: {err}")),
            Ok(()) => {}
        };
        if self.process_metrics {
            report(crate::process::register(registry));
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                report(crate::process::register_tokio(registry, &handle));
            }
        }
        if let Some(info) = &self.build_info {
            report(info.clone().register(registry));
        }
    }
}

/// What [`init`] started. Dropping it flushes and shuts down the exporters
/// (5 s at most in all) and stops the `/metrics` endpoint.
pub struct ObsGuard {
    dispatch: Dispatch,
    installs_subscriber: bool,
    metrics_server: Option<MetricsServer>,
    tracer_provider: Option<SdkTracerProvider>,
    #[cfg(feature = "otlp-plaintext")]
    otlp: Option<crate::export::otlp::OtlpExporter>,
    console_metrics: Option<crate::console::ConsoleMetrics>,
    stopped: bool,
}

impl fmt::Debug for ObsGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObsGuard")
            .field("metrics_addr", &self.metrics_addr())
            .field("tracing", &self.tracer_provider.is_some())
            .finish_non_exhaustive()
    }
}

impl ObsGuard {
    /// The `tracing` dispatcher: the global default after [`init`]; for
    /// [`Config::build`], the one to run code under.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Where `/metrics` listens, when it is served.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_server.as_ref().map(MetricsServer::local_addr)
    }

    /// The OpenTelemetry tracer provider, when spans are recorded.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.tracer_provider.as_ref()
    }

    /// Exports finished spans and a metric snapshot now, waiting up to
    /// `timeout`; returns whether that finished in time.
    pub fn force_flush(&self, timeout: Duration) -> bool {
        #[cfg(feature = "otlp-plaintext")]
        if let Some(otlp) = &self.otlp {
            return otlp.force_flush(timeout);
        }
        let _ = timeout;
        true
    }

    /// Flushes and stops everything now (what dropping the guard does):
    /// 5 s at most.
    pub fn shutdown(mut self) {
        self.stop(SHUTDOWN_TIMEOUT);
    }

    fn stop(&mut self, timeout: Duration) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let deadline = Instant::now() + timeout;
        let remaining = || deadline.saturating_duration_since(Instant::now());
        // Spans first (the provider hands queued spans to the exporter),
        // then the exporter (last spans, last metric snapshot), then the
        // endpoint.
        if let Some(provider) = &self.tracer_provider {
            let _ = provider.shutdown_with_timeout(remaining());
        }
        #[cfg(feature = "otlp-plaintext")]
        if let Some(otlp) = &self.otlp {
            otlp.shutdown(remaining());
        }
        if let Some(mut console) = self.console_metrics.take() {
            console.stop();
        }
        if let Some(server) = self.metrics_server.take() {
            server.shutdown();
        }
    }
}

impl Drop for ObsGuard {
    fn drop(&mut self) {
        self.stop(SHUTDOWN_TIMEOUT);
    }
}
