//! The one hash table used for the keyspace and (later) for hashes and sets: an
//! insertion-ordered map (`indexmap`) with a randomly seeded fast hasher.
//!
//! Iteration order is a pure function of the operations applied (inserts append,
//! removals are always `swap_remove`), never of the hasher's seed, so every node of a
//! cluster iterates identically, and a snapshot written in iteration order restores to
//! the very same order. The seed only protects against hash flooding.
//!
//! SCAN walks positions from the top down: a `swap_remove` only ever moves the last
//! element, which such a walk has already passed, so every element present for the whole
//! scan is returned at least once (Redis's guarantee), however many keys are deleted
//! between calls (Rails' `delete_matched` deletes as it scans).

use indexmap::IndexMap;

pub type Hasher = foldhash::fast::RandomState;
pub type Dict<V> = IndexMap<Box<[u8]>, V, Hasher>;

pub fn new_dict<V>() -> Dict<V> {
    IndexMap::with_hasher(Hasher::default())
}

/// One SCAN step over `len` positions. `cursor` 0 starts a scan; any other value is
/// one returned earlier. Calls `visit` with up to `count` positions, top down, and
/// returns the next cursor (0 when the scan is complete).
pub fn scan_positions(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let mut next = if cursor == 0 {
        len
    } else {
        (cursor as usize).min(len)
    };
    let mut n = 0;
    while next > 0 && n < count.max(1) {
        next -= 1;
        visit(next);
        n += 1;
    }
    next as u64
}
