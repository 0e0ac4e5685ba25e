//! Code generation for `#[traced]`, from a checked attribute.
//!
//! The span is a `tracing` span (a `static` callsite with a cached interest,
//! so a disabled span costs one relaxed load, and levels above the
//! compile-time maximum are removed by the optimizer). The user's body stays
//! one block: inline when nothing reads its result, in a closure (sync) or an
//! `async move` block (async) when `err`, `ret` or `metrics` must see it.

use super::ast::{Format, MaybeItemFn, Sigil, Traced};
use super::policy::Policy;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{Expr, Stmt, Type};

const PRIVATE: &str = "::obs_runtime::__private";

pub(crate) fn impl_traced(
    traced: &Traced<'_>,
    function: &MaybeItemFn,
    policy: Option<&Policy>,
) -> TokenStream {
    let private: TokenStream = PRIVATE.parse().unwrap_or_default();
    let MaybeItemFn {
        attrs,
        vis,
        sig,
        body,
    } = function;
    let (_, name) = traced.span_name();
    let level = effective_level(traced, policy);
    let level_ident = format_ident!("{}", level.to_uppercase());
    let span_level = format_ident!("{}", capitalize(&level));
    let kind = traced.kind.as_ref().map_or("internal", |(_, k)| k.as_str());
    let span_kind = format_ident!("{}", capitalize(kind));
    let target = match &traced.target {
        Some((_, target)) => quote!(#target),
        None => quote!(::core::module_path!()),
    };

    // --- span fields ---
    let mut field_names: Vec<String> = vec!["otel.kind".into()];
    let mut fields: Vec<TokenStream> = vec![quote!(otel.kind = #kind)];
    for field in &traced.fields {
        let (tokens, text) = &field.name;
        field_names.push(text.clone());
        let value = match &field.value {
            Some((Sigil::Display, expr)) => quote!(%#expr),
            Some((Sigil::Debug, expr)) => quote!(?#expr),
            Some((Sigil::Value, expr)) => quote!(#expr),
            None => argument_value(traced, text),
        };
        fields.push(quote!(#tokens = #value));
    }
    for ident in &traced.redact {
        field_names.push(ident.to_string());
        fields.push(quote!(#ident = "[redacted]"));
    }
    if traced.err.is_some() {
        field_names
            .extend(["otel.status_code", "error.type", "exception.message"].map(String::from));
        fields.push(quote! {
            otel.status_code = #private::tracing::field::Empty,
            error.type = #private::tracing::field::Empty,
            exception.message = #private::tracing::field::Empty
        });
    }
    if traced.ret.is_some() {
        field_names.push("ret".into());
        fields.push(quote!(ret = #private::tracing::field::Empty));
    }

    let parent = traced
        .parent
        .as_ref()
        .map(|parent| quote!(parent: #parent,));
    let span = quote! {
        let __obs_span = #private::tracing::span!(
            target: #target, #parent #private::tracing::Level::#level_ident, #name, #(#fields),*
        );
    };
    let follows_from = traced
        .follows_from
        .as_ref()
        .map(|from| quote!(__obs_span.follows_from(#from);));

    let metrics = traced.metrics.is_some();
    let descriptor = quote! {
        #[#private::linkme::distributed_slice(#private::SPAN_DESCRIPTORS)]
        #[linkme(crate = #private::linkme)]
        static __OBS_SPAN_DESCRIPTOR: #private::SpanDescriptor = #private::SpanDescriptor {
            name: #name,
            level: #private::SpanLevel::#span_level,
            kind: #private::SpanKind::#span_kind,
            target: #target,
            fields: &[#(#field_names),*],
            module: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
            metrics: #metrics,
        };
    };
    let red = metrics.then(|| {
        quote! {
            static __OBS_FUNCTION_METRICS: #private::FunctionMetrics =
                #private::FunctionMetrics::new(#name, ::core::module_path!());
        }
    });

    let output = traced.output();
    let annotated = output.filter(|ty| !contains_impl(ty));
    let result_type = annotated.map(|ty| quote!(: #ty));
    let needs_result = traced.err.is_some() || traced.ret.is_some() || metrics;
    let inspect = inspect_result(traced, &private);
    let timer = metrics.then(|| quote!(let mut __obs_timer = __OBS_FUNCTION_METRICS.start();));
    let finish = metrics.then(|| quote!(::core::mem::drop(__obs_timer);));

    let instrumented = if sig.asyncness.is_some() {
        let future = quote!(async move #body);
        if needs_result {
            quote! {
                #timer
                let __obs_result #result_type =
                    #private::Instrument::instrument(#future, ::core::clone::Clone::clone(&__obs_span)).await;
                #inspect
                #finish
                __obs_result
            }
        } else {
            quote!(#private::Instrument::instrument(#future, __obs_span).await)
        }
    } else if let Some((prefix, future)) = tail_async_block(body) {
        // `fn f() -> impl Future { …; async move { … } }`: the span covers the
        // synchronous prefix and every poll of the returned future.
        let wrapped = if needs_result {
            quote! {
                async move {
                    #timer
                    let __obs_result = #future.await;
                    #inspect
                    #finish
                    __obs_result
                }
            }
        } else {
            future
        };
        quote! {
            let __obs_future_span = ::core::clone::Clone::clone(&__obs_span);
            let __obs_entered = __obs_span.enter();
            #(#prefix)*
            #private::Instrument::instrument(#wrapped, __obs_future_span)
        }
    } else if needs_result {
        quote! {
            let __obs_entered = __obs_span.enter();
            #timer
            #[allow(clippy::redundant_closure_call)]
            let __obs_result #result_type = (move || #body)();
            #inspect
            #finish
            __obs_result
        }
    } else {
        quote! {
            let __obs_entered = __obs_span.enter();
            #body
        }
    };

    // A never-taken return of the declared type keeps type inference as it
    // is without the attribute (tracing-attributes does the same).
    let fake_return = match (annotated, sig.asyncness.is_some()) {
        (Some(ty), false) => Some(quote! {
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
            if false {
                let __obs_fake_return: #ty = loop {};
                return __obs_fake_return;
            }
        }),
        _ => None,
    };
    let track_policy = policy
        .and_then(|p| p.path.to_str().map(str::to_owned))
        .map(|path| {
            // Rebuild when the policy changes.
            quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });

    quote_spanned! {Span::mixed_site()=>
        #(#attrs)*
        #vis #sig {
            #track_policy
            #descriptor
            #red
            #fake_return
            #span
            #follows_from
            #instrumented
        }
    }
}

fn effective_level(traced: &Traced<'_>, policy: Option<&Policy>) -> String {
    match (&traced.level, policy.and_then(|p| p.default_level.as_ref())) {
        (Some((_, level)), _) => level.clone(),
        (None, Some(default)) => default.value.clone(),
        (None, None) => "info".to_owned(),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// How a bare `fields(arg)` records the argument: primitives and `&str` as
/// values, `String` with `Display`, everything else with `Debug`.
fn argument_value(traced: &Traced<'_>, name: &str) -> TokenStream {
    let Some(argument) = traced.argument(name) else {
        return quote!(::core::compile_error!("unknown argument"));
    };
    let ident = &argument.ident;
    match argument.ty.map(type_class) {
        Some(ArgClass::Value) => quote!(#ident),
        Some(ArgClass::Display) => quote!(%#ident),
        _ => quote!(?#ident),
    }
}

enum ArgClass {
    Value,
    Display,
    Debug,
}

fn type_class(ty: &Type) -> ArgClass {
    match ty {
        Type::Reference(reference) => match type_class(&reference.elem) {
            ArgClass::Value | ArgClass::Display => ArgClass::Value,
            ArgClass::Debug => ArgClass::Debug,
        },
        Type::Path(path) => match path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .as_deref()
        {
            Some(
                "bool" | "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32"
                | "f64" | "usize" | "isize" | "str",
            ) => ArgClass::Value,
            Some("String") => ArgClass::Display,
            _ => ArgClass::Debug,
        },
        _ => ArgClass::Debug,
    }
}

/// What happens once the result is known: error status on the span, the
/// return value recorded, the call marked failed for RED metrics.
fn inspect_result(traced: &Traced<'_>, private: &TokenStream) -> TokenStream {
    let record_error = traced.err.as_ref().map(|(_, format)| match format {
        Format::Display => quote!(#private::record_error_display(&__obs_span, __obs_error);),
        Format::Debug => quote!(#private::record_error_debug(&__obs_span, __obs_error);),
    });
    let fail = traced.metrics.as_ref().map(|_| quote!(__obs_timer.fail();));
    let record_ret = |value: TokenStream| {
        traced.ret.as_ref().map(|(_, format)| {
            let value = match format {
                Format::Display => quote!(#private::tracing::field::display(#value)),
                Format::Debug => quote!(#private::tracing::field::debug(#value)),
            };
            quote!(__obs_span.record("ret", #value);)
        })
    };
    if traced.returns_result() {
        let on_ok = record_ret(quote!(__obs_value));
        let ok_binding = if on_ok.is_some() {
            quote!(__obs_value)
        } else {
            quote!(_)
        };
        quote! {
            match &__obs_result {
                ::core::result::Result::Ok(#ok_binding) => { #on_ok }
                ::core::result::Result::Err(__obs_error) => {
                    let _ = __obs_error;
                    #record_error
                    #fail
                }
            }
        }
    } else {
        record_ret(quote!(&__obs_result)).into_token_stream()
    }
}

/// A body whose last statement is an `async` block: its other statements and
/// that block.
fn tail_async_block(body: &proc_macro2::Group) -> Option<(Vec<Stmt>, TokenStream)> {
    let block: syn::Block = syn::parse2(body.to_token_stream()).ok()?;
    let mut stmts = block.stmts;
    match stmts.last() {
        Some(Stmt::Expr(Expr::Async(_), None)) => {}
        _ => return None,
    }
    let Some(Stmt::Expr(tail, None)) = stmts.pop() else {
        return None;
    };
    Some((stmts, tail.into_token_stream()))
}

fn contains_impl(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|token| matches!(&token, proc_macro2::TokenTree::Ident(i) if i == "impl"))
        || ty.to_token_stream().to_string().contains("impl ")
}
