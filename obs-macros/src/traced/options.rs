//! The values of `#[traced(...)]`'s options: strings, lists, flags and
//! formats, read from one raw `key = value` or `key(...)` argument, with the
//! errors that say what to write instead.

use super::ast::{ErrFormat, Format, RawArg, RawValue};
use crate::ctxt::error_with_help;
use crate::symbol::*;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

/// What to write after `key =`, for `help:` lines.
fn example(key: &Ident) -> &'static str {
    match key.to_string().as_str() {
        LEVEL => "\"info\"",
        NAME => "\"spec.parse\"",
        TARGET => "\"my_crate::module\"",
        KIND => "\"server\"",
        PARENT => "&span",
        REMOTE_PARENT => "&remote_context",
        FOLLOWS_FROM => "span.id()",
        BUCKETS => "[0.001, 0.01, 0.1, 1.0]",
        _ => "…",
    }
}

pub(super) fn string(arg: &RawArg) -> syn::Result<(TokenStream, String)> {
    let key = &arg.key;
    let help = format!("write `{key} = {}`", example(key));
    match &arg.value {
        RawValue::Eq(tokens) => match syn::parse2::<LitStr>(tokens.clone()) {
            Ok(lit) => Ok((lit.to_token_stream(), lit.value())),
            Err(_) => Err(error_with_help(
                tokens,
                &format!("`{key}` takes a string, not `{tokens}`"),
                &help,
            )),
        },
        _ => Err(error_with_help(
            arg,
            &format!("`{key}` takes a string"),
            &help,
        )),
    }
}

pub(super) fn list<T: Parse>(arg: &RawArg) -> syn::Result<Vec<T>> {
    match &arg.value {
        RawValue::List(group) => {
            let items = Punctuated::<T, Token![,]>::parse_terminated.parse2(group.stream())?;
            Ok(items.into_iter().collect())
        }
        _ => Err(error_with_help(
            arg,
            &format!("`{}` takes a list", arg.key),
            &format!("write `{}(…)`", arg.key),
        )),
    }
}

/// The options of `err(…)` or `ret(…)`, each one of `allowed`, with at
/// most one format (`Display`, `Debug`, `type_only`) and no option twice;
/// none for the flag alone.
pub(super) fn options(arg: &RawArg, allowed: &[&str]) -> syn::Result<Vec<Ident>> {
    let key = &arg.key;
    let takes: Vec<String> = allowed.iter().map(|o| format!("`{o}`")).collect();
    let takes = format!("`{key}(…)` takes {}", or_list(&takes));
    let mut forms = vec![format!("`{key}`")];
    forms.extend(allowed.iter().map(|o| format!("`{key}({o})`")));
    let help = format!("write {}", or_list(&forms));
    let group = match &arg.value {
        RawValue::Flag => return Ok(Vec::new()),
        RawValue::Eq(_) => {
            return Err(error_with_help(
                arg,
                &format!("`{key}` takes no `= value`"),
                &help,
            ))
        }
        RawValue::List(group) => group,
    };
    let idents = match Punctuated::<Ident, Token![,]>::parse_terminated.parse2(group.stream()) {
        Ok(idents) if !idents.is_empty() => idents,
        _ if group.stream().is_empty() => return Err(error_with_help(group, &takes, &help)),
        _ => return Err(error_with_help(group.stream(), &takes, &help)),
    };
    let mut formats = 0;
    for (at, ident) in idents.iter().enumerate() {
        if !allowed.contains(&ident.to_string().as_str()) {
            return Err(error_with_help(ident, &takes, &help));
        }
        if ident != NOT_SECRET {
            formats += 1;
        }
        if formats > 1 || idents.iter().take(at).any(|earlier| earlier == ident) {
            return Err(error_with_help(
                ident,
                &format!("`{key}(…)` takes one format, and each option once"),
                &help,
            ));
        }
    }
    Ok(idents.into_iter().collect())
}

/// `` `a`, `b` or `c` ``.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

pub(super) fn err_format(options: &[Ident]) -> ErrFormat {
    match options.first() {
        Some(option) if option == DEBUG => ErrFormat::Message(Format::Debug),
        Some(option) if option == TYPE_ONLY => ErrFormat::TypeOnly,
        _ => ErrFormat::Message(Format::Display),
    }
}

/// `ret`'s format (`Debug` unless `Display` is given) and whether it is
/// `not_secret`.
pub(super) fn ret_format(options: &[Ident]) -> (Format, bool) {
    let format = if options.iter().any(|o| o == DISPLAY) {
        Format::Display
    } else {
        Format::Debug
    };
    (format, options.iter().any(|o| o == NOT_SECRET))
}

pub(super) fn expr(arg: &RawArg) -> syn::Result<Expr> {
    match &arg.value {
        RawValue::Eq(tokens) => syn::parse2(tokens.clone()),
        _ => Err(error_with_help(
            arg,
            &format!("`{}` takes an expression", arg.key),
            &format!("write `{} = {}`", arg.key, example(&arg.key)),
        )),
    }
}

pub(super) fn flag(arg: &RawArg) -> syn::Result<()> {
    match &arg.value {
        RawValue::Flag => Ok(()),
        _ => Err(error_with_help(
            arg,
            &format!("`{}` is a flag and takes no value", arg.key),
            &format!("write `{}` alone", arg.key),
        )),
    }
}
