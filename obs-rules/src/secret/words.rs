// The words of the secret rule, and the splitter that finds them in a name.

// Words that name a secret on their own. Matched against whole words of a
// name (so `author` is not `auth`, `passenger` is not `pass`, `pinned` is
// not `pin`).
const SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "authorization",
    "bearer",
    "cookie",
    "cookies",
    "credential",
    "credentials",
    "jwt",
    "otp",
    "pass",
    "passcode",
    "passphrase",
    "passwd",
    "password",
    "pin",
    "privkey",
    "pwd",
    "secret",
    "secrets",
    "sessionid",
    "token",
    "totp",
];

// Two words that name a secret together, and how messages spell the pair.
// `tokens` (plural) is a secret only after a word that makes it a credential:
// `refresh_tokens` are secrets, `prompt_tokens` and `max_tokens` are counts.
const SECRET_PAIRS: &[(&str, &str, &str)] = &[
    ("access", "key", "access_key"),
    ("api", "key", "api_key"),
    ("encryption", "key", "encryption_key"),
    ("master", "key", "master_key"),
    ("private", "key", "private_key"),
    ("secret", "key", "secret_key"),
    ("session", "id", "session_id"),
    ("session", "key", "session_key"),
    ("signing", "key", "signing_key"),
    ("access", "tokens", "access_tokens"),
    ("api", "tokens", "api_tokens"),
    ("auth", "tokens", "auth_tokens"),
    ("bearer", "tokens", "bearer_tokens"),
    ("csrf", "tokens", "csrf_tokens"),
    ("id", "tokens", "id_tokens"),
    ("oauth", "tokens", "oauth_tokens"),
    ("refresh", "tokens", "refresh_tokens"),
    ("reset", "tokens", "reset_tokens"),
    ("session", "tokens", "session_tokens"),
];

// Words that, after a secret word, make the name a property of the secret
// rather than the secret: `token_count`, `api_key_id`, `password.len()`,
// `auth_method`, `secret_name`, `token.is_expired()`.
const ABOUT_WORDS: &[&str] = &[
    "age", "budget", "count", "counts", "created", "disabled", "enabled", "expired", "expires",
    "expiry", "has", "id", "ids", "index", "invalid", "is", "kind", "len", "length", "limit",
    "limits", "method", "mode", "name", "names", "path", "policy", "provider", "rate", "ratio",
    "required", "scheme", "size", "source", "status", "total", "ttl", "type", "usage", "valid",
    "version",
];

// A name that starts with one of these is a yes/no question about the
// secret, not the secret: `has_token`, `is_password_set`.
const PREDICATE_WORDS: &[&str] = &["has", "is"];

/// Methods that pass a value on unchanged, as far as a reader can tell: a
/// secret through `.clone()` or `.trim()` is still the secret, and
/// obs-runtime's `Secret` through `.clone()` or `.to_string()` is still
/// `[redacted]`.
pub const VERBATIM_METHODS: &[&str] = &[
    "as_bytes",
    "as_deref",
    "as_ref",
    "as_str",
    "borrow",
    "clone",
    "cloned",
    "copied",
    "deref",
    "into",
    "to_ascii_lowercase",
    "to_ascii_uppercase",
    "to_lowercase",
    "to_owned",
    "to_string",
    "to_uppercase",
    "to_vec",
    "trim",
    "trim_end",
    "trim_start",
    "unwrap",
    "unwrap_or_default",
];

/// The words of a name, lowercase: split on every character that is not a
/// letter or a digit (`_`, `.`, `-`, …) and at camelCase boundaries, where a
/// run of capitals ends before the capital that starts the next word
/// (`HTTPHeader` → `http`, `header`).
pub(crate) fn name_words(name: &str) -> Vec<String> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (at, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            let prev = chars[at - 1];
            let next = chars.get(at + 1).copied();
            let starts_word = prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next.is_some_and(char::is_lowercase));
            if starts_word {
                words.push(std::mem::take(&mut word));
            }
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The secret-looking word in a name, if any, as messages spell it:
/// `user_password` → `password`, `x-api-key` → `api_key`, `clientSecret` →
/// `secret`. Names are split into words on `_`, `.`, `-` and camelCase
/// boundaries, so `db.password`, `http.request.header.authorization` and
/// `accessToken` all match, while `author`, `passenger` and `pinned` do not.
/// A word after the secret that makes the name a property of it
/// (`token_count`, `api_key_id`, `password.len`) and a leading `is`/`has`
/// clear the name.
///
/// ```
/// assert_eq!(obs_rules::secret_word("db_password"), Some("password"));
/// assert_eq!(obs_rules::secret_word("openai_api_key"), Some("api_key"));
/// assert_eq!(obs_rules::secret_word("http.request.header.authorization"), Some("authorization"));
/// assert_eq!(obs_rules::secret_word("accessToken"), Some("token"));
/// assert_eq!(obs_rules::secret_word("refresh_tokens"), Some("refresh_tokens"));
/// assert_eq!(obs_rules::secret_word("prompt_tokens"), None);
/// assert_eq!(obs_rules::secret_word("token_count"), None);
/// assert_eq!(obs_rules::secret_word("author"), None);
/// ```
pub fn secret_word(name: &str) -> Option<&'static str> {
    let words = name_words(name);
    if words
        .first()
        .is_some_and(|first| PREDICATE_WORDS.contains(&first.as_str()))
    {
        return None;
    }
    (0..words.len()).find_map(|at| {
        let (secret, len) = secret_at(&words, at)?;
        let about = words[at + len..]
            .iter()
            .any(|word| ABOUT_WORDS.contains(&word.as_str()));
        (!about).then_some(secret)
    })
}

/// The secret that starts at word `at`, and how many words it takes.
fn secret_at(words: &[String], at: usize) -> Option<(&'static str, usize)> {
    if let Some(next) = words.get(at + 1) {
        let pair = SECRET_PAIRS
            .iter()
            .find(|(first, second, _)| words[at] == *first && next == second);
        if let Some((_, _, spelled)) = pair {
            return Some((spelled, 2));
        }
    }
    SECRET_WORDS
        .iter()
        .find(|word| words[at] == **word)
        .map(|word| (*word, 1))
}
