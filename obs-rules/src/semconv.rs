//! The OpenTelemetry semantic conventions obs instruments services with:
//! attribute keys, span and metric names of the HTTP and RPC conventions,
//! and the Prometheus names those metrics take.
//!
//! One copy for the whole toolkit: the tower and gRPC layers read these,
//! `#[traced]` accepts them as field keys, and a test checks each name
//! against obs's own rules, so a typo is a compile error, not a dashboard
//! that stays empty.
//!
//! ```
//! use obs_rules::semconv::{attribute, http};
//!
//! assert_eq!(attribute::HTTP_ROUTE, "http.route");
//! assert_eq!(http::method("GET"), "GET");
//! assert_eq!(http::method("get"), http::OTHER_METHOD);
//! assert_eq!(http::method("BREW"), http::OTHER_METHOD);
//! ```

/// The value of `error.type` when the instrumentation knows no better name
/// for the error: `#[traced(error_if = …)]` records it.
pub const ERROR_TYPE_OTHER: &str = "_OTHER";

/// Span attribute keys.
pub mod attribute {
    use crate::Violation;

    /// The constants, and the table `#[traced(fields(...))]` resolves a
    /// constant's name in, from one list: a constant cannot be missing from
    /// the table.
    macro_rules! attributes {
        ($($(#[$doc:meta])* $name:ident = $key:literal;)*) => {
            $($(#[$doc])* pub const $name: &str = $key;)*

            /// Every key in this module.
            pub const ALL: &[&str] = &[$($name),*];

            /// Each constant's name with its key (`("HTTP_ROUTE", "http.route")`).
            pub const BY_NAME: &[(&str, &str)] = &[$((stringify!($name), $name)),*];
        };
    }

    attributes! {
        /// The HTTP request method, one of [`super::http::METHODS`] or `_OTHER`.
        HTTP_REQUEST_METHOD = "http.request.method";
        /// The original method when [`HTTP_REQUEST_METHOD`] is `_OTHER`.
        HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original";
        /// The matched route template, such as `/users/{id}`; never the raw path.
        HTTP_ROUTE = "http.route";
        /// The HTTP response status code, an integer.
        HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";
        /// The URI scheme: `http` or `https`.
        URL_SCHEME = "url.scheme";
        /// The request path (client spans only: on a server it is unbounded).
        URL_PATH = "url.path";
        /// The full request URL (client spans).
        URL_FULL = "url.full";
        /// The server's host name or address, as the request names it.
        SERVER_ADDRESS = "server.address";
        /// The server's port, an integer.
        SERVER_PORT = "server.port";
        /// The HTTP version: `1.0`, `1.1`, `2` or `3`.
        NETWORK_PROTOCOL_VERSION = "network.protocol.version";
        /// What kind of error ended the operation: the status code or a type name.
        ERROR_TYPE = "error.type";
        /// The remote procedure call system: `grpc`.
        RPC_SYSTEM = "rpc.system";
        /// The full service name, such as `helloworld.Greeter`.
        RPC_SERVICE = "rpc.service";
        /// The method name, such as `SayHello`.
        RPC_METHOD = "rpc.method";
        /// The gRPC status code, an integer.
        RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code";
        /// The span name tracing-opentelemetry exports instead of the static one.
        OTEL_NAME = "otel.name";
        /// The span kind: `server`, `client`, `producer`, `consumer`, `internal`.
        OTEL_KIND = "otel.kind";
        /// The span status: `ok` or `error`.
        OTEL_STATUS_CODE = "otel.status_code";
    }

    /// The key of the constant named `name` (`"HTTP_ROUTE"` → `"http.route"`),
    /// or a violation that suggests the closest constant.
    ///
    /// ```
    /// use obs_rules::semconv::attribute;
    ///
    /// assert_eq!(attribute::by_name("HTTP_ROUTE"), Ok("http.route"));
    /// let err = attribute::by_name("HTTP_ROUT").unwrap_err();
    /// assert_eq!(err.help.as_deref(), Some("did you mean `HTTP_ROUTE`?"));
    /// ```
    pub fn by_name(name: &str) -> Result<&'static str, Violation> {
        if let Some((_, key)) = BY_NAME.iter().find(|(constant, _)| *constant == name) {
            return Ok(key);
        }
        let closest = BY_NAME
            .iter()
            .map(|(constant, _)| (edit_distance(name, constant), *constant))
            .min();
        let violation = Violation::new(format!(
            "`{name}` is not a semantic-convention attribute in `semconv::attribute`"
        ));
        Err(match closest {
            Some((distance, constant)) if distance <= name.len().max(3) / 3 => {
                violation.help(format!("did you mean `{constant}`?"))
            }
            _ => {
                let known: Vec<String> = BY_NAME.iter().map(|(c, _)| format!("`{c}`")).collect();
                violation.help(format!("use one of {}", known.join(", ")))
            }
        })
    }

    /// Levenshtein distance over ASCII-case-insensitive bytes, for suggestions.
    fn edit_distance(a: &str, b: &str) -> usize {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cost = usize::from(!ca.eq_ignore_ascii_case(cb));
                let next = (row[j] + 1).min(row[j + 1] + 1).min(diagonal + cost);
                diagonal = row[j + 1];
                row[j + 1] = next;
            }
        }
        row[b.len()]
    }
}

/// Metric label names: the attributes' keys with `.` written `_`, as the
/// conventions map them to Prometheus.
pub mod label {
    /// [`super::attribute::HTTP_REQUEST_METHOD`].
    pub const HTTP_REQUEST_METHOD: &str = "http_request_method";
    /// [`super::attribute::HTTP_ROUTE`].
    pub const HTTP_ROUTE: &str = "http_route";
    /// [`super::attribute::HTTP_RESPONSE_STATUS_CODE`].
    pub const HTTP_RESPONSE_STATUS_CODE: &str = "http_response_status_code";
    /// [`super::attribute::RPC_SERVICE`].
    pub const RPC_SERVICE: &str = "rpc_service";
    /// [`super::attribute::RPC_METHOD`].
    pub const RPC_METHOD: &str = "rpc_method";
    /// [`super::attribute::RPC_GRPC_STATUS_CODE`].
    pub const RPC_GRPC_STATUS_CODE: &str = "rpc_grpc_status_code";
}

/// The HTTP conventions: methods, metric names and buckets.
pub mod http {
    /// The methods the conventions know, in their canonical spelling.
    pub const METHODS: [&str; 9] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
    ];

