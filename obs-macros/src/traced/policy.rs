//! The crate's level policy, read from `obs.toml` next to its `Cargo.toml`
//! (or the file named by the `OBS_TOML` environment variable):
//!
//! ```toml
//! [traced]
//! default_level = "debug"     # the level when `level` is omitted (else "info")
//! public_min_level = "info"   # `pub` functions trace at this level or above
//!
//! [traced.levels]             # allowed levels by span name; the longest pattern wins
//! "runtime.dispatch.*" = "trace"
//! "runtime.*" = ["debug", "trace"]
//! ```
//!
//! The format is the subset of TOML above, parsed here because the macro
//! crate keeps its dependencies to syn, quote and proc-macro2.

use super::ast::Traced;
use crate::ctxt::{render, Ctxt};
use proc_macro2::Span;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

/// What one read of a policy file gave: the policy, or the line and message
/// of its first error.
type Parsed = Result<Rc<Policy>, ParseError>;

/// One policy file as read: its path, size and modification time, and what
/// it gave.
struct Read {
    path: PathBuf,
    len: u64,
    modified: SystemTime,
    parsed: Parsed,
}

thread_local! {
    /// The policy files read by this proc-macro process: every `#[traced]`
    /// of a crate shares one read and one parse, and a file that changes (a
    /// long-lived rust-analyzer process) is read again.
    static READ: RefCell<Vec<Read>> = const { RefCell::new(Vec::new()) };
}

/// The policy at `path`, parsed once per version of the file; `Err` with
/// the read error when it cannot be read.
fn read(path: &Path) -> Result<Parsed, std::io::Error> {
    let metadata = std::fs::metadata(path)?;
    let len = metadata.len();
    // Without a modification time a file cannot be known unchanged: it is
    // read every time.
    let modified = metadata.modified().ok();
    let cached = READ.with(|read| {
        read.borrow()
            .iter()
            .find(|r| r.path == path && r.len == len && Some(r.modified) == modified)
            .map(|r| r.parsed.clone())
    });
    if let Some(parsed) = cached {
        return Ok(parsed);
    }
    let text = std::fs::read_to_string(path)?;
    let parsed = parse(&text, path.to_path_buf()).map(Rc::new);
    if let Some(modified) = modified {
        READ.with(|read| {
            let mut read = read.borrow_mut();
            read.retain(|r| r.path != path);
            read.push(Read {
                path: path.to_path_buf(),
                len,
                modified,
                parsed: parsed.clone(),
            });
        });
    }
    Ok(parsed)
}

pub(crate) struct Policy {
    /// Where the policy was read from, for messages and rebuild tracking.
    pub(crate) path: PathBuf,
    pub(crate) default_level: Option<Setting<String>>,
    pub(crate) public_min_level: Option<Setting<String>>,
    pub(crate) levels: Vec<Setting<(String, Vec<String>)>>,
}

/// A value and the line of `obs.toml` that set it.
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) line: usize,
}

impl Policy {
    pub(crate) fn load(cx: &Ctxt, traced: &Option<Traced<'_>>) -> Option<Rc<Policy>> {
        let at = traced
            .as_ref()
            .map_or_else(Span::call_site, |t| t.function.sig.ident.span());
        let (path, explicit) = match std::env::var_os("OBS_TOML") {
            Some(path) => (PathBuf::from(path), true),
            None => (
                PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?).join("obs.toml"),
                false,
            ),
        };
        let parsed = match read(&path) {
            Ok(parsed) => parsed,
            // Without `obs.toml` there is no policy; a policy named by
            // `OBS_TOML` that cannot be read is a mistake, not an opt-out.
            Err(_) if !explicit => return None,
            Err(error) => {
                let message = format!(
                    "`OBS_TOML` names the level policy {}, which cannot be read: {error}",
                    path.display()
                );
                let help = "point `OBS_TOML` at an `obs.toml`, or unset it";
                cx.syn_error(syn::Error::new(at, render(&message, Some(help))));
                return None;
            }
        };
        match parsed {
            Ok(policy) => Some(policy),
            Err((line, message)) => {
                let message = format!(
                    "invalid level policy in {}:{line}: {message}",
                    path.display()
                );
                let help = "see the `[traced]` table in docs/TRACING.md";
                cx.syn_error(syn::Error::new(at, render(&message, Some(help))));
                None
            }
        }
    }

    /// Where a setting was declared, as `path:line`.
    pub(crate) fn location(&self, line: usize) -> String {
        let file = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        format!("{file}:{line}")
    }

    /// The most specific `[traced.levels]` rule matching a span name.
    pub(crate) fn rule_for(&self, name: &str) -> Option<&Setting<(String, Vec<String>)>> {
        self.levels
            .iter()
            .filter(|rule| matches(&rule.value.0, name))
            .max_by_key(|rule| rule.value.0.len())
    }
}

