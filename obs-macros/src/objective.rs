//! `objective(success = 0.999, latency(0.25) = 0.99)`: service-level
//! objectives declared next to the metric they are measured on, on
//! `#[traced(metrics)]` and on `#[derive(Metrics)]` histograms. One parser,
//! one check and one expansion for both.

use crate::ctxt::Ctxt;
use obs_rules::Objective;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Ident, Lit, Token};

pub(crate) const OBJECTIVE: &str = "objective";
const SUCCESS: &str = "success";
const LATENCY: &str = "latency";
const FORMS: &str = "write `objective(success = 0.999)`, `objective(latency(0.25) = 0.99)` or both, separated by a comma";

/// One objective as written, with the tokens each check points at.
pub(crate) struct ObjectiveDecl {
    pub(crate) kind: Ident,
    pub(crate) threshold: Option<(TokenStream, f64)>,
    pub(crate) target: (TokenStream, f64),
}

impl ObjectiveDecl {
    pub(crate) fn objective(&self) -> Objective {
        let target = self.target.1;
        match &self.threshold {
            Some((_, threshold)) => Objective::Latency {
                threshold: *threshold,
                target,
            },
            None => Objective::Success { target },
        }
    }
}

impl Parse for ObjectiveDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let kind = input.call(Ident::parse_any)?;
        let threshold = match kind.to_string().as_str() {
            SUCCESS => None,
            LATENCY => {
                if !input.peek(syn::token::Paren) {
                    return Err(crate::ctxt::error_with_help(
                        &kind,
                        "a latency objective needs its threshold",
                        "write `latency(0.25) = 0.99`: 99% of calls within 0.25 s",
                    ));
                }
                let content;
                syn::parenthesized!(content in input);
                let threshold = number(&content)?;
                if !content.is_empty() {
                    return Err(
                        content.error("`latency(…)` takes one threshold, in the metric's unit")
                    );
                }
                Some(threshold)
            }
            other => {
                return Err(crate::ctxt::error_with_help(
                    &kind,
                    &format!("unknown objective `{other}`"),
                    FORMS,
                ))
            }
        };
        if !input.peek(Token![=]) {
            return Err(crate::ctxt::error_with_help(
                &kind,
                &format!("objective `{kind}` needs a target"),
                FORMS,
            ));
        }
        input.parse::<Token![=]>()?;
        let target = number(input)?;
        Ok(ObjectiveDecl {
            kind,
            threshold,
            target,
        })
    }
}

/// A number literal, integer or float, and its tokens.
fn number(input: ParseStream<'_>) -> syn::Result<(TokenStream, f64)> {
    let lit: Lit = input.parse()?;
    let value = match &lit {
        Lit::Float(float) => float.base10_parse::<f64>()?,
        Lit::Int(int) => int.base10_parse::<f64>()?,
        other => {
            return Err(crate::ctxt::error_with_help(
                other,
                "an objective takes numbers",
                FORMS,
            ))
        }
    };
    Ok((lit.to_token_stream(), value))
}

/// The objectives inside `objective(…)`.
pub(crate) fn parse_list(tokens: TokenStream) -> syn::Result<Vec<ObjectiveDecl>> {
    let list = Punctuated::<ObjectiveDecl, Token![,]>::parse_terminated.parse2(tokens)?;
    Ok(list.into_iter().collect())
}

/// Targets in (0, 1), thresholds on a bucket bound, each kind once (latency
/// once per threshold).
pub(crate) fn check(cx: &Ctxt, decls: &[ObjectiveDecl], buckets: &[f64]) {
    for (i, decl) in decls.iter().enumerate() {
        if let Err(violation) = obs_rules::check_objective_target(decl.target.1) {
            cx.violation(&decl.target.0, violation);
        }
        if let Some((tokens, threshold)) = &decl.threshold {
            if let Err(violation) = obs_rules::check_latency_threshold(*threshold, buckets) {
                cx.violation(tokens, violation);
            }
        }
        let same = |earlier: &ObjectiveDecl| {
            earlier.kind == decl.kind
                && earlier.threshold.as_ref().map(|t| t.1) == decl.threshold.as_ref().map(|t| t.1)
        };
        if decls[..i].iter().any(same) {
            cx.error_with_help(
                &decl.kind,
                &format!("objective `{}` is declared twice", decl.kind),
                "keep one target for each objective",
            );
        }
    }
}

/// `&[Objective::…, …]`.
pub(crate) fn expand(decls: &[ObjectiveDecl]) -> TokenStream {
    let items = decls.iter().map(|decl| match decl.objective() {
        Objective::Success { target } => {
            quote!(::obs_runtime::__private::Objective::Success { target: #target })
        }
        Objective::Latency { threshold, target } => {
            quote!(::obs_runtime::__private::Objective::Latency { threshold: #threshold, target: #target })
        }
    });
    quote!(&[#(#items),*])
}
