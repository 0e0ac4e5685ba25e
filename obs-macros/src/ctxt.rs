use obs_rules::Violation;
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

/// Collects every error of one derive, so the user sees all of them in one
/// build. Dropping it unchecked is a bug in the macro, caught by a panic.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// An error spanned at `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// A broken rule, spanned at `tokens`, with its `help:` line.
    pub(crate) fn violation<T: ToTokens>(&self, tokens: T, violation: Violation) {
        self.error_spanned_by(
            tokens,
            render(&violation.message, violation.help.as_deref()),
        );
    }

    /// An error with a `help:` line, spanned at `tokens`.
    pub(crate) fn error_with_help<T: ToTokens>(&self, tokens: T, message: &str, help: &str) {
        self.error_spanned_by(tokens, render(message, Some(help)));
    }

    pub(crate) fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// All errors combined into one, or `Ok` when there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

/// The one rendering of an error with a `help:` line, which rustc shows
/// indented under the message.
pub(crate) fn render(message: &str, help: Option<&str>) -> String {
    match help {
        Some(help) => format!("{message}\n= help: {help}"),
        None => message.to_owned(),
    }
}

/// An error with a `help:` line, spanned at `tokens`, for code that returns
/// a `syn::Error` instead of collecting into a [`Ctxt`].
pub(crate) fn error_with_help(tokens: impl ToTokens, message: &str, help: &str) -> syn::Error {
    syn::Error::new_spanned(tokens, render(message, Some(help)))
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("obs-macros: forgot to check for errors");
        }
    }
}

/// The one driver of every macro: parse the input into its IR, check it,
/// and expand it; when anything failed, emit every error collected, next to
/// a fallback that keeps the user's other code compiling.
pub(crate) fn drive<T>(
    parse: impl FnOnce(&Ctxt) -> Option<T>,
    check: impl FnOnce(&Ctxt, &T),
    expand: impl FnOnce(&T) -> TokenStream,
    fallback: impl FnOnce(Option<&T>) -> TokenStream,
) -> TokenStream {
    let cx = Ctxt::new();
    let ir = parse(&cx);
    if let Some(ir) = &ir {
        check(&cx, ir);
    }
    match (cx.check(), &ir) {
        (Ok(()), Some(ir)) => expand(ir),
        (result, ir) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            let fallback = fallback(ir.as_ref());
            quote::quote! { #errors #fallback }
        }
    }
}
