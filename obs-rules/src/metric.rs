use crate::case::suggest_snake_case;
use crate::Violation;
use std::fmt;

/// The kind of a metric, as far as naming rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonic counter: its name ends in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A distribution of observations in fixed buckets.
    Histogram,
}

impl MetricType {
    /// Every type.
    pub const ALL: [MetricType; 3] = [
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
    ];

    /// Reads a type by its lowercase name (`counter`), as a catalog or a
    /// `# TYPE` line writes it.
    ///
    /// ```
    /// use obs_rules::MetricType;
    ///
    /// assert_eq!(MetricType::parse("histogram").unwrap(), MetricType::Histogram);
    /// assert_eq!(MetricType::parse("summary").unwrap_err().to_string(),
    ///     "unknown metric type `summary` (help: use one of `counter`, `gauge`, `histogram`)");
    /// ```
    pub fn parse(name: &str) -> Result<MetricType, Violation> {
        let found = MetricType::ALL.into_iter().find(|t| t.as_str() == name);
        found.ok_or_else(|| {
            let names = MetricType::ALL.map(MetricType::as_str);
            crate::span::unknown("metric type", name, &names)
        })
    }

    /// The lowercase name used in `# TYPE` lines and messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The base units a metric name may end in (before `_total` for counters).
pub const BASE_UNITS: &[&str] = &[
    "seconds", "bytes", "ratio", "meters", "grams", "celsius", "volts", "amperes", "joules",
    "hertz",
];

// Non-base units people reach for, with the base unit to use instead. Prometheus
// and OpenMetrics expect base units so that every dashboard can divide and sum
// series without knowing which scale each one chose.
const NON_BASE_UNITS: &[(&str, &str)] = &[
    ("ms", "seconds"),
    ("msec", "seconds"),
    ("millis", "seconds"),
    ("millisecond", "seconds"),
    ("milliseconds", "seconds"),
    ("us", "seconds"),
    ("micros", "seconds"),
    ("microsecond", "seconds"),
    ("microseconds", "seconds"),
    ("ns", "seconds"),
    ("nanos", "seconds"),
    ("nanosecond", "seconds"),
    ("nanoseconds", "seconds"),
    ("sec", "seconds"),
    ("secs", "seconds"),
    ("second", "seconds"),
    ("mins", "seconds"),
    ("minute", "seconds"),
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("byte", "bytes"),
    ("bits", "bytes"),
    ("kb", "bytes"),
    ("kib", "bytes"),
    ("kilobytes", "bytes"),
    ("mb", "bytes"),
    ("mib", "bytes"),
    ("megabytes", "bytes"),
    ("gb", "bytes"),
    ("gib", "bytes"),
    ("gigabytes", "bytes"),
    ("percent", "ratio"),
    ("percentage", "ratio"),
    ("pct", "ratio"),
    ("km", "meters"),
    ("kilometers", "meters"),
    ("cm", "meters"),
    ("mm", "meters"),
    ("kg", "grams"),
    ("kilograms", "grams"),
    ("fahrenheit", "celsius"),
    // Abbreviations promtool rejects wherever they appear in a name.
    ("s", "seconds"),
    ("h", "seconds"),
    ("hr", "seconds"),
    ("d", "seconds"),
    ("m", "meters"),
    ("b", "bytes"),
    ("tb", "bytes"),
    ("pb", "bytes"),
    ("metres", "meters"),
];

// Metric type names, which promtool rejects inside a metric name.
const TYPE_WORDS: &[&str] = &["counter", "gauge", "histogram", "summary"];

// SI prefixes: a prefixed base unit (`kilojoules`, `microseconds`) is not a
// base unit either.
const SI_PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "mega", "giga",
    "tera", "peta", "exa", "zetta", "yotta",
];

/// The base unit to use instead of `segment`, when `segment` is a unit but
/// not a base one.
fn non_base_unit(segment: &str) -> Option<&'static str> {
    if let Some((_, base)) = NON_BASE_UNITS.iter().find(|(unit, _)| *unit == segment) {
        return Some(base);
    }
    SI_PREFIXES.iter().find_map(|prefix| {
        let unit = segment.strip_prefix(prefix)?;
        BASE_UNITS
            .iter()
            .copied()
            .chain(["metres", "kelvin"])
            .find(|base| *base == unit)
            .map(|base| if base == "metres" { "meters" } else { base })
    })
}

