//! The IR of `#[traced]`: the attribute's options, each with its tokens, and
//! the function, whose body is kept as opaque tokens so that an error in the
//! body is reported by rustc as written, not as a macro error.

use super::arguments::{arguments, Argument};
pub(crate) use super::fields::{FieldArg, Sigil};
use super::options::{err_options, expr, flag, list, options, ret_format, string};
use crate::attr::{report_unknown_key, Attr};
use crate::buckets::BucketsExpr;
use crate::ctxt::Ctxt;
use crate::objective::{ObjectiveDecl, OBJECTIVE};
use crate::symbol::*;
use crate::types;
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Expr, GenericArgument, Ident, PathArguments, ReturnType, Signature, Stmt, Token,
    Type, TypeParamBound, Visibility,
};

/// A function whose body may not parse: signature parsed, body kept as tokens.
pub(crate) struct MaybeItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Group,
    /// A body whose last statement is an `async` block (`fn f() -> impl
    /// Future { …; async move { … } }`): its other statements and that block.
    /// Parsed once, here; `None` for any other body.
    pub(crate) tail_async: Option<(Vec<Stmt>, Expr)>,
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body: Group = input.parse()?;
        if body.delimiter() != Delimiter::Brace {
            return Err(syn::Error::new(body.span(), "expected a function body"));
        }
        let tail_async = tail_async_block(&sig, &body);
        Ok(MaybeItemFn {
            attrs,
            vis,
            sig,
            body,
            tail_async,
        })
    }
}

/// The statements and the tail `async` block of a body, for a function that
/// is not `async` and returns `impl …`: only such a function can return an
/// `async` block, so no other body is parsed at all.
fn tail_async_block(sig: &Signature, body: &Group) -> Option<(Vec<Stmt>, Expr)> {
    let ReturnType::Type(_, output) = &sig.output else {
        return None;
    };
    if sig.asyncness.is_some() || !matches!(types::peel(output), Type::ImplTrait(_)) {
        return None;
    }
    let block: syn::Block = syn::parse2(body.to_token_stream()).ok()?;
    let mut stmts = block.stmts;
    match stmts.pop() {
        Some(Stmt::Expr(tail @ Expr::Async(_), None)) => Some((stmts, tail)),
        _ => None,
    }
}

impl ToTokens for MaybeItemFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Display,
    Debug,
}

/// What `err` records of an error besides `otel.status_code` and `error.type`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrFormat {
    /// `exception.message` with `Display` (`err`) or `Debug` (`err(Debug)`).
    Message(Format),
    /// Nothing more: the error's type name only (`err(type_only)`).
    TypeOnly,
}

pub(crate) struct Traced<'a> {
    pub(crate) function: &'a MaybeItemFn,
    pub(crate) level: Option<(TokenStream, String)>,
    pub(crate) name: Option<(TokenStream, String)>,
    pub(crate) target: Option<(TokenStream, String)>,
    pub(crate) kind: Option<(TokenStream, String)>,
    pub(crate) fields: Vec<FieldArg>,
    pub(crate) redact: Vec<Ident>,
    /// `skip(…)` or `skip_all` as written, and which of the two.
    pub(crate) skip: Option<(TokenStream, String)>,
    pub(crate) err: Option<(TokenStream, ErrFormat)>,
    /// `err(if = predicate)`: which errors mark the span failed.
    pub(crate) err_if: Option<Expr>,
    /// `error_if = predicate`: which returned values (`Ok` values of a
    /// `Result`) mark the span failed.
    pub(crate) error_if: Option<(TokenStream, Expr)>,
    /// `otel_name = expr`: the exported span name, as the `otel.name` field
    /// (recorded with `Display`).
    pub(crate) otel_name: Option<FieldArg>,
    pub(crate) ret: Option<(TokenStream, Format)>,
    /// `ret(not_secret)`: the return value is recorded although the
    /// function's name or type looks like a secret.
    pub(crate) ret_not_secret: bool,
    pub(crate) parent: Option<Expr>,
    /// `remote_parent = ctx`: a context extracted from a carrier, and the
    /// tokens of the key for errors.
    pub(crate) remote_parent: Option<(TokenStream, Expr)>,
    pub(crate) follows_from: Option<Expr>,
    pub(crate) metrics: Option<TokenStream>,
    /// `objective(…)` as written, and the objectives in it.
    pub(crate) objectives: Option<(TokenStream, Vec<ObjectiveDecl>)>,
    /// `buckets = …`: the RED duration histogram's bounds, as written.
    pub(crate) buckets: Option<(TokenStream, BucketsExpr)>,
    pub(crate) arguments: Vec<Argument<'a>>,
}

/// One `key`, `key = …` or `key(…)` of the attribute, before interpretation.
pub(super) struct RawArg {
    pub(super) key: Ident,
    pub(super) value: RawValue,
}

pub(super) enum RawValue {
    Flag,
    Eq(TokenStream),
    List(Group),
}

