//! Attribute parsing shared by the derives: one helper for duplicate keys,
//! one for unknown keys, so the checks cannot drift between attributes.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, Meta, Path};

/// One attribute key's value, remembering the tokens it came from.
pub(crate) struct Attr<'c, T> {
    cx: &'c Ctxt,
    attr: &'static str,
    key: &'static str,
    value: Option<(TokenStream, T)>,
}

impl<'c, T> Attr<'c, T> {
    pub(crate) fn none(cx: &'c Ctxt, attr: &'static str, key: &'static str) -> Self {
        Attr {
            cx,
            attr,
            key,
            value: None,
        }
    }

    /// Sets the value of `key`, remembering `tokens` (the value as written)
    /// for later errors about it; a second `key = …` in the same item is an
    /// error spanned from the repeated key to its value.
    pub(crate) fn set_key<A: ToTokens>(&mut self, key: &Path, tokens: A, value: T) {
        let tokens = tokens.into_token_stream();
        if self.value.is_some() {
            self.cx.error_with_help(
                quote!(#key #tokens),
                &format!("duplicate `{}` in `#[{}(...)]`", self.key, self.attr),
                &format!("keep one `{}`", self.key),
            );
        } else {
            self.value = Some((tokens, value));
        }
    }

    pub(crate) fn get_with_tokens(self) -> Option<(TokenStream, T)> {
        self.value
    }
}

/// Runs `parse` on every key of every `#[name(...)]` attribute in `attrs`,
/// recording parse errors in `cx`.
pub(crate) fn for_each_key(
    cx: &Ctxt,
    attrs: &[Attribute],
    name: &str,
    mut parse: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        if let Err(err) = attr.parse_nested_meta(|meta| parse(&meta)) {
            cx.syn_error(err);
        }
    }
}

/// Reports a key the attribute does not know, listing the ones it does.
pub(crate) fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta<'_>, attr: &str, known: &[&str]) {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    report_unknown_key(cx, &meta.path, &key, attr, known);
    // Skip the value, if any, so parsing can go on with the next key.
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value().and_then(|value| value.parse::<Expr>());
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            let _ = inner.value().and_then(|value| value.parse::<Expr>());
            Ok(())
        });
    }
}

/// The doc comment of an item, lines trimmed and joined by spaces: the help
/// text of a metric.
pub(crate) fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|line| !line.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// The unknown-key error of every attribute: `key` at `tokens`, and the keys
/// `attr` knows.
pub(crate) fn report_unknown_key(
    cx: &Ctxt,
    tokens: impl ToTokens,
    key: &str,
    attr: &str,
    known: &[&str],
) {
    let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    cx.error_with_help(
        tokens,
        &format!("unknown key `{key}` in `#[{attr}(...)]`"),
        &format!("expected one of: {}", expected.join(", ")),
    );
}
