//! The allocator: jemalloc (as Redis uses; its size classes keep small keys and values
//! compact), wrapped to count bytes in use, which is Redis's `used_memory` and what
//! `maxmemory` is checked against.
//!
//! Each thread counts in a thread-local and adds to the shared total once its own count
//! has moved by [`BATCH`] bytes: an atomic read-modify-write on every allocation drained
//! the store buffer each time and cost a third of an RDB load. The total is therefore
//! exact to within `BATCH` bytes per thread.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use tikv_jemallocator::Jemalloc;

pub struct Counting;

/// Bytes a thread may count before adding them to [`USED`].
const BATCH: isize = 32 * 1024;

static USED: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    // Const-initialised and without a destructor: usable from the allocator at any point
    // of a thread's life, and never allocates.
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

#[inline]
fn count(delta: isize) {
    let flushed = PENDING.try_with(|p| {
        let v = p.get() + delta;
        if (-BATCH..=BATCH).contains(&v) {
            p.set(v);
        } else {
            p.set(0);
            USED.fetch_add(v, Ordering::Relaxed);
        }
    });
    if flushed.is_err() {
        USED.fetch_add(delta, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to jemalloc with the caller's arguments unchanged, so
// jemalloc's own guarantees carry over; the counter is bookkeeping only and never
// influences what is allocated or returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = Jemalloc.alloc(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = Jemalloc.alloc_zeroed(layout);
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Jemalloc.dealloc(ptr, layout);
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = Jemalloc.realloc(ptr, layout, new_size);
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes currently allocated (requested sizes), Redis's `used_memory`, to within
/// [`BATCH`] bytes per thread.
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed).max(0) as usize
}

/// Resident set size of the process in bytes, from `/proc/self/statm`.
pub fn rss() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<usize>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// jemalloc's own view: (allocated, active, resident), after refreshing its statistics.
pub fn allocator_stats() -> (usize, usize, usize) {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    (
        stats::allocated::read().unwrap_or(0),
        stats::active::read().unwrap_or(0),
        stats::resident::read().unwrap_or(0),
    )
}
