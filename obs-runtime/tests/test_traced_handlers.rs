//! `#[traced]` on request handlers: `error_if` marks a span failed from the
//! value it returns, `err(if = …)` tells an expected error from a failure,
//! `otel_name` names the exported span at run time, `semconv::attribute`
//! constants name fields, and integers are recorded as integers; each
//! observed through the in-memory capture and the RED metrics.

use obs_runtime::testing::{capture, capture_future};
use obs_runtime::{function_metrics, span_descriptors, traced};
use std::fmt;
use std::future::Future;

/// A response as a web framework returns it.
#[derive(Debug)]
struct Response {
    status: u16,
}

impl Response {
    fn is_server_error(&self) -> bool {
        (500..600).contains(&self.status)
    }
}

#[derive(Debug, PartialEq)]
enum StoreError {
    NotFound,
    Unavailable,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound => f.write_str("no such user"),
            StoreError::Unavailable => f.write_str("the store is unavailable"),
        }
    }
}

// === error_if ===

#[traced(
    level = "info",
    name = "users.get",
    kind = "server",
    metrics,
    error_if = |response: &Response| response.is_server_error()
)]
fn get_user(status: u16) -> Response {
    Response { status }
}

#[test]
fn error_if_marks_a_returned_value_failed() {
    let (_, spans) = capture(|| {
        get_user(200);
        get_user(404);
        get_user(503);
    });
    let statuses: Vec<Option<&str>> = spans
        .all("users.get")
        .iter()
        .map(|span| span.field("otel.status_code"))
        .collect();
    assert_eq!(statuses, [None, None, Some("ERROR")]);
    let failed = spans.all("users.get")[2];
    assert!(failed.is_error());
    assert_eq!(failed.field("error.type"), Some("_OTHER"));

    // The RED metrics count it as an error.
    let red = function_metrics("users.get").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (2, 1));
}

#[traced(level = "info", name = "users.get_async", error_if = |r: &Response| r.is_server_error())]
async fn get_user_async(status: u16) -> Response {
    Response { status }
}

#[traced(level = "info", name = "users.get_future", error_if = |r: &Response| r.is_server_error())]
fn get_user_future(status: u16) -> impl Future<Output = Response> {
    async move { Response { status } }
}

#[tokio::test]
async fn error_if_reads_the_output_of_async_functions() {
    let (_, spans) = capture_future(async {
        get_user_async(500).await;
        get_user_async(200).await;
        get_user_future(502).await;
        get_user_future(201).await;
    })
    .await;
    let errors: Vec<(&str, bool)> = spans
        .spans
        .iter()
        .map(|span| (span.name.as_str(), span.is_error()))
        .collect();
    assert_eq!(
        errors,
        [
            ("users.get_async", true),
            ("users.get_async", false),
            ("users.get_future", true),
            ("users.get_future", false),
        ]
    );
}

// === err(if = …) ===

#[traced(
    level = "info",
    name = "users.load",
    metrics,
    err(if = |e: &StoreError| *e != StoreError::NotFound)
)]
fn load_user(id: u32) -> Result<String, StoreError> {
    match id {
        0 => Err(StoreError::NotFound),
        1 => Err(StoreError::Unavailable),
        _ => Ok(format!("user {id}")),
    }
}

#[test]
fn an_expected_error_leaves_the_span_ok_and_is_not_counted() {
    let (_, spans) = capture(|| {
        let _ = load_user(0);
        let _ = load_user(1);
        let _ = load_user(2);
    });
    let [not_found, unavailable, found] = spans.all("users.load")[..] else {
        panic!("three calls, three spans");
    };
    assert!(!not_found.is_error());
    assert_eq!(not_found.field("error.type"), None);
    assert!(unavailable.is_error());
    assert_eq!(unavailable.field("error.type"), Some("StoreError"));
    assert_eq!(
        unavailable.field("exception.message"),
        Some("the store is unavailable")
    );
    assert!(!found.is_error());

    let red = function_metrics("users.load").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (2, 1));
}

