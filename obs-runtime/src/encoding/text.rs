//! Prometheus text exposition format 0.0.4.

use super::lines::escape;
use crate::descriptor::MetricDescriptor;

/// `# HELP` and `# TYPE` lines; help escapes backslash and line feed only.
pub(super) fn write_header(out: &mut String, descriptor: &MetricDescriptor) {
    out.push_str("# HELP ");
    out.push_str(&descriptor.name);
    out.push(' ');
    escape(out, &descriptor.help, false);
    out.push_str("\n# TYPE ");
    out.push_str(&descriptor.name);
    out.push(' ');
    out.push_str(descriptor.metric_type.as_str());
    out.push('\n');
}
