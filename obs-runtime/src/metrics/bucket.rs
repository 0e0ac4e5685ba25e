//! One histogram bucket: its count and the integer sum of what it counted,
//! side by side in 16 bytes, so that an observation is one atomic
//! operation where the processor has one for 16 bytes.
//!
//! On x86_64 with `cmpxchg16b` (all but the earliest x86_64
//! processors), an observation is one `lock cmpxchg16b` that adds to both
//! words: measured at 1.2× a relaxed `fetch_add`, where a count and a sum
//! updated apart are two locked operations and 2.0× (see
//! docs/BENCHMARKS.md, "Histogram observe"). Elsewhere, and on a processor
//! without the instruction, the two words are two `AtomicU64`s updated
//! apart. Which way is decided once per process, and every access to a
//! bucket goes the same way, so accesses of two sizes never meet on one
//! bucket.
//!
//! Written by hand, not taken from `portable-atomic`: its `AtomicU128` has
//! no add of two independent 64-bit halves (the sum's carry must not reach
//! the count), so it would take a compare-and-swap loop in Rust around its
//! own, with a load first; the loop here is one `asm!` block.

use std::sync::atomic::{AtomicU64, Ordering};

/// A bucket's count and the sum of its observations: an integer count of
/// units ([`BucketCell::add`]) or `f64` bits ([`BucketCell::add_float`]),
/// one or the other for the life of the bucket.
#[repr(C, align(16))]
#[derive(Debug)]
#[doc(hidden)]
pub struct BucketCell {
    count: AtomicU64,
    sum: AtomicU64,
}

impl Default for BucketCell {
    fn default() -> Self {
        BucketCell::new()
    }
}

impl BucketCell {
    /// An empty bucket; usable in a `static`.
    pub const fn new() -> Self {
        BucketCell {
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    /// Counts one observation and adds `sum` to the bucket's sum; returns
    /// the count before. `ordering` is the count's: `Release` publishes
    /// what the caller wrote before (the 16-byte way is a full barrier).
    #[inline]
    pub(crate) fn add(&self, sum: u64, ordering: Ordering) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if pair::available() {
            // Safety: the bucket is 16-byte aligned (`repr(align(16))`),
            // and in this process every access to it is 16 bytes wide.
            return unsafe { pair::add(self.count.as_ptr(), sum) };
        }
        let seen = self.count.fetch_add(1, ordering);
        if sum != 0 {
            self.sum.fetch_add(sum, Ordering::Relaxed);
        }
        seen
    }

    /// Counts one observation and adds `value` to the bucket's `f64` sum;
    /// returns the count before. `ordering` as for [`BucketCell::add`].
    #[inline]
    pub(crate) fn add_float(&self, value: f64, ordering: Ordering) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if pair::available() {
            // Safety: as in `add`.
            return unsafe { pair::add_float(self.count.as_ptr(), value) };
        }
        let seen = self.count.fetch_add(1, ordering);
        super::gauge::add_f64(&self.sum, value);
        seen
    }

    /// The count and the sum. `ordering` is the count's: `Acquire` sees
    /// what a `Release` observation published.
    #[inline]
    pub(crate) fn load(&self, ordering: Ordering) -> (u64, u64) {
        #[cfg(target_arch = "x86_64")]
        if pair::available() {
            // Safety: as in `add`.
            return unsafe { pair::load(self.count.as_ptr()) };
        }
        (self.count.load(ordering), self.sum.load(Ordering::Relaxed))
    }
}

#[cfg(target_arch = "x86_64")]
mod pair {
    use std::arch::asm;

