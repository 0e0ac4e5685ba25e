//! `#[traced(...)]` on an `impl` block traces every method, naming each span
//! `<type>.<method>` (the type in snake_case): `Router::route` → `router.route`.
//! The block's options apply to methods without their own `#[traced]`; a
//! method with its own attribute keeps its options and gets the derived name
//! unless it sets `name`.

use crate::ctxt::error_with_help;
use crate::types;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{ImplItem, ItemImpl, LitStr, Type};

pub(crate) fn expand(args: TokenStream, mut block: ItemImpl) -> TokenStream {
    if let Some(name) = name_key(&args) {
        let error = error_with_help(
            name,
            "`name` on an `impl` block would give every method the same span name",
            "remove it: each method's span is named `type.method`, or set `name` on the method",
        )
        .into_compile_error();
        return quote!(#error #block);
    }
    let Some(type_name) = type_name(&block.self_ty) else {
        let error = error_with_help(
            &block.self_ty,
            "`#[traced]` on an `impl` block needs a named type to derive span names from",
            "put `#[traced]` on each method instead",
        )
        .into_compile_error();
        return quote!(#error #block);
    };
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        // Spanned at the method, so that an error about the derived name
        // points at it.
        let name = LitStr::new(
            &format!("{type_name}.{}", method.sig.ident.unraw()),
            method.sig.ident.span(),
        );
        let own = method.attrs.iter_mut().find(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "traced")
        });
        match own {
            Some(attr) => {
                let own_args = match &attr.meta {
                    syn::Meta::List(list) => list.tokens.clone(),
                    _ => TokenStream::new(),
                };
                if name_key(&own_args).is_none() {
                    let separator = (!own_args.is_empty()).then(|| quote!(,));
                    let path = attr.path().to_token_stream();
                    *attr = syn::parse_quote!(#[#path(name = #name #separator #own_args)]);
                }
            }
            None => {
                let separator = (!args.is_empty()).then(|| quote!(,));
                method.attrs.push(
                    syn::parse_quote!(#[::obs_runtime::traced(name = #name #separator #args)]),
                );
            }
        }
    }
    quote!(#block)
}

/// The snake_case name of the implementing type's last path segment.
fn type_name(ty: &Type) -> Option<String> {
    types::name(types::peel(ty)).map(|name| obs_rules::to_snake_case(&name))
}

/// The `name` key of an argument list's top-level `name = …`, if any.
fn name_key(args: &TokenStream) -> Option<proc_macro2::Ident> {
    let mut expect_key = true;
    let mut tokens = args.clone().into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            proc_macro2::TokenTree::Ident(ident) if expect_key && ident == "name" => {
                if matches!(tokens.peek(), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '=')
                {
                    return Some(ident.clone());
                }
            }
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                expect_key = true;
                continue;
            }
            _ => {}
        }
        expect_key = false;
    }
    None
}
