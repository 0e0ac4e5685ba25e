//! The rules of the label derives; name and value rules live in `obs-rules`.

use super::ast::{LabelSet, LabelValueEnum};
use crate::ctxt::Ctxt;
use crate::display::type_name;
use std::collections::HashMap;
use syn::Fields;

pub(crate) fn check_label_set(cx: &Ctxt, set: &LabelSet<'_>) {
    check_not_empty(cx, set);
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for field in &set.fields {
        // Label names are spelled like metric names and must not collide with
        // labels the formats generate (`le`, `quantile`) or reserve (`__*`).
        let (tokens, name) = &field.name;
        if let Err(violation) = obs_rules::check_label_name(name) {
            cx.violation(tokens, violation);
        }
        // Every distinct value of a string or integer label is a new series:
        // a user id or URL as a label multiplies storage without bound. Such
        // a field must be opted in, which caps the family instead.
        if field.open_type && field.unbounded.is_none() {
            let ty = field.ty;
            cx.error_with_help(
                ty,
                &format!(
                    "label `{name}` has type `{}`, which can take unbounded values: every distinct value becomes a new series",
                    type_name(ty)
                ),
                &format!(
                    "use an enum deriving `LabelValue` for a fixed set of values, or mark the field `#[label(unbounded)]` to accept a capped family ({} series by default, then one overflow series)",
                    obs_rules::DEFAULT_MAX_SERIES
                ),
            );
        }
        // Two fields cannot emit the same label name.
        match seen.get(name.as_str()) {
            Some(first) => cx.error_with_help(
                tokens,
                &format!("label `{name}` is declared twice: field `{first}` already uses it"),
                "give each label its own name with `#[label(name = \"…\")]`",
            ),
            None => {
                seen.insert(name, field.member);
            }
        }
    }
}

// A label set without labels is a plain metric; a family of it is a mistake.
fn check_not_empty(cx: &Ctxt, set: &LabelSet<'_>) {
    if set.fields.is_empty() {
        cx.error_with_help(
            &set.original.ident,
            "a label set needs at least one label",
            "add a field per label, or use the metric without a `Family`",
        );
    }
}

pub(crate) fn check_label_value(cx: &Ctxt, value: &LabelValueEnum<'_>) {
    if value.variants.is_empty() {
        cx.error_with_help(
            &value.original.ident,
            "a label value enum needs at least one variant",
            "list the values as unit variants: `enum Outcome { Success, Failure }`",
        );
    }
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for variant in &value.variants {
        // Only unit variants: a label value is one word, not data.
        if !matches!(variant.original.fields, Fields::Unit) {
            cx.error_with_help(
                &variant.original.fields,
                &format!(
                    "variant `{}` carries data, but label values are unit variants",
                    variant.original.ident
                ),
                "remove the fields; use a separate label for the data",
            );
        }
        // Renamed values must read cleanly in queries.
        let (tokens, text) = &variant.value;
        if variant.renamed {
            if let Err(violation) = obs_rules::check_label_value(text) {
                cx.violation(tokens, violation);
            }
        }
        // Two variants with one value could not be told apart in a query.
        match seen.get(text.as_str()) {
            Some(first) => cx.error_with_help(
                tokens,
                &format!("label value `{text}` is used twice: variant `{first}` already has it"),
                "rename one of them with `#[label(rename = \"…\")]`",
            ),
            None => {
                seen.insert(text, &variant.original.ident);
            }
        }
    }
}
