use crate::case::suggest_snake_case;
use crate::Violation;

/// Checks a span name: dot-separated segments, each lowercase
/// `[a-z][a-z0-9_]*` (`spec.parse`, `router.extension.invoke`).
///
/// ```
/// assert!(obs_rules::check_span_name("codegen.lower").is_ok());
/// assert!(obs_rules::check_span_name("Codegen Lower").is_err());
/// ```
pub fn check_span_name(name: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::new("span name must not be empty")
            .help("use dot-separated lowercase segments, e.g. `spec.parse`"));
    }
    let valid = name.split('.').all(|segment| {
        let mut bytes = segment.bytes();
        bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    });
    if !valid {
        let suggestion: Vec<String> = name
            .split(['.', ' ', '/', ':'])
            .map(suggest_snake_case)
            .filter(|s| !s.is_empty())
            .collect();
        return Err(Violation::new(format!(
            "span name `{name}` must be dot-separated lowercase segments (`[a-z][a-z0-9_]*`)"
        ))
        .help(format!("rename it `{}`", suggestion.join("."))));
    }
    Ok(())
}
