// Words that mark an argument or field as a secret. Matched against whole
// `_`-separated segments (so `author` is not `auth`), and pairs of segments
// for compound names such as `api_key`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "apikey",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "privkey",
    "cookie",
];
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("session", "key"),
    ("signing", "key"),
];

/// The secret-looking word in a name, if any: `user_password` → `password`,
/// `api_key` → `api_key`. Such arguments are never recorded verbatim by
/// `#[traced]`.
///
/// ```
/// assert_eq!(obs_rules::secret_word("db_password"), Some("password"));
/// assert_eq!(obs_rules::secret_word("openai_api_key"), Some("api_key"));
/// assert_eq!(obs_rules::secret_word("author"), None);
/// assert_eq!(obs_rules::secret_word("backend"), None);
/// assert_eq!(obs_rules::secret_word("refresh_token"), Some("token"));
/// assert_eq!(obs_rules::secret_word("prompt_tokens"), None);
/// assert_eq!(obs_rules::secret_word("token_count"), None);
/// ```
pub fn secret_word(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('_').filter(|s| !s.is_empty()).collect();
    for pair in segments.windows(2) {
        if let Some((first, _)) = SECRET_PAIRS
            .iter()
            .find(|(a, b)| pair[0] == *a && pair[1] == *b)
        {
            return Some(match *first {
                "api" => "api_key",
                "private" => "private_key",
                "access" => "access_key",
                "secret" => "secret_key",
                "session" => "session_key",
                _ => "signing_key",
            });
        }
    }
    segments.iter().enumerate().find_map(|(at, segment)| {
        let word = SECRET_WORDS.iter().copied().find(|word| word == segment)?;
        // `token_count`, `token_limit`: a number about tokens, not a token.
        // (`tokens`, plural, is not on the list: `prompt_tokens` counts.)
        let counted = word == "token"
            && segments
                .get(at + 1)
                .is_some_and(|next| COUNT_WORDS.contains(next));
        (!counted).then_some(word)
    })
}

// Words after `token` that make the name a quantity rather than a secret.
const COUNT_WORDS: &[&str] = &[
    "count", "counts", "len", "length", "limit", "budget", "usage",
];
