use crate::Violation;

/// The duration buckets of every `#[traced(metrics)]` function, in seconds:
/// 100 µs to 10 s. A latency objective on such a function names one of them.
pub const RED_DURATION_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// A service-level objective declared next to the metric it is measured on:
/// `#[traced(metrics, objective(success = 0.999, latency(0.25) = 0.99))]`,
/// or `#[metric(objective(latency(0.25) = 0.99))]` on a histogram.
///
/// Alert and recording rules are generated from it; its numbers are checked
/// when the code compiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Objective {
    /// The share of calls that do not fail, in (0, 1): `0.999`.
    Success {
        /// The target share.
        target: f64,
    },
    /// The share of calls or observations at or under `threshold`, a bucket
    /// bound in the metric's unit.
    Latency {
        /// The bound, in the metric's unit (seconds).
        threshold: f64,
        /// The target share, in (0, 1).
        target: f64,
    },
}

impl Objective {
    /// The target share, in (0, 1).
    pub const fn target(self) -> f64 {
        match self {
            Objective::Success { target } | Objective::Latency { target, .. } => target,
        }
    }

    /// `success` or `latency`.
    pub const fn kind(self) -> &'static str {
        match self {
            Objective::Success { .. } => "success",
            Objective::Latency { .. } => "latency",
        }
    }
}

/// Checks an objective's target: a share strictly between 0 and 1.
///
/// ```
/// assert!(obs_rules::check_objective_target(0.999).is_ok());
/// let err = obs_rules::check_objective_target(99.9).unwrap_err();
/// assert_eq!(err.to_string(), "objective target `99.9` must be a share between 0 and 1, both excluded (help: write `0.999` for 99.9%)");
/// ```
pub fn check_objective_target(target: f64) -> Result<(), Violation> {
    if is_objective_target(target) {
        return Ok(());
    }
    let violation = Violation::new(format!(
        "objective target `{target}` must be a share between 0 and 1, both excluded"
    ));
    Err(if (50.0..100.0).contains(&target) {
        violation.help(format!(
            "write `{}` for {target}%",
            share_text(target / 100.0)
        ))
    } else if target >= 1.0 {
        violation.help("a target of 1 or more leaves no error budget; write e.g. `0.999` for 99.9%")
    } else {
        violation.help("a target of 0 or less promises nothing; write e.g. `0.999` for 99.9%")
    })
}

/// Checks a latency objective's threshold: one of the histogram's bucket
/// bounds, since the share under any other value cannot be read from the
/// buckets. The help names the nearest bounds.
///
/// ```
/// let buckets = [0.1, 0.25, 0.5, 1.0];
/// assert!(obs_rules::check_latency_threshold(0.25, &buckets).is_ok());
/// let err = obs_rules::check_latency_threshold(0.3, &buckets).unwrap_err();
/// assert_eq!(err.to_string(), "latency threshold `0.3` is not a bucket bound (help: the nearest bounds are `0.25` and `0.5`; use one, or add `0.3` to the buckets)");
/// ```
pub fn check_latency_threshold(threshold: f64, buckets: &[f64]) -> Result<(), Violation> {
    if is_bucket_bound(threshold, buckets) {
        return Ok(());
    }
    let violation = Violation::new(format!(
        "latency threshold `{threshold}` is not a bucket bound"
    ));
    let below = buckets.iter().copied().rfind(|b| *b < threshold);
    let above = buckets.iter().copied().find(|b| *b > threshold);
    let nearest = match (below, above) {
        (Some(below), Some(above)) => {
            format!("the nearest bounds are `{below}` and `{above}`; use one")
        }
        (Some(bound), None) | (None, Some(bound)) => {
            format!("the nearest bound is `{bound}`; use it")
        }
        (None, None) => "the histogram has no buckets".to_owned(),
    };
    Err(violation.help(format!("{nearest}, or add `{threshold}` to the buckets")))
}

/// The decision of [`check_objective_target`], without its message: usable
/// in a `const`, where `declare_metrics!` checks the objectives it is given.
///
/// ```
/// const OK: bool = obs_rules::is_objective_target(0.99);
/// assert!(OK && !obs_rules::is_objective_target(99.0));
/// ```
pub const fn is_objective_target(target: f64) -> bool {
    target.is_finite() && target > 0.0 && target < 1.0
}

/// The decision of [`check_latency_threshold`], without its message: usable
/// in a `const`.
///
/// ```
/// const OK: bool = obs_rules::is_bucket_bound(0.25, &[0.1, 0.25]);
/// assert!(OK && !obs_rules::is_bucket_bound(0.3, &[0.1, 0.25]));
/// ```
pub const fn is_bucket_bound(threshold: f64, buckets: &[f64]) -> bool {
    let mut i = 0;
    while i < buckets.len() {
        if buckets[i] == threshold {
            return true;
        }
        i += 1;
    }
    false
}

/// A number written without the noise of binary fractions, to nine
/// decimals: `0.999`, not `0.9990000000000001`; `0.001` for `1 - 0.999`.
///
/// ```
/// assert_eq!(obs_rules::share_text(1.0 - 0.999), "0.001");
/// assert_eq!(obs_rules::share_text(0.999 * 100.0), "99.9");
/// assert_eq!(obs_rules::share_text(2.0), "2");
/// ```
pub fn share_text(value: f64) -> String {
    let text = format!("{value:.9}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
