//! Attribute and key names, in one place.

pub(crate) const METRICS: &str = "metrics";
pub(crate) const METRIC: &str = "metric";
pub(crate) const LABEL: &str = "label";

pub(crate) const PREFIX: &str = "prefix";
pub(crate) const NAME: &str = "name";
pub(crate) const HELP: &str = "help";
pub(crate) const UNIT: &str = "unit";
pub(crate) const BUCKETS: &str = "buckets";
pub(crate) const MAX_SERIES: &str = obs_rules::FamilyLimit::MaxSeries.key();
pub(crate) const MAX_LABEL_BYTES: &str = obs_rules::FamilyLimit::MaxLabelBytes.key();
pub(crate) const UNBOUNDED: &str = "unbounded";
pub(crate) const RENAME: &str = "rename";

pub(crate) const EXPONENTIAL: &str = "exponential";
/// The semantic conventions' module, in `semconv::…` paths.
pub(crate) const SEMCONV: &str = "semconv";
pub(crate) const LINEAR: &str = "linear";

pub(crate) const TRACED: &str = "traced";
pub(crate) const LEVEL: &str = "level";
pub(crate) const TARGET: &str = "target";
pub(crate) const KIND: &str = "kind";
pub(crate) const FIELDS: &str = "fields";
pub(crate) const REDACT: &str = "redact";
pub(crate) const SKIP: &str = "skip";
pub(crate) const ERR: &str = "err";
pub(crate) const ERROR_IF: &str = "error_if";
pub(crate) const OTEL_NAME: &str = "otel_name";
pub(crate) const RET: &str = "ret";
pub(crate) const PARENT: &str = "parent";
pub(crate) const REMOTE_PARENT: &str = "remote_parent";
pub(crate) const FOLLOWS_FROM: &str = "follows_from";
pub(crate) const METRICS_FLAG: &str = "metrics";

pub(crate) const DISPLAY: &str = "Display";
pub(crate) const DEBUG: &str = "Debug";
pub(crate) const TYPE_ONLY: &str = "type_only";
pub(crate) const NOT_SECRET: &str = obs_rules::NOT_SECRET;
