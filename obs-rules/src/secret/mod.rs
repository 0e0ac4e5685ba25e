//! The secret rule: a value whose name looks like a secret is never recorded
//! verbatim. It owns the words, the splitter that finds them in a name, the
//! methods that pass a value on, and the messages; `#[traced]` applies it to
//! field names, to every name inside a field expression, to every binding of
//! every parameter, and to what `ret` returns. Pure functions of their input:
//! no allocation beyond the name's words, no panics.

mod message;
#[cfg(test)]
mod tests;
mod words;

pub use message::{
    secret_argument, secret_exposed, secret_field_name, secret_in_field, secret_return,
    SecretSource,
};
pub use words::{secret_word, VERBATIM_METHODS};

/// The explicit, greppable opt-out: `fields(not_secret(name) = …)`,
/// `ret(not_secret)`.
pub const NOT_SECRET: &str = "not_secret";

/// What a redacted value records instead of itself.
pub const REDACTED: &str = "[redacted]";
