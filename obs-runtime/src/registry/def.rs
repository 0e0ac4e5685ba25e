//! [`MetricDef`]: a metric defined at run time, checked by the rules the
//! derive applies at compile time; [`RegistryError`]: why registering failed.

use crate::descriptor::{MetricDescriptor, MetricType};
use crate::metric::Metric;
use crate::metrics::histogram::Buckets;
use crate::Violation;
use obs_rules::FamilyLimit;
use std::borrow::Cow;
use std::fmt;

/// The definition of a metric registered at run time with
/// [`Registry::register_metric`](super::Registry::register_metric).
///
/// ```
/// use obs_runtime::{Buckets, Histogram, MetricDef, Registry};
///
/// let registry = Registry::new();
/// let def = MetricDef::new("upload_duration_seconds", "Time to upload one bundle.")
///     .buckets(Buckets::exponential(0.01, 2.0, 10)?);
/// let upload = registry.register_metric::<Histogram>(def)?;
/// upload.observe(0.3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MetricDef {
    name: String,
    help: String,
    unit: Option<String>,
    buckets: Option<Buckets>,
    max_series: Option<usize>,
    max_label_bytes: Option<usize>,
}

impl MetricDef {
    /// A metric named `name` (checked when registered) with help text
    /// (leading spaces and tabs are trimmed: the text format cannot carry
    /// them).
    pub fn new(name: impl Into<String>, help: impl Into<String>) -> Self {
        MetricDef {
            name: name.into(),
            help: help.into(),
            unit: None,
            buckets: None,
            max_series: None,
            max_label_bytes: None,
        }
    }

    /// Declares the unit; the name must end in it.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Histogram buckets (histograms only; the default is [`Buckets::DEFAULT`]).
    pub fn buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// The series cap of an unbounded family (at least 1; the default is
    /// [`DEFAULT_MAX_SERIES`](crate::DEFAULT_MAX_SERIES)).
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// The longest label value, in bytes, an unbounded family keeps (at
    /// least 1; the default is
    /// [`DEFAULT_MAX_LABEL_BYTES`](crate::DEFAULT_MAX_LABEL_BYTES)).
    pub fn max_label_bytes(mut self, max_label_bytes: usize) -> Self {
        self.max_label_bytes = Some(max_label_bytes);
        self
    }

    pub(super) fn into_descriptor<M: Metric>(self) -> Result<MetricDescriptor, RegistryError> {
        let invalid = |violation: Violation| RegistryError::Invalid {
            name: self.name.clone(),
            violation,
        };
        obs_rules::check_metric_name(&self.name, M::TYPE).map_err(invalid)?;
        obs_rules::check_help(&self.name, &self.help).map_err(invalid)?;
        for label in M::LABEL_NAMES {
            obs_rules::check_label_name(label).map_err(invalid)?;
        }
        let unit = match &self.unit {
            Some(unit) => {
                obs_rules::check_declared_unit(&self.name, M::TYPE, unit).map_err(invalid)?;
                obs_rules::unit_of(&self.name, M::TYPE)
            }
            None => obs_rules::unit_of(&self.name, M::TYPE),
        };
        if self.buckets.is_some() {
            obs_rules::check_buckets_allowed(&self.name, M::TYPE).map_err(invalid)?;
        }
        let has_labels = !M::LABEL_NAMES.is_empty();
        for (limit, set) in [
            (FamilyLimit::MaxSeries, self.max_series),
            (FamilyLimit::MaxLabelBytes, self.max_label_bytes),
        ] {
            if let Some(value) = set {
                obs_rules::check_family_limit(limit, value, &self.name, has_labels)
                    .map_err(invalid)?;
            }
        }
        let buckets = match M::TYPE {
            MetricType::Histogram => Some(Cow::Owned(
                self.buckets.unwrap_or_default().bounds().to_vec(),
            )),
            _ => None,
        };
        Ok(MetricDescriptor {
            name: Cow::Owned(self.name),
            metric_type: M::TYPE,
            // The text format cannot carry a leading space or tab (readers
            // skip them after `# HELP name`), nor could it say anything.
            help: Cow::Owned(self.help.trim_start_matches([' ', '\t']).to_owned()),
            unit,
            label_names: M::LABEL_NAMES,
            label_values: M::LABEL_VALUES,
            cardinality: M::CARDINALITY,
            buckets,
            max_series: self.max_series,
            max_label_bytes: self.max_label_bytes,
            objectives: &[],
        })
    }
}

/// Why a registration failed. Nothing was registered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The metric family name is already taken.
    Conflict {
        /// The metric that could not be registered.
        name: String,
        /// Who tried to register it.
        owner: String,
        /// Who registered it first.
        existing_owner: String,
    },
    /// A name, unit, label or bucket rule is broken.
    Invalid {
        /// The metric that could not be registered.
        name: String,
        /// The broken rule.
        violation: Violation,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Conflict {
                name,
                owner,
                existing_owner,
            } => write!(
                f,
                "metric `{name}` of `{owner}` is already registered by `{existing_owner}`"
            ),
            RegistryError::Invalid { name, violation } => {
                write!(f, "invalid metric `{name}`: {violation}")
            }
        }
    }
}

impl std::error::Error for RegistryError {}