// Suffixes the exposition formats generate themselves (`_bucket`, `_count`,
// `_sum` of histograms, `_created` of counters and histograms, `_gcount` and
// `_gsum` of gauge histograms) or reserve for a metric type obs does not
// declare but as an info metric (`_info`, see `check_info_metric_name`). A
// metric named like that collides with generated series.
const RESERVED_SUFFIXES: &[&str] = &[
    "_bucket",
    "_count",
    "_sum",
    "_created",
    "_gcount",
    "_gsum",
    INFO_SUFFIX,
];

/// Checks the spelling shared by metric names, prefixes and label names:
/// lowercase `snake_case`, `[a-z_][a-z0-9_]*`, no `__` prefix, no empty segment.
/// `example` is a valid name of the same kind, for the help of an empty one.
pub(crate) fn check_snake_case(what: &str, example: &str, name: &str) -> Result<(), Violation> {
    let rename = || match suggest_snake_case(name) {
        suggestion if suggestion.is_empty() => {
            format!("start with a letter and use `a-z`, `0-9` and `_`, e.g. `{example}`")
        }
        suggestion => format!("rename it `{suggestion}`"),
    };
    if name.is_empty() {
        return Err(
            Violation::new(format!("{what} must not be empty")).help(format!(
                "choose a lowercase snake_case {what}, e.g. `{example}`"
            )),
        );
    }
    if name.starts_with("__") {
        return Err(Violation::new(format!(
            "{what} `{name}` starts with `__`, which is reserved for Prometheus internals"
        ))
        .help(rename()));
    }
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_chars || name.as_bytes()[0].is_ascii_digit() {
        return Err(Violation::new(format!(
            "{what} `{name}` must be lowercase snake_case (`[a-z_][a-z0-9_]*`)"
        ))
        .help(rename()));
    }
    if name.starts_with('_') || name.ends_with('_') || name.contains("__") {
        return Err(Violation::new(format!(
            "{what} `{name}` has an empty `_`-separated segment"
        ))
        .help(rename()));
    }
    Ok(())
}

/// Checks a metric prefix (`#[metrics(prefix = "…")]`) with the spelling rules
/// of metric names.
///
/// ```
/// assert!(obs_rules::check_prefix("pipeline").is_ok());
/// assert!(obs_rules::check_prefix("Pipeline").is_err());
/// ```
pub fn check_prefix(prefix: &str) -> Result<(), Violation> {
    check_snake_case("metric prefix", "pipeline", prefix)
}

