//! The snapshot target: one family's series collected as plain values
//! ([`SeriesSnapshot`]), for the OTLP exporter and for tests.

use crate::labels::{LabelSet, LabelText};
use crate::snapshot::{SeriesSnapshot, SeriesValue};

/// Collects one family's series as values.
pub(super) struct SnapshotWriter<'a> {
    series: &'a mut Vec<SeriesSnapshot>,
    labels: Vec<(String, String)>,
}

impl<'a> SnapshotWriter<'a> {
    pub(super) fn new(series: &'a mut Vec<SeriesSnapshot>) -> Self {
        SnapshotWriter {
            series,
            labels: Vec::new(),
        }
    }

    pub(super) fn set_labels<L: LabelSet>(&mut self, names: &[&str], labels: &L) {
        self.labels.clear();
        let mut names = names.iter();
        labels.visit_values(&mut |value| {
            let name = names.next().copied().unwrap_or("label");
            let value = match value {
                LabelText::Str(s) => s.to_owned(),
                LabelText::I64(n) => n.to_string(),
                LabelText::U64(n) => n.to_string(),
                LabelText::I128(n) => n.to_string(),
                LabelText::U128(n) => n.to_string(),
            };
            self.labels.push((name.to_owned(), value));
        });
    }

    /// Replaces the labels with one `name="value"` pair.
    pub(super) fn set_label(&mut self, name: &str, value: &str) {
        self.labels.clear();
        self.labels.push((name.to_owned(), value.to_owned()));
    }

    /// Replaces the labels with `pairs`.
    pub(super) fn set_label_pairs(&mut self, pairs: &[(String, String)]) {
        self.labels.clear();
        self.labels.extend_from_slice(pairs);
    }

    pub(super) fn clear_labels(&mut self) {
        self.labels.clear();
    }

    pub(super) fn push(&mut self, value: SeriesValue) {
        self.series.push(SeriesSnapshot {
            labels: self.labels.clone(),
            value,
        });
    }
}
