//! The derives work at module scope, in nested modules and inside function
//! bodies.
#![deny(warnings)]

use obs_runtime::{Counter, Family, Gauge, LabelSet, LabelValue, MetricGroup, Metrics, Registry};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Outcome {
    Success,
    Failure,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    outcome: Outcome,
}

#[derive(Metrics)]
struct ModuleMetrics {
    /// Jobs finished, by outcome.
    jobs_total: Family<Labels, Counter>,
}

mod nested {
    pub mod deeper {
        use obs_runtime::{Gauge, Metrics};

        #[derive(Metrics)]
        #[metrics(prefix = "nested")]
        pub struct NestedMetrics {
            /// Jobs waiting.
            pub queue_depth: Gauge,
        }
    }
}

fn main() {
    #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
    enum Tier {
        Hot,
        Warm,
        Cold,
    }

    #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
    struct LocalLabels {
        tier: Tier,
        outcome: Outcome,
    }

    #[derive(Metrics)]
    #[metrics(prefix = "local")]
    struct LocalMetrics {
        /// Bytes held, by tier and outcome.
        memory_bytes: Family<LocalLabels, Gauge>,
    }

    assert_eq!(Tier::VALUES, ["hot", "warm", "cold"]);
    assert_eq!(LocalLabels::CARDINALITY, Some(6));
    assert_eq!(LocalMetrics::MEMORY_BYTES, "local_memory_bytes");

    let registry = Registry::new();
    let module = ModuleMetrics::register(&registry).expect("registers");
    let nested = nested::deeper::NestedMetrics::register(&registry).expect("registers");
    let local = LocalMetrics::register(&registry).expect("registers");

    module
        .jobs_total
        .get(&Labels {
            outcome: Outcome::Failure,
        })
        .inc();
    nested.queue_depth.set(3.0);
    local
        .memory_bytes
        .get(&LocalLabels {
            tier: Tier::Cold,
            outcome: Outcome::Success,
        })
        .set(512.0);

    // The owner is the struct's path (the crate is named by trybuild).
    assert!(ModuleMetrics::OWNER.ends_with("::ModuleMetrics"));
    assert!(nested::deeper::NestedMetrics::OWNER.ends_with("::nested::deeper::NestedMetrics"));
    assert!(LocalMetrics::OWNER.ends_with("::LocalMetrics"));
    let text = registry.encode(obs_runtime::Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(r#"jobs_total{outcome="failure"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"jobs_total{outcome="success"} 0"#),
        "{text}"
    );
    assert!(text.contains("nested_queue_depth 3"), "{text}");
    assert!(
        text.contains(r#"local_memory_bytes{tier="cold",outcome="success"} 512"#),
        "{text}"
    );
    // A fixed family exports every combination from the start.
    assert_eq!(text.matches("local_memory_bytes{").count(), 6, "{text}");
}
