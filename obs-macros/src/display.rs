//! How messages spell the user's types: as they would write them
//! (`&'static str`, `Family<Labels, u64>`), not as token streams print them
//! (`& 'static str`, `Family < Labels , u64 >`).

use quote::ToTokens;
use syn::Type;

pub(crate) fn type_name(ty: &Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (spaced, tight) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        (" ;", ";"),
        (" ::", "::"),
        (":: ", "::"),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        ("( ", "("),
        (" )", ")"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}
