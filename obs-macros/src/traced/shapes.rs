//! The four shapes of a traced function's body: an `async fn`; a function
//! returning `impl Future` whose body ends in an `async` block; a sync
//! function whose result is read (`err`, `ret`, `metrics`); and a plain one,
//! whose span is built only when its level is enabled.

use super::ast::Traced;
use super::expand::{inspect_result, quote_mixed};
use proc_macro2::{Group, Ident, Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use syn::{Expr, Stmt};

/// The pieces every shape is built from, made once by `impl_traced`.
pub(super) struct Shapes<'a, 't> {
    pub(super) traced: &'a Traced<'t>,
    pub(super) private: &'a TokenStream,
    /// The `tracing::span!` call.
    pub(super) new_span: &'a TokenStream,
    pub(super) remote_parent: Option<&'a TokenStream>,
    pub(super) follows_from: Option<&'a TokenStream>,
    /// `tracing::Level`'s constant (`INFO`).
    pub(super) level: &'a Ident,
    /// With `metrics`: starts the call's timer, and marks it finished.
    pub(super) timer: Option<&'a TokenStream>,
    pub(super) finish: Option<&'a TokenStream>,
    /// As `finish`, inside the function's span (an `async fn` records after
    /// its last poll, outside the span).
    pub(super) finish_in_span: Option<&'a TokenStream>,
    pub(super) fake_return: Option<&'a TokenStream>,
    /// `: T` and `-> T` when the return type can be named.
    pub(super) result_type: Option<&'a TokenStream>,
    pub(super) returns: Option<TokenStream>,
    pub(super) needs_result: bool,
}

impl Shapes<'_, '_> {
    /// `async fn`: the body's own `async` block, which `return` and `?`
    /// leave; it holds nothing but the body, so it is `Send` when the body
    /// is.
    pub(super) fn async_fn(&self, body: &Group) -> TokenStream {
        let Shapes {
            private,
            timer,
            finish_in_span,
            fake_return,
            result_type,
            ..
        } = self;
        let future = quote_mixed!(async move { #fake_return #body });
        if !self.needs_result {
            return quote_mixed!(#private::Instrument::instrument(#future, __obs_span).await);
        }
        let inspect = inspect_result(self.traced, private, &quote_mixed!(__obs_span));
        quote_mixed! {
            #timer
            let __obs_result #result_type =
                #private::Instrument::instrument(#future, ::core::clone::Clone::clone(&__obs_span)).await;
            #inspect
            #finish_in_span
            __obs_result
        }
    }

    /// `fn f() -> impl Future { …; async move { … } }`: the span covers the
    /// synchronous prefix and every poll of the returned future, which
    /// records the result with a span of its own (the function's span is
    /// borrowed by `__obs_entered` until it returns).
    pub(super) fn returns_future(&self, prefix: &[Stmt], future: &Expr) -> TokenStream {
        let Shapes {
            private,
            timer,
            finish,
            ..
        } = self;
        let (record_span, wrapped) = if self.needs_result {
            let inspect = inspect_result(self.traced, private, &quote_mixed!(__obs_record_span));
            (
                Some(
                    quote_mixed!(let __obs_record_span = ::core::clone::Clone::clone(&__obs_span);),
                ),
                quote_mixed! {
                    async move {
                        #timer
                        let __obs_result = #future.await;
                        #inspect
                        #finish
                        __obs_result
                    }
                },
            )
        } else {
            (None, future.into_token_stream())
        };
        quote_mixed! {
            let __obs_future_span = ::core::clone::Clone::clone(&__obs_span);
            #record_span
            let __obs_entered = __obs_span.enter();
            #(#prefix)*
            #private::Instrument::instrument(#wrapped, __obs_future_span)
        }
    }

    /// A sync function whose result is read: the body in a closure, so that
    /// `return` leaves the body and not the function; the closure's return
    /// type is the function's when it can be named, for the same reasons as
    /// the fake return. Called through a function that takes an `FnOnce`, so
    /// the closure is one and the body can return borrows of what it
    /// captures (`&mut self`).
    pub(super) fn sync_fn(&self, body: &Group) -> TokenStream {
        let Shapes {
            private,
            timer,
            finish,
            result_type,
            returns,
            ..
        } = self;
        let inspect = inspect_result(self.traced, private, &quote_mixed!(__obs_span));
        quote_mixed! {
            let __obs_entered = __obs_span.enter();
            #timer
            #[inline(always)]
            fn __obs_call_once<R>(body: impl ::core::ops::FnOnce() -> R) -> R {
                body()
            }
            let __obs_result #result_type = __obs_call_once(move || #returns #body);
            #inspect
            #finish
            __obs_result
        }
    }

    /// Nothing reads the result: as `#[instrument]` does, a disabled level
    /// builds no span at all (the span and guard stay uninitialised). The
    /// span, its remote parent and its links are made here, not before.
    pub(super) fn plain_fn(&self, body: &Group) -> TokenStream {
        let Shapes {
            private,
            new_span,
            remote_parent,
            follows_from,
            level,
            ..
        } = self;
        quote_mixed! {
            let __obs_span;
            let __obs_entered;
            if #private::tracing::level_enabled!(#private::tracing::Level::#level) {
                __obs_span = #new_span;
                #remote_parent
                #follows_from
                __obs_entered = __obs_span.enter();
            }
            #body
        }
    }
}
