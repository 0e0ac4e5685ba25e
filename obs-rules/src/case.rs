/// Converts a Rust identifier (`CamelCase` or `snake_case`) to `snake_case`.
///
/// Used for enum variants that become label values and for default span names.
///
/// ```
/// assert_eq!(obs_rules::to_snake_case("HttpServer"), "http_server");
/// assert_eq!(obs_rules::to_snake_case("IOError"), "io_error");
/// assert_eq!(obs_rules::to_snake_case("already_snake"), "already_snake");
/// ```
pub fn to_snake_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let starts_word = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                // The last capital of an acronym starts a new word: `IOError` → `io_error`.
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                Some(_) => false,
            };
            if starts_word {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Suggests a valid lowercase `snake_case` spelling of an arbitrary name:
/// case is folded, every run of other characters becomes one `_`, and leading
/// or trailing underscores are dropped.
///
/// ```
/// assert_eq!(obs_rules::suggest_snake_case("Compile-Success"), "compile_success");
/// assert_eq!(obs_rules::suggest_snake_case("__http..requests"), "http_requests");
/// assert_eq!(obs_rules::suggest_snake_case("5xx-Errors"), "errors_5xx");
/// assert_eq!(obs_rules::suggest_snake_case("42"), "");
/// ```
pub fn suggest_snake_case(name: &str) -> String {
    let snake = to_snake_case(name);
    let mut out = String::with_capacity(snake.len());
    for c in snake.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    // A name starts with a letter: move leading segments that start with a
    // digit behind the first one that does not (`5xx_errors` → `errors_5xx`).
    // Without any letter, there is nothing to suggest.
    let segments: Vec<&str> = out.split('_').collect();
    match segments
        .iter()
        .position(|s| s.starts_with(|c: char| c.is_ascii_lowercase()))
    {
        Some(0) => out,
        Some(first) => {
            let mut reordered = vec![segments[first]];
            reordered.extend(&segments[..first]);
            reordered.extend(&segments[first + 1..]);
            reordered.join("_")
        }
        None => String::new(),
    }
}