/// `a.b.*` matches `a.b` and everything under it; other patterns match exactly.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(prefix) => {
            name == prefix
                || name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        }
        None => pattern == name,
    }
}

type ParseError = (usize, String);

fn parse(text: &str, path: PathBuf) -> Result<Policy, ParseError> {
    let mut policy = Policy {
        path,
        default_level: None,
        public_min_level: None,
        levels: Vec::new(),
    };
    let mut section = String::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = strip_comment(raw).trim();
        if content.is_empty() {
            continue;
        }
        if let Some(header) = content.strip_prefix('[') {
            let header = header
                .strip_suffix(']')
                .ok_or((line, "unterminated table header".to_owned()))?;
            section = header.trim().to_owned();
            continue;
        }
        if section != "traced" && section != "traced.levels" {
            continue; // other tables belong to other tools
        }
        let (key, value) = content
            .split_once('=')
            .ok_or((line, format!("expected `key = value`, found `{content}`")))?;
        let key = unquote(key.trim()).unwrap_or_else(|| key.trim().to_owned());
        let levels = parse_levels(value.trim()).map_err(|message| (line, message))?;
        match (section.as_str(), key.as_str()) {
            ("traced", "default_level" | "public_min_level") => {
                let [level] = &levels[..] else {
                    return Err((line, format!("`{key}` takes one level")));
                };
                let setting = Some(Setting {
                    value: level.clone(),
                    line,
                });
                if key == "default_level" {
                    policy.default_level = setting;
                } else {
                    policy.public_min_level = setting;
                }
            }
            ("traced", other) => {
                return Err((
                    line,
                    format!(
                        "unknown key `{other}`; expected `default_level` or `public_min_level`"
                    ),
                ))
            }
            (_, pattern) => {
                if let Err(violation) =
                    obs_rules::check_span_name(pattern.strip_suffix(".*").unwrap_or(pattern))
                {
                    return Err((line, format!("pattern `{pattern}`: {}", violation.message)));
                }
                policy.levels.push(Setting {
                    value: (pattern.to_owned(), levels),
                    line,
                });
            }
        }
    }
    Ok(policy)
}

/// `"info"` or `["debug", "trace"]`, each a valid level.
fn parse_levels(value: &str) -> Result<Vec<String>, String> {
    let items: Vec<&str> = match value.strip_prefix('[') {
        Some(list) => list
            .strip_suffix(']')
            .ok_or("unterminated list")?
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect(),
        None => vec![value],
    };
    if items.is_empty() {
        return Err("expected at least one level".into());
    }
    items
        .into_iter()
        .map(|item| {
            let level = unquote(item).ok_or(format!("expected a quoted level, found `{item}`"))?;
            obs_rules::check_span_level(&level).map_err(|violation| violation.to_string())?;
            Ok(level)
        })
        .collect()
}

fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('"')).then(|| inner.to_owned())
}

/// Drops a `#` comment that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..at],
            _ => {}
        }
    }
    line
}
