//! AOF rewrites, as Redis 7 does them (`rewriteAppendOnlyFileBackground`,
//! `backgroundRewriteDoneHandler`):
//!
//! 1. under the core lock: the buffer is flushed, a new incr file is opened (with the AOF
//!    on: `<appendfilename>.<seq+1>.incr.aof`, listed in the manifest at once; while
//!    `appendonly` is being turned on: `temp-<appendfilename>.incr`), and a point-in-time
//!    walk of the data begins (the BGSAVE walk, `crate::rdb::walk_begin`). Every later
//!    write goes to the new incr file;
//! 2. a thread serializes the walk into `temp-rewriteaof-bg-<pid>.aof`: an RDB with AUX
//!    `aof-base` 1 (`aof-use-rdb-preamble yes`) or RESP commands, fsynced;
//! 3. under the core lock: the file becomes `<appendfilename>.<seq>.base.rdb|aof`, the old
//!    base and the incr files it covers become history, the manifest is swapped
//!    atomically, and the history files are deleted.
//!
//! Also here: the base written synchronously at startup (`appendonly yes` and no AOF yet)
//! and the RESP base format (`rewriteAppendOnlyFileRio`).

use super::{Paths, State};
use crate::rdb::KeySink;
use crate::shared::{Core, Shared};
use redraft_persist::aof::{
    encode_command, encode_select, encode_timestamp, manifest_file_name, temp_incr_file_name,
    temp_rewrite_file_name, AofIncr, BaseFormat, Manifest,
};
use redraft_persist::RdbValue;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Items per command in a RESP base (`AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

pub const ALREADY: &str = "ERR Background append only file rewriting already in progress";
pub const CANT: &str =
    "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";

/// The manifest on disk, or an empty one when there is none.
pub fn read_manifest(paths: &Paths) -> Result<Manifest, String> {
    let p = paths.aof_dir.join(manifest_file_name(&paths.filename));
    match std::fs::metadata(&p) {
        Ok(_) => Manifest::read(&p).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(format!("can't read {}: {e}", p.display())),
    }
}

/// A RESP base: the commands that rebuild the dataset, as Redis writes them.
pub struct RespBase {
    w: BufWriter<File>,
    buf: Vec<u8>,
}

impl RespBase {
    pub fn create(path: &Path, timestamp: bool) -> Result<RespBase, String> {
        let f = File::create(path).map_err(|e| format!("can't create {}: {e}", path.display()))?;
        let mut b = RespBase {
            w: BufWriter::with_capacity(1 << 20, f),
            buf: Vec::with_capacity(64 << 10),
        };
        if timestamp {
            encode_timestamp(&mut b.buf, crate::shared::unix_ms() / 1000);
        }
        Ok(b)
    }

    fn cmd(&mut self, argv: &[&[u8]]) {
        encode_command(&mut self.buf, argv);
    }

    fn out(&mut self) -> Result<(), String> {
        self.w.write_all(&self.buf).map_err(|e| e.to_string())?;
        self.buf.clear();
        Ok(())
    }

    /// Writes a collection as `<cmd> key item...` commands of at most 64 items.
    fn batched(&mut self, name: &[u8], key: &[u8], items: &[Vec<&[u8]>]) -> Result<(), String> {
        for chunk in items.chunks(ITEMS_PER_CMD) {
            let mut argv: Vec<&[u8]> = vec![name, key];
            for it in chunk {
                argv.extend(it.iter().copied());
            }
            self.cmd(&argv);
            self.out()?;
        }
        Ok(())
    }

    /// Flushes and fsyncs the file (still under its temporary name).
    pub fn finish(mut self) -> Result<(), String> {
        self.out()?;
        let f = self.w.into_inner().map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())
    }
}

impl KeySink for RespBase {
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        self.cmd(&[b"FUNCTION", b"LOAD", code]);
        self.out()
    }

    fn begin_db(&mut self, db: u32, _keys: u64, _expires: u64) -> Result<(), String> {
        encode_select(&mut self.buf, db);
        self.out()
    }

    fn key(&mut self, key: &[u8], value: &RdbValue, expire: Option<i64>) -> Result<(), String> {
        match value {
            RdbValue::String(s) => {
                self.cmd(&[b"SET", key, s]);
                self.out()?;
            }
            RdbValue::List(l) => {
                let items: Vec<Vec<&[u8]>> = l.iter().map(|e| vec![&e[..]]).collect();
                self.batched(b"RPUSH", key, &items)?;
            }
            RdbValue::Set(s) => {
                let items: Vec<Vec<&[u8]>> = s.iter().map(|e| vec![&e[..]]).collect();
                self.batched(b"SADD", key, &items)?;
            }
            RdbValue::Hash(h) => {
                let items: Vec<Vec<&[u8]>> = h.iter().map(|(f, v)| vec![&f[..], &v[..]]).collect();
                self.batched(b"HMSET", key, &items)?;
            }
            RdbValue::ZSet(z) => {
                let scores: Vec<String> = z
                    .iter()
                    .map(|(_, s)| redraft_resp::format_double(*s))
                    .collect();
                let items: Vec<Vec<&[u8]>> = z
                    .iter()
                    .zip(&scores)
                    .map(|((m, _), s)| vec![s.as_bytes(), &m[..]])
                    .collect();
                self.batched(b"ZADD", key, &items)?;
            }
            s @ RdbValue::Stream(_) => {
                // Streams as a RESTORE of their DUMP payload: Redis and redraft both
                // load it (redraft has no XADD yet to replay Redis's stream commands).
                let payload = redraft_persist::dump_payload(s);
                self.cmd(&[b"RESTORE", key, b"0", &payload]);
                self.out()?;
            }
        }
        if let Some(t) = expire {
            let t = t.to_string();
            self.cmd(&[b"PEXPIREAT", key, t.as_bytes()]);
            self.out()?;
        }
        Ok(())
    }
}

/// A finished temporary base becomes `dest` (rename, fsync of the directory).
fn publish(tmp: &Path, dest: &Path) -> Result<(), String> {
    crate::rdb::rename_durably(tmp, dest)
}

/// Writes a base of the whole dataset now (startup: the data loaded from `dump.rdb`, or
/// an empty dataset, becomes the AOF's base), through a temporary file.
pub fn write_base_now(
    shared: &Shared,
    engine: &redraft_engine::Engine,
    paths: &Paths,
    dest: &Path,
    preamble: bool,
    timestamp: bool,
) -> Result<(), String> {
    let tmp = paths
        .aof_dir
        .join(temp_rewrite_file_name(std::process::id()));
    let r = (|| -> Result<(), String> {
        if preamble {
            let mut w = crate::rdb::rdb_file_writer(
                shared,
                &tmp,
                crate::alloc::used_memory() as u64,
                true,
            )?;
            crate::rdb::write_dataset(shared, engine, &mut w)?;
            crate::rdb::finish_rdb_file(w)?;
        } else {
            let mut w = RespBase::create(&tmp, timestamp)?;
            crate::rdb::write_dataset(shared, engine, &mut w)?;
            w.finish()?;
        }
        publish(&tmp, dest)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// What `start` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    Now,
    /// A BGSAVE walks the data: the rewrite starts when it is done.
    Scheduled,
}

/// Starts a background rewrite (the caller holds the core lock). Errors are the
/// replies BGREWRITEAOF gives.
pub fn start(shared: &Shared, core: &mut Core) -> Result<Started, String> {
    let st = shared.aof.clone();
    if st.rewrite_in_progress.load(Ordering::SeqCst) {
        return Err(ALREADY.into());
    }
    // Inside a transaction the commands before this one are applied but not yet
    // written: the rewrite waits for the cron (as Redis's `server.in_exec`).
    if shared.rdb.bgsave_in_progress.load(Ordering::SeqCst) || core.repl.aof.in_unit() {
        st.rewrite_scheduled.store(true, Ordering::SeqCst);
        return Ok(Started::Scheduled);
    }
    let Some(me) = shared.me() else {
        return Err(CANT.into());
    };
    let s = shared.settings();
    let feed = &mut core.repl.aof;
    if feed.state == State::Off {
        // BGREWRITEAOF with the AOF off still writes a base and a manifest, as Redis.
        feed.paths = super::paths(&s);
        match read_manifest(&feed.paths) {
            Ok(m) => feed.manifest = m,
            Err(e) => {
                tracing::warn!("{e}");
                return Err(CANT.into());
            }
        }
    }
    let paths = feed.paths.clone();
    let fail = |msg: String| {
        tracing::warn!("{msg}");
        st.last_bgrewrite_ok.store(false, Ordering::SeqCst);
        Err(CANT.to_string())
    };
    if let Err(e) = std::fs::create_dir_all(&paths.aof_dir) {
        return fail(format!(
            "Can't open or create append-only dir {}: {e}",
            paths.aof_dir.display()
        ));
    }
    feed.flush();
    match feed.state {
        State::On => {
            let mut m = feed.manifest.clone();
            let incr = m.new_incr(&paths.filename);
            let path = paths.aof_dir.join(&incr.name);
            let file = match AofIncr::create(&path) {
                Ok(f) => f,
                Err(e) => {
                    return fail(format!(
                        "Can't open the append-only file {}: {e}",
                        path.display()
                    ))
                }
            };
            if let Err(e) = m.persist(&paths.aof_dir, &paths.filename) {
                let _ = std::fs::remove_file(&path);
                return fail(format!("Can't persist the AOF manifest: {e}"));
            }
            feed.manifest = m;
            feed.switch_file(file);
        }
        State::WaitRewrite => {
            let path = paths.aof_dir.join(temp_incr_file_name(&paths.filename));
            match AofIncr::create(&path) {
                Ok(f) => feed.switch_file(f),
                Err(e) => {
                    return fail(format!(
                        "Can't open the append-only file {}: {e}",
                        path.display()
                    ))
                }
            }
        }
        State::Off => {}
    }
    let state_at_start = feed.state;
    st.rewrite_scheduled.store(false, Ordering::SeqCst);
    st.abort_rewrite.store(false, Ordering::SeqCst);
    st.rewrite_in_progress.store(true, Ordering::SeqCst);
    *st.rewrite_started.lock() = Some(Instant::now());
    let walk = crate::rdb::walk_begin(core);
    let preamble = s.aof_use_rdb_preamble;
    let timestamp = s.aof_timestamp_enabled;
    tracing::info!("Background append only file rewriting started");
    std::thread::spawn(move || {
        let started = Instant::now();
        let tmp = paths
            .aof_dir
            .join(temp_rewrite_file_name(std::process::id()));
        let st = me.aof.clone();
        let written = (|| -> Result<(), String> {
            if preamble {
                let mut w = crate::rdb::rdb_file_writer(&me, &tmp, walk.used_mem, true)?;
                crate::rdb::walk_into(&me, &walk, &st.abort_rewrite, &mut w)?;
                crate::rdb::finish_rdb_file(w)
            } else {
                let mut w = RespBase::create(&tmp, timestamp)?;
                crate::rdb::walk_into(&me, &walk, &st.abort_rewrite, &mut w)?;
                w.finish()
            }
        })();
        let mut core = me.core.lock();
        crate::rdb::walk_end(&mut core);
        let outcome = written.and_then(|()| {
            done(
                &me,
                &mut core,
                &paths,
                &tmp,
                state_at_start,
                if preamble {
                    BaseFormat::Rdb
                } else {
                    BaseFormat::Aof
                },
            )
        });
        let aborted = st.abort_rewrite.load(Ordering::SeqCst);
        st.last_rewrite_secs
            .store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
        *st.rewrite_started.lock() = None;
        let history = match outcome {
            Ok(history) => {
                st.rewrites.fetch_add(1, Ordering::Relaxed);
                st.last_bgrewrite_ok.store(true, Ordering::SeqCst);
                st.consecutive_failures.store(0, Ordering::Relaxed);
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    "Background AOF rewrite finished successfully"
                );
                history
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                if aborted {
                    tracing::info!("Background AOF rewrite stopped");
                } else {
                    st.last_bgrewrite_ok.store(false, Ordering::SeqCst);
                    st.consecutive_failures.fetch_add(1, Ordering::Relaxed);
                    *st.last_failure.lock() = Some(Instant::now());
                    tracing::warn!("Background AOF rewrite terminated with error: {e}");
                }
                if core.repl.aof.state == State::WaitRewrite {
                    st.rewrite_scheduled.store(true, Ordering::SeqCst);
                }
                vec![]
            }
        };
        drop(core);
        for p in history {
            if let Err(e) = std::fs::remove_file(&p) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %p.display(), "can't remove a history AOF file: {e}");
                }
            }
        }
        st.rewrite_in_progress.store(false, Ordering::SeqCst);
    });
    Ok(Started::Now)
}

/// The end of a successful walk (`backgroundRewriteDoneHandler`), under the core lock:
/// the new base, the manifest swap, the state switch. Returns the history files to
/// delete.
fn done(
    shared: &Shared,
    core: &mut Core,
    paths: &Paths,
    tmp: &Path,
    state_at_start: State,
    format: BaseFormat,
) -> Result<Vec<PathBuf>, String> {
    let st = &shared.aof;
    let feed = &mut core.repl.aof;
    if st.abort_rewrite.load(Ordering::SeqCst) || feed.state != state_at_start {
        return Err("aborted".into());
    }
    feed.flush();
    let mut m = feed.manifest.clone();
    let base = m.new_base(&paths.filename, format);
    let base_path = paths.aof_dir.join(&base.name);
    std::fs::rename(tmp, &base_path)
        .map_err(|e| format!("can't rename the temp AOF to {}: {e}", base_path.display()))?;
    let mut renamed_incr = None;
    if feed.state == State::WaitRewrite {
        let incr = m.new_incr(&paths.filename);
        let from = paths.aof_dir.join(temp_incr_file_name(&paths.filename));
        let to = paths.aof_dir.join(&incr.name);
        if let Err(e) = std::fs::rename(&from, &to) {
            let _ = std::fs::remove_file(&base_path);
            return Err(format!(
                "can't rename the temp incr AOF to {}: {e}",
                to.display()
            ));
        }
        renamed_incr = Some((to, from));
    }
    m.mark_rewritten_incrs_as_history(feed.state != State::Off);
    if let Err(e) = m.persist(&paths.aof_dir, &paths.filename) {
        let _ = std::fs::remove_file(&base_path);
        if let Some((to, from)) = renamed_incr {
            let _ = std::fs::rename(to, from);
        }
        return Err(format!("can't persist the AOF manifest: {e}"));
    }
    let base_size = std::fs::metadata(&base_path).map(|m| m.len()).unwrap_or(0);
    let history: Vec<PathBuf> = m
        .take_history()
        .iter()
        .map(|f| paths.aof_dir.join(&f.name))
        .collect();
    if !history.is_empty() {
        if let Err(e) = m.persist(&paths.aof_dir, &paths.filename) {
            // The files stay listed as history; they are deleted after the next rewrite.
            tracing::warn!("can't persist the AOF manifest: {e}");
            feed.manifest = m;
            return Ok(vec![]);
        }
    }
    feed.manifest = m;
    if feed.state == State::WaitRewrite {
        feed.set_state(State::On);
        tracing::info!("Background AOF rewrite successfully switched the AOF on");
    }
    let size = base_size + feed.incr_len();
    st.current_size.store(size, Ordering::Relaxed);
    st.base_size.store(size, Ordering::Relaxed);
    Ok(history)
}