    /// What any other method is recorded as, so methods stay bounded.
    pub const OTHER_METHOD: &str = "_OTHER";

    /// The route recorded for a request that matched no route, so a scan of
    /// random paths adds no series.
    pub const UNMATCHED_ROUTE: &str = "_unmatched";

    /// A request method normalised as the conventions say: a known method
    /// as it is, anything else [`OTHER_METHOD`]. Methods are case-sensitive
    /// (RFC 9110), so `get` is not `GET`: the tower layers record it as
    /// `_OTHER` too.
    pub fn method(raw: &str) -> &'static str {
        METHODS
            .iter()
            .find(|known| **known == raw)
            .copied()
            .unwrap_or(OTHER_METHOD)
    }

    /// The server request duration histogram (OTel name).
    pub const SERVER_REQUEST_DURATION: &str = "http.server.request.duration";
    /// The in-flight server requests gauge (OTel name).
    pub const SERVER_ACTIVE_REQUESTS: &str = "http.server.active_requests";
    /// The client request duration histogram (OTel name).
    pub const CLIENT_REQUEST_DURATION: &str = "http.client.request.duration";

    /// [`SERVER_REQUEST_DURATION`] under Prometheus naming.
    pub const SERVER_REQUEST_DURATION_METRIC: &str = "http_server_request_duration_seconds";
    /// [`SERVER_ACTIVE_REQUESTS`] under Prometheus naming.
    pub const SERVER_ACTIVE_REQUESTS_METRIC: &str = "http_server_active_requests";
    /// Server request body sizes, in bytes.
    pub const SERVER_REQUEST_BODY_SIZE_METRIC: &str = "http_server_request_body_size_bytes";
    /// Server response body sizes, in bytes.
    pub const SERVER_RESPONSE_BODY_SIZE_METRIC: &str = "http_server_response_body_size_bytes";
    /// Handler panics caught by the server layer.
    pub const SERVER_PANICS_METRIC: &str = "http_server_panics_total";
    /// [`CLIENT_REQUEST_DURATION`] under Prometheus naming.
    pub const CLIENT_REQUEST_DURATION_METRIC: &str = "http_client_request_duration_seconds";

    /// The bucket bounds the conventions recommend for request durations,
    /// in seconds.
    pub const DURATION_BUCKETS: [f64; 14] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    ];
}

