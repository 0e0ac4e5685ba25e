//! The secret rule of obs-rules, applied to everything `#[traced]` records:
//! field names, every name a field expression reaches (paths, fields,
//! method calls, call arguments, the arguments of macros such as `format!`
//! and the names their format strings capture, string keys such as
//! `get("authorization")`), every binding of every parameter pattern, and
//! what `ret` returns. An argument of type `Secret<_>` records `[redacted]`
//! and may be listed; taking its value out may not.
//!
//! Field expressions are read as tokens, so that a macro's arguments are
//! read whether or not they parse as expressions.

use super::ast::{FieldArg, Traced};
use crate::ctxt::Ctxt;
use crate::types;
use obs_rules::{secret_word, SecretSource, VERBATIM_METHODS};
use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{LitStr, Type};

// A secret is never recorded verbatim: not an argument named like one
// (`fields(password)`), not anything a field's value reaches that is named
// like one (`%creds.password`, `format!("Bearer {token}")`), and no field
// named like one, whatever its value, since readers and scrubbers take the
// name at its word. `not_secret(name) = …` opts a field out, greppably.
pub(crate) fn check_secrets(cx: &Ctxt, traced: &Traced<'_>) {
    for field in traced.recorded_fields().filter(|f| f.not_secret.is_none()) {
        let (tokens, name) = &field.name;
        let Some((_, expr)) = &field.value else {
            let argument = traced.argument(name);
            let redacted = traced.redact.iter().any(|r| r == name);
            // Not an argument, or also redacted: reported by `check_fields`.
            if let (Some(argument), false) = (argument, redacted) {
                if let (Some(word), false) = (secret_word(name), argument.is_secret_wrapper()) {
                    cx.violation(tokens, obs_rules::secret_argument(name, word));
                }
            }
            continue;
        };
        // One error per field: what the value reaches, else the name.
        let written = written(field);
        let mut scan = Scan {
            traced,
            found: None,
        };
        scan.tokens(expr.to_token_stream(), false);
        if let Some(found) = scan.found {
            let (at, violation) = found.violation(&written, traced);
            cx.violation(at, violation);
        } else if let Some(word) = secret_word(name) {
            cx.violation(tokens, obs_rules::secret_field_name(&written, word));
        }
    }
    check_ret(cx, traced);
}

/// The field name as the user wrote it: `user`, `db.password`, `"x-api-key"`.
fn written(field: &FieldArg) -> String {
    let (tokens, name) = &field.name;
    match syn::parse2::<LitStr>(tokens.clone()) {
        Ok(_) => format!("{name:?}"),
        Err(_) => name.clone(),
    }
}

// `ret` records the return value; a function named like a secret
// (`issue_token`), or one returning a type named like one (`ApiKey`),
// returns one. A `Secret<_>` prints `[redacted]`; a `bool` or `()` holds
// no secret.
fn check_ret(cx: &Ctxt, traced: &Traced<'_>) {
    let Some((tokens, _)) = &traced.ret else {
        return;
    };
    if traced.ret_not_secret {
        return;
    }
    let types = returned_types(traced.value_type());
    let harmless = types.iter().any(|ty| ty == "Secret")
        || types.last().is_some_and(|ty| ty == "bool" || ty == "()");
    if harmless {
        return;
    }
    let function = traced.function.sig.ident.unraw().to_string();
    if let Some(word) = secret_word(&function) {
        cx.violation(tokens, obs_rules::secret_return(&function, None, word));
    } else if let Some((ty, word)) = types
        .iter()
        .find_map(|ty| secret_word(ty).map(|word| (ty, word)))
    {
        cx.violation(tokens, obs_rules::secret_return(&function, Some(ty), word));
    }
}

/// The last path segments of a type and of its first type argument, down:
/// `Result<Option<ApiKey>, E>` → `Result`, `Option`, `ApiKey`; `()` for unit.
fn returned_types(mut ty: Option<&Type>) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(current) = ty.take().map(types::peel) {
        if matches!(current, Type::Tuple(tuple) if tuple.elems.is_empty()) {
            names.push("()".to_owned());
        } else if let Some(name) = types::name(current) {
            names.push(name);
            ty = types::arguments(current).next();
        }
    }
    names
}

/// What looked secret in a field's value, and the tokens to point at.
enum Found {
    Secret {
        at: TokenStream,
        word: &'static str,
        source: Source,
    },
    /// A `Secret` argument whose value is taken out: `key.into_inner()`.
    Exposed { at: TokenStream, argument: String },
}

enum Source {
    Argument { name: String, captured: bool },
    Expression,
    Key,
}

