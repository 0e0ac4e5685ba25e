//! What a derive emits next to its errors: just enough of the impls that the
//! user's other code compiles, so the real errors are not buried under
//! follow-on ones ("no function `register`", "trait not implemented").

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn metric_group(input: &DeriveInput, consts: TokenStream) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics #ident #ty_generics #where_clause {
            #consts
        }

        #[automatically_derived]
        impl #impl_generics ::obs_runtime::__private::MetricGroup for #ident #ty_generics #where_clause {
            const OWNER: &'static ::core::primitive::str = "";
            const DESCRIPTORS: &'static [::obs_runtime::__private::MetricDescriptor] = &[];
            fn new_unregistered() -> Self {
                ::core::unreachable!()
            }
            fn visit_metrics(&self, _: &mut dyn ::core::ops::FnMut(&dyn ::obs_runtime::__private::EncodeMetric)) {}
        }
    }
}

pub(crate) fn label_set(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::obs_runtime::__private::LabelSet for #ident #ty_generics #where_clause {
            const NAMES: &'static [&'static ::core::primitive::str] = &[];
            const CARDINALITY: ::core::option::Option<::core::primitive::usize> = ::core::option::Option::None;
            const VALUE_SETS: &'static [::core::option::Option<&'static [&'static ::core::primitive::str]>] = &[];
            fn index(&self) -> ::core::primitive::usize {
                0
            }
            fn from_index(_: ::core::primitive::usize) -> ::core::option::Option<Self> {
                ::core::option::Option::None
            }
            fn visit_values(&self, _: &mut dyn ::core::ops::FnMut(::obs_runtime::__private::LabelText<'_>)) {}
        }
    }
}

pub(crate) fn label_value(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::obs_runtime::__private::LabelValue for #ident #ty_generics #where_clause {
            const VALUES: &'static [&'static ::core::primitive::str] = &[];
            fn index(self) -> ::core::primitive::usize {
                0
            }
            fn from_index(_: ::core::primitive::usize) -> ::core::option::Option<Self> {
                ::core::option::Option::None
            }
        }
    }
}
