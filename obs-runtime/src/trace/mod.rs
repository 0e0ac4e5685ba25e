// This module owns what `#[traced]` generates at run time: the span catalog
// and the error fields a span records (`catalog.rs`), the per-function RED
// metrics with their clock (`red.rs`), and how field values reach `tracing`
// (`value.rs`). It may import the cells, the registry and `tracing`;
// exporters and config sit above it.

//! Span descriptors and RED metrics of `#[traced]` functions.

pub(crate) mod catalog;
mod cycles;
pub(crate) mod red;
pub(crate) mod value;
