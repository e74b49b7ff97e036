//! The append-only file, as Redis 7 keeps it: `appendonlydir/` with a manifest, one
//! base (RDB or RESP) and incr files of RESP commands. This module owns the AOF state
//! and the file handling; its parts:
//!
//! * here: [`Status`] (what INFO, the fsync thread and the rewrite thread read without
//!   the core lock), the `appendfsync` policies and the fsync thread, `CONFIG SET
//!   appendonly yes|no`, the cron duties and the write-error state (`-MISCONF`);
//! * [`feed`]: [`Feed`], under the core lock inside the replicator: the buffer of
//!   propagated commands, the incr file being appended to, the manifest;
//! * [`propagate`]: what is written for each applied command, in Redis's deterministic
//!   forms (`PEXPIREAT`, `SET ... PXAT`, `SREM` for `SPOP`, `LPOP` for a served `BLPOP`...);
//! * [`load`]: the startup load (Redis's `loadDataFromDisk` with `appendonly yes`);
//! * [`rewrite`]: `BGREWRITEAOF` from a point-in-time walk (the BGSAVE walk), the automatic
//!   rewrite, and the base written at startup.
//!
//! Writes are buffered per batch of commands and written (`write(2)`) before the batch's
//! replies leave; `appendfsync always` fsyncs there too, `everysec` fsyncs from a
//! background thread once a second (never under the core lock), `no` leaves it to the
//! kernel. A failed write or fsync is logged, `aof_last_write_status` turns `err`, and
//! writes are refused with Redis's `-MISCONF` while reads go on; the buffer is kept and
//! retried every cron tick, and writes resume once it goes through.

mod feed;
pub mod load;
pub mod propagate;
pub mod rewrite;

use crate::shared::{Core, Shared};
use parking_lot::Mutex;
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use feed::{Feed, Paths};
pub use load::{install, load_at_startup, Opened};

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// Redis's `aof_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Off,
    On,
    /// `appendonly` was just turned on: a rewrite must make the base first; writes made
    /// while it runs go to a temporary incr file that becomes the first incr.
    WaitRewrite,
}

/// AOF state readable without the core lock.
pub struct Status {
    /// `aof_state != AOF_OFF`.
    pub enabled: AtomicBool,
    pub rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    pub rewrite_started: Mutex<Option<Instant>>,
    /// Asks a running rewrite to stop without publishing anything.
    pub abort_rewrite: AtomicBool,
    pub last_rewrite_secs: AtomicI64,
    pub last_bgrewrite_ok: AtomicBool,
    pub rewrites: AtomicU64,
    pub consecutive_failures: AtomicU64,
    pub last_failure: Mutex<Option<Instant>>,
    /// Set while a write or an fsync of the AOF is failing (`-MISCONF`).
    pub write_failed: AtomicBool,
    errors: Mutex<(Option<String>, Option<String>)>,
    /// Bytes in the base and incr files (`aof_current_size`).
    pub current_size: AtomicU64,
    /// `aof_current_size` after the last rewrite or load (`aof_base_size`).
    pub base_size: AtomicU64,
    /// The incr file being appended to, for the `everysec` fsync thread.
    sync_target: Mutex<Option<Arc<File>>>,
    /// Files no longer appended to, fsynced then closed by the fsync thread.
    retired: Mutex<Vec<Arc<File>>>,
    /// Data written since the last fsync.
    unsynced: AtomicBool,
    pub fsync_in_progress: AtomicBool,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            enabled: AtomicBool::new(false),
            rewrite_in_progress: AtomicBool::new(false),
            rewrite_scheduled: AtomicBool::new(false),
            rewrite_started: Mutex::new(None),
            abort_rewrite: AtomicBool::new(false),
            last_rewrite_secs: AtomicI64::new(-1),
            last_bgrewrite_ok: AtomicBool::new(true),
            rewrites: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            write_failed: AtomicBool::new(false),
            errors: Mutex::new((None, None)),
            current_size: AtomicU64::new(0),
            base_size: AtomicU64::new(0),
            sync_target: Mutex::new(None),
            retired: Mutex::new(vec![]),
            unsynced: AtomicBool::new(false),
            fsync_in_progress: AtomicBool::new(false),
        }
    }
}

