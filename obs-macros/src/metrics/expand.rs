//! Code generation for `#[derive(Metrics)]`, from a checked container.

use super::ast::{Container, Field};
use obs_rules::MetricType;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn impl_metrics(container: &Container<'_>) -> TokenStream {
    let input = container.original;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let is_generic = !input.generics.params.is_empty();

    let consts = name_consts(container);
    let descriptors = container
        .fields
        .iter()
        .map(|field| descriptor(container, field));
    let members: Vec<&Ident> = container.fields.iter().map(|field| field.member).collect();
    let indices = 0..container.fields.len();
    let constructors = container.fields.iter().zip(indices).map(|(field, index)| {
        let ty = field.ty;
        quote_spanned! {ty.span()=>
            <#ty as ::obs_runtime::__private::Metric>::from_descriptor(
                &<Self as ::obs_runtime::__private::MetricGroup>::DESCRIPTORS[#index],
            )
        }
    });
    // The derive read each field's metric type from its tokens; make sure the
    // type behind them agrees (it could be a user type that shadows a name).
    let type_asserts = container
        .fields
        .iter()
        .filter(|_| !is_generic)
        .map(|field| {
            let ty = field.ty;
            let expected = metric_type_tokens(field_type(field));
            quote_spanned! {ty.span()=>
                ::obs_runtime::__private::assert_metric_type(
                    <#ty as ::obs_runtime::__private::Metric>::TYPE,
                    #expected,
                );
            }
        });
    let owner = ident.to_string();

    quote! {
        impl #impl_generics #ident #ty_generics #where_clause {
            #consts
        }

        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::obs_runtime::__private::MetricGroup for #ident #ty_generics #where_clause {
                const OWNER: &'static str = ::core::concat!(::core::module_path!(), "::", #owner);

                const DESCRIPTORS: &'static [::obs_runtime::__private::MetricDescriptor] = &[
                    #(#descriptors),*
                ];

                fn new_unregistered() -> Self {
                    Self {
                        #(#members: #constructors,)*
                    }
                }

                fn visit_metrics(
                    &self,
                    visit: &mut dyn ::core::ops::FnMut(&dyn ::obs_runtime::__private::EncodeMetric),
                ) {
                    #(visit(&self.#members);)*
                }
            }

            #(const _: () = #type_asserts)*
        };
    }
}

/// `pub const LATENCY_SECONDS: &str = "pipeline_latency_seconds";` per field.
pub(crate) fn name_consts(container: &Container<'_>) -> TokenStream {
    let consts = container.fields.iter().map(|field| {
        let member = field.member.to_string();
        let member = member.strip_prefix("r#").unwrap_or(&member);
        let konst = Ident::new(&member.to_uppercase(), field.member.span());
        let full = full_name(container, field);
        let doc = format!("The full name of the `{member}` metric: `{full}`.");
        quote! {
            #[doc = #doc]
            pub const #konst: &'static str = #full;
        }
    });
    quote! { #(#consts)* }
}

fn full_name(container: &Container<'_>, field: &Field<'_>) -> String {
    match &container.prefix {
        Some((_, prefix)) => format!("{prefix}_{}", field.name.1),
        None => field.name.1.clone(),
    }
}

fn field_type(field: &Field<'_>) -> MetricType {
    field
        .class
        .map_or(MetricType::Counter, |class| class.metric_type)
}

fn metric_type_tokens(metric_type: MetricType) -> TokenStream {
    let variant = Ident::new(
        match metric_type {
            MetricType::Counter => "Counter",
            MetricType::Gauge => "Gauge",
            MetricType::Histogram => "Histogram",
        },
        Span::call_site(),
    );
    quote!(::obs_runtime::__private::MetricType::#variant)
}

fn descriptor(container: &Container<'_>, field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let metric_type = field_type(field);
    let name = full_name(container, field);
    let help = field.help.as_deref().unwrap_or_default();
    let unit = match obs_rules::unit_of(&field.name.1, metric_type) {
        Some(unit) => quote!(::obs_runtime::__private::Some(#unit)),
        None => quote!(::obs_runtime::__private::None),
    };
    let buckets = match (&field.buckets, metric_type) {
        (Some((_, expr)), _) => {
            let bounds = expr.evaluate().unwrap_or_default();
            quote!(::obs_runtime::__private::Some(::obs_runtime::__private::Cow::Borrowed(&[#(#bounds),*])))
        }
        (None, MetricType::Histogram) => quote!(::obs_runtime::__private::Some(
            ::obs_runtime::__private::Cow::Borrowed(&::obs_runtime::Buckets::DEFAULT)
        )),
        (None, _) => quote!(::obs_runtime::__private::None),
    };
    let max_series = match &field.max_series {
        Some((_, n)) => quote!(::obs_runtime::__private::Some(#n)),
        None => quote!(::obs_runtime::__private::None),
    };
    let metric = quote_spanned!(ty.span()=> <#ty as ::obs_runtime::__private::Metric>);
    quote! {
        ::obs_runtime::__private::MetricDescriptor {
            name: ::obs_runtime::__private::Cow::Borrowed(#name),
            metric_type: #metric::TYPE,
            help: ::obs_runtime::__private::Cow::Borrowed(#help),
            unit: #unit,
            label_names: #metric::LABEL_NAMES,
            cardinality: #metric::CARDINALITY,
            buckets: #buckets,
            max_series: #max_series,
        }
    }
}
