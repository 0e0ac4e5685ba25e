//! `#[derive(Metrics)]`: parse → check → expand.

mod ast;
mod check;
mod expand;

use crate::ctxt::drive;
use proc_macro2::TokenStream;
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    drive(
        |cx| ast::Container::from_ast(cx, input),
        check::check,
        expand::impl_metrics,
        // The name constants still exist, so code using them compiles.
        |container| {
            let consts = container.map(expand::name_consts);
            crate::fallback::metric_group(input, consts.unwrap_or_default())
        },
    )
}