/// The bucket set `semconv::{module}::{NAME}` names (`"http"`,
/// `"DURATION_BUCKETS"`), so that `#[metric(buckets = semconv::http::DURATION_BUCKETS)]`
/// is read when the code compiles; or a violation that lists the sets.
///
/// ```
/// use obs_rules::semconv;
///
/// assert_eq!(semconv::buckets("http", "DURATION_BUCKETS"), Ok(&semconv::http::DURATION_BUCKETS[..]));
/// let err = semconv::buckets("http", "DURATION").unwrap_err();
/// assert_eq!(err.help.as_deref(), Some("use `semconv::http::DURATION_BUCKETS`"));
/// ```
pub fn buckets(module: &str, name: &str) -> Result<&'static [f64], crate::Violation> {
    const SETS: [(&str, &str, &[f64]); 1] = [("http", "DURATION_BUCKETS", &http::DURATION_BUCKETS)];
    if let Some((.., set)) = SETS.iter().find(|(m, n, _)| *m == module && *n == name) {
        return Ok(set);
    }
    let known: Vec<String> = SETS
        .iter()
        .map(|(m, n, _)| format!("`semconv::{m}::{n}`"))
        .collect();
    Err(crate::Violation::new(format!(
        "`semconv::{module}::{name}` is not a bucket set of the conventions"
    ))
    .help(format!("use {}", known.join(", "))))
}

/// The RPC conventions as gRPC uses them.
pub mod rpc {
    /// The value of `rpc.system` for gRPC.
    pub const SYSTEM_GRPC: &str = "grpc";
    /// The server call duration histogram, under Prometheus naming.
    pub const SERVER_DURATION_METRIC: &str = "rpc_server_duration_seconds";
    /// The client call duration histogram, under Prometheus naming.
    pub const CLIENT_DURATION_METRIC: &str = "rpc_client_duration_seconds";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_metric_name, check_span_name, MetricType};

    #[test]
    fn metric_names_pass_obs_rules() {
        for (name, kind) in [
            (http::SERVER_REQUEST_DURATION_METRIC, MetricType::Histogram),
            (http::SERVER_ACTIVE_REQUESTS_METRIC, MetricType::Gauge),
            (http::SERVER_REQUEST_BODY_SIZE_METRIC, MetricType::Histogram),
            (
                http::SERVER_RESPONSE_BODY_SIZE_METRIC,
                MetricType::Histogram,
            ),
            (http::SERVER_PANICS_METRIC, MetricType::Counter),
            (http::CLIENT_REQUEST_DURATION_METRIC, MetricType::Histogram),
            (rpc::SERVER_DURATION_METRIC, MetricType::Histogram),
            (rpc::CLIENT_DURATION_METRIC, MetricType::Histogram),
        ] {
            assert_eq!(check_metric_name(name, kind), Ok(()), "{name}");
        }
    }

    #[test]
    fn attribute_keys_are_dotted_lowercase() {
        for key in attribute::ALL {
            let valid = key.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
            assert!(valid, "{key}");
        }
        assert!(check_span_name("http.server.request").is_ok());
    }

    #[test]
    fn label_names_are_attribute_keys_with_underscores() {
        for (label, key) in [
            (label::HTTP_REQUEST_METHOD, attribute::HTTP_REQUEST_METHOD),
            (label::HTTP_ROUTE, attribute::HTTP_ROUTE),
            (
                label::HTTP_RESPONSE_STATUS_CODE,
                attribute::HTTP_RESPONSE_STATUS_CODE,
            ),
            (label::RPC_SERVICE, attribute::RPC_SERVICE),
            (label::RPC_METHOD, attribute::RPC_METHOD),
            (label::RPC_GRPC_STATUS_CODE, attribute::RPC_GRPC_STATUS_CODE),
        ] {
            assert_eq!(label, key.replace('.', "_"));
            assert_eq!(crate::check_label_name(label), Ok(()));
        }
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(http::method("POST"), "POST");
        assert_eq!(http::method("PATCH"), "PATCH");
        assert_eq!(http::method("post"), http::OTHER_METHOD);
        assert_eq!(http::method("Patch"), http::OTHER_METHOD);
        assert_eq!(http::method(""), http::OTHER_METHOD);
        assert_eq!(http::method("GETX"), http::OTHER_METHOD);
    }
}
