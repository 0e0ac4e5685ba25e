// What the secret rule says when it fires, for every path a value can take
// into a span. The macro spans these at the user's tokens.

use super::{NOT_SECRET, REDACTED};
use crate::Violation;

/// What a field records that looks like a secret, for [`secret_in_field`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSource<'a> {
    /// An argument (or a binding of an argument's pattern), recorded as it is
    /// or through a call: `%password`, `password.trim()`,
    /// `String::from(password)`, or captured: `format!("{password}")`.
    Argument {
        /// The argument's name.
        name: &'a str,
        /// Whether `redact(name)` is set.
        redacted: bool,
        /// Whether a format string captures it (`{name}`).
        captured: bool,
    },
    /// Any other expression: a field, a method, a constant
    /// (`creds.password`, `self.api_key`, `API_KEY`), as written.
    Expression(&'a str),
    /// A string key the expression looks up (`headers.get("authorization")`),
    /// as written.
    Key(&'a str),
}

/// A field named after an argument that looks like a secret: `fields(password)`.
///
/// ```
/// let violation = obs_rules::secret_argument("password", "password");
/// assert_eq!(violation.help.as_deref(), Some(
///     "write `redact(password)` to record `[redacted]`, or `not_secret(password)` if it is not a secret"
/// ));
/// ```
pub fn secret_argument(argument: &str, word: &str) -> Violation {
    Violation::new(format!(
        "argument `{argument}` looks like a secret (`{word}`) and would be recorded verbatim"
    ))
    .help(format!(
        "write `redact({argument})` to record `{REDACTED}`, or `{NOT_SECRET}({argument})` if it is not a secret"
    ))
}

/// A field whose value reaches something that looks like a secret;
/// `field` is the field name as written (`user`, `db.password`, `"x-api-key"`).
///
/// ```
/// use obs_rules::{secret_in_field, SecretSource};
///
/// let violation = secret_in_field("user", SecretSource::Expression("creds.password"), "password");
/// assert_eq!(violation.message, "field `user` records `creds.password`, which looks like a secret (`password`)");
/// ```
pub fn secret_in_field(field: &str, source: SecretSource<'_>, word: &str) -> Violation {
    let anyway = format!("`{NOT_SECRET}({field}) = …` if it is not a secret");
    let (what, help) = match source {
        SecretSource::Argument {
            name,
            redacted,
            captured,
        } => {
            let what = if captured {
                format!("records argument `{name}`, captured by the format string,")
            } else {
                format!("records argument `{name}`,")
            };
            let help = if redacted {
                format!("remove `{field}`: `redact({name})` already records `{REDACTED}`")
            } else {
                format!("write `redact({name})` to record `{REDACTED}` instead, or {anyway}")
            };
            (what, help)
        }
        SecretSource::Expression(expression) => (
            format!("records `{expression}`,"),
            format!("leave it out, or write {anyway}"),
        ),
        SecretSource::Key(key) => (
            format!("reads the key `{key}`,"),
            format!("leave it out, or write {anyway}"),
        ),
    };
    Violation::new(format!(
        "field `{field}` {what} which looks like a secret (`{word}`)"
    ))
    .help(help)
}

/// A field that takes the value out of a `Secret` argument, which would
/// otherwise record `[redacted]`: `fields(k = %key.into_inner())`.
///
/// ```
/// let violation = obs_rules::secret_exposed("k", "key.into_inner()", "key");
/// assert!(violation.message.contains("takes the value out of"));
/// ```
pub fn secret_exposed(field: &str, expression: &str, argument: &str) -> Violation {
    Violation::new(format!(
        "field `{field}` records `{expression}`, which takes the value out of the `Secret` argument `{argument}`"
    ))
    .help(format!(
        "record `{argument}` itself, which records `{REDACTED}`, or write `{NOT_SECRET}({field}) = …` if it is not a secret"
    ))
}

/// A field whose own name looks like a secret, whatever its value: readers
/// and scrubbers take the name at its word. `field` is the name as written.
///
/// ```
/// let violation = obs_rules::secret_field_name("db.password", "password");
/// assert_eq!(violation.message, "field `db.password` is named like a secret (`password`)");
/// ```
pub fn secret_field_name(field: &str, word: &str) -> Violation {
    Violation::new(format!("field `{field}` is named like a secret (`{word}`)")).help(format!(
        "name the field after what it records, without `{word}`, or write `{NOT_SECRET}({field}) = …` if it is not a secret"
    ))
}

/// `ret` on a function whose return value looks like a secret, by the
/// function's name (`issue_token`) or by the returned type (`Some("AccessToken")`).
///
/// ```
/// let violation = obs_rules::secret_return("issue_token", None, "token");
/// assert_eq!(violation.message, "`ret` would record what `issue_token` returns, which looks like a secret (`token`)");
/// ```
pub fn secret_return(function: &str, returned_type: Option<&str>, word: &str) -> Violation {
    let what = match returned_type {
        Some(ty) => format!("the `{ty}` that `{function}` returns"),
        None => format!("what `{function}` returns"),
    };
    Violation::new(format!(
        "`ret` would record {what}, which looks like a secret (`{word}`)"
    ))
    .help(format!(
        "return an `obs_runtime::Secret<_>` to record `{REDACTED}`, remove `ret`, or write `ret({NOT_SECRET})` if it is not a secret"
    ))
}
