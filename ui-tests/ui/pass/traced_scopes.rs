//! `#[traced]` works at module scope, in nested modules and inside function
//! bodies, where two functions with the same name in different bodies get
//! separate callsites.
#![deny(warnings)]

use obs_runtime::testing::capture;
use obs_runtime::{span_descriptors, traced};

#[traced(level = "debug", name = "scope.module")]
fn module_level() -> u32 {
    1
}

mod nested {
    pub mod deeper {
        use obs_runtime::traced;

        // `pub` functions are entry points: `info` or above (ui-tests/obs.toml).
        #[traced(level = "info", name = "scope.nested")]
        pub fn nested_level() -> u32 {
            2
        }
    }
}

fn first() -> u32 {
    #[traced(level = "debug", name = "scope.local.first", ret)]
    fn local(n: u32) -> u32 {
        n + 1
    }
    local(2)
}

fn second() -> u32 {
    #[traced(level = "debug", name = "scope.local.second", metrics)]
    fn local(n: u32) -> u32 {
        n * 10
    }

    struct Local;

    #[traced(level = "trace")]
    impl Local {
        fn run(&self) -> u32 {
            7
        }
    }

    local(2) + Local.run()
}

fn main() {
    let (sum, spans) =
        capture(|| module_level() + nested::deeper::nested_level() + first() + second());
    assert_eq!(sum, 1 + 2 + 3 + 27);
    assert_eq!(
        spans.names(),
        [
            "scope.module",
            "scope.nested",
            "scope.local.first",
            "scope.local.second",
            "local.run"
        ]
    );
    assert_eq!(spans.span("scope.nested").level, "INFO");
    assert_eq!(spans.span("scope.local.first").field("ret"), Some("3"));
    assert!(spans
        .span("scope.nested")
        .target
        .ends_with("::nested::deeper"));

    // Functions inside bodies are in the catalog too.
    for name in [
        "scope.module",
        "scope.nested",
        "scope.local.first",
        "scope.local.second",
        "local.run",
    ] {
        assert!(
            span_descriptors().iter().any(|d| d.name == name),
            "{name} is missing from the catalog"
        );
    }
}
