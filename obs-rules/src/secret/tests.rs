use super::words::name_words;
use super::*;

fn words(name: &str) -> Vec<String> {
    name_words(name)
}

#[test]
fn splits_on_separators() {
    assert_eq!(words("db_password"), ["db", "password"]);
    assert_eq!(words("db.password"), ["db", "password"]);
    assert_eq!(words("x-api-key"), ["x", "api", "key"]);
    assert_eq!(
        words("http.request.header.authorization"),
        ["http", "request", "header", "authorization"]
    );
    assert_eq!(words("__a__b__"), ["a", "b"]);
    assert_eq!(words("a b/c:d"), ["a", "b", "c", "d"]);
    assert_eq!(words("r#type"), ["type"]);
    assert!(words("").is_empty());
    assert!(words("_.-").is_empty());
}

#[test]
fn splits_at_camel_case_boundaries() {
    assert_eq!(words("accessToken"), ["access", "token"]);
    assert_eq!(words("clientSecret"), ["client", "secret"]);
    assert_eq!(words("XApiKey"), ["x", "api", "key"]);
    assert_eq!(words("HTTPHeader"), ["http", "header"]);
    assert_eq!(words("API_KEY"), ["api", "key"]);
    assert_eq!(words("oauth2Token"), ["oauth2", "token"]);
    assert_eq!(words("sha256sum"), ["sha256sum"]);
    assert_eq!(words("Authorization"), ["authorization"]);
}

#[test]
fn non_ascii_names_do_not_panic() {
    assert_eq!(words("pässwort_Ünit"), ["pässwort", "ünit"]);
    assert_eq!(secret_word("ÄÖÜ"), None);
    assert_eq!(secret_word("\u{130}Token"), Some("token"));
}

#[test]
fn secrets_in_every_spelling() {
    for (name, word) in [
        ("password", "password"),
        ("user_password", "password"),
        ("db.password", "password"),
        ("http.request.header.authorization", "authorization"),
        ("x-api-key", "api_key"),
        ("X-Api-Key", "api_key"),
        ("accessToken", "token"),
        ("clientSecret", "secret"),
        ("client_secret", "secret"),
        ("openai_api_key", "api_key"),
        ("API_KEY", "api_key"),
        ("apiKey", "api_key"),
        ("apikey", "apikey"),
        ("aws_secret_access_key", "secret"),
        ("secret_key", "secret_key"),
        ("private_key", "private_key"),
        ("signing_key", "signing_key"),
        ("refresh_token", "token"),
        ("creds.password", "password"),
        ("self.api_key", "api_key"),
        ("set-cookie", "cookie"),
        ("auth_header", "auth"),
        ("credentials", "credentials"),
    ] {
        assert_eq!(secret_word(name), Some(word), "{name}");
    }
}

#[test]
fn words_added_for_common_credentials() {
    for (name, word) in [
        ("jwt", "jwt"),
        ("user_jwt", "jwt"),
        ("bearer", "bearer"),
        ("bearer_value", "bearer"),
        ("pwd", "pwd"),
        ("db_pwd", "pwd"),
        ("pass", "pass"),
        ("db_pass", "pass"),
        ("otp", "otp"),
        ("otp_code", "otp"),
        ("pin", "pin"),
        ("card_pin", "pin"),
        ("pinCode", "pin"),
        ("session_id", "session_id"),
        ("sessionId", "session_id"),
        ("session.id", "session_id"),
        ("refresh_tokens", "refresh_tokens"),
        ("access_tokens", "access_tokens"),
        ("refreshTokens", "refresh_tokens"),
    ] {
        assert_eq!(secret_word(name), Some(word), "{name}");
    }
}

// False positives: names that contain a secret word's letters, counts of
// tokens, and properties of a secret.
#[test]
fn false_positive_guards() {
    for name in [
        "author",
        "authors",
        "prompt_tokens",
        "completion_tokens",
        "max_tokens",
        "tokens",
        "input_tokens",
        "gen_ai.usage.input_tokens",
        "token_count",
        "token_limit",
        "passenger",
        "passengers",
        "pinned",
        "spinner",
        "passage",
        "bypass",
        "keyboard",
        "key",
        "cache_key",
        "session",
        "user_id",
        "backend",
        "secretary",
        "tokenizer",
        "compass",
        "",
    ] {
        assert_eq!(secret_word(name), None, "{name}");
    }
}

#[test]
fn properties_of_a_secret_are_not_the_secret() {
    for name in [
        "token_count",
        "api_key_id",
        "password.len",
        "password_length",
        "password_min_length",
        "auth_method",
        "auth_enabled",
        "token_type",
        "token.kind",
        "token.is_some",
        "secret_name",
        "pass_rate",
        "pin_count",
        "refresh_tokens_count",
        "has_token",
        "is_authenticated",
        "is_password_set",
        "tokenExpiresAt",
    ] {
        assert_eq!(secret_word(name), None, "{name}");
    }
    // A property word before the secret does not clear it.
    assert_eq!(secret_word("id_token"), Some("token"));
    assert_eq!(secret_word("count_password"), Some("password"));
    // A later secret is still found after a cleared one.
    assert_eq!(secret_word("token_count_password"), Some("password"));
}

#[test]
fn verbatim_methods_do_not_reveal() {
    for method in ["clone", "as_str", "trim", "to_string", "into"] {
        assert!(VERBATIM_METHODS.contains(&method), "{method}");
    }
    // Methods that take a value out of a wrapper are not pass-through: they
    // are what a `Secret` guards against.
    for method in ["expose_secret", "into_inner", "len"] {
        assert!(!VERBATIM_METHODS.contains(&method), "{method}");
    }
}

#[test]
fn messages_name_the_part_and_the_opt_out() {
    let violation = secret_in_field(
        "p",
        SecretSource::Argument {
            name: "password",
            redacted: false,
            captured: false,
        },
        "password",
    );
    assert_eq!(
        violation.message,
        "field `p` records argument `password`, which looks like a secret (`password`)"
    );
    assert_eq!(
        violation.help.as_deref(),
        Some("write `redact(password)` to record `[redacted]` instead, or `not_secret(p) = …` if it is not a secret")
    );

    let violation = secret_in_field(
        "header",
        SecretSource::Argument {
            name: "token",
            redacted: true,
            captured: true,
        },
        "token",
    );
    assert_eq!(
        violation.message,
        "field `header` records argument `token`, captured by the format string, which looks like a secret (`token`)"
    );
    assert_eq!(
        violation.help.as_deref(),
        Some("remove `header`: `redact(token)` already records `[redacted]`")
    );

    let violation = secret_in_field("h", SecretSource::Key("\"authorization\""), "authorization");
    assert_eq!(
        violation.message,
        "field `h` reads the key `\"authorization\"`, which looks like a secret (`authorization`)"
    );

    let violation = secret_field_name("\"x-api-key\"", "api_key");
    assert!(violation
        .help
        .as_deref()
        .is_some_and(|help| help.contains("`not_secret(\"x-api-key\") = …`")));

    let violation = secret_return("issue", Some("AccessToken"), "token");
    assert_eq!(
        violation.message,
        "`ret` would record the `AccessToken` that `issue` returns, which looks like a secret (`token`)"
    );
    assert!(violation
        .help
        .as_deref()
        .is_some_and(|help| help.contains("`ret(not_secret)`")));
}