impl Parse for RawArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            // Everything up to the next top-level comma.
            let mut tokens = TokenStream::new();
            while !input.is_empty() && !input.peek(Token![,]) {
                tokens.extend([input.parse::<TokenTree>()?]);
            }
            if tokens.is_empty() {
                return Err(input.error(format!("expected a value after `{key} =`")));
            }
            RawValue::Eq(tokens)
        } else if input.peek(syn::token::Paren) {
            let group: Group = input.parse()?;
            RawValue::List(group)
        } else {
            RawValue::Flag
        };
        Ok(RawArg { key, value })
    }
}

impl ToTokens for RawArg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.key.to_tokens(tokens);
        match &self.value {
            RawValue::Flag => {}
            RawValue::Eq(value) => {
                <Token![=]>::default().to_tokens(tokens);
                value.to_tokens(tokens);
            }
            RawValue::List(group) => group.to_tokens(tokens),
        }
    }
}

/// `#[instrument]`'s `skip_all`, refused like `skip`.
const SKIP_ALL: &str = "skip_all";

const KEYS: &[&str] = &[
    LEVEL,
    NAME,
    OTEL_NAME,
    TARGET,
    KIND,
    FIELDS,
    REDACT,
    ERR,
    ERROR_IF,
    RET,
    PARENT,
    REMOTE_PARENT,
    FOLLOWS_FROM,
    METRICS_FLAG,
    OBJECTIVE,
    BUCKETS,
];

/// The objectives of `objective(…)`.
fn objective_list(arg: &RawArg) -> syn::Result<Vec<ObjectiveDecl>> {
    match &arg.value {
        RawValue::List(group) => crate::objective::parse_list(group.stream()),
        _ => Err(crate::ctxt::error_with_help(
            arg,
            "`objective` takes a list",
            "write `objective(success = 0.999, latency(0.25) = 0.99)`",
        )),
    }
}

impl<'a> Traced<'a> {
    pub(crate) fn from_ast(
        cx: &Ctxt,
        args: TokenStream,
        function: &'a MaybeItemFn,
    ) -> Option<Self> {
        let raw = match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(args) {
            Ok(raw) => raw,
            Err(err) => {
                cx.syn_error(err);
                return None;
            }
        };
        let mut level = Attr::none(cx, TRACED, LEVEL);
        let mut name = Attr::none(cx, TRACED, NAME);
        let mut target = Attr::none(cx, TRACED, TARGET);
        let mut kind = Attr::none(cx, TRACED, KIND);
        let mut fields = Attr::none(cx, TRACED, FIELDS);
        let mut redact = Attr::none(cx, TRACED, REDACT);
        let mut skip = Attr::none(cx, TRACED, SKIP);
        let mut err = Attr::none(cx, TRACED, ERR);
        let mut error_if = Attr::none(cx, TRACED, ERROR_IF);
        let mut otel_name = Attr::none(cx, TRACED, OTEL_NAME);
        let mut ret = Attr::none(cx, TRACED, RET);
        let mut parent = Attr::none(cx, TRACED, PARENT);
        let mut remote_parent = Attr::none(cx, TRACED, REMOTE_PARENT);
        let mut follows_from = Attr::none(cx, TRACED, FOLLOWS_FROM);
        let mut metrics = Attr::none(cx, TRACED, METRICS_FLAG);
        let mut objectives = Attr::none(cx, TRACED, OBJECTIVE);
        let mut buckets = Attr::none(cx, TRACED, BUCKETS);

        for arg in raw {
            let key = arg.key.to_string();
            let path = syn::Path::from(arg.key.clone());
            let result = match key.as_str() {
                LEVEL => string(&arg).map(|(tokens, value)| level.set_key(&path, tokens, value)),
                NAME => string(&arg).map(|(tokens, value)| name.set_key(&path, tokens, value)),
                TARGET => string(&arg).map(|(tokens, value)| target.set_key(&path, tokens, value)),
                KIND => string(&arg).map(|(tokens, value)| kind.set_key(&path, tokens, value)),
                FIELDS => list::<FieldArg>(&arg).map(|list| fields.set_key(&path, &arg, list)),
                REDACT => list::<Ident>(&arg).map(|list| redact.set_key(&path, &arg, list)),
                SKIP | SKIP_ALL => {
                    skip.set_key(&path, arg.to_token_stream(), key.clone());
                    Ok(())
                }
                ERR => err_options(&arg).map(|options| err.set_key(&path, &arg.key, options)),
                ERROR_IF => expr(&arg).map(|e| error_if.set_key(&path, &arg, e)),
                OTEL_NAME => expr(&arg).map(|e| otel_name.set_key(&path, &arg.key, e)),
                RET => options(&arg, &[DISPLAY, DEBUG, NOT_SECRET])
                    .map(|options| ret.set_key(&path, &arg.key, ret_format(&options))),
                PARENT => expr(&arg).map(|e| parent.set_key(&path, &arg, e)),
                REMOTE_PARENT => expr(&arg).map(|e| remote_parent.set_key(&path, &arg, e)),
                FOLLOWS_FROM => expr(&arg).map(|e| follows_from.set_key(&path, &arg, e)),
                METRICS_FLAG => flag(&arg).map(|()| metrics.set_key(&path, &arg.key, ())),
                OBJECTIVE => objective_list(&arg).map(|list| objectives.set_key(&path, &arg, list)),
                BUCKETS => expr(&arg).map(|e| {
                    if let Some(parsed) = BucketsExpr::from_expr(cx, &e) {
                        buckets.set_key(&path, &e, parsed);
                    }
                }),
                _ => {
                    report_unknown_key(cx, &arg.key, &key, TRACED, KEYS);
                    Ok(())
                }
            };
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }

        let ret = ret.get_with_tokens();
        let (err, err_if) = match err.get_with_tokens() {
            Some((tokens, (format, predicate))) => (Some((tokens, format)), predicate),
            None => (None, None),
        };
        // `otel_name = expr` is the field `otel.name = %expr`: recorded,
        // listed and checked for secrets as every field is.
        let otel_name = otel_name.get_with_tokens().map(|(tokens, expr)| FieldArg {
            name: (tokens, obs_rules::semconv::attribute::OTEL_NAME.to_owned()),
            key: quote!(otel.name),
            not_secret: None,
            value: Some((Sigil::Display, expr)),
        });
        Some(Traced {
            function,
            level: level.get_with_tokens(),
            name: name.get_with_tokens(),
            target: target.get_with_tokens(),
            kind: kind.get_with_tokens(),
            fields: fields.get_with_tokens().map(|(_, v)| v).unwrap_or_default(),
            redact: redact.get_with_tokens().map(|(_, v)| v).unwrap_or_default(),
            skip: skip.get_with_tokens(),
            err,
            err_if,
            error_if: error_if.get_with_tokens(),
            otel_name,
            ret_not_secret: ret.as_ref().is_some_and(|(_, (_, not_secret))| *not_secret),
            ret: ret.map(|(tokens, (format, _))| (tokens, format)),
            parent: parent.get_with_tokens().map(|(_, v)| v),
            remote_parent: remote_parent.get_with_tokens(),
            follows_from: follows_from.get_with_tokens().map(|(_, v)| v),
            metrics: metrics.get_with_tokens().map(|(tokens, ())| tokens),
            objectives: objectives.get_with_tokens(),
            buckets: buckets.get_with_tokens(),
            arguments: arguments(&function.sig),
        })
    }