// A handler returning `Result<Response, _>`: `err` judges the `Err`,
// `error_if` the `Ok` value.
#[traced(
    level = "info",
    name = "users.update",
    metrics,
    err(type_only, if = |e: &StoreError| *e != StoreError::NotFound),
    error_if = |r: &Response| r.is_server_error()
)]
async fn update_user(id: u32) -> Result<Response, StoreError> {
    match id {
        0 => Err(StoreError::NotFound),
        1 => Err(StoreError::Unavailable),
        2 => Ok(Response { status: 500 }),
        _ => Ok(Response { status: 204 }),
    }
}

#[tokio::test]
async fn err_judges_the_error_and_error_if_the_ok_value() {
    let (_, spans) = capture_future(async {
        for id in 0..4 {
            let _ = update_user(id).await;
        }
    })
    .await;
    let errors: Vec<bool> = spans
        .all("users.update")
        .iter()
        .map(|s| s.is_error())
        .collect();
    assert_eq!(errors, [false, true, true, false]);
    let red = function_metrics("users.update").expect("called");
    assert_eq!((red.ok_count(), red.error_count()), (2, 2));
}

// === otel_name and semantic conventions ===

#[traced(
    level = "info",
    name = "http.server.request",
    kind = "server",
    otel_name = format!("{method} {route}"),
    fields(
        semconv::attribute::HTTP_REQUEST_METHOD = method,
        obs_runtime::semconv::attribute::HTTP_ROUTE = route,
        http.response.status_code = status,
    )
)]
fn handle(method: &str, route: &str, status: u16) -> u16 {
    status
}

#[test]
fn otel_name_and_semconv_fields_are_recorded() {
    let (_, spans) = capture(|| handle("GET", "/users/{id}", 200));
    let span = spans.span("http.server.request");
    assert_eq!(span.field("otel.name"), Some("GET /users/{id}"));
    assert_eq!(span.field("http.request.method"), Some("GET"));
    assert_eq!(span.field("http.route"), Some("/users/{id}"));
    assert_eq!(span.field("http.response.status_code"), Some("200"));

    let descriptor = span_descriptors()
        .iter()
        .find(|d| d.name == "http.server.request")
        .unwrap();
    assert_eq!(
        descriptor.fields,
        [
            "otel.kind",
            "http.request.method",
            "http.route",
            "http.response.status_code",
            "otel.name",
        ]
    );
}

// === integers ===

/// How each field of the current span was recorded, by `tracing` method.
mod recorded {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

    #[derive(Clone, Default)]
    pub struct Kinds(pub Arc<Mutex<BTreeMap<String, String>>>);

    impl Visit for Kinds {
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.insert(field, format!("i64 {value}"));
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            self.insert(field, format!("u64 {value}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.insert(field, format!("str {value}"));
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.insert(field, format!("debug {value:?}"));
        }
    }

    impl Kinds {
        fn insert(&mut self, field: &Field, kind: String) {
            self.0.lock().unwrap().insert(field.name().to_owned(), kind);
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for Kinds {
        fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            attrs.record(&mut self.clone());
        }
    }

    /// The fields of the spans `f` creates, and how each was recorded.
    pub fn kinds(f: impl FnOnce()) -> BTreeMap<String, String> {
        let kinds = Kinds::default();
        let subscriber = tracing_subscriber::registry().with(kinds.clone());
        tracing::subscriber::with_default(subscriber, f);
        let map = kinds.0.lock().unwrap().clone();
        map
    }
}

#[traced(
    level = "info",
    name = "upload.store",
    fields(size = bytes.len(), chunks, big = u64::MAX, attempt = 3, name, ratio = 0.5)
)]
fn store(bytes: &[u8], chunks: u32, name: &str) {}

#[test]
fn integers_are_recorded_as_i64() {
    let kinds = recorded::kinds(|| store(b"abc", 2, "a.bin"));
    assert_eq!(kinds["size"], "i64 3");
    assert_eq!(kinds["chunks"], "i64 2");
    assert_eq!(kinds["attempt"], "i64 3");
    // Out of `i64`'s range: its decimal text.
    assert_eq!(kinds["big"], "debug 18446744073709551615");
    assert_eq!(kinds["name"], "str a.bin");
}
