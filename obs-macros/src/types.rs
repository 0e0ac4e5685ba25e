//! Reading a type from its tokens, in one place.
//!
//! A macro sees no more than the tokens, so a type is known by the last
//! segment of its path: `obs_runtime::Counter`, `crate::Counter` and `Counter`
//! alike, with the raw prefix stripped. Aliases are not followed; where that
//! matters, the expanded code asserts that the type really is what its name
//! says. References and parentheses are removed only where a caller asks, with
//! [`peel`], because a `&Counter` field is not a metric while a `&str`
//! argument is a string.

use syn::ext::IdentExt as _;
use syn::{GenericArgument, PathArguments, PathSegment, Type};

/// The type under any references and parentheses: `&(&str)` → `str`.
pub(crate) fn peel(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Reference(reference) => ty = &reference.elem,
            Type::Paren(paren) => ty = &paren.elem,
            Type::Group(group) => ty = &group.elem,
            _ => return ty,
        }
    }
}

/// The last segment of a plain path type (`a::b::C<T>` → `C<T>`); `None` for
/// anything else, qualified paths (`<T as Trait>::C`) included.
pub(crate) fn last_segment(ty: &Type) -> Option<&PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        _ => None,
    }
}

/// The name of a plain path type, raw prefix stripped: `r#Counter` → `Counter`.
pub(crate) fn name(ty: &Type) -> Option<String> {
    last_segment(ty).map(|segment| segment.ident.unraw().to_string())
}

/// Whether the type is a plain path type named `expected`.
pub(crate) fn is(ty: &Type, expected: &str) -> bool {
    name(ty).as_deref() == Some(expected)
}

/// The type arguments of the last segment, in order: `Family<L, C>` → `L`, `C`.
pub(crate) fn arguments(ty: &Type) -> impl Iterator<Item = &Type> {
    let args = last_segment(ty).and_then(|segment| match &segment.arguments {
        PathArguments::AngleBracketed(args) => Some(args),
        _ => None,
    });
    args.into_iter().flat_map(|args| {
        args.args.iter().filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(tokens: &str) -> Type {
        syn::parse_str(tokens).unwrap()
    }

    #[test]
    fn names_come_from_the_last_segment() {
        assert_eq!(
            name(&ty("obs_runtime::Counter")).as_deref(),
            Some("Counter")
        );
        assert_eq!(name(&ty("r#Counter")).as_deref(), Some("Counter"));
        assert_eq!(name(&ty("<T as Trait>::Counter")), None);
        assert_eq!(name(&ty("&Counter")), None);
        assert_eq!(name(peel(&ty("&(&'static str)"))).as_deref(), Some("str"));
    }

    #[test]
    fn arguments_are_the_type_arguments_in_order() {
        let family = ty("Family<'a, Labels, Counter>");
        let names: Vec<_> = arguments(&family).filter_map(name).collect();
        assert_eq!(names, ["Labels", "Counter"]);
        assert_eq!(arguments(&ty("Counter")).count(), 0);
    }
}
