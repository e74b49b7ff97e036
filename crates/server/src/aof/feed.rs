//! The write side of the AOF, kept under the core lock inside the replicator: commands
//! propagated by each execution unit (one command, or a transaction written as
//! MULTI/EXEC), encoded with the `SELECT`s and `#TS:` annotations Redis adds into a
//! buffer, and the buffer written to the incr file at the end of each batch (`write`,
//! plus `fsync` with `appendfsync always`).

use super::{strerror, Fsync, State, Status};
use crate::shared::unix_ms;
use redraft_persist::aof::{encode_command, encode_select, encode_timestamp, AofIncr, Manifest};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The AOF's paths, fixed at startup (`dir`, `appenddirname` and `appendfilename` cannot
/// change at run time, as in Redis).
#[derive(Clone, Debug, Default)]
pub struct Paths {
    pub aof_dir: PathBuf,
    pub filename: String,
}

/// The write side, under the core lock (inside the replicator).
pub struct Feed {
    pub state: State,
    /// A blocked client's command is being served (Redis writes some of those
    /// differently from the same command served at once).
    pub serving: bool,
    pub status: Arc<Status>,
    pub paths: Paths,
    pub manifest: Manifest,
    fsync: Fsync,
    timestamps: bool,
    /// Encoded commands not yet written (`aof_buf`).
    buf: Vec<u8>,
    /// The database the last written command ran in (`aof_selected_db`).
    selected: Option<usize>,
    /// The second of the last `#TS:` annotation.
    cur_ts: i64,
    /// Commands propagated by the execution unit in progress, with their databases.
    ops: Vec<(usize, Vec<Vec<u8>>)>,
    depth: u32,
    /// The outermost unit is one command: its one propagated command can be written
    /// straight away.
    solo: bool,
    file: Option<AofIncr>,
    last_error_log: Option<Instant>,
}

impl Feed {
    pub fn new(status: Arc<Status>) -> Feed {
        Feed {
            state: State::Off,
            serving: false,
            status,
            paths: Paths::default(),
            manifest: Manifest::default(),
            fsync: Fsync::EverySec,
            timestamps: false,
            buf: vec![],
            selected: None,
            cur_ts: 0,
            ops: vec![],
            depth: 0,
            solo: false,
            file: None,
            last_error_log: None,
        }
    }

    /// Takes the directives this side reads on every write.
    pub fn configure(&mut self, s: &crate::config::Settings) {
        self.fsync = s.appendfsync;
        self.timestamps = s.aof_timestamp_enabled;
    }

    /// True when applied writes must be propagated to a file.
    pub fn recording(&self) -> bool {
        self.state != State::Off && self.file.is_some()
    }

    /// Bytes waiting to be written (`aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// An execution unit (a command, a transaction) begins: what it propagates is
    /// written together, inside MULTI/EXEC when it is more than one command.
    pub fn begin_unit(&mut self) {
        if self.depth == 0 {
            self.solo = false;
        }
        self.depth += 1;
    }

    /// True inside an execution unit (a transaction is running).
    pub fn in_unit(&self) -> bool {
        self.depth > 0
    }

    /// `begin_unit` for a unit of one command.
    pub fn begin_solo_unit(&mut self) {
        if self.depth == 0 {
            self.solo = true;
        }
        self.depth += 1;
    }

    pub fn end_unit(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth > 0 || self.ops.is_empty() {
            return;
        }
        let ops = std::mem::take(&mut self.ops);
        if ops.len() == 1 {
            let (db, argv) = &ops[0];
            self.emit(Some(*db), argv);
        } else {
            self.emit(Some(ops[0].0), &[b"MULTI".to_vec()]);
            for (db, argv) in &ops {
                self.emit(Some(*db), argv);
            }
            self.emit(None, &[b"EXEC".to_vec()]);
        }
    }

    /// Queues a command of the current unit (Redis's `alsoPropagate`).
    pub fn push_op(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.depth == 0 {
            self.emit(Some(db), &argv);
        } else {
            self.ops.push((db, argv));
        }
    }

    /// `push_op` for the command as the client sent it: a unit of that one command
    /// writes it at once, without copying it.
    pub fn push_verbatim(&mut self, db: usize, argv: &[&[u8]]) {
        if self.depth == 0 || (self.depth == 1 && self.solo && self.ops.is_empty()) {
            self.emit_refs(Some(db), argv);
        } else {
            self.ops
                .push((db, argv.iter().map(|a| a.to_vec()).collect()));
        }
    }

