//! Code generation for `#[traced]`, from a checked attribute.
//!
//! The span is a `tracing` span (a `static` callsite with a cached interest,
//! so a disabled span costs one relaxed load, and levels above the
//! compile-time maximum are removed by the optimizer). The user's body stays
//! one block: inline when nothing reads its result, in a closure (sync) or an
//! `async move` block (async) when `err`, `ret` or `metrics` must see it.

use super::ast::{ErrFormat, Format, MaybeItemFn, Sigil, Traced};
use super::policy::Policy;
use super::shapes::Shapes;
use crate::types;
use obs_rules::{SpanKind, SpanLevel};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Type;

/// `quote!` with `Span::mixed_site()`: the locals the expansion declares
/// (`__obs_span`, `__obs_result`, …) are invisible to the user's code, and the
/// user's cannot shadow them.
macro_rules! quote_mixed {
    ($($tt:tt)*) => {
        quote_spanned!(Span::mixed_site()=> $($tt)*)
    };
}
pub(super) use quote_mixed;

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
        tail_async,
    } = function;
    let (_, name) = traced.span_name();
    // Checked already: expansion runs only when every check passed.
    let level = SpanLevel::parse(&effective_level(traced, policy)).unwrap_or(SpanLevel::Info);
    let level_ident = format_ident!("{}", level.tracing_name());
    let span_level = format_ident!("{}", level.variant());
    let kind = traced
        .kind
        .as_ref()
        .map_or(Ok(SpanKind::default()), |(_, k)| SpanKind::parse(k));
    let kind = kind.unwrap_or_default();
    let span_kind = format_ident!("{}", kind.variant());
    let kind = kind.as_str();
    let target = match &traced.target {
        Some((_, target)) => quote_mixed!(#target),
        None => quote_mixed!(::core::module_path!()),
    };

    let (field_names, fields) = span_fields(traced, &private, kind);

    let parent = traced
        .parent
        .as_ref()
        .map(|parent| quote_mixed!(parent: #parent,));
    let new_span = quote_mixed! {
        #private::tracing::span!(
            target: #target, #parent #private::tracing::Level::#level_ident, #name, #(#fields),*
        )
    };
    let span = quote_mixed!(let __obs_span = #new_span;);
    // The remote parent is set before the span is first entered, when
    // tracing-opentelemetry still accepts a new parent.
    let remote_parent = traced.remote_parent.as_ref().map(|(_, remote)| {
        // Spanned at the expression, so a missing feature or a wrong type
        // is reported there.
        let call = quote::quote_spanned!(remote.span()=> #private::set_remote_parent);
        let argument = quote::quote_spanned!(remote.span()=> &(#remote));
        quote_mixed!(#call(&__obs_span, #argument);)
    });
    let follows_from = traced
        .follows_from
        .as_ref()
        .map(|from| quote_mixed!(__obs_span.follows_from(#from);));

    let metrics = traced.metrics.is_some();
    let objectives =
        crate::objective::expand(traced.objectives.as_ref().map_or(&[][..], |(_, o)| o));
    // The duration buckets: the function's own, or the RED default; the
    // cells are a static of one more (for `+Inf`).
    let custom = traced.buckets.as_ref().and_then(|(_, b)| b.evaluate().ok());
    let bounds = match &custom {
        Some(bounds) => quote_mixed!(&[#(#bounds),*]),
        None if metrics => quote_mixed!(&#private::DURATION_BUCKETS),
        None => quote_mixed!(&[]),
    };
    // The descriptor is written by a declarative macro of obs-runtime: its
    // tokens are built by rustc's macro expander, not one by one across the
    // proc-macro bridge, which is most of this macro's cost.
    let descriptor = quote_mixed! {
        ::obs_runtime::__span_descriptor!(
            #name, #span_level, #span_kind, #target, [#(#field_names),*], #metrics, #objectives, #bounds
        );
    };
    let red = metrics.then(|| {
        quote_mixed! {
            static __OBS_DURATION_CELLS: [#private::BucketCell; #private::bucket_cells(#bounds)] =
                #private::duration_cells();
            static __OBS_FUNCTION_METRICS: #private::FunctionMetrics = #private::FunctionMetrics::new(
                #name,
                ::core::module_path!(),
                #bounds,
                &__OBS_DURATION_CELLS,
            );
        }
    });

    let output = traced.output();
    let annotated = output.filter(|ty| !contains_impl(ty));
    let result_type = annotated.map(|ty| quote_mixed!(: #ty));
    let needs_result =
        traced.err.is_some() || traced.error_if.is_some() || traced.ret.is_some() || metrics;
    let timer =
        metrics.then(|| quote_mixed!(let mut __obs_timer = __OBS_FUNCTION_METRICS.start();));
    // Reached when the call returns; a timer dropped without it (an async
    // call's future dropped mid-way) counts the call as cancelled.
    let finish = metrics.then(|| quote_mixed!(__obs_timer.finish();));

    // A never-taken return of the declared type keeps type inference as it
    // is without the attribute (tracing-attributes does the same): `into()`,
    // `collect()` and `?` see the return type, and a mistake in the body is
    // reported at the body's expression, not at the attribute.
    // The `return` is located at the return type (with the expansion's
    // hygiene), where rustc's "return type inferred here" notes then point.
    let fake_return = annotated.map(|ty| {
        let at_type = ty.span().resolved_at(Span::mixed_site());
        let return_value = quote_spanned!(at_type=> return __obs_fake_return;);
        quote_mixed! {
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
            if false {
                let __obs_fake_return: #ty = loop {};
                #return_value
            }
        }
    });

    // Between polls the function's span is not entered: the call is
    // recorded inside it, so that an exemplar carries its span id, not the
    // caller's.
    let finish_in_span =
        metrics.then(|| quote_mixed!(__obs_span.in_scope(|| __obs_timer.finish());));

    let shapes = Shapes {
        traced,
        private: &private,
        new_span: &new_span,
        remote_parent: remote_parent.as_ref(),
        follows_from: follows_from.as_ref(),
        level: &level_ident,
        timer: timer.as_ref(),
        finish: finish.as_ref(),
        finish_in_span: finish_in_span.as_ref(),
        fake_return: fake_return.as_ref(),
        result_type: result_type.as_ref(),
        returns: annotated.map(|ty| quote_mixed!(-> #ty)),
        needs_result,
    };
    let (instrumented, deferred) = if sig.asyncness.is_some() {
        (shapes.async_fn(body), false)
    } else if let Some((prefix, future)) = tail_async {
        (shapes.returns_future(prefix, future), false)
    } else if needs_result {
        (shapes.sync_fn(body), false)
    } else {
        (shapes.plain_fn(body), true)
    };

    // The span, its remote parent and links, unless the plain case above
    // creates them only when the level is enabled.
    let prologue = (!deferred).then(|| quote_mixed!(#span #remote_parent #follows_from));
    // In an `async fn`, the fake return is inside the body's `async` block.
    let fake_return = fake_return.filter(|_| sig.asyncness.is_none());

    let track_policy = policy
        .and_then(|p| p.path.to_str().map(str::to_owned))
        .map(|path| {
            // Rebuild when the policy changes.
            quote_mixed!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });

    // For `integer_as_i64`.
    let field_traits = quote_mixed! {
        #[allow(unused_imports)]
        use #private::{AsValue as _, ViaInteger as _, ViaValue as _};
    };

    quote_mixed! {
        #(#attrs)*
        #vis #sig {
            #field_traits
            #track_policy
            #descriptor
            #red
            #fake_return
            #prologue
            #instrumented
        }
    }
}

/// The span's fields, declared when it is created: its kind, what
/// `fields(...)` and `redact(...)` list, and the empty fields `err` and
/// `ret` fill in; with their names, for the span catalog.
fn span_fields(
    traced: &Traced<'_>,
    private: &TokenStream,
    kind: &str,
) -> (Vec<String>, Vec<TokenStream>) {
    let mut field_names: Vec<String> = vec![obs_rules::TRACED_KIND_FIELD.into()];
    let mut fields: Vec<TokenStream> = vec![quote_mixed!(otel.kind = #kind)];
    for field in traced.recorded_fields() {
        let (_, text) = &field.name;
        field_names.push(text.clone());
        let value = match &field.value {
            Some((Sigil::Display, expr)) => quote_mixed!(%#expr),
            Some((Sigil::Debug, expr)) => quote_mixed!(?#expr),
            Some((Sigil::Value, expr)) => integer_as_i64(private, expr),
            None => argument_value(traced, private, text),
        };
        let key = &field.key;
        fields.push(quote_mixed!(#key = #value));
    }
    for ident in &traced.redact {
        field_names.push(ident.to_string());
        fields.push(quote_mixed!(#ident = "[redacted]"));
    }
    if traced.err.is_some() {
        field_names.extend(obs_rules::TRACED_ERROR_FIELDS.map(String::from));
        fields.push(quote_mixed! {
            otel.status_code = #private::tracing::field::Empty,
            otel.status_description = #private::tracing::field::Empty,
            error.type = #private::tracing::field::Empty,
            exception.message = #private::tracing::field::Empty
        });
    } else if traced.error_if.is_some() {
        // The fields `record_failure` fills in.
        let [status, _, error_type, _] = obs_rules::TRACED_ERROR_FIELDS;
        field_names.extend([status, error_type].map(String::from));
        fields.push(quote_mixed! {
            otel.status_code = #private::tracing::field::Empty,
            error.type = #private::tracing::field::Empty
        });
    }
    if traced.ret.is_some() {
        field_names.push(obs_rules::TRACED_RETURN_FIELD.into());
        fields.push(quote_mixed!(ret = #private::tracing::field::Empty));
    }
    (field_names, fields)
}

fn effective_level(traced: &Traced<'_>, policy: Option<&Policy>) -> String {
    match (&traced.level, policy.and_then(|p| p.default_level.as_ref())) {
        (Some((_, level)), _) => level.clone(),
        (None, Some(default)) => default.value.clone(),
        (None, None) => obs_rules::DEFAULT_SPAN_LEVEL.to_owned(),
    }
}

/// A field given as a value (`fields(size = items.len())`): an unsigned or
/// 128-bit integer as an `i64`, which OpenTelemetry exports as an integer
/// (`tracing` would record it in a way the OpenTelemetry layer exports as
/// text); any other value as it is. See obs-runtime's `trace/value.rs`.
fn integer_as_i64(private: &TokenStream, value: impl ToTokens) -> TokenStream {
    // The traits are imported once, at the top of the function (the value
    // must not be inside a block: it borrows temporaries of the span macro's
    // statement).
    quote_mixed!((&#private::FieldValue(&(#value))).obs_field().as_value())
}

/// How a bare `fields(arg)` records the argument: primitives and `&str` as
/// values (integers as `i64`), `String` with `Display`, everything else with
/// `Debug`.
fn argument_value(traced: &Traced<'_>, private: &TokenStream, name: &str) -> TokenStream {
    let Some(argument) = traced.argument(name) else {
        return quote_mixed!(::core::compile_error!("unknown argument"));
    };
    let ident = &argument.ident;
    match argument.ty.map(type_class) {
        Some(ArgClass::Value) => integer_as_i64(private, ident),
        Some(ArgClass::Display) => quote_mixed!(%#ident),
        _ => quote_mixed!(?#ident),
    }
}

enum ArgClass {
    Value,
    Display,
    Debug,
}

/// How `tracing` can record an argument: the primitives it takes as values
/// (also behind a reference, which `tracing` takes as the value too), a
/// `String` by `Display`, anything else by `Debug`.
fn type_class(ty: &Type) -> ArgClass {
    let peeled = types::peel(ty);
    let behind_reference = !std::ptr::eq(peeled, ty);
    match types::name(peeled).as_deref() {
        Some(
            "bool" | "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64"
            | "usize" | "isize" | "str",
        ) => ArgClass::Value,
        Some("String") if behind_reference => ArgClass::Value,
        Some("String") => ArgClass::Display,
        _ => ArgClass::Debug,
    }
}

/// What happens once the result is known: error status on the span, the
/// return value recorded, the call marked failed for RED metrics. An `Err`
/// fails the call unless `err(if = …)` says it is expected; a returned value
/// (the `Ok` value of a `Result`) fails it when `error_if` holds on it.
pub(super) fn inspect_result(
    traced: &Traced<'_>,
    private: &TokenStream,
    span: &TokenStream,
) -> TokenStream {
    let record_error = traced.err.as_ref().map(|(_, format)| match format {
        ErrFormat::Message(Format::Display) => {
            quote_mixed!(#private::record_error_display(&#span, __obs_error);)
        }
        ErrFormat::Message(Format::Debug) => {
            quote_mixed!(#private::record_error_debug(&#span, __obs_error);)
        }
        ErrFormat::TypeOnly => quote_mixed!(#private::record_error_type(&#span, __obs_error);),
    });
    let fail = traced
        .metrics
        .as_ref()
        .map(|_| quote_mixed!(__obs_timer.fail();));
    let value = if traced.returns_result() {
        quote_mixed!(__obs_value)
    } else {
        quote_mixed!(&__obs_result)
    };
    let record_ret = traced.ret.as_ref().map(|(_, format)| {
        let value = match format {
            Format::Display => quote_mixed!(#private::tracing::field::display(#value)),
            Format::Debug => quote_mixed!(#private::tracing::field::debug(#value)),
        };
        quote_mixed!(#span.record("ret", #value);)
    });
    let on_value = traced.error_if.as_ref().map(|(_, predicate)| {
        let holds = holds(private, &value, predicate);
        quote_mixed! {
            if #holds {
                #private::record_failure(&#span);
                #fail
            }
        }
    });
    if !traced.returns_result() {
        return quote_mixed!(#record_ret #on_value);
    }
    let ok_binding = if record_ret.is_some() || on_value.is_some() {
        quote_mixed!(__obs_value)
    } else {
        quote_mixed!(_)
    };
    let on_error = quote_mixed!(#record_error #fail);
    let on_error = match &traced.err_if {
        Some(predicate) => {
            let holds = holds(private, &quote_mixed!(__obs_error), predicate);
            quote_mixed!(if #holds { #on_error })
        }
        None => on_error,
    };
    quote_mixed! {
        match &__obs_result {
            ::core::result::Result::Ok(#ok_binding) => { #record_ret #on_value }
            ::core::result::Result::Err(__obs_error) => {
                let _ = __obs_error;
                #on_error
            }
        }
    }
}

/// `predicate(value)`, through a function that gives the closure its
/// argument type; spanned at the predicate, so that a type error is
/// reported at the user's closure.
fn holds(private: &TokenStream, value: &TokenStream, predicate: &syn::Expr) -> TokenStream {
    let at = predicate.span().resolved_at(Span::mixed_site());
    let private = respan(private, at);
    quote_spanned!(at=> #private::holds(#value, #predicate))
}

/// `tokens` located at `span` (a path built from a string, which is at the
/// call site).
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

fn contains_impl(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|token| matches!(&token, proc_macro2::TokenTree::Ident(i) if i == "impl"))
        || ty.to_token_stream().to_string().contains("impl ")
}
