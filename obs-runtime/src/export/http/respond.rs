//! Routing and the `/metrics` response: format negotiation, `HEAD` without
//! encoding, gzip, and one encoding shared by concurrent scrapes.

use crate::encoding::negotiate::{accepts_gzip, negotiate};
use crate::encoding::Format;
use crate::registry::{Registry, RegistrySource};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// A body being encoded: `None` until it is ready.
type Pending = watch::Receiver<Option<Bytes>>;

/// Encodings in progress, by (format, gzip): a scrape arriving while one
/// runs waits for it and shares its body instead of encoding again.
#[derive(Default)]
pub(super) struct Scrapes {
    in_flight: Mutex<HashMap<(Format, bool), Pending>>,
}

pub(super) async fn route<B>(
    registry: &RegistrySource,
    scrapes: &Arc<Scrapes>,
    serve_catalog: bool,
    request: &Request<B>,
) -> Response<Full<Bytes>> {
    let head = request.method() == Method::HEAD;
    match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/catalog") if serve_catalog => {
            // The catalog is small and built from static lists: no need to
            // move it off the server's thread.
            let body = if head {
                Bytes::new()
            } else {
                Bytes::from(crate::catalog::catalog().to_json())
            };
            let mut response = Response::new(Full::new(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let headers = request.headers();
            let Some(format) = negotiate(values(headers, header::ACCEPT)) else {
                return plain(StatusCode::NOT_ACCEPTABLE, "not acceptable: this endpoint serves application/openmetrics-text and text/plain\n");
            };
            let gzip = accepts_gzip(values(headers, header::ACCEPT_ENCODING));
            let body = if head {
                Bytes::new()
            } else {
                match shared_body(registry, scrapes, format, gzip).await {
                    Some(body) => body,
                    None => return plain(StatusCode::INTERNAL_SERVER_ERROR, "encoding failed\n"),
                }
            };
            let mut response = Response::new(Full::new(body));
            set_headers(response.headers_mut(), format, gzip);
            response
        }
        (&Method::GET | &Method::HEAD, "/healthz") => plain(StatusCode::OK, "ok\n"),
        (_, path)
            if path == "/metrics"
                || path == "/healthz"
                || (serve_catalog && path == "/catalog") =>
        {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
        _ => plain(StatusCode::NOT_FOUND, "not found: try /metrics\n"),
    }
}

fn values(headers: &HeaderMap, name: header::HeaderName) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|value| value.to_str().ok())
}

fn set_headers(headers: &mut HeaderMap, format: Format, gzip: bool) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
}

/// The body for one scrape: joins an encoding in progress for the same
/// format, or starts one on the blocking pool. `None` if encoding panicked.
async fn shared_body(
    registry: &RegistrySource,
    scrapes: &Arc<Scrapes>,
    format: Format,
    gzip: bool,
) -> Option<Bytes> {
    let key = (format, gzip);
    let mut receiver = {
        let mut in_flight = scrapes
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match in_flight.get(&key) {
            Some(receiver) => receiver.clone(),
            None => {
                let (sender, receiver) = watch::channel(None);
                in_flight.insert(key, receiver.clone());
                let registry = registry.clone();
                let scrapes = scrapes.clone();
                tokio::task::spawn_blocking(move || {
                    let body = encode(registry.get(), format, gzip);
                    let mut in_flight = scrapes
                        .in_flight
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    in_flight.remove(&key);
                    let _ = sender.send(Some(body));
                });
                receiver
            }
        }
    };
    let body = receiver.wait_for(Option::is_some).await.ok()?;
    body.clone()
}

fn encode(registry: &Registry, format: Format, gzip: bool) -> Bytes {
    let text = registry.encode(format);
    if !gzip {
        return Bytes::from(text);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Renders `registry` as an HTTP response, choosing the format from the
/// request's `Accept` header: for services that already run an HTTP server.
/// A client that refuses both formats gets `406 Not Acceptable`.
///
/// With axum:
///
/// ```ignore
/// use axum::{http::HeaderMap, routing::get, Router};
///
/// let app: Router = Router::new().route("/metrics", get(|headers: HeaderMap| async move {
///     let accept = headers.get("accept").and_then(|v| v.to_str().ok());
///     obs_runtime::export::http::metrics_response(obs_runtime::Registry::global(), accept)
/// }));
/// ```
///
/// ```
/// use obs_runtime::{export::http::metrics_response, Registry};
///
/// let response = metrics_response(&Registry::new(), Some("application/openmetrics-text"));
/// assert_eq!(response.headers()["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// assert_eq!(response.headers()["vary"], "Accept, Accept-Encoding");
/// assert_eq!(response.body(), "# EOF\n");
///
/// let refused = metrics_response(&Registry::new(), Some("text/html"));
/// assert_eq!(refused.status(), 406);
/// ```
pub fn metrics_response(registry: &Registry, accept: Option<&str>) -> Response<String> {
    let Some(format) = negotiate(accept) else {
        let mut response = Response::new("not acceptable\n".to_owned());
        *response.status_mut() = StatusCode::NOT_ACCEPTABLE;
        return response;
    };
    let mut response = Response::new(registry.encode(format));
    set_headers(response.headers_mut(), format, false);
    response
}

#[cfg(test)]
#[path = "../../../tests/gated/mod.rs"]
mod gated;

#[cfg(test)]
mod tests {
    use super::gated::Gated;
    use super::*;
    use crate::registry::MetricDef;
    use std::future::{poll_fn, Future};
    use std::task::Poll;

    // A second scrape that arrives while the first is being encoded shares
    // its body: the registry is encoded once.
    #[test]
    fn concurrent_scrapes_share_one_encoding() {
        let registry = Arc::new(Registry::new());
        let gated = registry
            .register_metric::<Gated>(MetricDef::new("gated", "Waits for the test."))
            .unwrap();
        let source = RegistrySource::from(registry);
        let scrapes = Arc::new(Scrapes::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let first = shared_body(&source, &scrapes, Format::OPENMETRICS, true);
            let second = shared_body(&source, &scrapes, Format::OPENMETRICS, true);
            tokio::pin!(first, second);
            // Poll the first once: its encoding starts and waits at the gate.
            poll_fn(|cx| Poll::Ready(first.as_mut().poll(cx).is_pending())).await;
            gated.wait_for_encodings(1);
            // Poll the second once while the first is in flight.
            poll_fn(|cx| Poll::Ready(second.as_mut().poll(cx).is_pending())).await;
            gated.open();
            let (first, second) = (first.await.unwrap(), second.await.unwrap());
            assert_eq!(first, second);
            assert_eq!(gated.encodings(), 1, "encoded more than once");
        });
    }
}
