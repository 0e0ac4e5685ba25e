//! Why an extension call, a step, or the gateway's start failed.

use super::*;

/// Why an extension call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionError {
    /// The extension answered with an error.
    Failed,
    /// The extension did not answer in time.
    TimedOut,
    /// The breaker is open: the extension was not called.
    CircuitOpen,
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExtensionError::Failed => "the extension answered with an error",
            ExtensionError::TimedOut => "the extension timed out",
            ExtensionError::CircuitOpen => "circuit open: the extension was not called",
        })
    }
}

impl std::error::Error for ExtensionError {}

/// A worker step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepError {
    /// The job.
    pub job: u64,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {} failed in the worker", self.job)
    }
}

impl std::error::Error for StepError {}

/// Why a gateway could not start.
#[derive(Debug)]
pub enum StartError {
    /// Its metrics clash with metrics already registered.
    Register(RegistryError),
    /// It could not listen, or start its runtime.
    Io(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Register(err) => write!(f, "cannot register the metrics: {err}"),
            StartError::Io(err) => write!(f, "cannot start the gateway: {err}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Register(err) => Some(err),
            StartError::Io(err) => Some(err),
        }
    }
}

impl From<RegistryError> for StartError {
    fn from(err: RegistryError) -> Self {
        StartError::Register(err)
    }
}

impl From<io::Error> for StartError {
    fn from(err: io::Error) -> Self {
        StartError::Io(err)
    }
}