    /// Writes a command into the buffer at once, outside any unit (Redis's `propagateNow`,
    /// used for the deletion of keys found expired).
    pub fn push_now(&mut self, db: usize, argv: &[Vec<u8>]) {
        self.emit(Some(db), argv);
    }

    fn emit(&mut self, db: Option<usize>, argv: &[Vec<u8>]) {
        let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
        self.emit_refs(db, &args);
    }

    fn emit_refs(&mut self, db: Option<usize>, argv: &[&[u8]]) {
        if !self.recording() {
            return;
        }
        if self.timestamps {
            let now = unix_ms() / 1000;
            if now > self.cur_ts {
                encode_timestamp(&mut self.buf, now);
                self.cur_ts = now;
            }
        }
        if let Some(db) = db {
            if self.selected != Some(db) {
                encode_select(&mut self.buf, db as u32);
                self.selected = Some(db);
            }
        }
        encode_command(&mut self.buf, argv);
    }

    /// Writes the buffer to the file (`flushAppendOnlyFile`); with `appendfsync always`,
    /// fsyncs it too. Failures are recorded (writes get `-MISCONF`) and the buffer kept.
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let Some(f) = self.file.as_mut() else {
            self.buf.clear();
            return;
        };
        match f.append(&self.buf) {
            Ok(()) => {
                self.status
                    .current_size
                    .fetch_add(self.buf.len() as u64, Ordering::Relaxed);
                self.buf.clear();
                if self.buf.capacity() > 4 << 20 {
                    self.buf.shrink_to(64 << 10);
                }
                if self.status.write_failed.load(Ordering::Relaxed)
                    && self.status.errors.lock().0.is_some()
                {
                    tracing::warn!("AOF write error looks solved, Redis can write again.");
                    self.status.set_errors(Some(None), None);
                }
                match self.fsync {
                    Fsync::Always => self.fsync_now(),
                    Fsync::EverySec => self.status.unsynced.store(true, Ordering::SeqCst),
                    Fsync::No => {}
                }
            }
            Err(e) => {
                let msg = strerror(&e);
                if self
                    .last_error_log
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(30))
                {
                    tracing::warn!(file = %f.path().display(), "Error writing to the AOF file: {msg}");
                    self.last_error_log = Some(Instant::now());
                }
                self.status.set_errors(Some(Some(msg)), None);
            }
        }
    }

    /// fsyncs the incr file now (under the core lock).
    pub fn fsync_now(&mut self) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        match f.fsync() {
            Ok(()) => {
                self.status.unsynced.store(false, Ordering::SeqCst);
                if self.status.write_failed.load(Ordering::Relaxed) && self.status.fsync_failing() {
                    tracing::warn!("AOF fsync error looks solved, Redis can write again.");
                    self.status.set_errors(None, Some(None));
                }
            }
            Err(e) => {
                let msg = strerror(&e);
                tracing::warn!(file = %f.path().display(), "Can't persist AOF for fsync error: {msg}");
                self.status.set_errors(None, Some(Some(msg)));
            }
        }
    }

    /// With `appendfsync always`, tries again an fsync that failed.
    pub fn retry_fsync(&mut self) {
        if self.fsync == Fsync::Always {
            self.fsync_now();
        }
    }

    /// Appends from now on to `incr` (a new incr file, or the last one at startup). The
    /// previous file is handed to the fsync thread to be synced and closed.
    pub fn switch_file(&mut self, incr: AofIncr) {
        self.flush();
        let clone = incr.file().try_clone().ok().map(Arc::new);
        if let Some(old) = self.status.sync_target.lock().take() {
            self.status.retired.lock().push(old);
        }
        *self.status.sync_target.lock() = clone;
        self.file = Some(incr);
        self.selected = None;
        self.cur_ts = 0;
    }

    /// Stops appending: flush, fsync and close the file.
    pub fn close_file(&mut self) {
        self.flush();
        self.fsync_now();
        self.file = None;
        self.buf.clear();
        self.ops.clear();
        self.selected = None;
        *self.status.sync_target.lock() = None;
    }

    /// Length of the file being appended to.
    pub fn incr_len(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.len())
    }

    pub fn incr_path(&self) -> Option<PathBuf> {
        self.file.as_ref().map(|f| f.path().to_path_buf())
    }

    pub fn set_state(&mut self, s: State) {
        self.state = s;
        self.status.enabled.store(s != State::Off, Ordering::SeqCst);
    }

    /// With `appendfsync always`: flush now (a reply about to leave outside the batch
    /// path, e.g. to a client served after blocking).
    pub fn flush_if_always(&mut self) {
        if self.fsync == Fsync::Always {
            self.flush();
        }
    }
}
