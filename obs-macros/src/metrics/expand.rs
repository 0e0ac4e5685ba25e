//! Code generation for `#[derive(Metrics)]`, from a checked container.

use super::ast::{Container, Field};
use obs_rules::MetricType;
use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

pub(crate) fn impl_metrics(container: &Container<'_>) -> TokenStream {
    let input = container.original;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // A field type that names a type parameter is bounded by `Metric` on the
    // trait impl (as serde bounds its derives): the impl then holds exactly
    // for the parameters that make every field a metric. A wrong parameter is
    // reported where it is used, naming the field's unmet `Metric` bound,
    // rather than here as a wall of `Send`/`Sync` bounds on the parameter.
    let params: Vec<&Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    let declared = where_clause.into_iter().flat_map(|w| w.predicates.iter());
    let metric_bounds = container
        .fields
        .iter()
        .filter(|field| mentions_any(field.ty.to_token_stream(), &params))
        .map(|field| {
            let ty = field.ty;
            quote_spanned!(ty.span()=> #ty: ::obs_runtime::__private::Metric)
        });
    let bounded_where_clause = quote!(where #(#declared,)* #(#metric_bounds,)*);

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
    // A constant cannot name a type parameter, so generic fields are skipped.
    let type_asserts = container
        .fields
        .iter()
        .filter(|field| !mentions_any(field.ty.to_token_stream(), &params))
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
    // Each field is visited through its `Metric` impl, spanned at its type, so
    // a type that is not a metric fails with `Metric`'s message at the field,
    // not as a missing `EncodeMetric` at the derive.
    let visits = container.fields.iter().map(|field| {
        let (ty, member) = (field.ty, field.member);
        quote_spanned! {ty.span()=>
            visit(as_encode_metric::<#ty>(&self.#member));
        }
    });
    let owner = ident.to_string();
    // Every group the binary declares is listed for the catalog, registered
    // or not. A static cannot name a type parameter, so a generic group is
    // listed only once registered.
    let declaration = params
        .is_empty()
        .then(|| quote! { ::obs_runtime::declare_metrics!(#ident); });

    quote! {
        impl #impl_generics #ident #ty_generics #where_clause {
            #consts
        }

        const _: () = {
            fn as_encode_metric<M: ::obs_runtime::__private::Metric>(
                metric: &M,
            ) -> &dyn ::obs_runtime::__private::EncodeMetric {
                metric
            }

            #[automatically_derived]
            impl #impl_generics ::obs_runtime::__private::MetricGroup for #ident #ty_generics #bounded_where_clause {
                const OWNER: &'static ::core::primitive::str = ::core::concat!(::core::module_path!(), "::", #owner);

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
                    #(#visits)*
                }
            }

            #(const _: () = #type_asserts)*

            #declaration
        };
    }
}

/// Whether `tokens` name one of `params` anywhere (`Family<L, Counter>`, `Vec<[L; 2]>`).
fn mentions_any(tokens: TokenStream, params: &[&Ident]) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
        TokenTree::Group(group) => mentions_any(group.stream(), params),
        _ => false,
    })
}

/// `pub const LATENCY_SECONDS: &str = "pipeline_latency_seconds";` per field.
pub(crate) fn name_consts(container: &Container<'_>) -> TokenStream {
    let consts = container.fields.iter().map(|field| {
        let member = field.member.unraw().to_string();
        let konst = Ident::new(&member.to_uppercase(), field.member.span());
        let full = full_name(container, field);
        let doc = format!("The full name of the `{member}` metric: `{full}`.");
        quote! {
            #[doc = #doc]
            pub const #konst: &'static ::core::primitive::str = #full;
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
    let help = field.help.as_ref().map_or("", |(_, help)| help.as_str());
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
    let limit = |set: &Option<(TokenStream, usize)>| match set {
        Some((_, n)) => quote!(::obs_runtime::__private::Some(#n)),
        None => quote!(::obs_runtime::__private::None),
    };
    let max_series = limit(&field.max_series);
    let max_label_bytes = limit(&field.max_label_bytes);
    let objectives =
        crate::objective::expand(field.objectives.as_ref().map_or(&[][..], |(_, o)| o));
    let metric = quote_spanned!(ty.span()=> <#ty as ::obs_runtime::__private::Metric>);
    quote! {
        ::obs_runtime::__private::MetricDescriptor {
            name: ::obs_runtime::__private::Cow::Borrowed(#name),
            metric_type: #metric::TYPE,
            help: ::obs_runtime::__private::Cow::Borrowed(#help),
            unit: #unit,
            label_names: #metric::LABEL_NAMES,
            label_values: #metric::LABEL_VALUES,
            cardinality: #metric::CARDINALITY,
            buckets: #buckets,
            max_series: #max_series,
            max_label_bytes: #max_label_bytes,
            objectives: #objectives,
        }
    }
}