    /// Whether this processor has `cmpxchg16b`: known at compile time when
    /// the target enables it, else read once and cached by `std`.
    #[inline]
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("cmpxchg16b")
    }

    /// The compare-and-swap loop on the 16 bytes at `$cell`: both words
    /// are read plainly first, a guess the compare-and-swap checks (a torn
    /// or stale guess only costs one more turn); each turn, `$new` makes
    /// the new words in `rcx:rbx` from the guess in `rdx:rax`. Evaluates to
    /// the first word before.
    ///
    /// `cmpxchg16b` takes its new value in `rcx:rbx`, and `rbx` cannot be
    /// named as an operand (the compiler may keep a value of its own
    /// there), so it is saved in `r9` and restored; and every operand has a
    /// named register, since one of the `reg` class may be `rbx`.
    macro_rules! pair_loop {
        ($cell:expr, [$($new:literal),*], $($operand:tt)*) => {{
            let seen: u64;
            // Safety: the caller's (`cell` 16-byte aligned, valid, only
            // accessed through this module); the block touches only those
            // 16 bytes and restores `rbx`.
            unsafe {
                asm!(
                    "mov r9, rbx",
                    "mov rax, qword ptr [r8]",
                    "mov rdx, qword ptr [r8 + 8]",
                    "2:",
                    $($new,)*
                    "lock cmpxchg16b xmmword ptr [r8]",
                    "jne 2b",
                    "mov rbx, r9",
                    in("r8") $cell,
                    $($operand)*
                    out("r9") _,
                    out("rax") seen,
                    out("rdx") _,
                    out("rcx") _,
                    options(nostack),
                );
            }
            seen
        }};
    }

    /// Adds one to the word at `cell` and `sum` to the next one, as one
    /// atomic operation; returns the first word before.
    ///
    /// # Safety
    ///
    /// `cell` is 16-byte aligned, valid for reads and writes of 16 bytes,
    /// and every other access to those bytes is through this module.
    #[inline]
    pub(super) unsafe fn add(cell: *mut u64, sum: u64) -> u64 {
        pair_loop!(
            cell,
            ["lea rbx, [rax + 1]", "mov rcx, rdx", "add rcx, rdi"],
            in("rdi") sum,
        )
    }

    /// As [`add`], with `value` added to the `f64` whose bits are the next
    /// word.
    ///
    /// # Safety
    ///
    /// As for [`add`].
    #[inline]
    pub(super) unsafe fn add_float(cell: *mut u64, value: f64) -> u64 {
        pair_loop!(
            cell,
            ["lea rbx, [rax + 1]", "movq xmm1, rdx", "addsd xmm1, xmm0", "movq rcx, xmm1"],
            in("xmm0") value,
            out("xmm1") _,
        )
    }

    /// Reads both words at `cell` as one atomic operation: a
    /// compare-and-swap of zero with zero, which leaves the bucket as it
    /// is and returns what it holds.
    ///
    /// # Safety
    ///
    /// As for [`add`].
    #[inline]
    pub(super) unsafe fn load(cell: *mut u64) -> (u64, u64) {
        let (first, second): (u64, u64);
        // Registers named and `rbx` kept as in `pair_loop!`.
        // Safety: the caller's; the block touches only those 16 bytes and
        // restores `rbx`.
        unsafe {
            asm!(
                "mov r9, rbx",
                "xor eax, eax",
                "xor edx, edx",
                "xor ebx, ebx",
                "xor ecx, ecx",
                "lock cmpxchg16b xmmword ptr [r8]",
                "mov rbx, r9",
                in("r8") cell,
                out("r9") _,
                out("rax") first,
                out("rdx") second,
                out("rcx") _,
                options(nostack),
            );
        }
        (first, second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn a_bucket_counts_and_sums_exactly() {
        let cell = BucketCell::new();
        assert_eq!(cell.load(Relaxed), (0, 0));
        assert_eq!(cell.add(7, Relaxed), 0);
        assert_eq!(cell.add(0, Relaxed), 1);
        assert_eq!(cell.add(u64::MAX - 7, Relaxed), 2);
        // The sum wraps on its own; its carry never reaches the count.
        assert_eq!(cell.load(Relaxed), (3, u64::MAX));
        cell.add(1, Relaxed);
        assert_eq!(cell.load(Relaxed), (4, 0));
    }

    #[test]
    fn a_float_bucket_sums_as_f64_does() {
        let cell = BucketCell::new();
        let mut expected = 0.0;
        for (n, value) in [0.25, -1.5, 1e300, -1e300, 3.0].into_iter().enumerate() {
            assert_eq!(cell.add_float(value, Relaxed), n as u64);
            expected += value;
        }
        let (count, bits) = cell.load(Relaxed);
        assert_eq!((count, f64::from_bits(bits)), (5, expected));
    }

    #[test]
    fn two_threads_lose_nothing() {
        let cell = BucketCell::new();
        std::thread::scope(|scope| {
            for sum in [1, 1_000_000] {
                let cell = &cell;
                scope.spawn(move || {
                    for _ in 0..100_000 {
                        cell.add(sum, Relaxed);
                    }
                });
            }
        });
        assert_eq!(cell.load(Relaxed), (200_000, 100_000 * 1_000_001));
    }
}
