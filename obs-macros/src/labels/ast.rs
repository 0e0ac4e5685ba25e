//! The IR of the label derives.

use crate::attr::{for_each_key, unknown_key, Attr};
use crate::ctxt::Ctxt;
use crate::symbol::*;
use crate::types;
use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt as _;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type, Variant};

pub(crate) struct LabelSet<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) fields: Vec<LabelField<'a>>,
}

pub(crate) struct LabelField<'a> {
    pub(crate) member: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The label name (`name = "…"` or the field's identifier) and its tokens.
    pub(crate) name: (TokenStream, String),
    /// `#[label(unbounded)]`: the field may take any value at run time.
    pub(crate) unbounded: Option<TokenStream>,
    /// The type is a string or integer, read from its tokens.
    pub(crate) open_type: bool,
}

pub(crate) struct LabelValueEnum<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) variants: Vec<LabelVariant<'a>>,
}

pub(crate) struct LabelVariant<'a> {
    pub(crate) original: &'a Variant,
    /// The label value (`rename = "…"` or the variant in snake_case) and its tokens.
    pub(crate) value: (TokenStream, String),
    pub(crate) renamed: bool,
}

impl<'a> LabelSet<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                _ => {
                    cx.error_with_help(
                        &input.ident,
                        "`#[derive(LabelSet)]` needs a struct with named fields",
                        "name each label: `struct Labels { backend: Backend }`",
                    );
                    return None;
                }
            },
            _ => {
                cx.error_with_help(
                    &input.ident,
                    "`#[derive(LabelSet)]` only works on structs",
                    "for an enum of label values, use `#[derive(LabelValue)]`",
                );
                return None;
            }
        };
        let fields = fields
            .iter()
            .filter_map(|field| {
                let member = field.ident.as_ref()?;
                let mut name = Attr::none(cx, LABEL, NAME);
                let mut unbounded = Attr::none(cx, LABEL, UNBOUNDED);
                for_each_key(cx, &field.attrs, LABEL, |meta| {
                    if meta.path.is_ident(NAME) {
                        let lit: LitStr = meta.value()?.parse()?;
                        name.set_key(&meta.path, &lit, lit.value());
                    } else if meta.path.is_ident(UNBOUNDED) {
                        unbounded.set_key(&meta.path, &meta.path, ());
                    } else {
                        unknown_key(cx, meta, LABEL, &[NAME, UNBOUNDED]);
                    }
                    Ok(())
                });
                let ident_name = member.unraw().to_string();
                Some(LabelField {
                    member,
                    ty: &field.ty,
                    name: name
                        .get_with_tokens()
                        .unwrap_or_else(|| (quote!(#member), ident_name)),
                    unbounded: unbounded.get_with_tokens().map(|(tokens, ())| tokens),
                    open_type: is_open_type(&field.ty),
                })
            })
            .collect();
        Some(LabelSet {
            original: input,
            fields,
        })
    }
}

impl<'a> LabelValueEnum<'a> {
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let Data::Enum(data) = &input.data else {
            cx.error_with_help(
                &input.ident,
                "`#[derive(LabelValue)]` only works on enums",
                "list the values as unit variants: `enum Outcome { Success, Failure }`",
            );
            return None;
        };
        let variants = data
            .variants
            .iter()
            .map(|variant| {
                let mut rename = Attr::none(cx, LABEL, RENAME);
                for_each_key(cx, &variant.attrs, LABEL, |meta| {
                    if meta.path.is_ident(RENAME) {
                        let lit: LitStr = meta.value()?.parse()?;
                        rename.set_key(&meta.path, &lit, lit.value());
                    } else {
                        unknown_key(cx, meta, LABEL, &[RENAME]);
                    }
                    Ok(())
                });
                let renamed = rename.get_with_tokens();
                let ident = &variant.ident;
                LabelVariant {
                    original: variant,
                    renamed: renamed.is_some(),
                    value: renamed.unwrap_or_else(|| {
                        (quote!(#ident), obs_rules::to_snake_case(&ident.to_string()))
                    }),
                }
            })
            .collect();
        Some(LabelValueEnum {
            original: input,
            variants,
        })
    }
}

/// Strings and integers: types whose values are not known at compile time
/// (`obs_rules::UNBOUNDED_LABEL_TYPES`).
fn is_open_type(ty: &Type) -> bool {
    types::name(types::peel(ty))
        .is_some_and(|name| obs_rules::UNBOUNDED_LABEL_TYPES.contains(&name.as_str()))
}
