//! The secret rule's false-positive guards compile, and what is recorded is
//! what the docs say: `Secret` arguments and struct fields record
//! `[redacted]`, pattern bindings are arguments, `err(type_only)` records the
//! error's type and no message, and `not_secret` records what it names.
#![deny(warnings)]

use obs_runtime::testing::capture;
use obs_runtime::{traced, Secret};
use std::fmt;

// Names that contain a secret word's letters, or count tokens.
#[traced(
    level = "info",
    name = "llm.usage",
    fields(author, prompt_tokens, token_count, max_tokens, passenger, pinned)
)]
fn usage(
    author: &str,
    prompt_tokens: u64,
    token_count: u64,
    max_tokens: u64,
    passenger: &str,
    pinned: bool,
) -> u64 {
    prompt_tokens + token_count + max_tokens + author.len() as u64 + passenger.len() as u64
        + u64::from(pinned)
}

// Properties of a secret are not the secret.
#[traced(
    level = "info",
    name = "llm.key",
    fields(key_len = api_key.len(), has_key = !api_key.trim().is_empty(), usage.prompt_tokens = 3)
)]
fn key_facts(api_key: &str) -> usize {
    api_key.len()
}

pub struct Path<T>(pub T);

// A binding of a parameter pattern is an argument.
#[traced(level = "info", name = "http.get", fields(id))]
fn get(Path(id): Path<u32>) -> u32 {
    id
}

#[derive(Debug)]
struct Login {
    user: String,
    password: Secret<String>,
}

// A `Secret` argument may be listed whatever its name; a struct holding one
// records it as `[redacted]`.
#[traced(level = "info", name = "auth.login", fields(user = %login.user, login = ?login, api_key))]
fn sign_in(login: &Login, api_key: &Secret<String>) -> bool {
    !login.password.expose_secret().is_empty() && !api_key.expose_secret().is_empty()
}

#[derive(Debug)]
struct ConnectError {
    dsn: String,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to {}", self.dsn)
    }
}

// The error's message would carry the DSN: only its type is recorded.
#[traced(level = "info", name = "db.connect", err(type_only))]
fn connect(dsn: &str) -> Result<(), ConnectError> {
    Err(ConnectError { dsn: dsn.to_owned() })
}

// The explicit opt-outs, for values that only look like secrets.
#[traced(
    level = "info",
    name = "auth.policy",
    fields(not_secret(password_policy), not_secret(token.kind) = %kind),
    ret(not_secret)
)]
fn policy(password_policy: &str, kind: &str) -> String {
    format!("{password_policy}/{kind}")
}

// `ret` on a function that returns no secret, though its name has one.
#[traced(level = "info", name = "auth.validate", ret)]
fn validate_token(token_len: usize) -> bool {
    token_len > 8
}

// `ret` on a `Secret`: recorded as `[redacted]`.
#[traced(level = "info", name = "auth.issue", ret)]
fn issue_token(user: &str) -> Secret<String> {
    Secret::new(format!("tok-{user}"))
}

fn main() {
    let (_, spans) = capture(|| usage("ada", 1, 2, 3, "bob", true));
    let span = spans.span("llm.usage");
    assert_eq!(span.field("prompt_tokens"), Some("1"));
    assert_eq!(span.field("pinned"), Some("true"));

    let (_, spans) = capture(|| key_facts(" sk-123 "));
    assert_eq!(spans.span("llm.key").field("key_len"), Some("8"));
    assert_eq!(spans.span("llm.key").field("has_key"), Some("true"));

    let (id, spans) = capture(|| get(Path(42)));
    assert_eq!(id, 42);
    assert_eq!(spans.span("http.get").field("id"), Some("42"));

    let login = Login {
        user: "ada".into(),
        password: Secret::new("hunter2".into()),
    };
    let (ok, spans) = capture(|| sign_in(&login, &Secret::new("sk-123".into())));
    assert!(ok);
    let span = spans.span("auth.login");
    assert_eq!(span.field("user"), Some("ada"));
    assert_eq!(
        span.field("login"),
        Some(r#"Login { user: "ada", password: [redacted] }"#)
    );
    assert_eq!(span.field("api_key"), Some("[redacted]"));
    assert!(!format!("{spans:?}").contains("hunter2"));
    assert!(!format!("{spans:?}").contains("sk-123"));

    let (result, spans) = capture(|| connect("postgres://app:hunter2@db/app"));
    assert!(result.is_err());
    let span = spans.span("db.connect");
    assert!(span.is_error());
    assert_eq!(span.field("error.type"), Some("ConnectError"));
    assert_eq!(span.field("exception.message"), None);
    // The status description is the type name alone, never the message.
    assert_eq!(span.field("otel.status_description"), Some("ConnectError"));
    assert!(!format!("{spans:?}").contains("hunter2"));

    let (_, spans) = capture(|| policy("min8", "bearer"));
    let span = spans.span("auth.policy");
    assert_eq!(span.field("password_policy"), Some("min8"));
    assert_eq!(span.field("token.kind"), Some("bearer"));
    assert_eq!(span.field("ret"), Some(r#""min8/bearer""#));

    let (_, spans) = capture(|| validate_token(12));
    assert_eq!(spans.span("auth.validate").field("ret"), Some("true"));

    let (token, spans) = capture(|| issue_token("ada"));
    assert_eq!(token.expose_secret(), "tok-ada");
    assert_eq!(spans.span("auth.issue").field("ret"), Some("[redacted]"));
}
