//! The layers' label sets: methods, routes and status codes, each bounded.

use crate::semconv::{self, http as conv};
use crate::{LabelSet, LabelText, LabelValue, UnboundedLabelValue};
use std::collections::BTreeSet;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};

/// An HTTP request method as the conventions record it: one of the nine
/// they know, or `_OTHER`.
///
/// ```
/// use obs_runtime::tower::HttpMethod;
/// use obs_runtime::LabelValue;
///
/// assert_eq!(HttpMethod::of(&http::Method::GET).as_str(), "GET");
/// let brew = http::Method::from_bytes(b"BREW").unwrap();
/// assert_eq!(HttpMethod::of(&brew), HttpMethod::Other);
/// assert_eq!(HttpMethod::Other.as_str(), "_OTHER");
/// ```
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum HttpMethod {
    /// `CONNECT`.
    #[label(rename = "CONNECT")]
    Connect,
    /// `DELETE`.
    #[label(rename = "DELETE")]
    Delete,
    /// `GET`.
    #[label(rename = "GET")]
    Get,
    /// `HEAD`.
    #[label(rename = "HEAD")]
    Head,
    /// `OPTIONS`.
    #[label(rename = "OPTIONS")]
    Options,
    /// `PATCH`.
    #[label(rename = "PATCH")]
    Patch,
    /// `POST`.
    #[label(rename = "POST")]
    Post,
    /// `PUT`.
    #[label(rename = "PUT")]
    Put,
    /// `TRACE`.
    #[label(rename = "TRACE")]
    Trace,
    /// Any other method.
    #[label(rename = "_OTHER")]
    Other,
}

impl HttpMethod {
    /// The method of a request. Methods are case-sensitive: `get` is not
    /// `GET`, so it is `_OTHER`.
    pub fn of(method: &http::Method) -> HttpMethod {
        use http::Method;
        match *method {
            Method::CONNECT => HttpMethod::Connect,
            Method::DELETE => HttpMethod::Delete,
            Method::GET => HttpMethod::Get,
            Method::HEAD => HttpMethod::Head,
            Method::OPTIONS => HttpMethod::Options,
            Method::PATCH => HttpMethod::Patch,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::TRACE => HttpMethod::Trace,
            _ => HttpMethod::Other,
        }
    }
}

/// What a server labels a request's route with: a [`RouteTemplate`] (the
/// default, read from the router), or any [`LabelValue`] enum of yours, so
/// that the catalog and dashboards know every route.
///
/// ```
/// use obs_runtime::tower::RouteLabel;
/// use obs_runtime::LabelValue;
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// enum Route {
///     #[label(rename = "/users/{id}")]
///     User,
///     #[label(rename = "_unmatched")]
///     Unmatched,
/// }
///
/// assert_eq!(<Route as RouteLabel>::ROUTES, Some(&["/users/{id}", "_unmatched"][..]));
/// assert_eq!(RouteLabel::text(Route::User), "/users/{id}");
/// ```
pub trait RouteLabel: Copy + Eq + Hash + Send + Sync + 'static {
    /// Every route, when they are known at compile time.
    const ROUTES: Option<&'static [&'static str]>;

    /// The route's text, the `http.route` attribute and label.
    fn text(self) -> &'static str;

    /// Whether a route matched (an unmatched request records no
    /// `http.route` attribute, and its span is named by the method alone).
    fn matched(self) -> bool {
        self.text() != conv::UNMATCHED_ROUTE
    }
}

impl<L: LabelValue> RouteLabel for L {
    const ROUTES: Option<&'static [&'static str]> = Some(L::VALUES);

    fn text(self) -> &'static str {
        self.as_str()
    }
}

/// A route template such as `/users/{id}`, as a router matched it.
///
/// Templates are interned: the first [`RouteTemplate::MAX`] distinct ones
/// are kept for the life of the program, and any beyond them (a route
/// function that returns raw paths, say) is recorded as
/// [`RouteTemplate::OTHER`], so neither memory nor series grow with what
/// clients send.
///
/// ```
/// use obs_runtime::tower::RouteTemplate;
///
/// let route = RouteTemplate::new("/users/{id}");
/// assert_eq!(route.as_str(), "/users/{id}");
/// assert_eq!(route, RouteTemplate::new("/users/{id}"));
/// assert_eq!(RouteTemplate::new(" "), RouteTemplate::UNMATCHED);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RouteTemplate(&'static str);

