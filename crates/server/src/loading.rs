//! Loading the dataset while clients are already connected, as Redis does: the
//! listeners open first, the RDB or AOF loads into an engine of its own on a blocking
//! thread (no lock shared with the sessions), and the loaded engine is swapped into the
//! core at the end. Meanwhile every command without the `loading` flag is answered
//! with `-LOADING Redis is loading the dataset in memory`, and `INFO persistence`
//! reports `loading:1` with Redis's progress fields, which is what ioredis' ready check
//! and redis-py's `BusyLoadingError` rely on.
//!
//! Also here: the `key-load-delay` directive (Redis's own test knob: microseconds slept
//! after each key or AOF command; negative `-n` sleeps 1 µs once in `n`), read back from
//! the configuration every few hundred keys so that `CONFIG SET key-load-delay 0`
//! during a load takes effect, as in Redis.

use crate::shared::{unix_ms, Shared};
use redraft_persist::Progress;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Redis's `shared.loadingerr`.
pub const LOADING_ERR: &str = "LOADING Redis is loading the dataset in memory";

/// Redis's `server.loading*` fields.
pub struct Loading {
    /// True from before the listeners open until the loaded data is in the core.
    active: AtomicBool,
    start_unix: AtomicI64,
    total_bytes: AtomicU64,
    /// Bytes consumed and the file's `used-mem`, fed by the readers.
    pub progress: Arc<Progress>,
}

impl Default for Loading {
    fn default() -> Self {
        Loading {
            active: AtomicBool::new(false),
            start_unix: AtomicI64::new(0),
            total_bytes: AtomicU64::new(0),
            progress: Arc::new(Progress::default()),
        }
    }
}

impl Loading {
    /// True while commands without the `loading` flag must get `-LOADING`.
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn set_active(&self, on: bool) {
        self.active.store(on, Ordering::Release);
    }

    /// Redis's `startLoading`: a load of `total_bytes` begins now.
    pub fn begin(&self, total_bytes: u64) {
        self.start_unix.store(unix_ms() / 1000, Ordering::Relaxed);
        self.total_bytes.store(total_bytes, Ordering::Relaxed);
        self.progress.reset();
    }

    /// The fields `INFO persistence` adds while loading, formatted as Redis 7 does.
    pub fn info(&self, o: &mut String) {
        let total = self.total_bytes.load(Ordering::Relaxed) as i64;
        let used_mem = self.progress.used_mem() as i64;
        let loaded = self.progress.bytes() as i64;
        let start = self.start_unix.load(Ordering::Relaxed);
        let mut perc = 0.0f64;
        let mut remaining: i64 = 1;
        if total != 0 {
            perc = loaded as f64 / total as f64 * 100.0;
            remaining = total - loaded;
        } else if used_mem != 0 {
            // `used-mem` is only a rough estimate of the file's size: never past 100%.
            perc = (loaded as f64 / used_mem as f64 * 100.0).min(99.99);
            remaining = (used_mem - loaded).max(1);
        }
        let elapsed = unix_ms() / 1000 - start;
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed.saturating_mul(remaining) / (loaded + 1)
        };
        o.push_str(&format!(
            "loading_start_time:{start}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:{used_mem}\r\nloading_loaded_bytes:{loaded}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n"
        ));
    }
}

/// `key-load-delay`, applied after each key or command a loader handles.
pub struct KeyLoadDelay<'a> {
    shared: &'a Shared,
    usec: i64,
    /// Keys until the directive is read again.
    countdown: u32,
    seen: u64,
}

/// Keys between two reads of the directive while it is 0.
const REREAD_EVERY: u32 = 512;

impl<'a> KeyLoadDelay<'a> {
    pub fn new(shared: &'a Shared) -> Self {
        KeyLoadDelay {
            shared,
            usec: 0,
            countdown: 0,
            seen: 0,
        }
    }

    /// Called once per key: sleeps as the directive says (Redis's `debugDelay`).
    #[inline]
    pub fn tick(&mut self) {
        if self.countdown == 0 {
            self.usec = self
                .shared
                .config
                .read()
                .get("key-load-delay")
                .parse()
                .unwrap_or(0);
            self.countdown = if self.usec == 0 { REREAD_EVERY } else { 1 };
        }
        self.countdown -= 1;
        if self.usec == 0 {
            return;
        }
        self.seen += 1;
        let usec = if self.usec < 0 {
            u64::from(self.seen.is_multiple_of(self.usec.unsigned_abs()))
        } else {
            self.usec as u64
        };
        if usec > 0 {
            std::thread::sleep(std::time::Duration::from_micros(usec));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(info: &str, name: &str) -> String {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn info_fields_as_redis() {
        let l = Loading::default();
        l.begin(1000);
        l.progress.add_bytes(250);
        let mut o = String::new();
        l.info(&mut o);
        assert_eq!(field(&o, "loading_total_bytes"), "1000");
        assert_eq!(field(&o, "loading_loaded_bytes"), "250");
        assert_eq!(field(&o, "loading_loaded_perc"), "25.00");
        assert_eq!(field(&o, "loading_rdb_used_mem"), "0");
        assert!(!field(&o, "loading_eta_seconds").is_empty());
        assert_eq!(o.lines().count(), 6);
        // Without a size, `used-mem` stands in and the percentage stays below 100.
        l.begin(0);
        l.progress.set_used_mem(100);
        l.progress.add_bytes(500);
        let mut o = String::new();
        l.info(&mut o);
        assert_eq!(field(&o, "loading_loaded_perc"), "99.99");
    }
}
