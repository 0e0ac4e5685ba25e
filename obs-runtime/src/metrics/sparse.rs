//! The store of an unbounded family: an append-only, lock-free hash table
//! with a fixed capacity.
//!
//! Written by hand rather than taken from a concurrent-map crate because the
//! family's needs are narrow and on the hot path: series are never removed
//! and their number is capped, so the table never resizes or frees while the
//! family lives. A hit is one hash, one acquire load per probe and one key
//! comparison: no lock, no epoch guard, no reference count, no allocation.

use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::ptr;

// The loom model checker (`RUSTFLAGS="--cfg loom"`) swaps in its own atomics
// and needs hashes that are the same in every explored execution.
#[cfg(loom)]
use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
#[cfg(loom)]
type Hasher = foldhash::fast::FixedState;
#[cfg(not(loom))]
type Hasher = foldhash::fast::RandomState;

struct Entry<K, V> {
    key: K,
    value: V,
}

pub(crate) struct SparseMap<K, V> {
    // Open addressing with linear probing; at least twice `cap` slots, so a
    // probe always reaches an empty slot and chains stay short.
    slots: Box<[AtomicPtr<Entry<K, V>>]>,
    // Entries in insertion order, for a stable exposition order.
    order: Box<[AtomicPtr<Entry<K, V>>]>,
    inserted: AtomicUsize,
    // Entries reserved or inserted; never exceeds `cap`.
    reserved: AtomicUsize,
    cap: usize,
    hasher: Hasher,
    // The map owns its entries: it is `Send`/`Sync` only when they are.
    _owns: PhantomData<Box<Entry<K, V>>>,
}

impl<K: Hash + Eq, V> SparseMap<K, V> {
    pub(crate) fn with_cap(cap: usize) -> Self {
        let size = cap.saturating_mul(2).max(4).next_power_of_two();
        SparseMap {
            slots: (0..size).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            order: (0..cap).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            inserted: AtomicUsize::new(0),
            reserved: AtomicUsize::new(0),
            cap,
            hasher: Hasher::default(),
            _owns: PhantomData,
        }
    }

    /// The value for `key`, inserting `make()` if absent; `None` when the key
    /// is absent and the map is full, or `admit` refuses it (checked only
    /// when the key is absent, so a hit costs nothing more).
    #[inline]
    pub(crate) fn get_or_insert(
        &self,
        key: &K,
        admit: impl FnOnce(&K) -> bool,
        make: impl FnOnce(&K) -> (K, V),
    ) -> Option<&V> {
        let hash = self.hasher.hash_one(key);
        let mask = self.slots.len() - 1;
        let mut index = hash as usize & mask;
        let mut pending: Option<Box<Entry<K, V>>> = None;
        let mut admit = Some(admit);
        let mut make = Some(make);
        // Set once every reservation has become an entry and none is left:
        // one last probe then decides between a hit and `None`.
        let mut full = false;
        loop {
            // Acquire pairs with the Release of the inserting CAS, so the
            // entry's fields are visible before we read them.
            let mut current = self.slots[index].load(Ordering::Acquire);
            if current.is_null() {
                let entry = match pending.take() {
                    Some(entry) => entry,
                    None => {
                        if full || admit.take().is_some_and(|admit| !admit(key)) {
                            return None;
                        }
                        if self.reserved.fetch_add(1, Ordering::Relaxed) >= self.cap {
                            self.reserved.fetch_sub(1, Ordering::Relaxed);
                            // No room left, but a reservation still in flight
                            // may be inserting this very key, or be given
                            // back: wait for it, then probe again from the
                            // start. An in-flight insert is one `make` and
                            // one CAS away from done.
                            // Acquire pairs with the Release increment after
                            // each insert, so the last probe sees its entry.
                            full = self.inserted.load(Ordering::Acquire) >= self.cap;
                            if !full {
                                spin();
                            }
                            index = hash as usize & mask;
                            continue;
                        }
                        // `make` runs once: after that, the entry it made
                        // waits in `pending` until it is placed or dropped.
                        let make = make.take()?;
                        // Were `make` to panic, the reservation is given back,
                        // or threads waiting on it above would wait forever.
                        let release = Release(&self.reserved);
                        let (key, value) = make(key);
                        std::mem::forget(release);
                        Box::new(Entry { key, value })
                    }
                };
                let raw = Box::into_raw(entry);
                match self.slots[index].compare_exchange(
                    ptr::null_mut(),
                    raw,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        let position = self.inserted.fetch_add(1, Ordering::Release);
                        // `reserved` bounds successful inserts by `cap`, so the
                        // position is always in range.
                        if let Some(slot) = self.order.get(position) {
                            slot.store(raw, Ordering::Release);
                        }
                        // Safety: `raw` came from `Box::into_raw` and is now owned
                        // by the table, which frees it only in `drop(&mut self)`.
                        return Some(unsafe { &(*raw).value });
                    }
                    Err(winner) => {
                        // Safety: the CAS failed, so `raw` was never published
                        // and we still own it.
                        pending = Some(unsafe { Box::from_raw(raw) });
                        current = winner;
                    }
                }
            }
            // Safety: non-null slots point to entries that live until the map
            // is dropped, and `&self` keeps the map alive.
            let entry = unsafe { &*current };
            // The key itself is compared: at most half the slots are
            // taken, so a probe meets few other keys, and not storing the
            // hash saves 8 bytes a series.
            if entry.key == *key {
                if pending.is_some() {
                    // Another thread inserted this key first: give back our
                    // reservation (the entry is dropped with `pending`).
                    self.reserved.fetch_sub(1, Ordering::Relaxed);
                }
                return Some(&entry.value);
            }
            index = (index + 1) & mask;
        }
    }

    /// Entries in insertion order.
    pub(crate) fn for_each(&self, mut visit: impl FnMut(&K, &V)) {
        let inserted = self.inserted.load(Ordering::Relaxed).min(self.order.len());
        for slot in &self.order[..inserted] {
            let entry = slot.load(Ordering::Acquire);
            if !entry.is_null() {
                // Safety: as in `get_or_insert`, entries live as long as the map.
                let entry = unsafe { &*entry };
                visit(&entry.key, &entry.value);
            }
        }
    }
}

