//! A `#[traced]` field: its name (a literal, dotted identifiers or a
//! `semconv::attribute` constant resolved against obs-rules' table), the
//! secret opt-out, and its value with its sigil.

use crate::symbol::{NOT_SECRET, SEMCONV};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

/// How a field's value is recorded: `%expr` (Display), `?expr` (Debug) or
/// `expr` (as a `tracing` value).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sigil {
    Display,
    Debug,
    Value,
}

/// One entry of `fields(…)`.
pub(crate) struct FieldArg {
    /// The field name, dotted segments joined (`error.kind`) or resolved
    /// from a `semconv::attribute` constant, and its tokens as written.
    pub(crate) name: (TokenStream, String),
    /// The name as the span macro takes it: the tokens as written, or the
    /// string a constant resolved to.
    pub(crate) key: TokenStream,
    /// `not_secret(name) = …`: the opt-out from the secret rule, as written.
    pub(crate) not_secret: Option<Ident>,
    /// `= [%|?]expr`; `None` records the argument of the same name.
    pub(crate) value: Option<(Sigil, Expr)>,
}

impl Parse for FieldArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let opt_out = input.peek2(syn::token::Paren)
            && input
                .fork()
                .call(Ident::parse_any)
                .is_ok_and(|ident| ident == NOT_SECRET);
        let (name, not_secret) = if opt_out {
            let keyword = input.call(Ident::parse_any)?;
            let content;
            syn::parenthesized!(content in input);
            let name = field_name(&content)?;
            if !content.is_empty() {
                return Err(content.error("`not_secret(…)` takes one field name"));
            }
            (name, Some(keyword))
        } else {
            (field_name(input)?, None)
        };
        let (name, key) = name;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let sigil = if input.peek(Token![%]) {
                input.parse::<Token![%]>()?;
                Sigil::Display
            } else if input.peek(Token![?]) {
                input.parse::<Token![?]>()?;
                Sigil::Debug
            } else {
                Sigil::Value
            };
            Some((sigil, input.parse()?))
        } else {
            None
        };
        Ok(FieldArg {
            name,
            key,
            not_secret,
            value,
        })
    }
}

/// A field name: `"literal"`, dotted identifiers joined with `.`, or a
/// `semconv::attribute` constant; with its tokens, and the tokens the span
/// macro takes.
fn field_name(input: ParseStream<'_>) -> syn::Result<((TokenStream, String), TokenStream)> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok(((lit.to_token_stream(), lit.value()), lit.to_token_stream()));
    }
    if input.peek(Token![::]) || input.peek2(Token![::]) {
        return semconv_key(&input.call(syn::Path::parse_mod_style)?);
    }
    let first = input.call(Ident::parse_any)?;
    let mut tokens = first.to_token_stream();
    let mut text = first.unraw().to_string();
    while input.peek(Token![.]) {
        let dot: Token![.] = input.parse()?;
        let segment = input.call(Ident::parse_any)?;
        text.push('.');
        text.push_str(&segment.unraw().to_string());
        dot.to_tokens(&mut tokens);
        segment.to_tokens(&mut tokens);
    }
    Ok(((tokens.clone(), text), tokens))
}

// A path names one of obs-rules' `semconv::attribute` constants
// (`semconv::attribute::HTTP_ROUTE`, under any prefix), resolved here
// against the same table, so that a typo is an error with a suggestion
// rather than a field no dashboard queries.
fn semconv_key(path: &syn::Path) -> syn::Result<((TokenStream, String), TokenStream)> {
    let segments: Vec<&Ident> = path.segments.iter().map(|s| &s.ident).collect();
    let constant = match segments.as_slice() {
        [.., semconv, attribute, constant] if *semconv == SEMCONV && *attribute == ATTRIBUTE => {
            *constant
        }
        _ => {
            let written = path.to_token_stream().to_string().replace(' ', "");
            return Err(crate::ctxt::error_with_help(
                path,
                &format!(
                    "field name `{written}` is a path, but not to a `semconv::attribute` constant"
                ),
                "write `semconv::attribute::HTTP_ROUTE = …`, or the name itself: `http.route = …`",
            ));
        }
    };
    match obs_rules::semconv::attribute::by_name(&constant.to_string()) {
        Ok(key) => {
            let lit = LitStr::new(key, constant.span());
            Ok((
                (path.to_token_stream(), key.to_owned()),
                lit.to_token_stream(),
            ))
        }
        Err(violation) => Err(syn::Error::new_spanned(
            constant,
            crate::ctxt::render(&violation.message, violation.help.as_deref()),
        )),
    }
}

/// The segments a `semconv::attribute::…` field name ends in.
const ATTRIBUTE: &str = "attribute";
