//! [`RegistrySource`]: the registry an exporter reads from.

use super::Registry;
use std::sync::Arc;

/// A registry that an exporter reads from: one that lives for the whole
/// program (like [`Registry::global`]) or a shared one. Made with `into()`
/// from a `&'static Registry` or an `Arc<Registry>`.
///
/// ```
/// use obs_runtime::{Registry, RegistrySource};
/// use std::sync::Arc;
///
/// let global: RegistrySource = Registry::global().into();
/// let shared: RegistrySource = Arc::new(Registry::new()).into();
/// assert!(std::ptr::eq(global.get(), Registry::global()));
/// assert!(!std::ptr::eq(shared.get(), Registry::global()));
/// ```
#[derive(Clone, Debug)]
pub struct RegistrySource(Source);

#[derive(Clone, Debug)]
enum Source {
    Static(&'static Registry),
    Shared(Arc<Registry>),
}

impl RegistrySource {
    /// The registry.
    pub fn get(&self) -> &Registry {
        match &self.0 {
            Source::Static(registry) => registry,
            Source::Shared(registry) => registry,
        }
    }
}

impl From<&'static Registry> for RegistrySource {
    fn from(registry: &'static Registry) -> Self {
        RegistrySource(Source::Static(registry))
    }
}

impl From<Arc<Registry>> for RegistrySource {
    fn from(registry: Arc<Registry>) -> Self {
        RegistrySource(Source::Shared(registry))
    }
}
