//! `#[traced]`: parse → check → expand.

mod arguments;
mod ast;
mod check;
mod expand;
mod fields;
mod impl_block;
mod options;
mod policy;
mod secrets;
mod shapes;

use crate::ctxt::drive;
use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let keyword = keyword(&item);
    if keyword.as_deref() == Some("impl") {
        return match syn::parse2::<syn::ItemImpl>(item.clone()) {
            Ok(block) => impl_block::expand(args, block),
            // A syntax error in the block is rustc's to report, at the mistake.
            Err(_) => item,
        };
    }
    let function = match syn::parse2::<ast::MaybeItemFn>(item.clone()) {
        Ok(function) => function,
        // A function whose signature does not parse: rustc reports it.
        Err(_) if keyword.as_deref() == Some("fn") && ends_in_body(&item) => return item,
        // Not a function: say so, and give the item back untouched so the
        // rest of the crate still compiles.
        Err(_) => return not_a_function(item, keyword.as_deref()),
    };
    drive(
        |cx| {
            let traced = ast::Traced::from_ast(cx, args, &function);
            let policy = policy::Policy::load(cx, &traced);
            traced.map(|traced| (traced, policy))
        },
        |cx, (traced, policy)| check::check(cx, traced, policy.as_deref()),
        |(traced, policy)| expand::impl_traced(traced, &function, policy.as_deref()),
        // Keep the function as written so its callers compile.
        |_| function.to_token_stream(),
    )
}

/// The item's keyword (`fn`, `impl`, `struct`, …): the first identifier that
/// is not part of an attribute, the visibility or a qualifier.
fn keyword(item: &TokenStream) -> Option<String> {
    item.clone().into_iter().find_map(|token| match token {
        TokenTree::Ident(ident) => {
            let word = ident.to_string();
            let qualifier = matches!(
                word.as_str(),
                "pub" | "const" | "async" | "unsafe" | "extern" | "default"
            );
            (!qualifier).then_some(word)
        }
        _ => None,
    })
}

fn ends_in_body(item: &TokenStream) -> bool {
    matches!(item.clone().into_iter().last(), Some(TokenTree::Group(group)) if group.delimiter() == proc_macro2::Delimiter::Brace)
}

/// The error for `#[traced]` on anything but a function or an `impl` block,
/// spanned at the item's head (`struct Parser`), followed by the item.
fn not_a_function(item: TokenStream, keyword: Option<&str>) -> TokenStream {
    let (message, help) = match keyword {
        Some("fn") => (
            "`#[traced]` needs a function body",
            "put it on the function that implements the method",
        ),
        _ => (
            "`#[traced]` goes on a function, a method or an `impl` block",
            "move it onto a `fn`",
        ),
    };
    let head: TokenStream = item
        .clone()
        .into_iter()
        .skip_while(|token| !matches!(token, TokenTree::Ident(ident) if Some(ident.to_string().as_str()) == keyword))
        .take_while(|token| !matches!(token, TokenTree::Group(group) if group.delimiter() != proc_macro2::Delimiter::None))
        .take_while(|token| !matches!(token, TokenTree::Punct(p) if p.as_char() == ';' || p.as_char() == '=' || p.as_char() == ':' || p.as_char() == '<'))
        .collect();
    let spanned = if head.is_empty() { item.clone() } else { head };
    let error = crate::ctxt::error_with_help(spanned, message, help).into_compile_error();
    quote! { #error #item }
}
