//! The rules of `#[traced]`. Name, level, kind and secret rules live in
//! `obs-rules`; secrets are applied in `secrets.rs`.

use super::ast::{FieldArg, Traced};
use super::policy::Policy;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use std::collections::HashMap;
use syn::Visibility;

pub(crate) fn check(cx: &Ctxt, traced: &Traced<'_>, policy: Option<&Policy>) {
    check_const(cx, traced);
    check_level(cx, traced);
    check_name(cx, traced);
    check_kind(cx, traced);
    check_skip(cx, traced);
    check_err(cx, traced);
    check_error_if(cx, traced);
    check_otel_name(cx, traced);
    check_ret(cx, traced);
    check_fields(cx, traced);
    check_reserved_fields(cx, traced);
    super::secrets::check_secrets(cx, traced);
    check_redact(cx, traced);
    check_parents(cx, traced);
    check_objectives(cx, traced);
    if let Some(policy) = policy {
        check_policy(cx, traced, policy);
    }
}

// Buckets and objectives belong to the RED metrics, so they need `metrics`;
// buckets follow the histogram rules, and a latency threshold must be one of
// the bounds (the function's own, or the RED default). The messages keep
// the existing wording for objectives.
fn check_objectives(cx: &Ctxt, traced: &Traced<'_>) {
    let buckets = match &traced.buckets {
        Some((tokens, buckets)) => {
            if traced.metrics.is_none() {
                cx.error_with_help(
                    tokens,
                    "`buckets` are the duration buckets of the function's RED metrics, which need `metrics`",
                    "write `#[traced(metrics, buckets = […])]`",
                );
            }
            match buckets.evaluate() {
                Ok(bounds) => Some(bounds),
                Err((at, violation)) => {
                    cx.violation(at.unwrap_or(tokens), violation);
                    None
                }
            }
        }
        None => Some(obs_rules::RED_DURATION_BUCKETS.to_vec()),
    };
    let Some((tokens, objectives)) = &traced.objectives else {
        return;
    };
    if traced.metrics.is_none() {
        cx.error_with_help(
            tokens,
            "`objective(…)` is measured on the function's RED metrics, which need `metrics`",
            "write `#[traced(metrics, objective(…))]`",
        );
    }
    // Invalid buckets are reported on their own.
    if let Some(buckets) = buckets {
        crate::objective::check(cx, objectives, &buckets);
    }
}

// A span is entered at run time, which a `const fn` cannot do.
fn check_const(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some(constness) = &traced.function.sig.constness {
        cx.error_with_help(
            constness,
            "`#[traced]` cannot go on a `const fn`: spans are entered at run time",
            "remove `const`, or trace the functions that call it",
        );
    }
}

// A level is one of tracing's five, spelled in lowercase.
fn check_level(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, level)) = &traced.level {
        if let Err(violation) = obs_rules::check_span_level(level) {
            cx.violation(tokens, violation);
        }
    }
}

// Span names are dot-separated lowercase segments, so that every backend
// groups and filters them the same way; a name derived from the function is
// held to the same rule.
fn check_name(cx: &Ctxt, traced: &Traced<'_>) {
    let (tokens, name) = traced.span_name();
    if let Err(mut violation) = obs_rules::check_span_name(&name) {
        if traced.name.is_none() {
            let subject = format!("span name `{name}`");
            violation.message = match violation.message.strip_prefix(&subject) {
                Some(rule) => format!("{subject}, derived from the function name,{rule}"),
                None => format!(
                    "the span name derived from the function name: {}",
                    violation.message
                ),
            };
            let suggestion = obs_rules::suggest_snake_case(&name);
            violation.help = Some(format!(
                "name the span: `#[traced(name = \"{suggestion}\")]`, or rename the function `{suggestion}`"
            ));
        }
        cx.violation(tokens, violation);
    }
}

// The kind maps to OpenTelemetry's span kinds.
fn check_kind(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, kind)) = &traced.kind {
        if let Err(violation) = obs_rules::check_span_kind(kind) {
            cx.violation(tokens, violation);
        }
    }
}

// Nothing is recorded by default, so `skip` (from `#[instrument]`) has
// nothing to skip; saying so beats silently accepting it.
fn check_skip(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, key)) = &traced.skip {
        cx.error_with_help(
            tokens,
            &format!("`{key}` is not needed: `#[traced]` records no argument unless asked"),
            &format!("remove `{key}`; record the arguments you need with `fields(arg)`"),
        );
    }
}

// `err` reads the `Err` of a `Result`; on anything else it would never fire.
fn check_err(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, _)) = &traced.err {
        if traced.opaque_future() {
            opaque_future(cx, tokens, "err", traced);
        } else if !traced.returns_result() {
            cx.error_with_help(
                tokens,
                &format!(
                    "`err` needs a function returning `Result`, and `{}` {}",
                    traced.function.sig.ident,
                    returns(traced)
                ),
                "remove `err`, or return a `Result`",
            );
        }
    }
}

