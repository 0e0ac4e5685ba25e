//! [`ConfigError`]: an invalid setting, named, with credentials masked; or a
//! part of the pipeline that could not start.

use std::borrow::Cow;
use std::fmt;

/// An invalid setting, or a part of the pipeline that could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable (or a setting made in code) has a value obs cannot use.
    Invalid {
        /// The variable, or the [`Config`](crate::Config) field the value came from.
        variable: Cow<'static, str>,
        /// The value as given.
        value: String,
        /// What was expected instead.
        expected: Cow<'static, str>,
    },
    /// A part of the pipeline could not start (the `/metrics` address is in
    /// use, the exporter thread could not be spawned).
    Start {
        /// What failed to start.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// `init` already ran in this process, or a global `tracing` subscriber
    /// was installed by other code: `init` installs one and cannot replace
    /// it. Nothing was started.
    AlreadyInitialized,
}

impl ConfigError {
    pub(crate) fn invalid(
        variable: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        ConfigError::Invalid {
            variable: variable.into(),
            value: mask_credentials(value.into()),
            expected: expected.into(),
        }
    }

    /// The variable (or `Config` method) whose value was invalid.
    pub fn variable(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { variable, .. } => Some(variable),
            _ => None,
        }
    }
}

/// `value` with the `user:pass` of every `user:pass@` in a URL replaced by
/// `***`, so an
/// error never shows a credential given in a URL.
fn mask_credentials(value: String) -> String {
    if !value.contains('@') {
        return value;
    }
    let mut masked = String::with_capacity(value.len());
    let mut rest = value.as_str();
    while let Some(scheme_end) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme_end + 3);
        masked.push_str(head);
        let authority_end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                masked.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    masked.push_str(rest);
    masked
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                variable,
                value,
                expected,
            } => write!(f, "invalid {variable}={value:?}: expected {expected}"),
            ConfigError::Start { what, reason } => write!(f, "cannot start {what}: {reason}"),
            ConfigError::AlreadyInitialized => f.write_str(
                "obs_runtime::init already ran, or a global tracing subscriber is already \
                 installed; call obs_runtime::init once, before any other subscriber is set",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A value the configuration ignored: an unknown value of a variable that
/// takes one of a few names (a protocol, a sampler, an exporter, a
/// compression, a switch). The OpenTelemetry specification says to warn
/// about such a value and go on as if it were unset, so a typo does not
/// leave a service without telemetry; [`init`](crate::init) prints each
/// warning on standard error. Values that are malformed (an address, a
/// number, a URL, a header) are [`ConfigError`]s instead.
///
/// ```
/// use obs_runtime::Config;
///
/// let config = Config::from_vars([("OTEL_TRACES_SAMPLER", "sometimes")])?;
/// assert_eq!(config.warnings.len(), 1);
/// assert_eq!(config.warnings[0].variable, "OTEL_TRACES_SAMPLER");
/// assert!(config.warnings[0].to_string().starts_with("ignoring OTEL_TRACES_SAMPLER=\"sometimes\""));
/// # Ok::<(), obs_runtime::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigWarning {
    /// The variable.
    pub variable: Cow<'static, str>,
    /// Its value, as given.
    pub value: String,
    /// What it could have been.
    pub expected: Cow<'static, str>,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ignoring {}={:?}: expected {}; the default applies",
            self.variable, self.value, self.expected
        )
    }
}
