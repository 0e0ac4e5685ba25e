//! `#[traced]` on every shape of free function: the span is created, named,
//! levelled and filled as declared, and the body behaves as written (early
//! `return`, `?`, inference, `impl Trait` returns, generics).
#![deny(warnings)]

use obs_runtime::testing::capture;
use obs_runtime::{function_metrics, traced};
use std::fmt;

#[derive(Debug, PartialEq)]
struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot parse: {}", self.0)
    }
}

impl From<std::num::ParseIntError> for ParseError {
    fn from(error: std::num::ParseIntError) -> Self {
        ParseError(error.to_string())
    }
}

#[traced(level = "info", name = "spec.load", fields(path, size = bytes.len()))]
fn load(path: &str, bytes: &[u8]) -> usize {
    bytes.len() + path.len()
}

// An early `return` and `?` behave as without the attribute, and `err`,
// `ret` and `metrics` see every exit.
#[traced(level = "debug", name = "spec.parse", err, ret, metrics, fields(input))]
fn parse(input: &str) -> Result<u32, ParseError> {
    if input.is_empty() {
        return Err(ParseError("empty".into()));
    }
    let value: u32 = input.trim().parse()?;
    Ok(value * 2)
}

// `Into` and `collect` need the declared return type to infer: it is kept.
#[traced(level = "debug", name = "spec.words", ret(Debug))]
fn words(input: &str) -> Vec<String> {
    input.split(' ').map(Into::into).collect()
}

#[traced(level = "debug", name = "spec.total")]
fn total(values: &[u32]) -> u64 {
    values.iter().map(|v| u64::from(*v)).sum()
}

// Generic, with a where-clause, recording the argument with `Debug`.
#[traced(level = "debug", name = "spec.largest", fields(items = ?items), ret(Debug))]
fn largest<T, I>(items: I) -> Option<T>
where
    T: Ord + fmt::Debug + Clone,
    I: IntoIterator<Item = T> + fmt::Debug + Clone,
{
    items.into_iter().max()
}

// `impl Trait` in return position: the iterator is returned from inside the span.
#[traced(level = "trace", name = "spec.evens")]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

// `impl Trait` with metrics: the result is read without naming its type.
#[traced(level = "trace", name = "spec.odds", metrics)]
fn odds(limit: u32) -> impl Iterator<Item = u32> + Clone {
    (0..limit).filter(|n| n % 2 == 1)
}

// A reference tied to an argument's lifetime, through `ret`.
#[traced(level = "trace", name = "spec.first_word", ret)]
fn first_word<'a>(input: &'a str) -> &'a str {
    input.split(' ').next().unwrap_or(input)
}

// Elided lifetimes and `err(Debug)`.
#[traced(level = "trace", name = "spec.prefix", err(Debug), ret(Display))]
fn prefix(input: &str, at: usize) -> Result<&str, String> {
    input
        .get(..at)
        .ok_or_else(|| format!("{at} is out of range"))
}

// A diverging path and a `match` that needs the return type to unify.
#[traced(level = "debug", name = "spec.classify", ret)]
fn classify(n: i64) -> &'static str {
    match n {
        i64::MIN..=-1 => "negative",
        0 => return "zero",
        _ => "positive",
    }
}

#[traced(level = "debug", name = "spec.follow", parent = None, follows_from = parent_id.clone())]
fn follow(parent_id: Option<tracing::Id>) -> bool {
    parent_id.is_some()
}

#[traced(level = "debug", name = "spec.secret", redact(api_key), fields(key_len = api_key.len()))]
fn with_secret(api_key: &str) -> bool {
    !api_key.is_empty()
}

#[traced(
    level = "info",
    name = "spec.kinds",
    kind = "client",
    target = "spec_client"
)]
fn client_call() {}

// A body whose own variables are named like the ones the expansion uses.
#[traced(level = "debug", name = "spec.shadow", err, ret, metrics)]
fn shadow(n: u32) -> Result<u32, String> {
    let __obs_span = n;
    let __obs_result = __obs_span + 1;
    let __obs_timer = __obs_result * 2;
    let __obs_entered = __obs_timer + 1;
    let __obs_error = __obs_entered;
    let __obs_value = __obs_error;
    let __obs_future_span = __obs_value;
    let __obs_fake_return = __obs_future_span;
    Ok(__obs_fake_return)
}

// Lints apply to the user's body as without the attribute: this compiles
// because the body uses every variable (the compile-fail twin is
// `ui/traced/unused_variable_in_body.rs`).
#[deny(unused_variables, unused_mut, unreachable_code)]
#[traced(level = "debug", name = "spec.linted", err, metrics)]
fn linted(input: &str) -> Result<usize, String> {
    let mut count = 0;
    for _ in input.chars() {
        count += 1;
    }
    Ok(count)
}

