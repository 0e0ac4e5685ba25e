//! A label set over a one-value enum: its arithmetic is `* 1` and `% 1`,
//! which must compile without lint noise and still index correctly.

use obs_runtime::{LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Only {
    One,
}

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Pair {
    A,
    B,
}

#[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
struct Labels {
    only: Only,
    pair: Pair,
}

#[test]
fn one_value_fields_index_like_any_other() {
    assert_eq!(Labels::CARDINALITY, Some(2));
    for index in 0..2 {
        let labels = Labels::from_index(index).unwrap();
        assert_eq!(labels.only, Only::One);
        assert_eq!(labels.index(), index);
    }
    assert_eq!(Labels::from_index(2), None);
}
