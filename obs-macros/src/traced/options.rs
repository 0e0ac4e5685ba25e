//! The values of `#[traced(...)]`'s options: strings, lists, flags and
//! formats, read from one raw `key = value` or `key(...)` argument, with the
//! errors that say what to write instead.

use super::ast::{ErrFormat, Format, RawArg, RawValue};
use crate::ctxt::error_with_help;
use crate::symbol::*;
use proc_macro2::{Group, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
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
        ERROR_IF => "|value: &Response| value.status().is_server_error()",
        OTEL_NAME => "format!(\"{method} {route}\")",
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

/// The options of `ret(…)`, each one of `allowed`, with at most one format
/// (`Display`, `Debug`) and no option twice; none for the flag alone.
pub(super) fn options(arg: &RawArg, allowed: &[&str]) -> syn::Result<Vec<Ident>> {
    let forms = Forms::new(arg, allowed, false);
    let Some(group) = forms.group(arg)? else {
        return Ok(Vec::new());
    };
    let idents = match Punctuated::<Ident, Token![,]>::parse_terminated.parse2(group.stream()) {
        Ok(idents) if !idents.is_empty() => idents,
        _ => return Err(forms.refuse_list(group)),
    };
    forms.check(&idents.iter().collect::<Vec<_>>())?;
    Ok(idents.into_iter().collect())
}

/// One option of `err(…)`: a format, or `if = predicate`.
enum ErrOption {
    Format(Ident),
    If(Token![if], Expr),
}

impl Parse for ErrOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Token![if]) {
            let keyword = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(ErrOption::If(keyword, input.parse()?))
        } else {
            input.call(Ident::parse_any).map(ErrOption::Format)
        }
    }
}

/// `err`'s format and its `if = predicate`, from `err`, `err(Debug)`,
/// `err(if = |e| …)` or `err(type_only, if = |e| …)`.
pub(super) fn err_options(arg: &RawArg) -> syn::Result<(ErrFormat, Option<Expr>)> {
    let forms = Forms::new(arg, &[DISPLAY, DEBUG, TYPE_ONLY], true);
    let Some(group) = forms.group(arg)? else {
        return Ok((ErrFormat::Message(Format::Display), None));
    };
    let items = match Punctuated::<ErrOption, Token![,]>::parse_terminated.parse2(group.stream()) {
        Ok(items) if !items.is_empty() => items,
        _ => return Err(forms.refuse_list(group)),
    };
    let mut formats = Vec::new();
    let mut predicate = None;
    for item in items {
        match item {
            ErrOption::Format(ident) => formats.push(ident),
            ErrOption::If(keyword, _) if predicate.is_some() => {
                return Err(error_with_help(
                    keyword,
                    "`err(…)` takes one `if = …`",
                    "join the conditions in one predicate",
                ))
            }
            ErrOption::If(_, expr) => predicate = Some(expr),
        }
    }
    forms.check(&formats.iter().collect::<Vec<_>>())?;
    Ok((err_format(&formats), predicate))
}

/// What `err(…)` or `ret(…)` takes, for its errors.
struct Forms<'a> {
    key: &'a Ident,
    allowed: &'a [&'a str],
    takes: String,
    help: String,
}

impl<'a> Forms<'a> {
    fn new(arg: &'a RawArg, allowed: &'a [&'a str], predicate: bool) -> Self {
        let key = &arg.key;
        let mut takes: Vec<String> = allowed.iter().map(|o| format!("`{o}`")).collect();
        let mut forms = vec![format!("`{key}`")];
        forms.extend(allowed.iter().map(|o| format!("`{key}({o})`")));
        if predicate {
            takes.push("`if = |error| …`".to_owned());
            forms.push(format!("`{key}(if = |error| …)`"));
        }
        Forms {
            key,
            allowed,
            takes: format!("`{key}(…)` takes {}", or_list(&takes)),
            help: format!("write {}", or_list(&forms)),
        }
    }

    /// The list of options; `None` for the flag alone.
    fn group<'g>(&self, arg: &'g RawArg) -> syn::Result<Option<&'g Group>> {
        match &arg.value {
            RawValue::Flag => Ok(None),
            RawValue::Eq(_) => Err(error_with_help(
                arg,
                &format!("`{}` takes no `= value`", self.key),
                &self.help,
            )),
            RawValue::List(group) => Ok(Some(group)),
        }
    }

    fn refuse_list(&self, group: &Group) -> syn::Error {
        if group.stream().is_empty() {
            error_with_help(group, &self.takes, &self.help)
        } else {
            error_with_help(group.stream(), &self.takes, &self.help)
        }
    }

    /// Each option one of `allowed`, at most one format, none twice.
    fn check(&self, idents: &[&Ident]) -> syn::Result<()> {
        let mut formats = 0;
        for (at, ident) in idents.iter().enumerate() {
            if !self.allowed.contains(&ident.to_string().as_str()) {
                return Err(error_with_help(ident, &self.takes, &self.help));
            }
            if *ident != NOT_SECRET {
                formats += 1;
            }
            if formats > 1 || idents.iter().take(at).any(|earlier| earlier == ident) {
                return Err(error_with_help(
                    ident,
                    &format!("`{}(…)` takes one format, and each option once", self.key),
                    &self.help,
                ));
            }
        }
        Ok(())
    }
}

/// `` `a`, `b` or `c` ``.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn err_format(options: &[Ident]) -> ErrFormat {
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