fn main() {
    let (size, spans) = capture(|| load("a.spec", b"xyz"));
    assert_eq!(size, 9);
    let span = spans.span("spec.load");
    assert_eq!(span.level, "INFO");
    assert_eq!(span.field("path"), Some("a.spec"));
    assert_eq!(span.field("size"), Some("3"));
    assert_eq!(span.kind(), "internal");
    assert!(span.closed);

    let (results, spans) = capture(|| [parse("21"), parse(""), parse("x")]);
    assert_eq!(
        results,
        [
            Ok(42),
            Err(ParseError("empty".into())),
            Err(ParseError("invalid digit found in string".into()))
        ]
    );
    let parses = spans.all("spec.parse");
    assert_eq!(parses.len(), 3);
    assert_eq!(parses[0].level, "DEBUG");
    assert_eq!(parses[0].field("ret"), Some("42"));
    assert_eq!(parses[0].field("input"), Some("21"));
    assert!(!parses[0].is_error());
    assert!(parses[1].is_error());
    assert_eq!(parses[1].field("error.type"), Some("ParseError"));
    assert_eq!(
        parses[1].field("exception.message"),
        Some("cannot parse: empty")
    );
    assert_eq!(parses[1].field("ret"), None);
    assert!(parses[2].is_error());
    let red = function_metrics("spec.parse").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (1, 2));

    let (list, spans) = capture(|| words("a b"));
    assert_eq!(list, ["a", "b"]);
    assert_eq!(spans.span("spec.words").field("ret"), Some(r#"["a", "b"]"#));

    assert_eq!(total(&[1, 2, 3]), 6);

    let (max, spans) = capture(|| largest(vec![3, 9, 4]));
    assert_eq!(max, Some(9));
    let span = spans.span("spec.largest");
    assert_eq!(span.field("items"), Some("[3, 9, 4]"));
    assert_eq!(span.field("ret"), Some("Some(9)"));

    // The iterator is built inside the span; it runs after.
    let (iter, spans) = capture(|| evens(7));
    assert_eq!(spans.names(), ["spec.evens"]);
    assert_eq!(iter.collect::<Vec<_>>(), [0, 2, 4, 6]);
    let (iter, _) = capture(|| odds(6));
    assert_eq!(iter.clone().count(), 3);
    assert_eq!(function_metrics("spec.odds").expect("called").ok_count(), 1);

    let (word, spans) = capture(|| first_word("hello world"));
    assert_eq!(word, "hello");
    // `ret` records with `Debug`, `ret(Display)` with `Display`.
    assert_eq!(
        spans.span("spec.first_word").field("ret"),
        Some(r#""hello""#)
    );

    let (head, spans) = capture(|| (prefix("abc", 2), prefix("abc", 9)));
    assert_eq!(head, (Ok("ab"), Err("9 is out of range".to_owned())));
    let prefixes = spans.all("spec.prefix");
    assert_eq!(prefixes[0].field("ret"), Some("ab"));
    assert_eq!(
        prefixes[1].field("exception.message"),
        Some(r#""9 is out of range""#)
    );

    let (classes, spans) = capture(|| [classify(-3), classify(0), classify(8)]);
    assert_eq!(classes, ["negative", "zero", "positive"]);
    assert_eq!(
        spans.all("spec.classify")[1].field("ret"),
        Some(r#""zero""#)
    );

    let (followed, spans) = capture(|| {
        let _outer = load("outer", b"").to_string();
        let root = tracing::info_span!("spec.root");
        let _guard = root.enter();
        follow(root.id())
    });
    assert!(followed);
    let follow_span = spans.span("spec.follow");
    assert_eq!(follow_span.parent, None, "`parent = None` makes a root");
    assert_eq!(follow_span.follows_from, [spans.span("spec.root").index]);

    let (ok, spans) = capture(|| with_secret("sk-123"));
    assert!(ok);
    let span = spans.span("spec.secret");
    assert_eq!(span.field("api_key"), Some("[redacted]"));
    assert_eq!(span.field("key_len"), Some("6"));
    assert!(!format!("{spans:?}").contains("sk-123"));

    let (_, spans) = capture(client_call);
    let span = spans.span("spec.kinds");
    assert_eq!(span.kind(), "client");
    assert_eq!(span.target, "spec_client");

    let (shadowed, spans) = capture(|| shadow(1));
    assert_eq!(shadowed, Ok(5));
    assert_eq!(spans.span("spec.shadow").field("ret"), Some("5"));

    assert_eq!(linted("abc"), Ok(3));

    let descriptor = obs_runtime::span_descriptors()
        .iter()
        .find(|d| d.name == "spec.parse")
        .expect("descriptor");
    assert_eq!(descriptor.level, obs_runtime::SpanLevel::Debug);
    assert!(descriptor.metrics);
}
