use crate::Violation;

/// How many series an unbounded family keeps, by default, before new label
/// values go to its overflow series.
pub const DEFAULT_MAX_SERIES: usize = 2_000;

/// The longest label value, in bytes, an unbounded family keeps by default;
/// a lookup with a longer value goes to the overflow series. Long enough for
/// routes, model names and most user agents; short enough that 2,000 series
/// stay a small scrape.
pub const DEFAULT_MAX_LABEL_BYTES: usize = 256;

/// The largest `max_series` a family may set: each series it may hold
/// costs three pointers of table up front, so a million is 24 MiB.
pub const MAX_MAX_SERIES: usize = 1 << 20;

/// The largest `max_label_bytes` a family may set: 64 KiB.
pub const MAX_MAX_LABEL_BYTES: usize = 64 * 1024;

/// A limit set per family: how many series it keeps, and how long a label
/// value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyLimit {
    /// `max_series`: the most series an unbounded family keeps.
    MaxSeries,
    /// `max_label_bytes`: the longest label value an unbounded family keeps.
    MaxLabelBytes,
}

impl FamilyLimit {
    /// The limit's name, as the derive attribute and the builder spell it.
    pub const fn key(self) -> &'static str {
        match self {
            FamilyLimit::MaxSeries => "max_series",
            FamilyLimit::MaxLabelBytes => "max_label_bytes",
        }
    }

    /// The value used when none is set.
    pub const fn default_value(self) -> usize {
        match self {
            FamilyLimit::MaxSeries => DEFAULT_MAX_SERIES,
            FamilyLimit::MaxLabelBytes => DEFAULT_MAX_LABEL_BYTES,
        }
    }

    /// The largest value allowed: memory stays bounded whatever is set.
    pub const fn max_value(self) -> usize {
        match self {
            FamilyLimit::MaxSeries => MAX_MAX_SERIES,
            FamilyLimit::MaxLabelBytes => MAX_MAX_LABEL_BYTES,
        }
    }
}

/// Checks a family limit set on metric `name`: only a metric with labels
/// has series to limit, a limit of 0 would keep none, and one above
/// [`FamilyLimit::max_value`] would let memory grow without a useful bound.
///
/// ```
/// use obs_rules::{check_family_limit, FamilyLimit};
///
/// assert!(check_family_limit(FamilyLimit::MaxSeries, 100, "tokens_total", true).is_ok());
/// let err = check_family_limit(FamilyLimit::MaxLabelBytes, 0, "tokens_total", true).unwrap_err();
/// assert_eq!(err.message, "`max_label_bytes` must be at least 1");
/// assert!(check_family_limit(FamilyLimit::MaxSeries, 100, "jobs_total", false).is_err());
/// ```
pub fn check_family_limit(
    limit: FamilyLimit,
    value: usize,
    name: &str,
    has_labels: bool,
) -> Result<(), Violation> {
    let key = limit.key();
    if !has_labels {
        return Err(Violation::new(format!(
            "`{key}` is only for families, and `{name}` has no labels"
        ))
        .help(format!("remove `{key}`")));
    }
    if value == 0 {
        let what = match limit {
            FamilyLimit::MaxSeries => "the most series",
            FamilyLimit::MaxLabelBytes => "the longest value",
        };
        return Err(
            Violation::new(format!("`{key}` must be at least 1")).help(format!(
                "the default is {}; choose {what} you can afford",
                limit.default_value()
            )),
        );
    }
    if value > limit.max_value() {
        return Err(Violation::new(format!(
            "`{key}` is {value}, above the most allowed, {}",
            limit.max_value()
        ))
        .help(format!(
            "the default is {}; choose a value up to {}",
            limit.default_value(),
            limit.max_value()
        )));
    }
    Ok(())
}
