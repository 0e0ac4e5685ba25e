//! [`BuildInfo`]: the `build_info` gauge, always 1, whose labels say which
//! build is running.

use crate::registry::{CollectedMetric, Collection, Collector, Registry, RegistryError};
use crate::snapshot::SeriesValue;
use std::borrow::Cow;

use obs_rules::standard::BUILD_INFO as NAME;

/// A label value not known: obs's label values are never empty.
const UNKNOWN: &str = "unknown";

/// Which build is running, exported as one gauge series of value 1:
/// `build_info{version="1.4.2",revision="9f1c2e7",rustc_version="1.95.0"} 1`.
///
/// The labels are Prometheus' own for build info (`version`, `revision`),
/// with the compiler's version. Make one with [`build_info!`](crate::build_info!),
/// which reads the *calling* crate's version (and the commit, from the
/// `OBS_GIT_COMMIT` variable at build time when set), and hand it to
/// [`Config::build_info`](crate::Config::build_info) or
/// [`BuildInfo::register`].
///
/// ```
/// use obs_runtime::{process::BuildInfo, Format, Registry};
///
/// let registry = Registry::new();
/// BuildInfo::new("1.4.2").revision("9f1c2e7").register(&registry)?;
/// let text = registry.encode(Format::PROMETHEUS_TEXT);
/// assert!(text.contains(r#"build_info{version="1.4.2",revision="9f1c2e7",rustc_version=""#));
/// # Ok::<(), obs_runtime::RegistryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildInfo {
    /// The application's version (`CARGO_PKG_VERSION` of its crate).
    pub version: Cow<'static, str>,
    /// The source revision (a git commit), `unknown` when not known (obs's
    /// label values are never empty).
    pub revision: Cow<'static, str>,
    /// The version of the compiler that built it (`1.95.0`), recorded by
    /// obs-runtime's build script; `unknown` if it could not ask rustc.
    pub rustc_version: Cow<'static, str>,
}

impl BuildInfo {
    /// The build of `version`, by this build's compiler, revision unknown.
    pub fn new(version: impl Into<Cow<'static, str>>) -> Self {
        BuildInfo {
            version: version.into(),
            revision: Cow::Borrowed(UNKNOWN),
            rustc_version: Cow::Borrowed(match env!("OBS_RUSTC_VERSION") {
                "" => UNKNOWN,
                version => version,
            }),
        }
    }

    /// Sets the source revision; an empty one leaves it `unknown`.
    pub fn revision(mut self, revision: impl Into<Cow<'static, str>>) -> Self {
        let revision = revision.into();
        if !revision.trim().is_empty() {
            self.revision = revision;
        }
        self
    }

    /// Registers the `build_info` gauge on `registry`.
    pub fn register(self, registry: &Registry) -> Result<(), RegistryError> {
        registry.register_collector(self)
    }
}

impl Collector for BuildInfo {
    fn describe(&self) -> Vec<CollectedMetric> {
        vec![CollectedMetric::info(
            NAME,
            "The running build: its version, source revision and compiler; always 1.",
        )
        .labels(&["version", "revision", "rustc_version"])]
    }

    fn collect(&self, out: &mut Collection<'_>) {
        let labels = [&*self.version, &*self.revision, &*self.rustc_version];
        out.add(NAME, &labels, SeriesValue::IntGauge(1));
    }
}

/// The calling crate's [`BuildInfo`]: its `CARGO_PKG_VERSION`, and the
/// revision from `OBS_GIT_COMMIT` when that variable is set while it is
/// compiled (else `unknown`) (`OBS_GIT_COMMIT=$(git rev-parse --short HEAD) cargo build`).
///
/// A macro, so that both are read where it is called: in a function of
/// obs-runtime they would be obs-runtime's.
///
/// ```
/// let info = obs_runtime::build_info!();
/// assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
/// ```
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::process::BuildInfo::new(::core::env!("CARGO_PKG_VERSION")).revision(
            match ::core::option_env!("OBS_GIT_COMMIT") {
                ::core::option::Option::Some(commit) => commit,
                ::core::option::Option::None => "",
            },
        )
    };
}