/// `strerror`-like text of an I/O error (Rust appends " (os error N)").
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl Status {
    fn set_errors(&self, write: Option<Option<String>>, fsync: Option<Option<String>>) {
        let mut e = self.errors.lock();
        if let Some(w) = write {
            e.0 = w;
        }
        if let Some(f) = fsync {
            e.1 = f;
        }
        self.write_failed
            .store(e.0.is_some() || e.1.is_some(), Ordering::SeqCst);
    }

    /// The error writes are refused with, if any.
    pub fn error(&self) -> Option<String> {
        let e = self.errors.lock();
        e.0.clone().or_else(|| e.1.clone())
    }

    fn fsync_failing(&self) -> bool {
        self.errors.lock().1.is_some()
    }
}

/// Redis's `-MISCONF` for a failing AOF, if writes must be refused.
pub fn misconf(shared: &Shared) -> Option<String> {
    let st = &shared.aof;
    if !st.write_failed.load(Ordering::Relaxed) || !st.enabled.load(Ordering::Relaxed) {
        return None;
    }
    let e = st.error().unwrap_or_else(|| "unknown error".into());
    Some(format!("MISCONF Errors writing to the AOF file: {e}"))
}

/// Flushes what the batch propagated, before its replies leave (the caller holds the
/// core lock).
pub fn flush(core: &mut Core) {
    core.repl.aof.flush();
}

/// `CONFIG SET appendonly yes|no` (Redis's `startAppendOnly` / `stopAppendOnly`).
pub fn set_enabled(shared: &Shared, core: &mut Core, on: bool) -> Result<(), String> {
    if shared.loading.active() {
        // The core holds no data until the load ends: a base written now would be empty.
        tracing::warn!("appendonly can't be changed while the dataset is loading");
        return Err(crate::loading::LOADING_ERR.to_string());
    }
    let st = shared.aof.clone();
    let feed = &mut core.repl.aof;
    if on && feed.state == State::Off {
        let s = shared.settings();
        feed.paths = paths(&s);
        feed.configure(&s);
        if let Err(e) = std::fs::create_dir_all(&feed.paths.aof_dir) {
            tracing::warn!(dir = %feed.paths.aof_dir.display(), "Can't open or create append-only dir: {}", strerror(&e));
            return Err(e.to_string());
        }
        feed.manifest = rewrite::read_manifest(&feed.paths).map_err(|e| {
            tracing::warn!("{e}");
            e
        })?;
        feed.set_state(State::WaitRewrite);
        st.set_errors(Some(None), Some(None));
        if st.rewrite_in_progress.load(Ordering::SeqCst) {
            tracing::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            st.abort_rewrite.store(true, Ordering::SeqCst);
            st.rewrite_scheduled.store(true, Ordering::SeqCst);
        } else if crate::rdb::walk_running(shared) {
            tracing::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            st.rewrite_scheduled.store(true, Ordering::SeqCst);
        } else if let Err(e) = rewrite::start(shared, core) {
            core.repl.aof.set_state(State::Off);
            tracing::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return Err(e);
        }
    } else if !on && feed.state != State::Off {
        let was_waiting = feed.state == State::WaitRewrite;
        let temp = feed.incr_path();
        feed.close_file();
        feed.set_state(State::Off);
        if was_waiting {
            if let Some(p) = temp {
                let _ = std::fs::remove_file(p);
            }
        }
        st.rewrite_scheduled.store(false, Ordering::SeqCst);
        if st.rewrite_in_progress.load(Ordering::SeqCst) {
            tracing::info!("Killing running AOF rewrite");
            st.abort_rewrite.store(true, Ordering::SeqCst);
        }
        st.set_errors(Some(None), Some(None));
    }
    Ok(())
}

/// The AOF paths the settings give.
pub fn paths(s: &crate::config::Settings) -> Paths {
    Paths {
        aof_dir: s.dir.join(&s.appenddirname),
        filename: s.appendfilename.clone(),
    }
}

