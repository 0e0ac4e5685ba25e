//! Code generation for the label derives.

use super::ast::{LabelSet, LabelValueEnum};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn impl_label_set(set: &LabelSet<'_>) -> TokenStream {
    let input = set.original;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let names = set.fields.iter().map(|field| &field.name.1);
    let unbounded = set.fields.iter().any(|field| field.unbounded.is_some());
    let value_sets = set.fields.iter().map(|field| {
        let ty = field.ty;
        if field.unbounded.is_some() {
            quote!(::obs_runtime::__private::None)
        } else {
            quote_spanned!(ty.span()=> ::obs_runtime::__private::Some(
                <#ty as ::obs_runtime::__private::LabelValue>::VALUES
            ))
        }
    });

    let values = set.fields.iter().map(|field| {
        let member = field.member;
        let ty = field.ty;
        if field.unbounded.is_some() {
            quote_spanned! {ty.span()=>
                visit(<#ty as ::obs_runtime::__private::UnboundedLabelValue>::label_text(&self.#member));
            }
        } else {
            quote_spanned! {ty.span()=>
                visit(::obs_runtime::__private::LabelText::Str(
                    <#ty as ::obs_runtime::__private::LabelValue>::as_str(self.#member),
                ));
            }
        }
    });

    let (cardinality, index, from_index) = if unbounded {
        (
            quote!(::obs_runtime::__private::None),
            quote!(0),
            quote!(::obs_runtime::__private::None),
        )
    } else {
        let value = |ty: &syn::Type| quote_spanned!(ty.span()=> <#ty as ::obs_runtime::__private::LabelValue>);
        let cards = set.fields.iter().map(|field| {
            let value = value(field.ty);
            quote!(#value::CARDINALITY)
        });
        // Mixed radix: the first field is the most significant digit.
        let steps = set.fields.iter().map(|field| {
            let value = value(field.ty);
            let member = field.member;
            quote! {
                index = index * #value::CARDINALITY + #value::index(self.#member);
            }
        });
        // Each field's digit is read straight from `index` (divided by the
        // cardinality of the fields after it), so the decoder binds no local
        // that a field could be named like.
        let decode = set.fields.iter().enumerate().map(|(i, field)| {
            let later = set.fields[i + 1..].iter().map(|later| {
                let later = value(later.ty);
                quote!(#later::CARDINALITY)
            });
            let value = value(field.ty);
            let member = field.member;
            quote! {
                #member: #value::from_index(index / (1 #(* #later)*) % #value::CARDINALITY)?
            }
        });
        (
            quote!(::obs_runtime::__private::Some(1 #(* #cards)*)),
            quote! {
                let mut index: ::core::primitive::usize = 0;
                #(#steps)*
                index
            },
            quote! {
                let cardinality = <Self as ::obs_runtime::__private::LabelSet>::CARDINALITY;
                if cardinality.is_none_or(|cardinality| index >= cardinality) {
                    return ::obs_runtime::__private::None;
                }
                ::obs_runtime::__private::Some(Self { #(#decode),* })
            },
        )
    };

    quote! {
        #[automatically_derived]
        impl #impl_generics ::obs_runtime::__private::LabelSet for #ident #ty_generics #where_clause {
            const NAMES: &'static [&'static ::core::primitive::str] = &[#(#names),*];
            const CARDINALITY: ::core::option::Option<::core::primitive::usize> = #cardinality;
            const VALUE_SETS: &'static [::core::option::Option<&'static [&'static ::core::primitive::str]>] =
                &[#(#value_sets),*];

            // Mixed-radix arithmetic over each field's cardinality; a field
            // with one value makes `* 1` and `% 1`, which are right here.
            #[inline]
            #[allow(clippy::identity_op, clippy::erasing_op)]
            fn index(&self) -> ::core::primitive::usize {
                #index
            }

            #[allow(clippy::modulo_one, clippy::identity_op)]
            fn from_index(index: ::core::primitive::usize) -> ::core::option::Option<Self> {
                #from_index
            }

            fn visit_values(
                &self,
                visit: &mut dyn ::core::ops::FnMut(::obs_runtime::__private::LabelText<'_>),
            ) {
                #(#values)*
            }
        }
    }
}

pub(crate) fn impl_label_value(value: &LabelValueEnum<'_>) -> TokenStream {
    let input = value.original;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let texts = value.variants.iter().map(|variant| &variant.value.1);
    let variants: Vec<_> = value.variants.iter().map(|v| &v.original.ident).collect();
    let indices: Vec<usize> = (0..variants.len()).collect();

    quote! {
        #[automatically_derived]
        impl #impl_generics ::obs_runtime::__private::LabelValue for #ident #ty_generics #where_clause {
            const VALUES: &'static [&'static ::core::primitive::str] = &[#(#texts),*];

            #[inline]
            fn index(self) -> ::core::primitive::usize {
                match self {
                    #(Self::#variants => #indices,)*
                }
            }

            fn from_index(index: ::core::primitive::usize) -> ::core::option::Option<Self> {
                match index {
                    #(#indices => ::obs_runtime::__private::Some(Self::#variants),)*
                    _ => ::obs_runtime::__private::None,
                }
            }
        }
    }
}
