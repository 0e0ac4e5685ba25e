//! The label values and label sets of the gateway's metrics: every one an
//! enum, so each family has a fixed number of series (the HTTP layer's
//! status code is the one free label, as the conventions have it).

use super::*;

/// A route of the gateway's HTTP API: the `http_route` label of the HTTP
/// layer's metrics, so the catalog and the dashboards know every route.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Route {
    /// `POST /jobs/{tenant}`: run a job for a tenant.
    #[label(rename = "/jobs/{tenant}")]
    Jobs,
    /// `GET /healthz`.
    #[label(rename = "/healthz")]
    Health,
    /// Any other path (answered 404): the conventions' unmatched route,
    /// which records no `http.route` attribute.
    #[label(rename = "_unmatched")]
    Unmatched,
}

impl Route {
    /// The route of a request: what the HTTP layer labels it with.
    pub fn of(parts: &hyper::http::request::Parts) -> Route {
        Route::of_path(parts.uri.path())
    }

    /// The route a path matches.
    pub fn of_path(path: &str) -> Route {
        match path.strip_prefix("/jobs/") {
            Some(_) => Route::Jobs,
            None if path == "/healthz" => Route::Health,
            None => Route::Unmatched,
        }
    }
}

/// The HTTP status of an answer: the codes the gateway sends.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Status {
    /// The job ran (or the health check passed).
    Ok,
    /// The tenant id is not valid.
    BadRequest,
    /// No such route.
    NotFound,
    /// The route exists, with another method.
    MethodNotAllowed,
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`].
    PayloadTooLarge,
    /// The tenant is over its rate limit.
    TooManyRequests,
    /// The worker failed the job.
    InternalError,
    /// A required extension failed or its breaker is open.
    Unavailable,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> StatusCode {
        match self {
            Status::Ok => StatusCode::OK,
            Status::BadRequest => StatusCode::BAD_REQUEST,
            Status::NotFound => StatusCode::NOT_FOUND,
            Status::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Status::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Status::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Status::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Status::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An extension the router calls for every job, in this order.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Extension {
    /// Checks the tenant's credentials: fast, required.
    Auth,
    /// Checks the tenant's quota: required.
    Quota,
    /// Adds reference data to the job: slow, optional (a job runs without it).
    Enrich,
}

impl Extension {
    /// Every extension, in calling order.
    pub const ALL: [Extension; 3] = [Extension::Auth, Extension::Quota, Extension::Enrich];

    /// Whether a job fails when this extension does.
    pub fn is_required(self) -> bool {
        !matches!(self, Extension::Enrich)
    }

    /// The simulated answer time (a range, in microseconds) and timeout.
    pub(super) fn profile(self) -> Profile {
        match self {
            Extension::Auth => Profile {
                micros: 300..=4_000,
                timeout_micros: 50_000,
            },
            Extension::Quota => Profile {
                micros: 1_000..=30_000,
                timeout_micros: 100_000,
            },
            Extension::Enrich => Profile {
                micros: 20_000..=700_000,
                timeout_micros: 1_000_000,
            },
        }
    }
}

/// How an extension call ended.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CallOutcome {
    /// It answered.
    Ok,
    /// It answered with an error.
    Error,
    /// It did not answer before its timeout.
    Timeout,
    /// Its breaker was open: the extension was not called.
    ShortCircuited,
}

/// A circuit breaker's state.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused without calling the extension.
    Open,
    /// One trial call goes through; its result closes or reopens the breaker.
    HalfOpen,
}

/// How a job ended in the worker.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum JobOutcome {
    /// The step ran.
    Done,
    /// The step failed.
    Failed,
}

/// How the router chose where a job runs.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Policy {
    /// The tenant is pinned to the primary provider (tenant ids `a` to `m`).
    Affinity,
    /// Other tenants alternate between the providers.
    Balance,
    /// A job without enrichment goes to the secondary provider.
    Degraded,
}

/// Where a job runs.
#[derive(LabelValue, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Provider {
    /// The primary worker pool.
    Primary,
    /// The secondary worker pool.
    Secondary,
}

/// Labels of routing decisions: 6 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct DecisionLabels {
    /// The policy that decided.
    pub policy: Policy,
    /// The provider it chose.
    pub provider: Provider,
}

/// Labels by policy: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PolicyLabels {
    /// The policy.
    pub policy: Policy,
}

/// Labels by extension: 3 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ExtensionLabels {
    /// The extension.
    pub extension: Extension,
}

/// Labels of extension calls: 12 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct CallLabels {
    /// The extension.
    pub extension: Extension,
    /// How the call ended.
    pub outcome: CallOutcome,
}

/// Labels of breaker states: 9 series, one of each extension's three at 1.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct BreakerStateLabels {
    /// The extension the breaker guards.
    pub extension: Extension,
    /// A state.
    pub state: BreakerState,
}

/// Labels of breaker transitions: 27 series (4 transitions per extension
/// can happen).
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct TransitionLabels {
    /// The extension the breaker guards.
    pub extension: Extension,
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

/// Labels of jobs: 2 series.
#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
pub struct JobLabels {
    /// How the job ended.
    pub outcome: JobOutcome,
}
