//! The clock of `#[traced(metrics)]` call timers: the CPU's time-stamp
//! counter on x86_64 where it is invariant, read with one `rdtsc` and scaled
//! by a factor calibrated once against the OS monotonic clock.
//!
//! Written here rather than taken from `quanta`, which it replaced: a timer
//! needs only the bare read and one multiply, and quanta's dependencies
//! (`raw-cpuid`, `crossbeam-utils`, `libc`) were about 5 s of the 15 s of CPU
//! a clean build of obs-runtime took (docs/BENCHMARKS.md). Elsewhere than
//! x86_64 there is no counter, and timers use `std::time::Instant`.

use std::time::{Duration, Instant};

/// A calibrated time-stamp counter: ticks and how long one lasts.
#[derive(Debug)]
pub(crate) struct Cycles {
    seconds_per_tick: f64,
}

// How long each of the two calibration intervals lasts. The OS clock is read
// to within about a microsecond at each end, so 20 ms puts the scale within
// about 1e-4 of the truth.
const INTERVAL: Duration = Duration::from_millis(20);

// The two intervals' rates must agree this closely, or the counter is not
// trusted (a VM whose counter jumps, a CPU that throttles it).
const AGREEMENT: f64 = 0.01;

impl Cycles {
    /// The counter, calibrated, where it is invariant (it ticks at one rate
    /// whatever the core's frequency and power state); `None` where there
    /// is none or it fails the calibration. Blocks for about 40 ms.
    pub(crate) fn calibrate() -> Option<Cycles> {
        if !invariant() {
            return None;
        }
        let start = paired_read();
        std::thread::sleep(INTERVAL);
        let middle = paired_read();
        std::thread::sleep(INTERVAL);
        let end = paired_read();
        let first = rate(start, middle)?;
        let second = rate(middle, end)?;
        if (first - second).abs() > AGREEMENT * first {
            return None;
        }
        let seconds_per_tick = rate(start, end)?;
        // Between 10 MHz and 100 GHz: anything else is not a time-stamp
        // counter.
        (1e-11..1e-7)
            .contains(&seconds_per_tick)
            .then_some(Cycles { seconds_per_tick })
    }

    /// The counter now.
    #[inline]
    pub(crate) fn now() -> u64 {
        read()
    }

    /// Seconds from `start` to `end`, never negative: a counter that reads
    /// lower on the core a thread moved to gives 0.
    #[inline]
    pub(crate) fn seconds_between(&self, start: u64, end: u64) -> f64 {
        end.saturating_sub(start) as f64 * self.seconds_per_tick
    }
}

/// Seconds per tick between two paired reads.
fn rate(from: (Instant, u64), to: (Instant, u64)) -> Option<f64> {
    let seconds = to.0.checked_duration_since(from.0)?.as_secs_f64();
    let ticks = to.1.checked_sub(from.1).filter(|&ticks| ticks > 0)?;
    Some(seconds / ticks as f64)
}

/// The OS clock and the counter read at (nearly) one instant: the counter
/// is read on either side of the OS clock, the tightest of a few tries
/// kept, and the middle of its two reads taken.
fn paired_read() -> (Instant, u64) {
    let mut best: Option<(u64, Instant, u64)> = None;
    for _ in 0..8 {
        let before = read();
        let now = Instant::now();
        let after = read();
        let width = after.saturating_sub(before);
        if best.is_none_or(|(narrowest, _, _)| width < narrowest) {
            best = Some((width, now, before + width / 2));
        }
    }
    best.map_or_else(|| (Instant::now(), read()), |(_, now, ticks)| (now, ticks))
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read() -> u64 {
    // Safety: `rdtsc` exists on every x86_64 CPU and has no preconditions.
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_rdtsc()
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn read() -> u64 {
    0
}

/// Whether CPUID reports a time-stamp counter that is invariant.
#[cfg(target_arch = "x86_64")]
fn invariant() -> bool {
    use std::arch::x86_64::__cpuid;
    // Safety: `cpuid` exists on every x86_64 CPU; leaves above the maximum
    // reported are not asked for.
    #[allow(unused_unsafe)]
    unsafe {
        let has_tsc = __cpuid(1).edx & (1 << 4) != 0;
        let extended = __cpuid(0x8000_0000).eax >= 0x8000_0007;
        has_tsc && extended && __cpuid(0x8000_0007).edx & (1 << 8) != 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn invariant() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the counter is invariant it calibrates, and measures a sleep as
    /// at least its length and close to it.
    #[test]
    fn an_invariant_counter_calibrates_and_measures_a_sleep() {
        if !invariant() {
            assert!(Cycles::calibrate().is_none());
            return;
        }
        let cycles = Cycles::calibrate().expect("an invariant counter calibrates");
        let start = Cycles::now();
        std::thread::sleep(Duration::from_millis(5));
        let seconds = cycles.seconds_between(start, Cycles::now());
        assert!((0.004..5.0).contains(&seconds), "{seconds} s");
    }

    #[test]
    fn a_counter_read_backwards_gives_zero() {
        let cycles = Cycles {
            seconds_per_tick: 1e-9,
        };
        assert_eq!(cycles.seconds_between(10, 5), 0.0);
        assert_eq!(cycles.seconds_between(5, 2_000_000_005), 2.0);
    }
}
