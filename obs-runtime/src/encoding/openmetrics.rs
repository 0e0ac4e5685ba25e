//! OpenMetrics 1.0 text format.
//!
//! Differs from the Prometheus text format in the family header (counters are
//! named without `_total`, `# UNIT` is written), in `_created` samples
//! (written by the encoder), in histograms whose sum is not a counter (no
//! `_sum` nor `_count`), in help escaping, and in the closing `# EOF`.

use super::escape;
use crate::descriptor::MetricDescriptor;

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
