//! Every compile-time rule and its run-time twin agree: the same names,
//! help texts, units, buckets, family limits and label names, given to the
//! registry's run-time path (`MetricDef`, `Buckets`) and to obs-rules (which
//! the derives call), are accepted or refused alike, with the same message.

use obs_rules::{FamilyLimit, MetricType, Violation};
use obs_runtime::{
    Buckets, Counter, Family, Gauge, Histogram, LabelSet, LabelText, Metric, MetricDef, Registry,
    RegistryError,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 20_000;

fn run<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    if let Err(err) = runner.run(&strategy, check) {
        panic!("{err}");
    }
}

/// What registering `def` as an `M` says: `Ok`, or the broken rule.
fn registered<M: Metric>(def: MetricDef) -> Result<(), Violation> {
    match Registry::new().register_metric::<M>(def) {
        Ok(_) => Ok(()),
        Err(RegistryError::Invalid { violation, .. }) => Err(violation),
        Err(other) => panic!("{other}"),
    }
}

fn registered_as(ty: MetricType, def: MetricDef) -> Result<(), Violation> {
    match ty {
        MetricType::Counter => registered::<Counter>(def),
        MetricType::Gauge => registered::<Gauge>(def),
        MetricType::Histogram => registered::<Histogram>(def),
    }
}

fn metric_type() -> impl Strategy<Value = MetricType> {
    prop::sample::select(vec![
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
    ])
}

/// Names near the rules: units, suffixes, case, prefixes and separators.
fn name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "http", "requests", "latency", "seconds", "bytes", "ms", "total", "count", "sum", "bucket",
        "created", "info", "Jobs", "2xx", "", "__", "obs", "ratio", "celsius",
    ]);
    let separator = prop::sample::select(vec!["_", "_", "_", "", ".", "-", "__"]);
    prop::collection::vec((piece, separator), 1..5).prop_map(|parts| {
        let mut name = String::new();
        for (i, (piece, separator)) in parts.iter().enumerate() {
            if i > 0 {
                name.push_str(separator);
            }
            name.push_str(piece);
        }
        name
    })
}

#[test]
fn names_help_and_units_agree() {
    let help = prop::sample::select(vec!["Requests served.", "", "  ", "x"]);
    let unit = prop::option::of(prop::sample::select(vec![
        "seconds", "bytes", "ms", "ratio",
    ]));
    run(
        (name(), metric_type(), help, unit),
        |(name, ty, help, unit)| {
            let mut def = MetricDef::new(&name, help);
            if let Some(unit) = unit {
                def = def.unit(unit);
            }
            let rules = obs_rules::check_metric_name(&name, ty)
                .and_then(|()| obs_rules::check_help(&name, help))
                .and_then(|()| match unit {
                    Some(unit) => obs_rules::check_declared_unit(&name, ty, unit),
                    None => Ok(()),
                });
            prop_assert_eq!(registered_as(ty, def), rules);
            Ok(())
        },
    );
}