impl Found {
    fn violation(self, field: &str, traced: &Traced<'_>) -> (TokenStream, obs_rules::Violation) {
        match self {
            Found::Secret { at, word, source } => {
                let shown = render(&at);
                let source = match &source {
                    Source::Argument { name, captured } => SecretSource::Argument {
                        name,
                        redacted: traced.redact.iter().any(|r| r == name),
                        captured: *captured,
                    },
                    Source::Expression => SecretSource::Expression(&shown),
                    Source::Key => SecretSource::Key(&shown),
                };
                let violation = obs_rules::secret_in_field(field, source, word);
                (at, violation)
            }
            Found::Exposed { at, argument } => {
                let violation = obs_rules::secret_exposed(field, &render(&at), &argument);
                (at, violation)
            }
        }
    }
}

struct Scan<'t, 'a> {
    traced: &'t Traced<'a>,
    /// The first finding; one per field is enough to act on.
    found: Option<Found>,
}

impl Scan<'_, '_> {
    /// Every name in `stream`. `format_args` marks the top level of a
    /// macro's arguments, where a string literal is a format string.
    fn tokens(&mut self, stream: TokenStream, format_args: bool) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut at = 0;
        while at < tokens.len() && self.found.is_none() {
            match &tokens[at] {
                TokenTree::Group(group) => {
                    self.group(&tokens, at, group);
                    at += 1;
                }
                TokenTree::Literal(literal) => {
                    if format_args {
                        self.captures(literal);
                    }
                    at += 1;
                }
                TokenTree::Ident(_) if macro_call(&tokens, at) => {
                    if let Some(TokenTree::Group(group)) = tokens.get(at + 2) {
                        self.tokens(group.stream(), true);
                    }
                    at += 3;
                }
                TokenTree::Ident(ident) if path_prefix(&tokens, at) || type_name(ident) => {
                    at += 1;
                }
                TokenTree::Ident(_) => at = self.chain(&tokens, at),
                TokenTree::Punct(_) => at += 1,
            }
        }
    }

    /// A group's contents, and the string keys of a call or an index:
    /// `get("authorization")`, `headers["x-api-key"]`.
    fn group(&mut self, tokens: &[TokenTree], at: usize, group: &Group) {
        let keyed = matches!(
            group.delimiter(),
            Delimiter::Parenthesis | Delimiter::Bracket
        ) && matches!(
            at.checked_sub(1).map(|p| &tokens[p]),
            Some(TokenTree::Ident(_) | TokenTree::Group(_))
        );
        if keyed {
            for token in group.stream() {
                let TokenTree::Literal(literal) = &token else {
                    continue;
                };
                let Ok(key) = syn::parse2::<LitStr>(token.to_token_stream()) else {
                    continue;
                };
                if let (Some(word), None) = (secret_word(&key.value()), &self.found) {
                    self.found = Some(Found::Secret {
                        at: literal.to_token_stream(),
                        word,
                        source: Source::Key,
                    });
                }
            }
        }
        if self.found.is_none() {
            self.tokens(group.stream(), false);
        }
    }

    /// A value and what is read from it: `creds.password`, `self.api_key`,
    /// `token.trim().len()`, `get_token()?.value`. Pass-through methods
    /// (`clone`, `trim`, …) leave the value as it is, so the name checked is
    /// `creds.password`, `self.api_key`, `token.len`, `get_token.value`.
    /// Returns where the chain ends.
    fn chain(&mut self, tokens: &[TokenTree], start: usize) -> usize {
        let mut parts = vec![ident_text(&tokens[start])];
        let mut at = start + 1;
        if paren(tokens.get(at)).is_some() {
            at += 1; // a call: `get_token()`
        }
        loop {
            if member_dot(tokens, at) {
                match tokens.get(at + 1) {
                    Some(member @ TokenTree::Ident(_)) => {
                        let name = ident_text(member);
                        let mut next = skip_turbofish(tokens, at + 2);
                        let call = paren(tokens.get(next));
                        if call.is_some() {
                            next += 1;
                        }
                        let verbatim = call.is_some_and(|args| args.stream().is_empty())
                            && VERBATIM_METHODS.contains(&name.as_str());
                        if !verbatim {
                            parts.push(name);
                        }
                        at = next;
                    }
                    Some(TokenTree::Literal(_)) => at += 2, // `.0`
                    _ => break,
                }
            } else if matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '?')
                || matches!(tokens.get(at), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket)
            {
                at += 1;
            } else {
                break;
            }
        }
        let binding = !member_dot(tokens, start.wrapping_sub(1));
        self.check_chain(&tokens[start..at], &parts, binding);
        for (offset, token) in tokens[start..at].iter().enumerate() {
            if let (TokenTree::Group(group), None) = (token, &self.found) {
                self.group(tokens, start + offset, group);
            }
        }
        at
    }

    fn check_chain(&mut self, chain: &[TokenTree], parts: &[String], binding: bool) {
        let argument = binding.then(|| self.traced.argument(&parts[0])).flatten();
        let at = || chain.iter().cloned().collect::<TokenStream>();
        if let Some(argument) = argument.filter(|a| a.is_secret_wrapper()) {
            // The `Secret` itself records `[redacted]`; anything read from it
            // is what it guards, unless it is a property of it (`.len()`).
            let read = format!("secret.{}", parts[1..].join("."));
            if parts.len() > 1 && secret_word(&read).is_some() {
                self.found = Some(Found::Exposed {
                    at: at(),
                    argument: argument.ident.to_string(),
                });
            }
            return;
        }
        if let Some(word) = secret_word(&parts.join(".")) {
            let source = match argument {
                Some(argument) if parts.len() == 1 => Source::Argument {
                    name: argument.ident.unraw().to_string(),
                    captured: false,
                },
                _ => Source::Expression,
            };
            self.found = Some(Found::Secret {
                at: at(),
                word,
                source,
            });
        }
    }

    /// The names a format string captures: `"Bearer {token}"`, `"{key:?}"`.
    fn captures(&mut self, literal: &proc_macro2::Literal) {
        let Ok(format) = syn::parse2::<LitStr>(literal.to_token_stream()) else {
            return;
        };
        for name in captured_names(&format.value()) {
            let argument = self.traced.argument(&name);
            if argument.is_some_and(|a| a.is_secret_wrapper()) {
                continue;
            }
            if let Some(word) = secret_word(&name) {
                let source = match argument {
                    Some(_) => Source::Argument {
                        name,
                        captured: true,
                    },
                    None => Source::Expression,
                };
                self.found = Some(Found::Secret {
                    at: literal.to_token_stream(),
                    word,
                    source,
                });
                return;
            }
        }
    }
}

