//! The generated code names everything by absolute path, so a user scope that
//! redefines the prelude, `std`, `core` and primitive type names still derives
//! and uses all three traits. Fields named like the locals the derives use
//! (`index`, `rest`, `cardinality`, `visit`) do not collide with them either.
#![deny(warnings)]

mod hostile {
    #![allow(dead_code, non_camel_case_types, unused_macros)]

    use obs_runtime::{Counter, Family, Histogram, LabelSet, LabelValue, Metrics};

    mod std {}
    mod core {}
    struct Option;
    struct Result;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Vec;
    struct String;
    struct Box;
    struct Self_;
    struct usize;
    struct str;
    struct bool;
    struct f64;
    struct u64;
    trait Clone {}
    trait Default {}
    trait FnMut {}
    trait Sized {}
    trait Send {}
    trait Sync {}
    fn panic() {}
    fn unreachable() {}
    fn concat() {}
    fn module_path() {}
    macro_rules! concat {
        () => {};
    }
    macro_rules! module_path {
        () => {};
    }
    macro_rules! unreachable {
        () => {};
    }

    #[derive(LabelValue, ::core::clone::Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub enum Outcome {
        Success,
        Failure,
    }

    #[derive(LabelValue, ::core::clone::Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub enum Stage {
        Parse,
        Plan,
        Lower,
    }

    #[derive(LabelSet, ::core::clone::Clone, PartialEq, Eq, Hash, Debug)]
    pub struct Labels {
        pub index: Outcome,
        pub rest: Stage,
        pub cardinality: Outcome,
        pub visit: Stage,
    }

    #[derive(LabelSet, ::core::clone::Clone, PartialEq, Eq, Hash, Debug)]
    pub struct OpenLabels {
        #[label(unbounded)]
        pub model: ::std::string::String,
    }

    #[derive(Metrics)]
    #[metrics(prefix = "hostile")]
    pub struct HostileMetrics {
        /// Steps run.
        pub steps_total: Family<Labels, Counter>,
        /// Tokens used.
        #[metric(max_series = 10)]
        pub tokens_total: Family<OpenLabels, Counter>,
        /// Step latency.
        #[metric(buckets = [0.1, 1.0])]
        pub step_seconds: Histogram,
        /// A field named like the visitor.
        pub visit_total: Counter,
    }
}

use hostile::{HostileMetrics, Labels, OpenLabels, Outcome, Stage};
use obs_runtime::{Format, LabelSet, LabelValue, MetricGroup, Registry};

fn main() {
    assert_eq!(Outcome::VALUES, ["success", "failure"]);
    assert_eq!(Stage::Lower.as_str(), "lower");
    assert_eq!(Labels::NAMES, ["index", "rest", "cardinality", "visit"]);
    assert_eq!(Labels::CARDINALITY, Some(2 * 3 * 2 * 3));

    // Every index decodes to the set that encodes to it.
    for i in 0..36 {
        let labels = Labels::from_index(i).expect("in range");
        assert_eq!(labels.index(), i);
    }
    assert_eq!(Labels::from_index(36), None);
    let labels = Labels {
        index: Outcome::Failure,
        rest: Stage::Lower,
        cardinality: Outcome::Success,
        visit: Stage::Plan,
    };
    assert_eq!(Labels::from_index(labels.index()), Some(labels.clone()));
    assert_eq!(OpenLabels::CARDINALITY, None);

    assert_eq!(HostileMetrics::STEPS_TOTAL, "hostile_steps_total");
    assert_eq!(HostileMetrics::DESCRIPTORS.len(), 4);
    assert!(HostileMetrics::OWNER.ends_with("hostile::HostileMetrics"));

    let registry = Registry::new();
    let metrics = HostileMetrics::register(&registry).expect("registers");
    metrics.steps_total.get(&labels).inc();
    metrics
        .tokens_total
        .get(&OpenLabels {
            model: "gpt".to_owned(),
        })
        .inc_by(7);
    metrics.step_seconds.observe(0.5);
    metrics.visit_total.inc();

    let text = registry.encode(Format::PROMETHEUS_TEXT);
    assert!(
        text.contains(
            r#"hostile_steps_total{index="failure",rest="lower",cardinality="success",visit="plan"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"hostile_tokens_total{model="gpt"} 7"#),
        "{text}"
    );
    assert!(
        text.contains(r#"hostile_step_seconds_bucket{le="1.0"} 1"#),
        "{text}"
    );
    assert!(text.contains("hostile_visit_total 1"), "{text}");
}