/// Before exiting (SHUTDOWN, SIGTERM): stop a rewrite, write and fsync what is
/// buffered. Err (unless `force`) while `appendonly` is being turned on and its first
/// base is not written yet: exiting then would leave no AOF with the data (Redis:
/// "Writing initial AOF, can't exit.").
pub fn shutdown(shared: &Shared, core: &mut Core, force: bool) -> Result<(), ()> {
    let rewriting = shared.aof.rewrite_in_progress.load(Ordering::SeqCst);
    let feed = &mut core.repl.aof;
    if rewriting && feed.state == State::WaitRewrite {
        if !force {
            tracing::warn!("Writing initial AOF, can't exit.");
            return Err(());
        }
        tracing::warn!("Writing initial AOF. Exit anyway.");
    }
    if rewriting {
        tracing::warn!("There is a child rewriting the AOF. Killing it!");
        shared.aof.abort_rewrite.store(true, Ordering::SeqCst);
    }
    if feed.state != State::Off {
        tracing::info!("Calling fsync() on the AOF file.");
        feed.flush();
        feed.fsync_now();
        if let Some(e) = shared.aof.error() {
            tracing::warn!("Fail to fsync the AOF file: {e}");
        }
    }
    Ok(())
}

/// The last thing before the process exits: whatever was written since the shutdown
/// path ran is on disk too.
pub fn final_sync(core: &mut Core) {
    let feed = &mut core.repl.aof;
    if feed.state != State::Off {
        feed.flush();
        feed.fsync_now();
    }
}

/// Called by the cron every tick: writes what is buffered (retrying after a failure)
/// and, once a second (`second`), starts a scheduled or automatic rewrite.
pub fn cron(shared: &Arc<Shared>, second: bool) {
    let st = &shared.aof;
    if st.enabled.load(Ordering::Relaxed) {
        let Some(mut core) = shared.core_for_cron() else {
            return;
        };
        let feed = &mut core.repl.aof;
        feed.flush();
        if st.fsync_failing() {
            feed.retry_fsync();
        }
    }
    if !second || crate::rdb::walk_running(shared) {
        return;
    }
    if st.rewrite_scheduled.load(Ordering::SeqCst) && !rewrite_limited(st) {
        let Some(mut core) = shared.core_for_cron() else {
            return;
        };
        let _ = rewrite::start(shared, &mut core);
        return;
    }
    let s = shared.settings();
    let Some(mut core) = shared.core_for_cron() else {
        return;
    };
    if core.repl.aof.state != State::On || s.auto_aof_rewrite_percentage == 0 {
        return;
    }
    let size = st.current_size.load(Ordering::Relaxed);
    if size <= s.auto_aof_rewrite_min_size {
        return;
    }
    let base = st.base_size.load(Ordering::Relaxed).max(1);
    let growth = (size as u128 * 100 / base as u128) as i128 - 100;
    if growth >= s.auto_aof_rewrite_percentage as i128 && !rewrite_limited(st) {
        tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
        let _ = rewrite::start(shared, &mut core);
    }
}

/// Redis's `aofRewriteLimited`: after 3 failures in a row, wait 1 minute, doubling up to
/// an hour, before the next automatic or scheduled try.
fn rewrite_limited(st: &Status) -> bool {
    let n = st.consecutive_failures.load(Ordering::Relaxed);
    if n < 3 {
        return false;
    }
    let wait = Duration::from_secs((60u64 << (n - 3).min(6)).min(3600));
    st.last_failure.lock().is_some_and(|t| t.elapsed() < wait)
}

/// The background fsync (`appendfsync everysec`) and the closing of retired files:
/// once a second, never holding the core lock.
pub fn start_fsync_thread(shared: Arc<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("aof-fsync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let st = &shared.aof;
            let retired: Vec<Arc<File>> = std::mem::take(&mut *st.retired.lock());
            for f in retired {
                if let Err(e) = f.sync_data() {
                    tracing::warn!("Fail to fsync an AOF file being closed: {}", strerror(&e));
                }
            }
            if shared.settings().appendfsync != Fsync::EverySec
                || !st.enabled.load(Ordering::Relaxed)
                || !st.unsynced.swap(false, Ordering::SeqCst)
            {
                continue;
            }
            let Some(f) = st.sync_target.lock().clone() else {
                continue;
            };
            st.fsync_in_progress.store(true, Ordering::SeqCst);
            let r = f.sync_data();
            st.fsync_in_progress.store(false, Ordering::SeqCst);
            match r {
                Ok(()) => {
                    if st.fsync_failing() {
                        tracing::warn!("AOF fsync error looks solved, Redis can write again.");
                        st.set_errors(None, Some(None));
                    }
                }
                Err(e) => {
                    let msg = strerror(&e);
                    tracing::warn!("Error fsyncing the AOF file: {msg}");
                    st.unsynced.store(true, Ordering::SeqCst);
                    st.set_errors(None, Some(Some(msg)));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "can't start the AOF fsync thread");
    }
}
