//! `#[traced]`: parse → check → expand.

mod ast;
mod check;
mod expand;
mod impl_block;
mod policy;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    if let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) {
        return impl_block::expand(args, block);
    }
    let function = match syn::parse2::<ast::MaybeItemFn>(item.clone()) {
        Ok(function) => function,
        // Not a function: say so, and give the item back untouched so the
        // rest of the crate still compiles.
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "`#[traced]` goes on a function, a method or an `impl` block\n= help: move it onto a `fn`",
            )
            .into_compile_error();
            return quote::quote! { #error #item };
        }
    };
    let cx = Ctxt::new();
    let traced = ast::Traced::from_ast(&cx, args, &function);
    let policy = policy::Policy::load(&cx, &traced);
    if let Some(traced) = &traced {
        check::check(&cx, traced, policy.as_ref());
    }
    match (cx.check(), traced) {
        (Ok(()), Some(traced)) => expand::impl_traced(&traced, &function, policy.as_ref()),
        (result, _) => {
            // Keep the function as written so its callers compile.
            let errors = result.err().map(syn::Error::into_compile_error);
            quote::quote! { #errors #function }
        }
    }
}