// `error_if` reads the returned value (the `Ok` value of a `Result`); a
// function returning `()` has none. On a `Result`, an `Err` is the other
// half of failing: without `err` it would leave the span ok while an `Ok`
// value could mark it failed, which is never what is meant.
fn check_error_if(cx: &Ctxt, traced: &Traced<'_>) {
    let Some((tokens, _)) = &traced.error_if else {
        return;
    };
    let ident = &traced.function.sig.ident;
    if traced.opaque_future() {
        opaque_future(cx, tokens, "error_if", traced);
    } else if returns_unit(traced) {
        cx.error_with_help(
            tokens,
            &format!("`error_if` reads the return value, but `{ident}` returns nothing"),
            "remove `error_if`, or return the value that tells success from failure",
        );
    } else if traced.returns_result() && traced.err.is_none() {
        cx.error_with_help(
            tokens,
            &format!(
                "`error_if` reads the `Ok` value of the `Result` `{ident}` returns, and without `err` an `Err` would leave the span ok"
            ),
            "add `err`: `#[traced(err, error_if = …)]`; `err(if = |error| …)` chooses which errors count",
        );
    }
}

// `otel_name` is the exported name computed at run time (`{method}
// {route}`); a fixed name is `name`, which is checked.
fn check_otel_name(cx: &Ctxt, traced: &Traced<'_>) {
    let Some(FieldArg {
        value: Some((_, expr)),
        ..
    }) = &traced.otel_name
    else {
        return;
    };
    if let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(_),
        ..
    }) = expr
    {
        cx.error_with_help(
            expr,
            "`otel_name` is a span name computed at run time; a fixed name goes in `name`, where it is checked",
            "write `name = \"http.server.request\"`, or compute the name: `otel_name = format!(\"{method} {route}\")`",
        );
    }
}

fn returns_unit(traced: &Traced<'_>) -> bool {
    match traced.value_type() {
        None => true,
        Some(syn::Type::Tuple(tuple)) => tuple.elems.is_empty(),
        _ => false,
    }
}

// `ret` records the return value; a function returning `()` has none.
fn check_ret(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, _)) = &traced.ret {
        if traced.opaque_future() {
            opaque_future(cx, tokens, "ret", traced);
        } else if returns_unit(traced) {
            cx.error_with_help(
                tokens,
                &format!(
                    "`ret` records the return value, but `{}` returns nothing",
                    traced.function.sig.ident
                ),
                "remove `ret`",
            );
        }
    }
}

/// `err`/`ret`/`error_if` on `-> impl Future` whose output the expansion
/// cannot reach.
fn opaque_future(cx: &Ctxt, tokens: &TokenStream, key: &str, traced: &Traced<'_>) {
    cx.error_with_help(
        tokens,
        &format!(
            "`{key}` reads the output of the future `{}` returns, which needs its body to end in an `async` block",
            traced.function.sig.ident
        ),
        "end the body with `async move { … }`, or make it an `async fn`",
    );
}

/// `returns nothing`, ``returns `Option<u32>` `` or ``returns a future of
/// `u32` ``, for messages.
fn returns(traced: &Traced<'_>) -> String {
    match (traced.value_type(), traced.tail_async()) {
        (None, _) => "returns nothing".to_owned(),
        (Some(ty), false) => format!("returns `{}`", crate::display::type_name(ty)),
        (Some(ty), true) => format!("returns a future of `{}`", crate::display::type_name(ty)),
    }
}

// A field records an argument by name or gives a value, and each name is
// recorded once: `tracing` would keep only one of two values of one name.
fn check_fields(cx: &Ctxt, traced: &Traced<'_>) {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for field in &traced.fields {
        let (tokens, name) = &field.name;
        if seen.insert(name, ()).is_some() {
            cx.error_with_help(
                tokens,
                &format!("field `{name}` is recorded twice"),
                "keep one `fields(...)` entry per name",
            );
        } else if traced.redact.iter().any(|r| r == name) {
            cx.error_with_help(
                tokens,
                &format!("`{name}` is both recorded and redacted"),
                &format!("keep `redact({name})` to record `[redacted]`, or remove it to record the value"),
            );
        } else if field.value.is_none() && traced.argument(name).is_none() {
            let help = match argument_list(traced) {
                Some(arguments) => format!(
                    "record one of the arguments ({arguments}) or give it a value: `fields({name} = …)`"
                ),
                None => format!("give it a value: `fields({name} = …)`"),
            };
            cx.error_with_help(
                tokens,
                &format!(
                    "`{name}` is not an argument of `{}`",
                    traced.function.sig.ident
                ),
                &help,
            );
        }
    }
}