/// `token` and `key` in `"Bearer {token} {key:?} {{literal}} {0}"`.
fn captured_names(format: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(escaped) = rest.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        let Some(close) = rest.find('}') else { break };
        let argument = rest[..close].split(':').next().unwrap_or("").trim();
        let identifier = argument
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && argument.chars().all(|c| c.is_alphanumeric() || c == '_');
        if identifier {
            names.push(argument.to_owned());
        }
        rest = &rest[close + 1..];
    }
    names
}

fn ident_text(token: &TokenTree) -> String {
    match token {
        TokenTree::Ident(ident) => ident.unraw().to_string(),
        other => other.to_string(),
    }
}

/// `name!(…)`, `name![…]`, `name!{…}`.
fn macro_call(tokens: &[TokenTree], at: usize) -> bool {
    matches!(tokens.get(at + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!' && p.spacing() == Spacing::Alone)
        && matches!(tokens.get(at + 2), Some(TokenTree::Group(_)))
}

/// A segment before `::`: a module or a type, not a value (`config::API_KEY`
/// is checked at `API_KEY`).
fn path_prefix(tokens: &[TokenTree], at: usize) -> bool {
    matches!(tokens.get(at + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
}

/// `UpperCamelCase`: a type or a variant, which names no value.
fn type_name(ident: &proc_macro2::Ident) -> bool {
    let text = ident.unraw().to_string();
    text.starts_with(char::is_uppercase) && text.chars().any(char::is_lowercase)
}

/// A `.` that reads a field or calls a method (not one of `..`).
fn member_dot(tokens: &[TokenTree], at: usize) -> bool {
    let dot = |at: usize| matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '.');
    let joint =
        matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.spacing() == Spacing::Joint);
    dot(at) && !joint && !at.checked_sub(1).is_some_and(dot)
}

fn paren(token: Option<&TokenTree>) -> Option<&Group> {
    match token {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => Some(group),
        _ => None,
    }
}

/// Past `::<…>` at `at`, if there is one.
fn skip_turbofish(tokens: &[TokenTree], at: usize) -> usize {
    let punct = |at: usize, c: char| matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == c);
    if !(punct(at, ':') && punct(at + 1, ':') && punct(at + 2, '<')) {
        return at;
    }
    let mut depth = 0usize;
    for (offset, token) in tokens[at + 2..].iter().enumerate() {
        match token {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + 2 + offset + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Tokens as a user writes them: `creds.password`, `self.api_key.trim()`.
fn render(tokens: &TokenStream) -> String {
    let mut out = String::new();
    let mut word_before = false;
    for token in tokens.clone() {
        match &token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                out.push_str(&render(&group.stream()));
                out.push_str(close);
                word_before = false;
            }
            TokenTree::Punct(punct) => {
                out.push(punct.as_char());
                if punct.as_char() == ',' {
                    out.push(' ');
                }
                word_before = false;
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if word_before {
                    out.push(' ');
                }
                out.push_str(&token.to_string());
                word_before = true;
            }
        }
    }
    out
}
