//! [`Secret<T>`]: a value that prints as `[redacted]`. This module owns the
//! wrapper only; it never formats the value it holds.

use std::fmt;

/// A value whose `Debug` and `Display` print `[redacted]`, so that it can sit
/// in a struct that is recorded with `?value`, in an error recorded by `err`,
/// or in a `#[traced]` signature, without being recorded.
///
/// `#[traced]` recognises an argument of type `Secret<_>` (or a reference to
/// one): it may be listed in `fields(...)` whatever its name, and records
/// `[redacted]`. Taking the value out inside a field
/// (`fields(k = %key.expose_secret())`) is refused.
///
/// ```
/// use obs_runtime::{traced, Secret};
///
/// #[derive(Debug)]
/// struct Login {
///     user: String,
///     password: Secret<String>,
/// }
///
/// let login = Login { user: "ada".into(), password: Secret::new("hunter2".into()) };
/// assert_eq!(format!("{login:?}"), r#"Login { user: "ada", password: [redacted] }"#);
/// assert_eq!(login.password.expose_secret(), "hunter2");
///
/// #[traced(level = "info", name = "auth.login", fields(user, api_key))]
/// fn sign_in(user: &str, api_key: &Secret<String>) -> bool {
///     !user.is_empty() && !api_key.expose_secret().is_empty()
/// }
/// assert!(sign_in("ada", &Secret::new("sk-123".into())));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the code that needs it. The name is meant to
    /// stand out in review.
    pub const fn expose_secret(&self) -> &T {
        &self.0
    }

    /// The value, unwrapped.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(obs_rules::REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(obs_rules::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn formats_as_redacted_whatever_the_flags() {
        let secret = Secret::new("hunter2");
        for text in [
            format!("{secret}"),
            format!("{secret:?}"),
            format!("{secret:#?}"),
            format!("{secret:>20}").trim().to_owned(),
            secret.to_string(),
        ] {
            assert_eq!(text, "[redacted]");
        }
        assert_eq!(format!("{:?}", Some(secret)), "Some([redacted])");
        assert_eq!(*secret.expose_secret(), "hunter2");
        assert_eq!(Secret::from(7).into_inner(), 7);
    }
}
