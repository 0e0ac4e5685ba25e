//! Carriers: the header maps trace context is written to and read from.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// Headers that trace context can be written to and read from: string keys
/// and values, looked up without regard to ASCII case.
///
/// Implemented for [`http::HeaderMap`], `HashMap<String, String>`,
/// `BTreeMap<String, String>` and `Vec<(String, String)>` (message headers
/// as most brokers model them). For another carrier, implement
/// [`get`](Carrier::get) and [`set`](Carrier::set), and
/// [`get_all`](Carrier::get_all) when a name can hold several values:
///
/// ```
/// use obs_runtime::propagation::{self, Carrier};
///
/// struct Metadata(Vec<(String, String)>);
///
/// impl Carrier for Metadata {
///     fn get(&self, name: &str) -> Option<&str> {
///         self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
///     }
///     fn set(&mut self, name: &str, value: String) {
///         self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
///         self.0.push((name.to_owned(), value));
///     }
/// }
///
/// let metadata = Metadata(vec![(
///     "TraceParent".into(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
/// )]);
/// assert!(propagation::extract(&metadata).is_valid());
/// ```
pub trait Carrier {
    /// The first value stored under `name` (compared ignoring ASCII case).
    fn get(&self, name: &str) -> Option<&str>;

    /// Every value stored under `name` (compared ignoring ASCII case), in
    /// order. The default returns [`get`](Carrier::get)'s value.
    fn get_all(&self, name: &str) -> Vec<&str> {
        self.get(name).into_iter().collect()
    }

    /// Stores `value` under `name`, replacing every value stored under
    /// `name` in any case.
    fn set(&mut self, name: &str, value: String);

    /// Removes every value stored under `name` (in any case). [`inject`](super::inject)
    /// calls it to drop a stale `tracestate` when the injected span has
    /// none; the default does nothing, which is right for carriers that
    /// start empty.
    fn remove(&mut self, name: &str) {
        let _ = name;
    }
}

impl Carrier for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        // `HeaderMap` lookups are case-insensitive already.
        self.get(name).map(header_text)
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        self.get_all(name).iter().map(header_text).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::try_from(value),
        ) else {
            return; // never for the names and values written here
        };
        self.insert(name, value);
    }

    fn remove(&mut self, name: &str) {
        self.remove(name);
    }
}

/// A header value's text; one that is not visible ASCII reads as empty,
/// which no trace context field accepts, rather than vanishing (a second
/// `traceparent` must still count as one).
fn header_text(value: &http::HeaderValue) -> &str {
    value.to_str().unwrap_or("")
}

/// The values of `pairs` whose key is `name` in any case, in order: the
/// lookup of every string carrier.
fn values_named<'a, 'n, P>(
    pairs: P,
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n, P>
where
    P: IntoIterator<Item = (&'a String, &'a String)>,
{
    pairs
        .into_iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

impl<S: BuildHasher> Carrier for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        match HashMap::get(self, name) {
            Some(value) => Some(value),
            None => values_named(self, name).next(),
        }
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        // Keys that differ only in case are read in key order, so the
        // result does not depend on the hasher.
        let mut found: Vec<(&String, &String)> = self.iter().collect();
        found.sort_unstable();
        values_named(found, name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
        self.insert(name.to_owned(), value);
    }

    fn remove(&mut self, name: &str) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
    }
}

impl Carrier for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        match BTreeMap::get(self, name) {
            Some(value) => Some(value),
            None => values_named(self, name).next(),
        }
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        values_named(self, name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
        self.insert(name.to_owned(), value);
    }

    fn remove(&mut self, name: &str) {
        self.retain(|key, _| !key.eq_ignore_ascii_case(name));
    }
}

impl Carrier for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<&str> {
        values_named(self.iter().map(|(key, value)| (key, value)), name).next()
    }

    fn get_all(&self, name: &str) -> Vec<&str> {
        values_named(self.iter().map(|(key, value)| (key, value)), name).collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        self.push((name.to_owned(), value));
    }

    fn remove(&mut self, name: &str) {
        self.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    }
}
