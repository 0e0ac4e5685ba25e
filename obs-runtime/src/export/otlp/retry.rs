//! Retrying exports: which failures the OTLP specification calls
//! retryable, and exponential backoff with jitter that always ends before
//! the export's deadline. Spans and metrics are retried alike.

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

/// The wait after the first retryable failure; it doubles after each one.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two attempts that obs chooses itself; a
/// collector's `Retry-After` may ask for longer, up to the deadline.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Attempts per request, the first one included.
pub(super) const MAX_ATTEMPTS: u32 = 5;

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// Another attempt may succeed: the collector is unavailable or
    /// throttling, or the connection failed. `after` is the collector's own
    /// hint (`Retry-After`), when it gave one.
    Retryable {
        after: Option<Duration>,
        reason: String,
    },
    /// The same request would fail again: it was refused (bad request,
    /// unauthenticated, too large, …).
    Permanent(String),
}

impl Failure {
    /// What went wrong, for a report.
    pub(super) fn reason(&self) -> &str {
        match self {
            Failure::Retryable { reason, .. } | Failure::Permanent(reason) => reason,
        }
    }

    /// A gRPC status, classified as the OTLP specification lists the codes.
    /// `RESOURCE_EXHAUSTED` is retryable only with a server's retry hint,
    /// which obs does not decode, so it is permanent here.
    pub(super) fn grpc(status: &tonic::Status) -> Failure {
        use tonic::Code;
        // A status with a source is a connection that failed (refused, a
        // TLS handshake), not an answer.
        let reason = match std::error::Error::source(status) {
            Some(source) => format!("the connection failed: {}", error_chain(source)),
            None if status.message().is_empty() => {
                format!("the collector answered {:?}", status.code())
            }
            None => format!(
                "the collector answered {:?}: {}",
                status.code(),
                status.message()
            ),
        };
        match status.code() {
            Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss => Failure::Retryable {
                after: None,
                reason,
            },
            _ => Failure::Permanent(reason),
        }
    }

    /// An HTTP answer other than 2xx: 429, 502, 503 and 504 are retryable,
    /// honouring a `Retry-After` given in seconds.
    pub(super) fn http(
        status: http::StatusCode,
        retry_after: Option<&http::HeaderValue>,
    ) -> Failure {
        let reason = format!("the collector answered {status}");
        match status.as_u16() {
            429 | 502 | 503 | 504 => Failure::Retryable {
                after: retry_after
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
                reason,
            },
            _ => Failure::Permanent(reason),
        }
    }
}

/// An error and its causes, `: `-separated (hyper's and tonic's own
/// messages are only "client error (Connect)" or "transport error"; the
/// cause, a refused connection or an unknown certificate issuer, is below).
pub(super) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their cause in their own message.
        if !reason.ends_with(&cause_text) {
            reason.push_str(": ");
            reason.push_str(&cause_text);
        }
        source = cause.source();
    }
    reason
}

/// The waits between the attempts at one request.
#[derive(Debug)]
pub(super) struct Backoff {
    next: Duration,
    attempts: u32,
    random: RandomState,
}

impl Backoff {
    /// For a request whose first attempt is about to be made.
    pub(super) fn new() -> Backoff {
        Backoff {
            next: INITIAL_BACKOFF,
            attempts: 1,
            random: RandomState::new(),
        }
    }

    /// How long to wait before the next attempt after `failure`, or `None`
    /// when there is none: the failure is permanent, the attempts are used
    /// up, or the wait would end at or after `deadline`.
    ///
    /// The wait is the current backoff with jitter (between half and all of
    /// it, so exporters that failed together do not retry together), or the
    /// collector's hint when that is longer.
    pub(super) fn wait(&mut self, failure: &Failure, deadline: Instant) -> Option<Duration> {
        let Failure::Retryable { after, .. } = failure else {
            return None;
        };
        if self.attempts >= MAX_ATTEMPTS {
            return None;
        }
        let half = self.next / 2;
        let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(
            self.random
                .hash_one(self.attempts)
                .checked_rem(jitter_nanos.saturating_add(1))
                .unwrap_or(0),
        );
        let wait = (half + jitter).max(after.unwrap_or_default());
        let remaining = deadline.saturating_duration_since(Instant::now());
        if wait >= remaining {
            return None;
        }
        self.attempts += 1;
        self.next = self.next.saturating_mul(2).min(MAX_BACKOFF);
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(after: Option<Duration>) -> Failure {
        Failure::Retryable {
            after,
            reason: "unavailable".into(),
        }
    }

    #[test]
    fn grpc_codes_follow_the_specification() {
        use tonic::{Code, Status};
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Aborted] {
            assert!(matches!(
                Failure::grpc(&Status::new(code, "x")),
                Failure::Retryable { .. }
            ));
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::ResourceExhausted,
            Code::Internal,
        ] {
            assert!(matches!(
                Failure::grpc(&Status::new(code, "x")),
                Failure::Permanent(_)
            ));
        }
    }

    #[test]
    fn http_statuses_follow_the_specification() {
        let retry_after = http::HeaderValue::from_static("3");
        assert_eq!(
            Failure::http(http::StatusCode::TOO_MANY_REQUESTS, Some(&retry_after)),
            Failure::Retryable {
                after: Some(Duration::from_secs(3)),
                reason: "the collector answered 429 Too Many Requests".into()
            }
        );
        let date = http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert!(matches!(
            Failure::http(http::StatusCode::SERVICE_UNAVAILABLE, Some(&date)),
            Failure::Retryable { after: None, .. }
        ));
        for status in [400, 401, 403, 404, 413, 500] {
            let status = http::StatusCode::from_u16(status).unwrap();
            assert!(matches!(Failure::http(status, None), Failure::Permanent(_)));
        }
    }

    #[test]
    fn waits_grow_with_jitter_and_stop_after_the_last_attempt() {
        let far = Instant::now() + Duration::from_secs(3600);
        let mut backoff = Backoff::new();
        let mut bound = INITIAL_BACKOFF;
        for _ in 1..MAX_ATTEMPTS {
            let wait = backoff.wait(&retryable(None), far).expect("a retry");
            assert!(wait >= bound / 2 && wait <= bound, "{wait:?} for {bound:?}");
            bound = (bound * 2).min(MAX_BACKOFF);
        }
        assert_eq!(backoff.wait(&retryable(None), far), None);
    }

    #[test]
    fn no_wait_reaches_the_deadline_and_permanent_failures_are_not_retried() {
        let mut backoff = Backoff::new();
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            backoff.wait(&retryable(Some(Duration::from_secs(2))), soon),
            None
        );
        assert_eq!(backoff.wait(&Failure::Permanent("no".into()), soon), None);
        let far = Instant::now() + Duration::from_secs(3600);
        assert_eq!(
            backoff.wait(&retryable(Some(Duration::from_secs(2))), far),
            Some(Duration::from_secs(2))
        );
    }
}
