//! obs's own diagnostic channel: lines about obs itself (configuration
//! values it ignored, export failures and recoveries, what shutdown could
//! not deliver), written straight to standard error as `obs: …`.
//!
//! Never through `tracing`: under the application's subscriber, a line
//! about a failed export would become an event, exported in turn, failing in
//! turn. Every line is rare by construction (each sender limits its own
//! rate), so a plain locked write is cheap enough.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::{Mutex, PoisonError};

/// The most recent lines kept for [`recent`] (tests read them there).
const KEPT: usize = 64;

static RECENT: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Writes `obs: {message}` on standard error, and keeps it for [`recent`].
#[cfg_attr(
    not(any(feature = "init", feature = "otlp-plaintext")),
    allow(dead_code)
)]
pub(crate) fn emit(message: &str) {
    // A closed or full standard error is not the application's problem.
    let _ = writeln!(std::io::stderr().lock(), "obs: {message}");
    let mut recent = RECENT.lock().unwrap_or_else(PoisonError::into_inner);
    if recent.len() == KEPT {
        recent.pop_front();
    }
    recent.push_back(message.to_owned());
}

/// The last lines emitted in this process, oldest first, without the
/// `obs: ` prefix.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn recent() -> Vec<String> {
    RECENT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .cloned()
        .collect()
}