    /// The span name: `name = "…"` or the function's name.
    pub(crate) fn span_name(&self) -> (TokenStream, String) {
        match &self.name {
            Some(name) => name.clone(),
            None => {
                let ident = &self.function.sig.ident;
                (quote!(#ident), ident.unraw().to_string())
            }
        }
    }

    /// Whether the body ends in an `async` block whose output `err`, `ret`
    /// and `metrics` read (see [`MaybeItemFn::tail_async`]).
    pub(crate) fn tail_async(&self) -> bool {
        self.function.tail_async.is_some()
    }

    /// The declared return type, if any.
    pub(crate) fn output(&self) -> Option<&Type> {
        match &self.function.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some(ty),
        }
    }

    /// The type of the value `err`, `ret` and `metrics` see: the return type,
    /// or `T` of `impl Future<Output = T>` when the body ends in an `async`
    /// block.
    pub(crate) fn value_type(&self) -> Option<&Type> {
        let output = self.output()?;
        match future_output(output) {
            Some(inner) if self.tail_async() => Some(inner),
            _ => Some(output),
        }
    }

    /// Whether the return type is `impl Future<…>` that the expansion cannot
    /// see into (the body does not end in an `async` block).
    pub(crate) fn opaque_future(&self) -> bool {
        !self.tail_async() && self.output().and_then(future_output).is_some()
    }

    /// Whether the value type is (syntactically) a `Result`.
    pub(crate) fn returns_result(&self) -> bool {
        self.value_type().is_some_and(|ty| types::is(ty, "Result"))
    }

    /// Every field the span records from the attribute: `fields(...)`, then
    /// `otel_name`.
    pub(crate) fn recorded_fields(&self) -> impl Iterator<Item = &FieldArg> {
        self.fields.iter().chain(&self.otel_name)
    }

    pub(crate) fn argument(&self, ident: &str) -> Option<&Argument<'a>> {
        self.arguments.iter().find(|arg| arg.ident == ident)
    }
}

/// `T` in `impl Future<Output = T> + …`.
fn future_output(ty: &Type) -> Option<&Type> {
    let Type::ImplTrait(bounds) = ty else {
        return None;
    };
    bounds.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        if last.ident != "Future" {
            return None;
        }
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}
