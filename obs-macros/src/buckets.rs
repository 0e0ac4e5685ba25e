//! Bucket expressions in `#[metric(buckets = …)]` and
//! `#[traced(metrics, buckets = …)]`, evaluated at compile time:
//! a literal list `[0.1, 0.5, 1.0]`, `exponential(start, factor, count)`,
//! `linear(start, width, count)`, or a set of the semantic conventions
//! (`semconv::http::DURATION_BUCKETS`, under any prefix), read from
//! obs-rules' table.

use crate::ctxt::Ctxt;
use crate::symbol::{EXPONENTIAL, LINEAR, SEMCONV};
use obs_rules::Violation;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprCall, ExprLit, ExprUnary, Lit, UnOp};

pub(crate) enum BucketsExpr {
    /// Each bound with its tokens, to point at the one that breaks a rule.
    List(Vec<(TokenStream, f64)>),
    Exponential {
        start: f64,
        factor: f64,
        count: usize,
    },
    Linear {
        start: f64,
        width: f64,
        count: usize,
    },
    /// A set of the conventions, checked already.
    Semconv(&'static [f64]),
}

impl BucketsExpr {
    pub(crate) fn from_expr(cx: &Ctxt, expr: &Expr) -> Option<Self> {
        match expr {
            Expr::Array(array) => {
                let bounds: Option<Vec<(TokenStream, f64)>> = array
                    .elems
                    .iter()
                    .map(|e| Some((e.to_token_stream(), number(cx, e)?)))
                    .collect();
                bounds.map(BucketsExpr::List)
            }
            Expr::Call(call) => from_call(cx, call),
            Expr::Path(path) => match from_semconv(cx, &path.path) {
                Some(set) => set,
                None => not_buckets(cx, expr),
            },
            _ => not_buckets(cx, expr),
        }
    }

    /// The bounds, or the rule they break and, for a list, the tokens of the
    /// bound that breaks it (`None`: the whole expression is at fault).
    pub(crate) fn evaluate(&self) -> Result<Vec<f64>, (Option<&TokenStream>, Violation)> {
        match *self {
            BucketsExpr::List(ref list) => {
                let bounds: Vec<f64> = list.iter().map(|(_, bound)| *bound).collect();
                obs_rules::check_buckets(&bounds).map_err(|violation| {
                    // The rule stops at the first bound that breaks it, so the
                    // shortest failing prefix ends at that bound.
                    let at = (1..=bounds.len())
                        .find(|&n| obs_rules::check_buckets(&bounds[..n]).is_err());
                    (at.map(|n| &list[n - 1].0), violation)
                })?;
                Ok(bounds)
            }
            BucketsExpr::Exponential {
                start,
                factor,
                count,
            } => obs_rules::exponential_buckets(start, factor, count).map_err(|v| (None, v)),
            BucketsExpr::Linear {
                start,
                width,
                count,
            } => obs_rules::linear_buckets(start, width, count).map_err(|v| (None, v)),
            BucketsExpr::Semconv(bounds) => Ok(bounds.to_vec()),
        }
    }
}

fn not_buckets(cx: &Ctxt, expr: &Expr) -> Option<BucketsExpr> {
    cx.error_with_help(
        expr,
        "`buckets` must be a list of numbers, a generated form or a set of the conventions",
        "write `buckets = [0.005, 0.01, 0.1, 1.0]`, `buckets = exponential(0.001, 2.0, 16)`, `buckets = linear(0.1, 0.1, 10)` or `buckets = semconv::http::DURATION_BUCKETS`",
    );
    None
}

/// `semconv::{module}::{NAME}`, under any prefix (`obs_runtime::semconv::…`):
/// `None` for another path, `Some(None)` for an unknown set (reported).
fn from_semconv(cx: &Ctxt, path: &syn::Path) -> Option<Option<BucketsExpr>> {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let [.., semconv, module, name] = &segments[..] else {
        return None;
    };
    if semconv != SEMCONV {
        return None;
    }
    Some(match obs_rules::semconv::buckets(module, name) {
        Ok(bounds) => Some(BucketsExpr::Semconv(bounds)),
        Err(violation) => {
            cx.violation(path, violation);
            None
        }
    })
}

fn from_call(cx: &Ctxt, call: &ExprCall) -> Option<BucketsExpr> {
    let form = match &*call.func {
        Expr::Path(path) if path.path.is_ident(EXPONENTIAL) => EXPONENTIAL,
        Expr::Path(path) if path.path.is_ident(LINEAR) => LINEAR,
        other => {
            cx.error_with_help(
                other,
                "unknown bucket form",
                "use `exponential(start, factor, count)` or `linear(start, width, count)`",
            );
            return None;
        }
    };
    let args: Vec<&Expr> = call.args.iter().collect();
    let [start, step, count] = args[..] else {
        let second = if form == EXPONENTIAL {
            "factor"
        } else {
            "width"
        };
        cx.error_with_help(
            call,
            &format!("`{form}` takes 3 arguments, not {}", args.len()),
            &format!("write `{form}(start, {second}, count)`"),
        );
        return None;
    };
    let (start, step, count) = (number(cx, start)?, number(cx, step)?, integer(cx, count)?);
    Some(if form == EXPONENTIAL {
        BucketsExpr::Exponential {
            start,
            factor: step,
            count,
        }
    } else {
        BucketsExpr::Linear {
            start,
            width: step,
            count,
        }
    })
}

/// A numeric literal, possibly negated.
fn number(cx: &Ctxt, expr: &Expr) -> Option<f64> {
    let parsed = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<f64>().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => return number(cx, expr).map(|n| -n),
        // Spelled-out non-finite constants parse, so the bucket rule can say
        // why they are wrong.
        Expr::Path(path) => match path.path.segments.last().map(|s| s.ident.to_string()) {
            Some(name) if name == "INFINITY" => Some(f64::INFINITY),
            Some(name) if name == "NEG_INFINITY" => Some(f64::NEG_INFINITY),
            Some(name) if name == "NAN" => Some(f64::NAN),
            _ => None,
        },
        _ => None,
    };
    match parsed {
        None => {
            cx.error_with_help(
                expr,
                "bucket bounds must be number literals",
                "write the bound as a literal such as `0.25`",
            );
            None
        }
        // A literal too large for `f64` parses as infinity: say so at the
        // literal rather than report a bound of `inf` the user never wrote.
        Some(value) if value.is_infinite() && matches!(expr, Expr::Lit(_)) => {
            cx.error_with_help(
                expr,
                &format!("`{}` is too large for an `f64`", expr.to_token_stream()),
                "write a finite bound; the `+Inf` bucket is always added",
            );
            None
        }
        parsed => parsed,
    }
}

fn integer(cx: &Ctxt, expr: &Expr) -> Option<usize> {
    let parsed = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<usize>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        cx.error_with_help(
            expr,
            "the bucket count must be an integer literal",
            "write the count as a literal such as `16`",
        );
    }
    parsed
}
