use crate::Violation;

/// The buckets of a histogram that sets none: the Prometheus client default,
/// 5 ms to 10 s, for request latencies.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Checks histogram bucket upper bounds: non-empty, finite, strictly
/// increasing. The `+Inf` bucket is implicit and must not be listed.
///
/// ```
/// assert!(obs_rules::check_buckets(&[0.1, 0.5, 1.0]).is_ok());
/// assert!(obs_rules::check_buckets(&[0.5, 0.1]).is_err());
/// assert!(obs_rules::check_buckets(&[]).is_err());
/// ```
pub fn check_buckets(bounds: &[f64]) -> Result<(), Violation> {
    if bounds.is_empty() {
        return Err(Violation::new("histogram buckets must not be empty")
            .help("list upper bounds, e.g. `buckets = [0.005, 0.01, 0.1, 1.0]`, or use `exponential(start, factor, count)`"));
    }
    for (i, &bound) in bounds.iter().enumerate() {
        if !bound.is_finite() {
            return Err(Violation::new(format!(
                "histogram bucket bound `{bound}` (at index {i}) is not finite"
            ))
            .help("remove it: the `+Inf` bucket is always added"));
        }
        if i > 0 {
            let prev = bounds[i - 1];
            if bound == prev {
                return Err(Violation::new(format!(
                    "histogram bucket bound `{bound:?}` appears twice (at index {} and {i})",
                    i - 1
                ))
                .help("remove the duplicate"));
            }
            if bound < prev {
                return Err(Violation::new(format!(
                    "histogram buckets must be strictly increasing, but `{bound:?}` (at index {i}) follows `{prev:?}`"
                ))
                .help("sort the bounds in increasing order"));
            }
        }
    }
    Ok(())
}

/// `count` bounds starting at `start`, each `factor` times the previous:
/// `exponential_buckets(0.001, 2.0, 4)` → `[0.001, 0.002, 0.004, 0.008]`.
///
/// ```
/// assert_eq!(obs_rules::exponential_buckets(1.0, 2.0, 3).unwrap(), vec![1.0, 2.0, 4.0]);
/// assert!(obs_rules::exponential_buckets(0.0, 2.0, 3).is_err());
/// ```
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>, Violation> {
    if !(start.is_finite() && start > 0.0) {
        return Err(Violation::new(format!(
            "`exponential` buckets need a positive, finite start, not `{start:?}`"
        ))
        .help("start at the smallest bound you care about, e.g. `exponential(0.001, 2.0, 16)`"));
    }
    if !(factor.is_finite() && factor > 1.0) {
        return Err(Violation::new(format!(
            "`exponential` buckets need a finite factor greater than 1, not `{factor:?}`"
        ))
        .help("use a factor such as `2.0`"));
    }
    check_count("exponential", count)?;
    let bounds: Vec<f64> = (0..count)
        .scan(start, |next, _| {
            let bound = *next;
            *next *= factor;
            Some(bound)
        })
        .collect();
    check_buckets(&bounds)?;
    Ok(bounds)
}

/// `count` bounds starting at `start`, `width` apart:
/// `linear_buckets(0.1, 0.1, 3)` → `[0.1, 0.2, 0.30000000000000004]`.
///
/// ```
/// assert_eq!(obs_rules::linear_buckets(1.0, 1.0, 3).unwrap(), vec![1.0, 2.0, 3.0]);
/// assert!(obs_rules::linear_buckets(1.0, 0.0, 3).is_err());
/// ```
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>, Violation> {
    if !start.is_finite() {
        return Err(Violation::new(format!(
            "`linear` buckets need a finite start, not `{start:?}`"
        )));
    }
    if !(width.is_finite() && width > 0.0) {
        return Err(Violation::new(format!(
            "`linear` buckets need a positive, finite width, not `{width:?}`"
        ))
        .help("use a width such as `0.1`"));
    }
    check_count("linear", count)?;
    let bounds: Vec<f64> = (0..count).map(|i| start + width * i as f64).collect();
    check_buckets(&bounds)?;
    Ok(bounds)
}

// Every bucket is a series in every scrape; more than a few dozen is almost
// always a mistake that multiplies storage cost.
const MAX_BUCKETS: usize = 64;

fn check_count(form: &str, count: usize) -> Result<(), Violation> {
    if count == 0 || count > MAX_BUCKETS {
        return Err(Violation::new(format!(
            "`{form}` buckets need a count between 1 and {MAX_BUCKETS}, not `{count}`"
        ))
        .help("each bucket is one more series per scrape; 10 to 20 is typical"));
    }
    Ok(())
}
