//! `#[derive(Metrics)]`: parse → check → expand.

mod ast;
mod buckets;
mod check;
mod expand;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = ast::Container::from_ast(&cx, input);
    if let Some(container) = &container {
        check::check(&cx, container);
    }
    match (cx.check(), container) {
        (Ok(()), Some(container)) => expand::impl_metrics(&container),
        (result, container) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let consts = container.as_ref().map(expand::name_consts);
            let fallback = crate::fallback::metric_group(input, consts.unwrap_or_default());
            quote::quote! { #errors #fallback }
        }
    }
}
