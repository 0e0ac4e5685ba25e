//! The IR of `#[derive(Metrics)]`: a struct of metric fields, borrowing the
//! original tokens so every check can point at the user's code.

use crate::attr::{doc_comment, for_each_key, unknown_key, Attr};
use crate::buckets::BucketsExpr;
use crate::ctxt::Ctxt;
use crate::objective::{ObjectiveDecl, OBJECTIVE};
use crate::symbol::*;
use crate::types;
use obs_rules::MetricType;
use proc_macro2::TokenStream;
use syn::ext::IdentExt as _;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr, Type};

pub(crate) struct Container<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) prefix: Option<(TokenStream, String)>,
    pub(crate) fields: Vec<Field<'a>>,
}

pub(crate) struct Field<'a> {
    pub(crate) member: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The metric type read from the field's type tokens; `None` when the
    /// type is not a metric type.
    pub(crate) class: Option<TypeClass>,
    /// The name as written (`name = "…"` or the field's identifier), without
    /// the prefix, and the tokens to point at.
    pub(crate) name: (TokenStream, String),
    /// The help text (`help = "…"` or the doc comment) and the tokens to
    /// point at: the literal, or the field for a doc comment.
    pub(crate) help: Option<(TokenStream, String)>,
    pub(crate) unit: Option<(TokenStream, String)>,
    pub(crate) buckets: Option<(TokenStream, BucketsExpr)>,
    pub(crate) max_series: Option<(TokenStream, usize)>,
    pub(crate) max_label_bytes: Option<(TokenStream, usize)>,
    /// `objective(…)` as written, and the objectives in it.
    pub(crate) objectives: Option<(TokenStream, Vec<ObjectiveDecl>)>,
}

#[derive(Clone, Copy)]
pub(crate) struct TypeClass {
    pub(crate) metric_type: MetricType,
    pub(crate) family: bool,
}

impl<'a> Container<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                _ => {
                    cx.error_with_help(
                        &input.ident,
                        "`#[derive(Metrics)]` needs a struct with named fields",
                        "name each metric: `struct MyMetrics { requests_total: Counter }`",
                    );
                    return None;
                }
            },
            _ => {
                cx.error_with_help(
                    &input.ident,
                    "`#[derive(Metrics)]` only works on structs",
                    "declare a struct whose fields are metrics",
                );
                return None;
            }
        };

        let mut prefix = Attr::none(cx, METRICS, PREFIX);
        for_each_key(cx, &input.attrs, METRICS, |meta| {
            if meta.path.is_ident(PREFIX) {
                let lit: LitStr = meta.value()?.parse()?;
                prefix.set_key(&meta.path, &lit, lit.value());
            } else {
                unknown_key(cx, meta, METRICS, &[PREFIX]);
            }
            Ok(())
        });

        let fields = fields
            .iter()
            .filter_map(|field| {
                let member = field.ident.as_ref()?;
                Some(Field::from_ast(cx, member, field))
            })
            .collect();

        Some(Container {
            original: input,
            prefix: prefix.get_with_tokens(),
            fields,
        })
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &Ctxt, member: &'a Ident, field: &'a syn::Field) -> Self {
        let mut name = Attr::none(cx, METRIC, NAME);
        let mut help = Attr::none(cx, METRIC, HELP);
        let mut unit = Attr::none(cx, METRIC, UNIT);
        let mut buckets = Attr::none(cx, METRIC, BUCKETS);
        let mut max_series = Attr::none(cx, METRIC, MAX_SERIES);
        let mut max_label_bytes = Attr::none(cx, METRIC, MAX_LABEL_BYTES);
        let mut objectives = Attr::none(cx, METRIC, OBJECTIVE);
        for_each_key(cx, &field.attrs, METRIC, |meta| {
            if meta.path.is_ident(NAME) {
                let lit: LitStr = meta.value()?.parse()?;
                name.set_key(&meta.path, &lit, lit.value());
            } else if meta.path.is_ident(HELP) {
                let lit: LitStr = meta.value()?.parse()?;
                help.set_key(&meta.path, &lit, lit.value());
            } else if meta.path.is_ident(UNIT) {
                let lit: LitStr = meta.value()?.parse()?;
                unit.set_key(&meta.path, &lit, lit.value());
            } else if meta.path.is_ident(BUCKETS) {
                let expr: syn::Expr = meta.value()?.parse()?;
                if let Some(parsed) = BucketsExpr::from_expr(cx, &expr) {
                    buckets.set_key(&meta.path, &expr, parsed);
                }
            } else if meta.path.is_ident(MAX_SERIES) {
                let lit: LitInt = meta.value()?.parse()?;
                max_series.set_key(&meta.path, &lit, lit.base10_parse::<usize>()?);
            } else if meta.path.is_ident(MAX_LABEL_BYTES) {
                let lit: LitInt = meta.value()?.parse()?;
                max_label_bytes.set_key(&meta.path, &lit, lit.base10_parse::<usize>()?);
            } else if meta.path.is_ident(OBJECTIVE) {
                let content;
                syn::parenthesized!(content in meta.input);
                let list = crate::objective::parse_list(content.parse()?)?;
                objectives.set_key(&meta.path, &meta.path, list);
            } else {
                let keys = [
                    NAME,
                    HELP,
                    UNIT,
                    BUCKETS,
                    MAX_SERIES,
                    MAX_LABEL_BYTES,
                    OBJECTIVE,
                ];
                unknown_key(cx, meta, METRIC, &keys);
            }
            Ok(())
        });

        let ident_name = member.unraw().to_string();
        Field {
            member,
            ty: &field.ty,
            class: classify(&field.ty),
            name: name
                .get_with_tokens()
                .unwrap_or_else(|| (quote::quote!(#member), ident_name)),
            help: help
                .get_with_tokens()
                .or_else(|| Some((quote::quote!(#member), doc_comment(&field.attrs)?))),
            unit: unit.get_with_tokens(),
            buckets: buckets.get_with_tokens(),
            max_series: max_series.get_with_tokens(),
            max_label_bytes: max_label_bytes.get_with_tokens(),
            objectives: objectives.get_with_tokens(),
        }
    }
}

/// Reads the metric type from the field's type tokens: the last path segment
/// must be one of obs's metric types. Aliases are not followed; the expanded
/// code also asserts that the named type really is that metric type.
fn classify(ty: &Type) -> Option<TypeClass> {
    let cell = |metric_type| {
        Some(TypeClass {
            metric_type,
            family: false,
        })
    };
    match types::name(ty)?.as_str() {
        "Counter" => cell(MetricType::Counter),
        "Gauge" | "IntGauge" => cell(MetricType::Gauge),
        "Histogram" => cell(MetricType::Histogram),
        "Family" => {
            let (_labels, series) = {
                let mut arguments = types::arguments(ty);
                (arguments.next()?, arguments.next()?)
            };
            let inner = classify(series)?;
            (!inner.family).then_some(TypeClass {
                metric_type: inner.metric_type,
                family: true,
            })
        }
        _ => None,
    }
}
