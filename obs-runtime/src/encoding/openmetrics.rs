//! OpenMetrics 1.0 text format.
//!
//! Differs from the Prometheus text format in the family header (counters are
//! named without `_total`, `# UNIT` is written), in `_created` samples, in
//! exemplars, in histograms whose sum is not a counter (no `_sum` nor
//! `_count`), in help escaping, and in the closing `# EOF`. This file holds
//! each of those rules; the shared line writer in `lines.rs` asks it.

use super::lines::{escape, write_f64};
use crate::descriptor::MetricDescriptor;
use crate::exemplar::Exemplar;
use crate::snapshot::HistogramSnapshot;

/// The suffix of the sample holding a counter's or histogram's start time.
pub(super) const CREATED: &str = "_created";

/// Whether a histogram's `_sum` (and with it `_count`) may be written.
/// OpenMetrics makes `_sum` a counter: not for a histogram with negative
/// bucket bounds, nor when negative observations have made it negative
/// (strict parsers reject the whole scrape otherwise). The `+Inf` bucket
/// still carries the count.
pub(super) fn sum_is_counter(bounds: &[f64], snapshot: &HistogramSnapshot) -> bool {
    bounds.iter().all(|&bound| bound >= 0.0) && snapshot.sum >= 0.0
}

/// ` # {trace_id="…",span_id="…"} value timestamp`, after a bucket's value.
pub(super) fn write_exemplar(out: &mut String, exemplar: &Exemplar) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        " # {{trace_id=\"{:032x}\",span_id=\"{:016x}\"}} ",
        exemplar.trace_id, exemplar.span_id
    );
    write_f64(out, exemplar.value);
    out.push(' ');
    write_f64(out, exemplar.timestamp);
}

/// `# TYPE`, `# UNIT` and `# HELP` lines for the family; help escapes
/// backslash, line feed and double quote.
pub(super) fn write_header(out: &mut String, descriptor: &MetricDescriptor) {
    let family = descriptor.family_name();
    out.push_str("# TYPE ");
    out.push_str(family);
    out.push(' ');
    out.push_str(descriptor.metric_type.as_str());
    if let Some(unit) = descriptor.unit {
        out.push_str("\n# UNIT ");
        out.push_str(family);
        out.push(' ');
        out.push_str(unit);
    }
    out.push_str("\n# HELP ");
    out.push_str(family);
    out.push(' ');
    escape(out, &descriptor.help, true);
    out.push('\n');
}

/// The line that ends every OpenMetrics exposition.
pub(crate) const EOF: &str = "# EOF\n";