/// Checks a metric name against every naming rule for its type: spelling,
/// reserved suffixes, `_total` on counters only, and base units.
///
/// ```
/// use obs_rules::{check_metric_name, MetricType};
///
/// assert!(check_metric_name("queue_depth", MetricType::Gauge).is_ok());
/// let err = check_metric_name("requests", MetricType::Counter).unwrap_err();
/// assert_eq!(err.message, "counter `requests` must end in `_total`");
/// ```
pub fn check_metric_name(name: &str, ty: MetricType) -> Result<(), Violation> {
    let example = match ty {
        MetricType::Counter => "jobs_total",
        MetricType::Gauge => "queue_depth",
        MetricType::Histogram => "request_duration_seconds",
    };
    check_snake_case("metric name", example, name)?;

    let stem = match (ty, name.strip_suffix("_total")) {
        (MetricType::Counter, Some(stem)) if !stem.is_empty() => stem,
        (MetricType::Counter, _) if name == "total" => {
            return Err(
                Violation::new("counter `total` needs a name before `_total`")
                    .help("say what it counts, e.g. `jobs_total`"),
            )
        }
        (MetricType::Counter, _) => {
            return Err(
                Violation::new(format!("counter `{name}` must end in `_total`"))
                    .help(format!("rename it `{name}_total`")),
            )
        }
        (_, Some(stem)) => {
            return Err(Violation::new(format!(
                "{ty} `{name}` must not end in `_total`: only counters do"
            ))
            .help(format!("rename it `{stem}`, or make it a `Counter`")))
        }
        (_, None) => name,
    };
    let total = total_suffix(ty);

    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| stem.ends_with(*s)) {
        let bare = &stem[..stem.len() - suffix.len()];
        return Err(Violation::new(format!(
            "metric name `{name}` ends in `{suffix}`, which the exposition formats reserve"
        ))
        .help(format!(
            "choose a name without the suffix, e.g. `{bare}{}{total}`",
            match *suffix {
                "_count" => "_events",
                "_sum" => "_amount",
                _ => "_value",
            }
        )));
    }

    // A unit anywhere in the name must be a base unit, as promtool checks
    // every segment: `cache_kb_hits` is as wrong as `cache_hits_kb`.
    let segments: Vec<&str> = stem.split('_').collect();
    for (at, segment) in segments.iter().enumerate() {
        let Some(base) = non_base_unit(segment) else {
            continue;
        };
        let mut renamed: Vec<&str> = segments.clone();
        renamed.remove(at);
        renamed.push(base);
        let how = match base {
            "seconds" => "and record seconds as `f64`",
            "ratio" => "and record a ratio between 0 and 1",
            _ => "and record the base unit",
        };
        return Err(Violation::new(format!(
            "metric name `{name}` uses the unit `{segment}`; Prometheus names use base units"
        ))
        .help(format!("rename it `{}{total}` {how}", renamed.join("_"))));
    }

    // The `# TYPE` line says what the metric is; promtool rejects a name that
    // contains any type (`queue_gauge`, `jobs_counter_total`, `x_summary`).
    if let Some(at) = segments
        .iter()
        .position(|segment| TYPE_WORDS.contains(segment))
    {
        let mut renamed = segments.clone();
        renamed.remove(at);
        let help = if renamed.is_empty() {
            "name what it measures".to_owned()
        } else {
            format!("rename it `{}{total}`", renamed.join("_"))
        };
        return Err(Violation::new(format!(
            "metric name `{name}` contains the type name `{}`, which the `# TYPE` line gives",
            segments[at]
        ))
        .help(help));
    }
    Ok(())
}

/// Checks the name of an info metric: a gauge whose one series is always 1
/// and whose labels carry the information (`build_info{version="1.2.0"}`),
/// as Prometheus' `go_build_info` and OpenMetrics' `info` type have it.
///
/// `_info` is reserved on every other metric, because the exposition
/// formats give it to info metrics; here it is required, and the rest of the
/// name follows the gauge rules.
///
/// ```
/// use obs_rules::{check_info_metric_name, check_metric_name, MetricType};
///
/// assert!(check_info_metric_name("build_info").is_ok());
/// assert!(check_metric_name("build_info", MetricType::Gauge).is_err());
/// let err = check_info_metric_name("build").unwrap_err();
/// assert_eq!(err.message, "info metric `build` must end in `_info`");
/// ```
pub fn check_info_metric_name(name: &str) -> Result<(), Violation> {
    check_snake_case("metric name", "build_info", name)?;
    match name.strip_suffix(INFO_SUFFIX) {
        Some(stem) if !stem.is_empty() => check_metric_name(stem, MetricType::Gauge),
        _ => Err(
            Violation::new(format!("info metric `{name}` must end in `{INFO_SUFFIX}`"))
                .help(format!("rename it `{name}{INFO_SUFFIX}`")),
        ),
    }
}

/// The suffix of an info metric's name, reserved on every other metric.
const INFO_SUFFIX: &str = "_info";

/// The base unit a valid metric name ends in, if any (`_total` is skipped for
/// counters): `request_duration_seconds` → `seconds`.
///
/// ```
/// use obs_rules::{unit_of, MetricType};
///
/// assert_eq!(unit_of("cpu_seconds_total", MetricType::Counter), Some("seconds"));
/// assert_eq!(unit_of("queue_depth", MetricType::Gauge), None);
/// ```
pub fn unit_of(name: &str, ty: MetricType) -> Option<&'static str> {
    let stem = match ty {
        MetricType::Counter => name.strip_suffix("_total")?,
        _ => name,
    };
    let (_, last) = stem.rsplit_once('_')?;
    BASE_UNITS.iter().copied().find(|unit| *unit == last)
}