impl RouteTemplate {
    /// The route of a request that matched none.
    pub const UNMATCHED: RouteTemplate = RouteTemplate(conv::UNMATCHED_ROUTE);

    /// The route of every template beyond the first [`RouteTemplate::MAX`].
    pub const OTHER: RouteTemplate = RouteTemplate("_other");

    /// The most distinct templates kept.
    pub const MAX: usize = 1024;

    /// The template `text`, interned; [`RouteTemplate::UNMATCHED`] when it
    /// is not a valid label value (empty, or with surrounding whitespace or
    /// control characters).
    pub fn new(text: &str) -> RouteTemplate {
        static TEMPLATES: Interned = Interned::new(RouteTemplate::OTHER.0);
        // Only valid texts are kept, so a kept one needs no check: a route
        // is checked when first seen, not on every request.
        if let Some(kept) = TEMPLATES.get(text) {
            return RouteTemplate(kept);
        }
        match obs_rules::check_label_value(text) {
            Ok(()) => RouteTemplate(TEMPLATES.intern(text)),
            Err(_) => RouteTemplate::UNMATCHED,
        }
    }

    /// The template's text.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Label texts kept for the life of the program, at most
/// [`RouteTemplate::MAX`] of them, so that a label holds a `&'static str`
/// and recording costs no allocation; any text beyond them is `overflow`.
pub(super) struct Interned {
    overflow: &'static str,
    kept: RwLock<BTreeSet<&'static str>>,
}

impl Interned {
    pub(super) const fn new(overflow: &'static str) -> Interned {
        Interned {
            overflow,
            kept: RwLock::new(BTreeSet::new()),
        }
    }

    /// The kept text equal to `text`, if any.
    pub(super) fn get(&self, text: &str) -> Option<&'static str> {
        let kept = self.kept.read().unwrap_or_else(PoisonError::into_inner);
        kept.get(text).copied()
    }

    pub(super) fn intern(&self, text: &str) -> &'static str {
        if let Some(text) = self.get(text) {
            return text;
        }
        let mut kept = self.kept.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&text) = kept.get(text) {
            return text;
        }
        if kept.len() >= RouteTemplate::MAX {
            return self.overflow;
        }
        // Leaked on purpose, at most `MAX` times per table.
        let text: &'static str = Box::leak(text.into());
        kept.insert(text);
        text
    }
}

impl RouteLabel for RouteTemplate {
    const ROUTES: Option<&'static [&'static str]> = None;

    fn text(self) -> &'static str {
        self.0
    }
}

/// A response's status code, or `none` when no response arrived (the
/// service failed, the handler panicked, the connection broke).
///
/// ```
/// use obs_runtime::tower::StatusLabel;
/// use obs_runtime::{LabelText, UnboundedLabelValue};
///
/// assert_eq!(StatusLabel::Code(404).label_text(), LabelText::U64(404));
/// assert_eq!(StatusLabel::None.label_text(), LabelText::Str("none"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StatusLabel {
    /// The status code.
    Code(u16),
    /// No response.
    None,
}

impl UnboundedLabelValue for StatusLabel {
    fn label_text(&self) -> LabelText<'_> {
        match self {
            StatusLabel::Code(code) => LabelText::U64((*code).into()),
            StatusLabel::None => LabelText::Str("none"),
        }
    }
}

/// The labels of a server request's duration and sizes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ServerLabels<R> {
    /// `http_request_method`.
    pub method: HttpMethod,
    /// `http_route`.
    pub route: R,
    /// `http_response_status_code`.
    pub status: StatusLabel,
}

