//! The rules of `#[traced]`. Name, level and kind rules live in `obs-rules`.

use super::ast::Traced;
use super::policy::Policy;
use crate::ctxt::Ctxt;
use std::collections::HashMap;
use syn::{Expr, Visibility};

pub(crate) fn check(cx: &Ctxt, traced: &Traced<'_>, policy: Option<&Policy>) {
    check_level(cx, traced);
    check_name(cx, traced);
    check_kind(cx, traced);
    check_skip(cx, traced);
    check_err(cx, traced);
    check_ret(cx, traced);
    check_fields(cx, traced);
    check_redact(cx, traced);
    if let Some(policy) = policy {
        check_policy(cx, traced, policy);
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
            violation.message = format!(
                "the span name derived from the function, {}",
                violation.message
            );
            violation.help = Some(format!(
                "name the span: `#[traced(name = \"{}\")]`",
                obs_rules::suggest_snake_case(&name)
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
    if let Some(tokens) = &traced.skip {
        cx.error_with_help(
            tokens,
            "`skip` is not needed: `#[traced]` records no argument unless asked",
            "remove `skip(...)`; record the arguments you need with `fields(arg)`",
        );
    }
}

// `err` reads the `Err` of a `Result`; on anything else it would never fire.
fn check_err(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, _)) = &traced.err {
        if !traced.returns_result() {
            cx.error_with_help(
                tokens,
                &format!(
                    "`err` needs a function returning `Result`, and `{}` does not",
                    traced.function.sig.ident
                ),
                "remove `err`, or return a `Result`",
            );
        }
    }
}

// `ret` records the return value; a function returning `()` has none.
fn check_ret(cx: &Ctxt, traced: &Traced<'_>) {
    if let Some((tokens, _)) = &traced.ret {
        let unit = match traced.output() {
            None => true,
            Some(syn::Type::Tuple(tuple)) => tuple.elems.is_empty(),
            _ => false,
        };
        if unit {
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

// Fields name real arguments (or give a value), appear once, and never
// record a secret-looking argument verbatim.
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
            continue;
        }
        if traced.redact.iter().any(|r| r == name) {
            cx.error_with_help(
                tokens,
                &format!("`{name}` is both recorded and redacted"),
                &format!("keep `redact({name})` to record `[redacted]`, or remove it to record the value"),
            );
            continue;
        }
        match &field.value {
            None => {
                if traced.argument(name).is_none() {
                    let arguments: Vec<String> = traced
                        .arguments
                        .iter()
                        .map(|a| format!("`{}`", a.ident))
                        .collect();
                    let help = if arguments.is_empty() {
                        format!("give it a value: `fields({name} = …)`")
                    } else {
                        format!(
                            "record one of the arguments ({}) or give it a value: `fields({name} = …)`",
                            arguments.join(", ")
                        )
                    };
                    cx.error_with_help(
                        tokens,
                        &format!(
                            "`{name}` is not an argument of `{}`",
                            traced.function.sig.ident
                        ),
                        &help,
                    );
                } else {
                    check_not_secret(cx, tokens, name, name);
                }
            }
            Some((_, expr)) => {
                if let Some(ident) = bare_ident(expr) {
                    if traced.argument(&ident).is_some() {
                        check_not_secret(cx, expr, &ident, name);
                    }
                }
                if let Some(word) = obs_rules::secret_word(name) {
                    cx.error_with_help(
                        tokens,
                        &format!("field `{name}` looks like a secret (`{word}`) and would be recorded verbatim"),
                        "record something derived from it instead (e.g. its length), or nothing",
                    );
                }
            }
        }
    }
}

fn check_not_secret(cx: &Ctxt, tokens: impl quote::ToTokens, argument: &str, field: &str) {
    if let Some(word) = obs_rules::secret_word(argument) {
        cx.error_with_help(
            tokens,
            &format!(
                "argument `{argument}` looks like a secret (`{word}`) and would be recorded verbatim as `{field}`"
            ),
            &format!("write `redact({argument})` to record `[redacted]` instead"),
        );
    }
}

/// `x`, `%x` or `?x` (the sigil is parsed separately): the identifier.
fn bare_ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(|i| i.to_string()),
        Expr::Reference(reference) => bare_ident(&reference.expr),
        Expr::Paren(paren) => bare_ident(&paren.expr),
        _ => None,
    }
}

// `redact(x)` names a real argument, once.
fn check_redact(cx: &Ctxt, traced: &Traced<'_>) {
    let mut seen: HashMap<String, ()> = HashMap::new();
    for ident in &traced.redact {
        let name = ident.to_string();
        if traced.argument(&name).is_none() {
            cx.error_with_help(
                ident,
                &format!(
                    "`{name}` is not an argument of `{}`",
                    traced.function.sig.ident
                ),
                "`redact(...)` names arguments to record as `[redacted]`",
            );
        } else if seen.insert(name.clone(), ()).is_some() {
            cx.error_with_help(ident, &format!("`{name}` is redacted twice"), "keep one");
        }
    }
}

const ORDER: &[&str] = &["trace", "debug", "info", "warn", "error"];

fn severity(level: &str) -> usize {
    ORDER.iter().position(|l| *l == level).unwrap_or(0)
}

// The crate's level policy (obs.toml): levels allowed per span-name pattern,
// and a minimum level for public functions, which are entry points.
fn check_policy(cx: &Ctxt, traced: &Traced<'_>, policy: &Policy) {
    let (name_tokens, name) = traced.span_name();
    let (tokens, level) = match &traced.level {
        Some((tokens, level)) => (tokens.clone(), level.clone()),
        None => (
            name_tokens,
            policy
                .default_level
                .as_ref()
                .map_or_else(|| "info".to_owned(), |d| d.value.clone()),
        ),
    };
    if obs_rules::check_span_level(&level).is_err() {
        return; // already reported
    }
    if let Some(rule) = policy.rule_for(&name) {
        let (pattern, allowed) = &rule.value;
        if !allowed.contains(&level) {
            let allowed_list: Vec<String> = allowed.iter().map(|l| format!("`{l}`")).collect();
            cx.error_with_help(
                &tokens,
                &format!(
                    "span `{name}` is at level `{level}`, but the level policy ({}) allows only {} for `{pattern}`",
                    policy.location(rule.line),
                    allowed_list.join(" or ")
                ),
                &format!("write `level = \"{}\"`", allowed[0]),
            );
        }
    }
    if let (Some(min), Visibility::Public(_)) = (&policy.public_min_level, &traced.function.vis) {
        if severity(&level) < severity(&min.value) {
            cx.error_with_help(
                &tokens,
                &format!(
                    "public function `{}` is an entry point, and the level policy ({}) wants entry points at `{}` or above, not `{level}`",
                    traced.function.sig.ident,
                    policy.location(min.line),
                    min.value
                ),
                &format!("write `level = \"{}\"`, or make the function private", min.value),
            );
        }
    }
}
