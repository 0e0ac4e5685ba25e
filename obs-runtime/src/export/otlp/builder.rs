//! [`OtlpExporterBuilder`]: targets, resource and settings, checked when the
//! export thread starts.

use super::processor::BoundedSpanProcessor;
use super::processor::Item;
use super::report::Losses;
use super::worker::{self, Plan, WorkerHandle};
use super::OtlpExporter;
use crate::config::{Config, ConfigError, ExportSettings, OtlpTarget};
use crate::registry::RegistrySource;
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use std::fmt;
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread;
use tokio::sync::mpsc;

/// Configures and starts an [`OtlpExporter`].
#[derive(Clone)]
pub struct OtlpExporterBuilder {
    pub(super) service_name: Option<String>,
    pub(super) attributes: Vec<(String, String)>,
    pub(super) traces: Option<OtlpTarget>,
    pub(super) metrics: Option<OtlpTarget>,
    pub(super) logs: Option<OtlpTarget>,
    pub(super) registry: RegistrySource,
    pub(super) settings: ExportSettings,
}

impl fmt::Debug for OtlpExporterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporterBuilder")
            .field("service_name", &self.service_name)
            .field("attributes", &self.attributes)
            .field("traces", &self.traces)
            .field("metrics", &self.metrics)
            .field("logs", &self.logs)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for OtlpExporterBuilder {
    fn default() -> Self {
        let config = Config::default();
        OtlpExporterBuilder {
            service_name: None,
            attributes: Vec::new(),
            traces: None,
            metrics: None,
            logs: None,
            registry: config.registry.clone(),
            settings: config.export.clone(),
        }
    }
}

impl OtlpExporterBuilder {
    /// Everything a [`Config`] says about OTLP: targets, resource, timeouts,
    /// queue sizes, interval.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        Ok(OtlpExporterBuilder {
            service_name: Some(config.effective_service_name()),
            attributes: config.resource_attributes.clone(),
            traces: config.traces_target()?,
            metrics: config.metrics_target()?,
            logs: config.logs_target()?,
            registry: config.registry.clone(),
            settings: config.export.clone(),
        })
    }

    /// The `service.name` resource attribute.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// Exports traces to `target`.
    pub fn traces(mut self, target: OtlpTarget) -> Self {
        self.traces = Some(target);
        self
    }

    /// Exports no traces (the default).
    pub fn without_traces(mut self) -> Self {
        self.traces = None;
        self
    }

    /// Exports no log records (the default).
    pub fn without_logs(mut self) -> Self {
        self.logs = None;
        self
    }

    /// Exports the registry's metrics to `target`.
    pub fn metrics(mut self, target: OtlpTarget) -> Self {
        self.metrics = Some(target);
        self
    }

    /// Exports log records to `target`: `tracing` events that reach the
    /// layer [`OtlpExporter::log_layer`] returns.
    pub fn logs(mut self, target: OtlpTarget) -> Self {
        self.logs = Some(target);
        self
    }

    /// The registry whose metrics are exported (default: the global one).
    pub fn registry(mut self, registry: impl Into<RegistrySource>) -> Self {
        self.registry = registry.into();
        self
    }

    /// How export runs: deadlines, interval, span queue and batches
    /// (default: [`ExportSettings::default`]).
    pub fn settings(mut self, settings: ExportSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The resource: `service.name` and the attributes.
    pub(super) fn resource(&self) -> Resource {
        let mut attributes: Vec<KeyValue> = self
            .attributes
            .iter()
            .filter(|(key, _)| key != "service.name" || self.service_name.is_none())
            .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
            .collect();
        attributes.push(KeyValue::new("telemetry.sdk.name", "obs"));
        attributes.push(KeyValue::new("telemetry.sdk.language", "rust"));
        attributes.push(KeyValue::new(
            "telemetry.sdk.version",
            env!("CARGO_PKG_VERSION"),
        ));
        let builder = Resource::builder_empty().with_attributes(attributes);
        let has_name = self.attributes.iter().any(|(key, _)| key == "service.name");
        match &self.service_name {
            Some(name) => builder.with_service_name(name.clone()),
            None if has_name => builder,
            None => builder.with_service_name(Config::new().effective_service_name()),
        }
        .build()
    }

    /// Starts the export thread. Builds the exporters first, so a target they
    /// reject is an error here rather than a silent failure later.
    pub fn start(self) -> Result<OtlpExporter, ConfigError> {
        self.settings.validate()?;
        let resource = self.resource();
        let (spans_tx, spans_rx) = mpsc::channel::<Item>(self.settings.span_queue_size);
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
        let traces = self.traces.is_some();
        let logs = self.logs.is_some();
        let losses = Arc::new(Losses::default());
        let plan = Plan {
            losses: losses.clone(),
            traces: self.traces,
            metrics: self.metrics,
            logs: self.logs,
            registry: self.registry,
            settings: self.settings,
            resource: resource.clone(),
        };
        let thread = thread::Builder::new()
            .name("obs-otlp".into())
            .spawn(move || worker::run(plan, spans_rx, commands_rx, ready_tx))
            .map_err(|err| ConfigError::Start {
                what: "the OTLP export thread",
                reason: err.to_string(),
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                let _ = thread.join();
                return Err(err);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ConfigError::Start {
                    what: "the OTLP export thread",
                    reason: "it stopped while starting".into(),
                });
            }
        }
        let handle = Arc::new(WorkerHandle::new(commands_tx, thread));
        let log_queue = logs.then(|| (spans_tx.clone(), losses.clone()));
        let span_processor =
            traces.then(|| BoundedSpanProcessor::new(spans_tx, handle.clone(), losses));
        Ok(OtlpExporter {
            span_processor,
            log_queue,
            handle,
            resource,
        })
    }
}