// Written by hand: the derive takes fields that are `LabelValue`s or
// unbounded values, and a route is either (`RouteLabel`), its values from
// `R`.
impl<R: RouteLabel> LabelSet for ServerLabels<R> {
    const NAMES: &'static [&'static str] = &[
        semconv::label::HTTP_REQUEST_METHOD,
        semconv::label::HTTP_ROUTE,
        semconv::label::HTTP_RESPONSE_STATUS_CODE,
    ];
    const CARDINALITY: Option<usize> = None;
    const VALUE_SETS: &'static [Option<&'static [&'static str]>] =
        &[Some(HttpMethod::VALUES), R::ROUTES, None];

    fn index(&self) -> usize {
        0
    }

    fn from_index(_: usize) -> Option<Self> {
        None
    }

    fn visit_values(&self, visit: &mut dyn FnMut(LabelText<'_>)) {
        visit(LabelText::Str(self.method.as_str()));
        visit(LabelText::Str(self.route.text()));
        visit(self.status.label_text());
    }
}

/// The labels of a server's panics: the method and the route.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RouteLabels<R> {
    /// `http_request_method`.
    pub method: HttpMethod,
    /// `http_route`.
    pub route: R,
}

impl<R: RouteLabel> LabelSet for RouteLabels<R> {
    const NAMES: &'static [&'static str] = &[
        semconv::label::HTTP_REQUEST_METHOD,
        semconv::label::HTTP_ROUTE,
    ];
    const CARDINALITY: Option<usize> = None;
    const VALUE_SETS: &'static [Option<&'static [&'static str]>] =
        &[Some(HttpMethod::VALUES), R::ROUTES];

    fn index(&self) -> usize {
        0
    }

    fn from_index(_: usize) -> Option<Self> {
        None
    }

    fn visit_values(&self, visit: &mut dyn FnMut(LabelText<'_>)) {
        visit(LabelText::Str(self.method.as_str()));
        visit(LabelText::Str(self.route.text()));
    }
}

/// The labels of the in-flight requests gauge: the method.
#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MethodLabels {
    /// The request method.
    pub http_request_method: HttpMethod,
}

/// The labels of a client request's duration.
#[derive(LabelSet, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ClientLabels {
    /// The request method.
    pub http_request_method: HttpMethod,
    /// The response's status code, `none` when none arrived.
    #[label(unbounded)]
    pub http_response_status_code: StatusLabel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_agree_with_the_conventions() {
        assert_eq!(&HttpMethod::VALUES[..9], &conv::METHODS[..]);
        assert_eq!(HttpMethod::Other.as_str(), conv::OTHER_METHOD);
        // One rule: the layers' methods are what `semconv::http::method`
        // says, known ones and others alike.
        for method in conv::METHODS
            .into_iter()
            .chain(["get", "Post", "BREW", "GETX"])
        {
            let parsed = http::Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(HttpMethod::of(&parsed).as_str(), conv::method(method));
        }
    }

    #[test]
    fn label_names_are_the_conventions_mapped_to_prometheus() {
        for (name, attribute) in ServerLabels::<RouteTemplate>::NAMES.iter().zip([
            semconv::attribute::HTTP_REQUEST_METHOD,
            semconv::attribute::HTTP_ROUTE,
            semconv::attribute::HTTP_RESPONSE_STATUS_CODE,
        ]) {
            assert_eq!(*name, attribute.replace('.', "_"));
        }
        let server = ServerLabels::<RouteTemplate>::NAMES;
        assert_eq!(ClientLabels::NAMES, [server[0], server[2]]);
    }

    #[test]
    fn templates_beyond_the_bound_are_other() {
        let templates = Interned::new("_other");
        let first = templates.intern("/bound/0");
        assert_eq!(first, "/bound/0");
        let mut last = first;
        for n in 0..RouteTemplate::MAX + 10 {
            last = templates.intern(&format!("/bound/{n}"));
        }
        assert_eq!(last, "_other");
        assert_eq!(templates.kept.read().unwrap().len(), RouteTemplate::MAX);
        assert!(std::ptr::eq(templates.intern("/bound/0"), first));
        assert!(!RouteTemplate::UNMATCHED.matched());
        assert!(RouteTemplate::new("/users/{id}").matched());
    }
}