/// Checks an explicitly declared unit (`#[metric(unit = "…")]`): it must be a
/// base unit and the name must end in it.
///
/// ```
/// use obs_rules::{check_declared_unit, MetricType};
///
/// assert!(check_declared_unit("latency_seconds", MetricType::Histogram, "seconds").is_ok());
/// assert!(check_declared_unit("latency", MetricType::Histogram, "seconds").is_err());
/// ```
pub fn check_declared_unit(name: &str, ty: MetricType, unit: &str) -> Result<(), Violation> {
    if let Some((_, base)) = NON_BASE_UNITS.iter().find(|(u, _)| *u == unit) {
        return Err(Violation::new(format!(
            "unit `{unit}` is not a base unit; Prometheus names use base units"
        ))
        .help(format!("declare `unit = \"{base}\"` and record {base}")));
    }
    if !BASE_UNITS.contains(&unit) {
        return Err(Violation::new(format!("unknown unit `{unit}`"))
            .help(format!("use one of: {}", BASE_UNITS.join(", "))));
    }
    match unit_of(name, ty) {
        Some(named) if named == unit => Ok(()),
        // The name already ends in another base unit: replace it, or declare
        // that one.
        Some(named) => {
            let total = total_suffix(ty);
            let stem = name.strip_suffix(total).unwrap_or(name);
            let head = &stem[..stem.len() - named.len()];
            Err(Violation::new(format!(
                "the declared unit `{unit}` does not match the name `{name}`, which ends in the unit `{named}`"
            ))
            .help(format!(
                "rename it `{head}{unit}{total}`, or declare `unit = \"{named}\"`"
            )))
        }
        None => {
            let total = total_suffix(ty);
            let stem = name.strip_suffix(total).unwrap_or(name);
            Err(Violation::new(format!(
                "the declared unit `{unit}` does not match the name `{name}`, which must end in `_{unit}{total}`"
            ))
            .help(format!("rename it `{stem}_{unit}{total}`")))
        }
    }
}

/// What follows the unit in a name of this type: `_total` for counters.
fn total_suffix(ty: MetricType) -> &'static str {
    match ty {
        MetricType::Counter => "_total",
        _ => "",
    }
}

/// The OpenMetrics family name of a metric: a counter's name without its
/// `_total` suffix, any other metric's name as it is. Two metrics of one
/// registry may not share a family.
///
/// ```
/// use obs_rules::{family_name, MetricType};
///
/// assert_eq!(family_name("jobs_total", MetricType::Counter), "jobs");
/// assert_eq!(family_name("jobs_total", MetricType::Gauge), "jobs_total");
/// ```
pub fn family_name(name: &str, ty: MetricType) -> &str {
    match ty {
        MetricType::Counter => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    }
}

/// Checks that buckets are declared only on a histogram.
///
/// ```
/// use obs_rules::{check_buckets_allowed, MetricType};
///
/// assert!(check_buckets_allowed("latency_seconds", MetricType::Histogram).is_ok());
/// let err = check_buckets_allowed("jobs_total", MetricType::Counter).unwrap_err();
/// assert_eq!(err.message, "`buckets` are only for histograms, and `jobs_total` is a counter");
/// ```
pub fn check_buckets_allowed(name: &str, ty: MetricType) -> Result<(), Violation> {
    if ty == MetricType::Histogram {
        return Ok(());
    }
    Err(Violation::new(format!(
        "`buckets` are only for histograms, and `{name}` is a {ty}"
    ))
    .help("remove `buckets`"))
}

/// Checks a metric's help text: every metric needs one, because it is the
/// only documentation a dashboard reader sees.
///
/// ```
/// assert!(obs_rules::check_help("jobs_total", "Jobs finished.").is_ok());
/// let err = obs_rules::check_help("jobs_total", " ").unwrap_err();
/// assert_eq!(err.message, "metric `jobs_total` has no help text");
/// ```
pub fn check_help(name: &str, help: &str) -> Result<(), Violation> {
    if help.trim().is_empty() {
        return Err(Violation::new(format!("metric `{name}` has no help text"))
            .help("say in one sentence what it measures, e.g. `Jobs finished.`"));
    }
    Ok(())
}