/// Gives back a reservation when dropped.
struct Release<'a>(&'a AtomicUsize);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Lets the thread being waited for run: the wait is rare (a new key while
/// the last free place is being taken) and short.
#[cfg(not(loom))]
fn spin() {
    std::thread::yield_now();
}

/// Under loom, lets the model schedule the thread being waited for.
#[cfg(loom)]
fn spin() {
    loom::thread::yield_now();
}

impl<K, V> SparseMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.inserted.load(Ordering::Relaxed)
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }
}

impl<K, V> Drop for SparseMap<K, V> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            // Relaxed: `&mut self` already orders this after every insert.
            let entry = slot.load(Ordering::Relaxed);
            if !entry.is_null() {
                // Safety: each entry was published once by `Box::into_raw` into
                // exactly one slot, and `&mut self` means no reference remains.
                drop(unsafe { Box::from_raw(entry) });
            }
        }
    }
}

// Model-checked with loom: every interleaving of two threads racing to insert
// (the same key, or different keys against the cap) keeps one series per key,
// never more than `cap` series, and every lookup gets a series or `None`
// exactly when the map is full. Run with
// `RUSTFLAGS="--cfg loom" cargo test -p obs-runtime --lib --release loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::SparseMap;
    use loom::sync::atomic::{AtomicU64, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    /// Two threads look up `keys[0]` and `keys[1]` in a map of `cap`
    /// series and add one to the series each gets; returns the map and the
    /// number of lookups that got one.
    fn race(cap: usize, keys: [u32; 2]) -> (Arc<SparseMap<u32, AtomicU64>>, usize) {
        let map = Arc::new(SparseMap::<u32, AtomicU64>::with_cap(cap));
        let handles: Vec<_> = keys
            .into_iter()
            .map(|key| {
                let map = map.clone();
                thread::spawn(move || {
                    let series = map.get_or_insert(&key, |_| true, |k| (*k, AtomicU64::new(0)));
                    series
                        .map(|series| series.fetch_add(1, Ordering::Relaxed))
                        .is_some()
                })
            })
            .collect();
        let got = handles
            .into_iter()
            .map(|handle| usize::from(handle.join().unwrap()))
            .sum();
        (map, got)
    }

    fn total(map: &SparseMap<u32, AtomicU64>) -> u64 {
        let mut total = 0;
        map.for_each(|_, value| total += value.load(Ordering::Relaxed));
        total
    }

    #[test]
    fn racing_inserts_of_one_key_make_one_series() {
        loom::model(|| {
            let (map, got) = race(2, [7, 7]);
            assert_eq!((got, map.len(), total(&map)), (2, 1, 2));
        });
    }

    /// At the cap, two threads inserting the one key that fits both get
    /// its series: the one whose reservation fails waits for the other's
    /// insert instead of sending its increment to the overflow series.
    #[test]
    fn racing_inserts_of_one_key_at_the_cap_make_one_series() {
        loom::model(|| {
            let (map, got) = race(1, [7, 7]);
            assert_eq!((got, map.len(), total(&map)), (2, 1, 2));
        });
    }

    #[test]
    fn racing_inserts_never_exceed_the_cap() {
        loom::model(|| {
            let (map, got) = race(1, [0, 1]);
            assert_eq!((got, map.len(), total(&map)), (1, 1, 1));
        });
    }
}
