//! The macros of obs. Use them through `obs-runtime`, which re-exports and
//! documents them; the generated code refers to `::obs_runtime` only.
//!
//! Every derive runs three stages: parse the input into a small IR that
//! borrows from syn (`ast.rs`), check it against the rules of `obs-rules`
//! (`check.rs`), then expand (`expand.rs`). Errors are collected in a
//! context (`ctxt.rs`) so one build reports all of them.

mod attr;
mod buckets;
mod ctxt;
mod display;
mod fallback;
mod labels;
mod metrics;
mod objective;
mod symbol;
mod traced;
mod types;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// See `obs_runtime::Metrics`.
#[proc_macro_derive(Metrics, attributes(metrics, metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    metrics::expand(&input).into()
}

/// See `obs_runtime::LabelSet`.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::expand_label_set(&input).into()
}

/// See `obs_runtime::LabelValue`.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::expand_label_value(&input).into()
}

/// See `obs_runtime::traced`.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    traced::expand(args.into(), item.into()).into()
}
