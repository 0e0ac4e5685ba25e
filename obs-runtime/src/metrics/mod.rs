//! Metric cells: the atomics that record values on the hot path.

pub(crate) mod bucket;
pub(crate) mod counter;
pub(crate) mod family;
pub(crate) mod gauge;
pub(crate) mod histogram;
mod sparse;
