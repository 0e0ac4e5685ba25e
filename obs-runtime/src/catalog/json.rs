//! The catalog as JSON: written pretty-printed with a trailing newline (it
//! is committed and diffed), read with errors that give their position.

use super::{Catalog, CATALOG_VERSION};
use serde::Deserialize;
use std::fmt;

/// Why a catalog could not be read.
///
/// ```
/// use obs_runtime::Catalog;
///
/// let err = Catalog::from_json("{\"version\": 1,\n \"metrics\": [}").unwrap_err();
/// assert_eq!((err.line, err.column), (2, 14));
/// assert!(err.to_string().starts_with("line 2, column 14: "));
///
/// let err = Catalog::from_json(r#"{"version": 9, "metrics": [], "spans": []}"#).unwrap_err();
/// assert_eq!(err.message, "catalog version 9 is newer than this obs reads (version 1): upgrade obs");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogError {
    /// The line of the error, from 1; 0 when it concerns the whole file.
    pub line: usize,
    /// The column of the error, from 1; 0 when it concerns the whole file.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogError {}

impl From<serde_json::Error> for CatalogError {
    fn from(err: serde_json::Error) -> Self {
        // serde_json's message ends in " at line L column C"; the position
        // is kept in the fields instead.
        let message = err.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        CatalogError {
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}

impl Catalog {
    /// The catalog as pretty-printed JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and lists cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Reads a catalog written by [`Catalog::to_json`], by this version of
    /// obs or an older one.
    ///
    /// Malformed JSON, a missing field or a value of the wrong kind is an
    /// error with its line and column; so is a catalog from a newer obs.
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        // The version first: a newer catalog may not have this one's shape.
        let Version { version } = serde_json::from_str(json)?;
        if version > CATALOG_VERSION {
            return Err(CatalogError {
                line: 0,
                column: 0,
                message: format!(
                    "catalog version {version} is newer than this obs reads (version {CATALOG_VERSION}): upgrade obs"
                ),
            });
        }
        let catalog: Catalog = serde_json::from_str(json)?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// What JSON cannot say: every label either lists values or is
    /// unbounded, and objectives hold the rules the macros check.
    fn validate(&self) -> Result<(), CatalogError> {
        let whole = |message: String| CatalogError {
            line: 0,
            column: 0,
            message,
        };
        let check = |owner: &str, objectives: &[crate::Objective], buckets: &[f64]| {
            for objective in objectives {
                let mut result = obs_rules::check_objective_target(objective.target());
                if let crate::Objective::Latency { threshold, .. } = objective {
                    result = result
                        .and_then(|()| obs_rules::check_latency_threshold(*threshold, buckets));
                }
                result
                    .map_err(|violation| whole(format!("objective of `{owner}`: {violation}")))?;
            }
            Ok::<(), CatalogError>(())
        };
        for span in &self.spans {
            check(
                &span.name,
                &span.objectives,
                span.buckets
                    .as_deref()
                    .unwrap_or(&obs_rules::RED_DURATION_BUCKETS),
            )?;
        }
        for metric in &self.metrics {
            check(
                &metric.name,
                &metric.objectives,
                metric.buckets.as_deref().unwrap_or_default(),
            )?;
        }
        for metric in &self.metrics {
            for label in &metric.labels {
                if label.unbounded == label.values.is_empty() {
                    continue;
                }
                let message = if label.unbounded {
                    "both lists values and is `unbounded`"
                } else {
                    "lists no values and is not `unbounded`"
                };
                return Err(CatalogError {
                    line: 0,
                    column: 0,
                    message: format!("label `{}` of `{}` {message}", label.name, metric.name),
                });
            }
        }
        Ok(())
    }
}

/// Serde for obs-rules' enums, by their lowercase names.
macro_rules! by_name {
    ($module:ident, $ty:ty) => {
        pub(super) mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            pub(crate) fn serialize<S: Serializer>(value: &$ty, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(value.as_str())
            }

            pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$ty>::parse(&name).map_err(serde::de::Error::custom)
            }
        }
    };
}

by_name!(metric_type, crate::MetricType);
by_name!(span_level, crate::SpanLevel);
by_name!(span_kind, crate::SpanKind);

/// Objectives as `{"kind": "success", "target": 0.999}` and
/// `{"kind": "latency", "threshold": 0.25, "target": 0.99}`.
pub(super) mod objectives {
    use crate::Objective;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
    enum Json {
        Success { target: f64 },
        Latency { threshold: f64, target: f64 },
    }

    pub(crate) fn serialize<S: Serializer>(
        objectives: &[Objective],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let json: Vec<Json> = objectives
            .iter()
            .map(|objective| match *objective {
                Objective::Success { target } => Json::Success { target },
                Objective::Latency { threshold, target } => Json::Latency { threshold, target },
            })
            .collect();
        json.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Objective>, D::Error> {
        let json = Vec::<Json>::deserialize(d)?;
        Ok(json
            .into_iter()
            .map(|objective| match objective {
                Json::Success { target } => Objective::Success { target },
                Json::Latency { threshold, target } => Objective::Latency { threshold, target },
            })
            .collect())
    }
}