#[test]
fn buckets_agree() {
    let bound = prop::sample::select(vec![
        -1.0,
        0.0,
        0.005,
        0.1,
        1.0,
        1.0,
        10.0,
        f64::NAN,
        f64::INFINITY,
    ]);
    let ty = metric_type();
    run((prop::collection::vec(bound, 0..6), ty), |(bounds, ty)| {
        let rules = obs_rules::check_buckets(&bounds);
        let buckets = Buckets::new(bounds.clone());
        prop_assert_eq!(buckets.as_ref().err(), rules.as_ref().err());
        if let Ok(buckets) = buckets {
            let name = "work_duration_seconds";
            let def = MetricDef::new(name, "Work.").buckets(buckets);
            let rules = obs_rules::check_metric_name(name, ty)
                .and_then(|()| obs_rules::check_buckets_allowed(name, ty));
            prop_assert_eq!(registered_as(ty, def), rules);
        }
        Ok(())
    });
    for (start, factor, count) in [(0.01, 2.0, 10), (0.0, 2.0, 3), (1.0, 1.0, 3), (1.0, 2.0, 0)] {
        assert_eq!(
            Buckets::exponential(start, factor, count).err(),
            obs_rules::exponential_buckets(start, factor, count).err()
        );
        assert_eq!(
            Buckets::linear(start, factor, count).err(),
            obs_rules::linear_buckets(start, factor, count).err()
        );
    }
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Route {
    #[label(unbounded)]
    route: String,
}

/// Every limit, at and around its bounds, on a family and on a single
/// metric: few enough cases to try them all.
#[test]
fn family_limits_agree() {
    let values = [
        0usize,
        1,
        2,
        2_000,
        obs_rules::MAX_MAX_LABEL_BYTES,
        obs_rules::MAX_MAX_LABEL_BYTES + 1,
        obs_rules::MAX_MAX_SERIES,
        obs_rules::MAX_MAX_SERIES + 1,
        usize::MAX,
    ];
    for limit in [FamilyLimit::MaxSeries, FamilyLimit::MaxLabelBytes] {
        for value in values {
            for family in [true, false] {
                let name = "routes_total";
                let def = match limit {
                    FamilyLimit::MaxSeries => MetricDef::new(name, "Routes.").max_series(value),
                    FamilyLimit::MaxLabelBytes => {
                        MetricDef::new(name, "Routes.").max_label_bytes(value)
                    }
                };
                let rules = obs_rules::check_family_limit(limit, value, name, family);
                let got = if family {
                    registered::<Family<Route, Counter>>(def)
                } else {
                    registered::<Counter>(def)
                };
                assert_eq!(got, rules, "{limit:?} = {value}, family {family}");
            }
        }
    }
}

/// A label set written by hand, whose names the derive never checked.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct HandWritten;

impl LabelSet for HandWritten {
    const NAMES: &'static [&'static str] = &["le"];
    const CARDINALITY: Option<usize> = Some(1);
    const VALUE_SETS: &'static [Option<&'static [&'static str]>] = &[Some(&["x"])];

    fn index(&self) -> usize {
        0
    }

    fn from_index(index: usize) -> Option<Self> {
        (index == 0).then_some(HandWritten)
    }

    fn visit_values(&self, visit: &mut dyn FnMut(LabelText<'_>)) {
        visit(LabelText::Str("x"));
    }
}

#[test]
fn label_names_agree() {
    let def = MetricDef::new("buckets_total", "Buckets.");
    assert_eq!(
        registered::<Family<HandWritten, Counter>>(def),
        obs_rules::check_label_name("le")
    );
    assert!(obs_rules::check_label_name("le").is_err());
}

/// The label types the derive calls unbounded are the ones the runtime takes
/// as unbounded label values: each name in `UNBOUNDED_LABEL_TYPES` has an
/// `UnboundedLabelValue` impl, and the list names every impl.
#[test]
fn unbounded_label_types_agree() {
    // The bound is the check: a name whose type has no impl does not compile.
    #[allow(clippy::extra_unused_type_parameters)]
    fn name_of<T: obs_runtime::UnboundedLabelValue>(name: &'static str) -> &'static str {
        name
    }
    macro_rules! implemented {
        ($($name:literal => $ty:ty),* $(,)?) => { vec![$(name_of::<$ty>($name)),*] };
    }
    let mut implemented = implemented![
        "String" => String, "str" => &'static str, "Cow" => std::borrow::Cow<'static, str>,
        "Box" => Box<str>, "Arc" => std::sync::Arc<str>,
        "u8" => u8, "u16" => u16, "u32" => u32, "u64" => u64, "u128" => u128, "usize" => usize,
        "i8" => i8, "i16" => i16, "i32" => i32, "i64" => i64, "i128" => i128, "isize" => isize,
    ];
    let mut rules = obs_rules::UNBOUNDED_LABEL_TYPES.to_vec();
    implemented.sort_unstable();
    rules.sort_unstable();
    assert_eq!(implemented, rules);
}
