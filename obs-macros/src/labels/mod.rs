//! `#[derive(LabelSet)]` and `#[derive(LabelValue)]`: parse → check → expand.

mod ast;
mod check;
mod expand;

use crate::ctxt::drive;
use proc_macro2::TokenStream;
use syn::DeriveInput;

pub(crate) fn expand_label_set(input: &DeriveInput) -> TokenStream {
    drive(
        |cx| ast::LabelSet::from_ast(cx, input),
        check::check_label_set,
        expand::impl_label_set,
        |_| crate::fallback::label_set(input),
    )
}

pub(crate) fn expand_label_value(input: &DeriveInput) -> TokenStream {
    drive(
        |cx| ast::LabelValueEnum::from_ast(cx, input),
        check::check_label_value,
        expand::impl_label_value,
        |_| crate::fallback::label_value(input),
    )
}
