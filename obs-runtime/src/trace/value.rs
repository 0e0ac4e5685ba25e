//! How `#[traced]` hands a field's value to `tracing`, so that integers stay
//! integers over OTLP.
//!
//! `tracing` records `u8`, `u16`, `u32`, `u64` and `usize` with
//! `record_u64`, and `i128`/`u128` with their own methods; the
//! OpenTelemetry layer (tracing-opentelemetry 0.34) implements only
//! `record_i64`, `record_f64`, `record_bool` and `record_str`, so the others
//! fall back to `record_debug` and reach the collector as strings
//! (`http.response.status_code = "200"`). OpenTelemetry's integers are
//! signed 64-bit, so `#[traced]` converts: an unsigned or 128-bit value is
//! recorded as an `i64` when it fits, and as its decimal text (as the
//! OpenTelemetry specification asks for integers out of range) when it does
//! not. Every other value is passed through untouched.
//!
//! The choice is made at compile time, by method resolution on the value's
//! type (`(&FieldValue(&v)).obs_field()` finds [`ViaInteger`] for the
//! integer types, and falls back to [`ViaValue`] for every other
//! `tracing::Value`); nothing is allocated.
//!
//! Only values `#[traced]` records are converted: a later
//! `span.record("http.response.status_code", status.as_u16())` goes to
//! `tracing` as written, so record `i64::from(…)` there.

use std::fmt;
use tracing::field::{display, DisplayValue, Value};

/// A field value on its way to `tracing`: see the module comment.
#[doc(hidden)]
pub struct FieldValue<'a, T: ?Sized>(pub &'a T);

/// An integer `tracing` would record with a method the OpenTelemetry layer
/// does not implement, as an `i64` or, out of its range, as decimal text.
#[doc(hidden)]
pub enum Integer {
    /// The value, in range.
    Int(i64),
    /// The value's decimal text.
    Text(DisplayValue<Decimal>),
}

/// An out-of-range integer, displayed in decimal.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Decimal(i128, bool);

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // An `u128` above `i128::MAX`, stored by its bits.
            Decimal(bits, true) => write!(f, "{}", bits.cast_unsigned()),
            Decimal(value, false) => write!(f, "{value}"),
        }
    }
}

impl Integer {
    fn new(value: impl TryInto<i64> + Copy, text: Decimal) -> Self {
        match value.try_into() {
            Ok(int) => Integer::Int(int),
            Err(_) => Integer::Text(display(text)),
        }
    }
}

/// Integers that reach OpenTelemetry as `i64` (see the module comment).
#[doc(hidden)]
pub trait ViaInteger {
    fn obs_field(&self) -> Integer;
}

macro_rules! via_integer {
    ($($ty:ty),*) => {$(
        impl ViaInteger for FieldValue<'_, $ty> {
            #[inline]
            fn obs_field(&self) -> Integer {
                let value = *self.0;
                Integer::new(value, Decimal(value as i128, false))
            }
        }
    )*};
}

// The signed types `tracing` records as `i64` already are here too, so that
// an integer literal (`fields(attempt = 3)`), whose type is inferred from
// the impls, resolves to `i32` as it does elsewhere.
via_integer!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, i128);

impl ViaInteger for FieldValue<'_, u128> {
    #[inline]
    fn obs_field(&self) -> Integer {
        let value = *self.0;
        Integer::new(
            value,
            Decimal(value.cast_signed(), value > i128::MAX as u128),
        )
    }
}

/// Every other value, recorded as `tracing` records it.
#[doc(hidden)]
pub trait ViaValue<'a, T: ?Sized> {
    fn obs_field(&self) -> &'a T;
}

impl<'a, T: Value + ?Sized> ViaValue<'a, T> for &FieldValue<'a, T> {
    #[inline]
    fn obs_field(&self) -> &'a T {
        self.0
    }
}

/// The value either trait gives, as the `&dyn Value` a span takes.
#[doc(hidden)]
pub trait AsValue {
    fn as_value(&self) -> &dyn Value;
}

impl AsValue for Integer {
    #[inline]
    fn as_value(&self) -> &dyn Value {
        match self {
            Integer::Int(int) => int,
            Integer::Text(text) => text,
        }
    }
}

impl<T: Value + ?Sized> AsValue for &T {
    #[inline]
    fn as_value(&self) -> &dyn Value {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::field::{Field, Visit};

    /// What a value is recorded as: `i64:…`, `u64:…` or `debug:…`.
    fn recorded(value: &dyn Value) -> String {
        struct Kind(String);
        impl Visit for Kind {
            fn record_i64(&mut self, _: &Field, value: i64) {
                self.0 = format!("i64:{value}");
            }
            fn record_u64(&mut self, _: &Field, value: u64) {
                self.0 = format!("u64:{value}");
            }
            fn record_str(&mut self, _: &Field, value: &str) {
                self.0 = format!("str:{value}");
            }
            fn record_debug(&mut self, _: &Field, value: &dyn fmt::Debug) {
                self.0 = format!("debug:{value:?}");
            }
        }
        struct Callsite;
        impl tracing::callsite::Callsite for Callsite {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                &METADATA
            }
        }
        static CALLSITE: Callsite = Callsite;
        static METADATA: tracing::Metadata<'static> = tracing::Metadata::new(
            "test",
            "test",
            tracing::Level::INFO,
            None,
            None,
            None,
            tracing::field::FieldSet::new(&["v"], tracing::callsite::Identifier(&CALLSITE)),
            tracing::metadata::Kind::SPAN,
        );
        let field = METADATA.fields().field("v").unwrap();
        let mut kind = Kind(String::new());
        value.record(&field, &mut kind);
        kind.0
    }

    // The borrow is what `#[traced]` writes for every value: needless for
    // the integers, it is what sends the others to `ViaValue`.
    #[test]
    #[allow(clippy::needless_borrow)]
    fn integers_are_recorded_as_i64_and_others_as_they_are() {
        assert_eq!(
            recorded((&FieldValue(&200u16)).obs_field().as_value()),
            "i64:200"
        );
        assert_eq!(
            recorded((&FieldValue(&7usize)).obs_field().as_value()),
            "i64:7"
        );
        assert_eq!(
            recorded((&FieldValue(&-3i128)).obs_field().as_value()),
            "i64:-3"
        );
        assert_eq!(
            recorded((&FieldValue(&-3i32)).obs_field().as_value()),
            "i64:-3"
        );
        assert_eq!(
            recorded((&FieldValue(&"get")).obs_field().as_value()),
            "str:get"
        );
        assert_eq!(
            recorded((&FieldValue(&u64::MAX)).obs_field().as_value()),
            "debug:18446744073709551615"
        );
        assert_eq!(
            recorded((&FieldValue(&u128::MAX)).obs_field().as_value()),
            format!("debug:{}", u128::MAX)
        );
    }
}
