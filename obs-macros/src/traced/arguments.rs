//! The names a span can record: `self` and every binding of every parameter
//! pattern (`id` in `Path(id): Path<u32>`, `user` and `password` in
//! `Creds { user, password }: Creds`).

use crate::types;
use syn::{FnArg, Ident, Pat, Signature, Type};

pub(crate) struct Argument<'a> {
    pub(crate) ident: Ident,
    /// The binding's type: `None` for `self` and for a binding inside a
    /// pattern, whose type the signature does not spell.
    pub(crate) ty: Option<&'a Type>,
}

impl Argument<'_> {
    /// Whether the argument is an `obs_runtime::Secret<_>` (or a reference to
    /// one), whose `Debug` and `Display` print `[redacted]`. Recognised by the
    /// type's last path segment, as a macro sees no more than the tokens.
    pub(crate) fn is_secret_wrapper(&self) -> bool {
        self.ty
            .is_some_and(|ty| types::is(types::peel(ty), "Secret"))
    }
}

pub(crate) fn arguments(sig: &Signature) -> Vec<Argument<'_>> {
    let mut arguments = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => arguments.push(Argument {
                ident: Ident::new("self", receiver.self_token.span),
                ty: None,
            }),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(pat) if pat.subpat.is_none() => arguments.push(Argument {
                    ident: pat.ident.clone(),
                    ty: Some(&typed.ty),
                }),
                pattern => bindings(pattern, &mut arguments),
            },
        }
    }
    arguments
}

/// Every binding in a pattern, in order.
fn bindings<'a>(pattern: &Pat, out: &mut Vec<Argument<'a>>) {
    match pattern {
        Pat::Ident(pat) => {
            out.push(Argument {
                ident: pat.ident.clone(),
                ty: None,
            });
            if let Some((_, subpat)) = &pat.subpat {
                bindings(subpat, out);
            }
        }
        Pat::Struct(pat) => {
            for field in &pat.fields {
                bindings(&field.pat, out);
            }
        }
        Pat::Tuple(pat) => pat.elems.iter().for_each(|elem| bindings(elem, out)),
        Pat::TupleStruct(pat) => pat.elems.iter().for_each(|elem| bindings(elem, out)),
        Pat::Slice(pat) => pat.elems.iter().for_each(|elem| bindings(elem, out)),
        Pat::Reference(pat) => bindings(&pat.pat, out),
        Pat::Paren(pat) => bindings(&pat.pat, out),
        Pat::Type(pat) => bindings(&pat.pat, out),
        // Every alternative binds the same names.
        Pat::Or(pat) => {
            if let Some(first) = pat.cases.first() {
                bindings(first, out);
            }
        }
        _ => {}
    }
}
