//! Reading inputs: catalogs, dashboards (JSON) and rule files (YAML), with
//! errors that name the file and the position.

use obs_runtime::Catalog;
use std::fmt;
use std::path::Path;

/// An input that could not be read: the file, the position (when known) and
/// what is wrong. The `obs` command exits with code 2 on one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub file: String,
    /// The line, from 1; 0 when unknown.
    pub line: usize,
    /// The column, from 1; 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(
                f,
                "{}:{}:{}: {}",
                self.file, line, self.column, self.message
            ),
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// An error about the whole file.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }
}

/// Reads a file as UTF-8 text.
pub fn read(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path)
        .map_err(|err| InputError::new(path.display().to_string(), err.to_string()))
}

/// Reads a catalog file.
pub fn read_catalog(path: &Path) -> Result<Catalog, InputError> {
    parse_catalog(&path.display().to_string(), &read(path)?)
}

/// Parses catalog JSON read from `file`.
pub fn parse_catalog(file: &str, text: &str) -> Result<Catalog, InputError> {
    Catalog::from_json(text).map_err(|err| InputError {
        file: file.to_owned(),
        line: err.line,
        column: err.column,
        message: format!("not a valid catalog: {}", err.message),
    })
}

/// Parses JSON read from `file` (a Grafana dashboard).
pub fn parse_json(file: &str, text: &str) -> Result<serde_json::Value, InputError> {
    serde_json::from_str(text)
        .map_err(|err| positioned(file, err.line(), err.column(), "not valid JSON", &err))
}

/// Parses YAML read from `file` (a Prometheus rule file) into `T`.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
    serde_norway::from_str(text).map_err(|err| {
        let (line, column) = err.location().map_or((0, 0), |at| (at.line(), at.column()));
        positioned(file, line, column, "not a valid rule file", &err)
    })
}

/// A parser's error at a position, without the " at line L column C" its
/// message ends in: the position is in the fields.
fn positioned(
    file: &str,
    line: usize,
    column: usize,
    what: &str,
    err: &dyn fmt::Display,
) -> InputError {
    let message = err.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |at| &message[..at]);
    InputError {
        file: file.to_owned(),
        line,
        column,
        message: format!("{what}: {message}"),
    }
}
