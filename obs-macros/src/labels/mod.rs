//! `#[derive(LabelSet)]` and `#[derive(LabelValue)]`: parse → check → expand.

mod ast;
mod check;
mod expand;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use syn::DeriveInput;

pub(crate) fn expand_label_set(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let set = ast::LabelSet::from_ast(&cx, input);
    if let Some(set) = &set {
        check::check_label_set(&cx, set);
    }
    match (cx.check(), set) {
        (Ok(()), Some(set)) => expand::impl_label_set(&set),
        (result, _) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let fallback = crate::fallback::label_set(input);
            quote::quote! { #errors #fallback }
        }
    }
}

pub(crate) fn expand_label_value(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let value = ast::LabelValueEnum::from_ast(&cx, input);
    if let Some(value) = &value {
        check::check_label_value(&cx, value);
    }
    match (cx.check(), value) {
        (Ok(()), Some(value)) => expand::impl_label_value(&value),
        (result, _) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let fallback = crate::fallback::label_value(input);
            quote::quote! { #errors #fallback }
        }
    }
}
