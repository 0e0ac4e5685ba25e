//! Label sets and label values.
//!
//! A [`LabelSet`] is a struct whose fields are the labels of a metric family.
//! When every field is a [`LabelValue`] (an enum deriving it, or `bool`), the
//! set has a cardinality known at compile time and a [`Family`](crate::Family)
//! stores its series in a dense array indexed by [`LabelSet::index`]. A field
//! that can take any value ([`UnboundedLabelValue`]: strings, integers) must be
//! opted in with `#[label(unbounded)]`; such sets are stored in a capped map.

use std::borrow::Cow;
use std::hash::Hash;
use std::sync::Arc;

/// The text of one label value, as an encoder writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelText<'a> {
    /// A string value; encoders escape it.
    Str(&'a str),
    /// A signed integer value.
    I64(i64),
    /// An unsigned integer value.
    U64(u64),
    /// A signed 128-bit integer value.
    I128(i128),
    /// An unsigned 128-bit integer value.
    U128(u128),
}

/// A set of labels identifying one series of a [`Family`](crate::Family).
///
/// Derive it with `#[derive(LabelSet)]`; the derive checks label names at
/// compile time and computes [`LabelSet::CARDINALITY`].
///
/// ```
/// use obs_runtime::{LabelSet, LabelValue};
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// enum Outcome { Success, Failure }
///
/// #[derive(LabelSet, Clone, PartialEq, Eq, Hash, Debug)]
/// struct CompileLabels { outcome: Outcome, cached: bool }
///
/// assert_eq!(CompileLabels::NAMES, ["outcome", "cached"]);
/// assert_eq!(CompileLabels::CARDINALITY, Some(4));
/// assert_eq!(CompileLabels::VALUE_SETS[1], Some(&["false", "true"][..]));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a label set",
    label = "not a label set",
    note = "add `#[derive(obs_runtime::LabelSet)]` to `{Self}`"
)]
pub trait LabelSet: Clone + Eq + Hash + Send + Sync + 'static {
    /// The label names, in field order.
    const NAMES: &'static [&'static str];

    /// The number of distinct label sets when every field has a fixed set of
    /// values, `None` when a field is unbounded.
    const CARDINALITY: Option<usize>;

    /// Each label's values, in [`LabelSet::NAMES`] order: `Some(values)` for
    /// a label drawn from a fixed set (a [`LabelValue`]), `None` for an
    /// unbounded one. The catalog, and the checks built on it, read these.
    const VALUE_SETS: &'static [Option<&'static [&'static str]>];

    /// This set's position in `0..CARDINALITY`; unused (and 0) for unbounded sets.
    fn index(&self) -> usize;

    /// The set at `index`, for sets with a fixed cardinality; `None` when
    /// `index` is out of range or the set is unbounded.
    fn from_index(index: usize) -> Option<Self>;

    /// Calls `visit` with each label value, in [`LabelSet::NAMES`] order.
    fn visit_values(&self, visit: &mut dyn FnMut(LabelText<'_>));
}

/// A label value drawn from a fixed set: an enum deriving `LabelValue`, or `bool`.
///
/// Variants become `snake_case` values (`HttpServer` → `"http_server"`),
/// overridable with `#[label(rename = "…")]`.
///
/// ```
/// use obs_runtime::LabelValue;
///
/// #[derive(LabelValue, Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// enum Backend { Llvm, #[label(rename = "cranelift_jit")] Cranelift }
///
/// assert_eq!(Backend::VALUES, ["llvm", "cranelift_jit"]);
/// assert_eq!(Backend::Cranelift.as_str(), "cranelift_jit");
/// assert_eq!(<bool as LabelValue>::CARDINALITY, 2);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a fixed-cardinality label value",
    label = "not a `LabelValue`",
    note = "derive `obs_runtime::LabelValue` on an enum, use `bool`, or mark a string or integer field `#[label(unbounded)]`"
)]
pub trait LabelValue: Copy + Eq + Hash + Send + Sync + 'static {
    /// Every value, in index order.
    const VALUES: &'static [&'static str];
    /// The number of values.
    const CARDINALITY: usize = Self::VALUES.len();

    /// This value's position in [`LabelValue::VALUES`].
    fn index(self) -> usize;

    /// The value at `index`, or `None` when out of range.
    fn from_index(index: usize) -> Option<Self>;

    /// The label value text.
    fn as_str(self) -> &'static str {
        Self::VALUES[self.index()]
    }
}

impl LabelValue for bool {
    const VALUES: &'static [&'static str] = &["false", "true"];

    fn index(self) -> usize {
        usize::from(self)
    }

    fn from_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// A label value that can take any value at run time: strings and integers.
///
/// Fields of these types are only accepted in a `LabelSet` marked
/// `#[label(unbounded)]`, because every distinct value is a new series.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an unbounded label value",
    label = "not a string or integer",
    note = "unbounded label fields must be strings (`String`, `&'static str`, `Cow<'static, str>`, `Arc<str>`, `Box<str>`) or integers"
)]
pub trait UnboundedLabelValue: Clone + Eq + Hash + Send + Sync + 'static {
    /// The text of the value.
    fn label_text(&self) -> LabelText<'_>;
}

macro_rules! impl_unbounded_str {
    ($($ty:ty),*) => {$(
        impl UnboundedLabelValue for $ty {
            fn label_text(&self) -> LabelText<'_> {
                LabelText::Str(self)
            }
        }
    )*};
}
impl_unbounded_str!(String, &'static str, Cow<'static, str>, Arc<str>, Box<str>);

macro_rules! impl_unbounded_int {
    ($variant:ident: $($ty:ty),*) => {$(
        impl UnboundedLabelValue for $ty {
            fn label_text(&self) -> LabelText<'_> {
                LabelText::$variant((*self).into())
            }
        }
    )*};
}
impl_unbounded_int!(I64: i8, i16, i32, i64);
impl_unbounded_int!(U64: u8, u16, u32, u64);
impl_unbounded_int!(I128: i128);
impl_unbounded_int!(U128: u128);

impl UnboundedLabelValue for usize {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::U64(*self as u64)
    }
}

impl UnboundedLabelValue for isize {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::I64(*self as i64)
    }
}