// `#[traced]` records `otel.kind` on every span, and `otel.status_code`,
// `otel.status_description`, `error.type`, `exception.message` (`err`,
// `error_if`), `otel.name` (`otel_name`) and `ret` (`ret`): a field of the
// same name would be recorded twice, one value hiding the other. The
// status is the macro's so that the span and the RED metrics agree.
fn check_reserved_fields(cx: &Ctxt, traced: &Traced<'_>) {
    for field in &traced.fields {
        let (tokens, name) = &field.name;
        let help = if name == obs_rules::semconv::attribute::OTEL_NAME {
            "write `otel_name = …` to name the exported span"
        } else if obs_rules::TRACED_ERROR_FIELDS.contains(&name.as_str()) {
            "use `err` to mark an `Err` failed, or `error_if = |value| …` for any other returned value"
        } else if RESERVED_FIELDS.contains(&name.as_str()) {
            "give the field another name"
        } else {
            continue;
        };
        cx.error_with_help(
            tokens,
            &format!("field `{name}` is recorded by `#[traced]` itself"),
            help,
        );
    }
}

const RESERVED_FIELDS: [&str; 2] = [obs_rules::TRACED_KIND_FIELD, obs_rules::TRACED_RETURN_FIELD];

/// The arguments as `` `a`, `b` ``, or `None` if there are none.
fn argument_list(traced: &Traced<'_>) -> Option<String> {
    let arguments: Vec<String> = traced
        .arguments
        .iter()
        .map(|a| format!("`{}`", a.ident))
        .collect();
    (!arguments.is_empty()).then(|| arguments.join(", "))
}

// `redact(x)` names a real argument, once.
fn check_redact(cx: &Ctxt, traced: &Traced<'_>) {
    let mut seen: HashMap<String, ()> = HashMap::new();
    for ident in &traced.redact {
        let name = ident.to_string();
        if traced.argument(&name).is_none() {
            let help = match argument_list(traced) {
                Some(arguments) => format!("redact one of the arguments: {arguments}"),
                None => format!(
                    "remove `{name}`: `{}` takes no arguments",
                    traced.function.sig.ident
                ),
            };
            cx.error_with_help(
                ident,
                &format!(
                    "`{name}` is not an argument of `{}`, so there is nothing to redact",
                    traced.function.sig.ident
                ),
                &help,
            );
        } else if seen.insert(name.clone(), ()).is_some() {
            cx.error_with_help(ident, &format!("`{name}` is redacted twice"), "keep one");
        }
    }
}

fn severity(level: &str) -> obs_rules::SpanLevel {
    obs_rules::SpanLevel::parse(level).unwrap_or(obs_rules::SpanLevel::Trace)
}

// The crate's level policy (obs.toml): levels allowed per span-name pattern,
// and a minimum level for public functions, which are entry points. An
// omitted level is the policy's `default_level`, and is held to both.
fn check_policy(cx: &Ctxt, traced: &Traced<'_>, policy: &Policy) {
    let (name_tokens, name) = traced.span_name();
    let (tokens, level, origin) = match (&traced.level, &policy.default_level) {
        (Some((tokens, level)), _) => (tokens.clone(), level.clone(), String::new()),
        (None, Some(default)) => (
            name_tokens,
            default.value.clone(),
            format!(" (`default_level`, {})", policy.location(default.line)),
        ),
        (None, None) => (
            name_tokens,
            obs_rules::DEFAULT_SPAN_LEVEL.to_owned(),
            " (the default)".to_owned(),
        ),
    };
    if obs_rules::check_span_level(&level).is_err() {
        return; // already reported
    }
    if let Some(rule) = policy.rule_for(&name) {
        let (pattern, allowed) = &rule.value;
        if let (false, Some(first)) = (allowed.contains(&level), allowed.first()) {
            let allowed_list: Vec<String> = allowed.iter().map(|l| format!("`{l}`")).collect();
            cx.error_with_help(
                &tokens,
                &format!(
                    "span `{name}` is at level `{level}`{origin}, but the level policy ({}) allows only {} for `{pattern}`",
                    policy.location(rule.line),
                    allowed_list.join(" or ")
                ),
                &format!("write `level = \"{first}\"`"),
            );
        }
    }
    if let (Some(min), Visibility::Public(_)) = (&policy.public_min_level, &traced.function.vis) {
        if severity(&level) < severity(&min.value) {
            cx.error_with_help(
                &tokens,
                &format!(
                    "public function `{}` is an entry point, and the level policy ({}) wants entry points at `{}` or above, not `{level}`{origin}",
                    traced.function.sig.ident,
                    policy.location(min.line),
                    min.value
                ),
                &format!("write `level = \"{}\"`, or make the function private", min.value),
            );
        }
    }
}

// A span has one parent: a local span (`parent`) or a context that arrived
// from another process (`remote_parent`), not both.
fn check_parents(cx: &Ctxt, traced: &Traced<'_>) {
    if let (Some(_), Some((tokens, _))) = (&traced.parent, &traced.remote_parent) {
        cx.error_with_help(
            tokens,
            "`parent` and `remote_parent` both set the span's parent",
            "keep `remote_parent` for a context extracted from headers, or `parent` for a local span",
        );
    }
}
