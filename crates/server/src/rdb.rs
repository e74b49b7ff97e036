//! RDB persistence (Redis's `rdb.c` glue): load `dump.rdb` at startup, `SAVE`,
//! `BGSAVE`, save points, and the value conversions between the engine and the
//! `persist` crate's representation (also the DUMP/RESTORE codec).
//!
//! `BGSAVE` does not fork: it starts a point-in-time walk of every database (see
//! `redraft_engine::db::Snapshot`) and a thread serializes it a few hundred keys per
//! turn of the core lock, so clients keep being served. Memory overhead: the pre-images
//! of keys written while the save runs, plus one batch of serialized keys.
//! Files are written to a temporary name, fsynced, then renamed over `dbfilename`.
//! The same walk (`walk_begin`, `walk_into`, `walk_end`) and the `KeySink` writers serve
//! the AOF rewrite (`crate::aof::rewrite`); one walk runs at a time.

use crate::shared::{unix_ms, Core, Shared};
use redraft_engine::codec::ValueCodec;
use redraft_engine::dict::new_dict;
use redraft_engine::zset::ZSet;
use redraft_engine::{Engine, Object, StreamBlob, Value};
use redraft_persist::{LoadEvent, LoadOptions, ProgressRead, RdbValue, RdbWriter, WriterOptions};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Keys serialized per turn of the core lock during BGSAVE.
const STEP: usize = 512;

/// The state INFO persistence reports and BGSAVE coordinates on.
pub struct RdbState {
    pub bgsave_in_progress: AtomicBool,
    pub bgsave_started: parking_lot::Mutex<Option<Instant>>,
    /// Ask a running BGSAVE to stop without renaming its file (SHUTDOWN, DEBUG RELOAD).
    pub abort: AtomicBool,
    pub last_save_unix: AtomicU64,
    pub last_bgsave_ok: AtomicBool,
    pub last_bgsave_secs: AtomicU64,
    pub last_try_unix: AtomicU64,
    pub saves: AtomicU64,
    /// `BGSAVE SCHEDULE` while an AOF rewrite runs: start once it is done.
    pub scheduled: AtomicBool,
    pub loaded_keys: AtomicU64,
    pub loaded_expired: AtomicU64,
    /// Function libraries found in the loaded file, written back on save (FUNCTION is
    /// not implemented, but no data is dropped).
    pub functions: parking_lot::Mutex<Vec<Vec<u8>>>,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            bgsave_in_progress: AtomicBool::new(false),
            bgsave_started: parking_lot::Mutex::new(None),
            abort: AtomicBool::new(false),
            last_save_unix: AtomicU64::new((unix_ms() / 1000) as u64),
            last_bgsave_ok: AtomicBool::new(true),
            last_bgsave_secs: AtomicU64::new(u64::MAX),
            last_try_unix: AtomicU64::new(0),
            saves: AtomicU64::new(0),
            scheduled: AtomicBool::new(false),
            loaded_keys: AtomicU64::new(0),
            loaded_expired: AtomicU64::new(0),
            functions: parking_lot::Mutex::new(vec![]),
        }
    }
}

/// An engine value in the persist crate's terms.
pub fn to_rdb(v: &Value) -> Result<RdbValue, String> {
    Ok(match v {
        Value::Str(s) => RdbValue::String(s.to_vec()),
        Value::Int(i) => RdbValue::String(i.to_string().into_bytes()),
        Value::Buf(b) => RdbValue::String(b.to_vec()),
        Value::List(l) => RdbValue::List(l.iter().map(|e| e.to_vec()).collect()),
        Value::Hash(h) => RdbValue::Hash(h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()),
        Value::Set(s) => RdbValue::Set(s.keys().map(|k| k.to_vec()).collect()),
        // Dict order, so a node restored from the file draws ZRANDMEMBER/ZSCAN alike.
        Value::ZSet(z) => RdbValue::ZSet(
            (0..z.len())
                .filter_map(|i| z.entry_at(i))
                .map(|(m, s)| (m.to_vec(), s))
                .collect(),
        ),
        Value::Stream(b) => {
            redraft_persist::restore_payload(&b.0).map_err(|e| format!("stream payload: {e}"))?
        }
    })
}

/// A value read from a file as an engine value. The buffers the reader allocated are
/// kept (not copied), and tables are sized once. A member present twice is an error:
/// the loaders turn the reader's own duplicate pass off and rely on this check, made
/// by the insertions themselves.
pub fn from_rdb(v: RdbValue) -> Result<Value, String> {
    let dup = |what: &str, m: &[u8]| {
        format!(
            "duplicate {what} {:?}",
            String::from_utf8_lossy(&m[..m.len().min(64)])
        )
    };
    Ok(match v {
        // As `Value::string`, keeping the buffer.
        RdbValue::String(s) => {
            if let Some(i) = Some(&s)
                .filter(|s| s.len() <= 20)
                .and_then(|s| redraft_resp::parse_i64(s))
            {
                return Ok(Value::Int(i));
            }
            Value::Str(s.into_boxed_slice())
        }
        RdbValue::List(l) => {
            Value::List(Box::new(l.into_iter().map(Vec::into_boxed_slice).collect()))
        }
        RdbValue::Hash(h) => {
            let mut d = new_dict();
            d.reserve(h.len());
            for (k, v) in h {
                if let (i, Some(_)) = d.insert_full(k.into_boxed_slice(), v.into_boxed_slice()) {
                    let k = d.get_index(i).map(|(k, _)| k.to_vec()).unwrap_or_default();
                    return Err(dup("hash field", &k));
                }
            }
            Value::Hash(Box::new(d))
        }
        RdbValue::Set(s) => {
            let mut d = new_dict();
            d.reserve(s.len());
            for m in s {
                if let (i, Some(())) = d.insert_full(m.into_boxed_slice(), ()) {
                    let m = d.get_index(i).map(|(m, _)| m.to_vec()).unwrap_or_default();
                    return Err(dup("set member", &m));
                }
            }
            Value::Set(Box::new(d))
        }
        RdbValue::ZSet(z) => {
            // The encoding Redis's loader picks for this size, so a large set is not
            // built small and converted half-way.
            let longest = z.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            let mut zs = ZSet::with_hint(z.len(), longest);
            for (m, s) in z {
                if zs.insert(&m, s).is_some() {
                    return Err(dup("zset member", &m));
                }
            }
            Value::ZSet(Box::new(zs))
        }
        s @ RdbValue::Stream(_) => {
            Value::Stream(Box::new(StreamBlob(redraft_persist::dump_payload(&s))))
        }
    })
}

/// DUMP/RESTORE payloads through the persist crate.
pub struct Codec;

impl ValueCodec for Codec {
    fn dump(&self, v: &Value) -> Vec<u8> {
        to_rdb(v)
            .map(|r| redraft_persist::dump_payload(&r))
            .unwrap_or_default()
    }

    fn restore(&self, payload: &[u8]) -> Result<Value, bool> {
        use redraft_persist::rdb::RdbErrorKind;
        match redraft_persist::restore_payload(payload) {
            Ok(v) => from_rdb(v).map_err(|_| true),
            Err(e) => Err(matches!(
                e.kind(),
                RdbErrorKind::BadDumpPayload | RdbErrorKind::ChecksumMismatch { .. }
            )),
        }
    }
}

pub fn rdb_path(shared: &Shared) -> PathBuf {
    let cfg = shared.config.read();
    Path::new(cfg.get("dir")).join(cfg.get("dbfilename"))
}

fn duplicated(key: &[u8], db: usize) -> String {
    format!(
        "duplicated key '{}' in DB {db}",
        String::from_utf8_lossy(key)
    )
}

/// Loads `dump.rdb` into the engine at startup. A file that cannot be read completely is
/// an error and is left untouched; the server must not start over it.
pub fn load(shared: &Shared, engine: &mut Engine) -> Result<(), String> {
    let path = rdb_path(shared);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("can't open {}: {e}", path.display())),
    };
    let started = Instant::now();
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    shared.loading.begin(size);
    let progress = shared.loading.progress.clone();
    let input = ProgressRead::new(
        BufReader::with_capacity(1 << 20, file),
        Some(progress.clone()),
    );
    let mut delay = crate::loading::KeyLoadDelay::new(shared);
    let (info, loaded, expired) =
        load_from(engine, input, size, Some(progress), false, &mut || {
            delay.tick()
        })
        .map_err(|e| format!("{} is not a valid RDB file: {e}", path.display()))?;
    for w in &info.warnings {
        tracing::warn!(file = %path.display(), "{w}");
    }
    for (db, key) in &info.empty_keys_skipped {
        tracing::warn!(db, key = %String::from_utf8_lossy(key), "skipping empty key");
    }
    *shared.rdb.functions.lock() = info.functions.clone();
    shared.rdb.loaded_keys.store(loaded, Ordering::Relaxed);
    shared.rdb.loaded_expired.store(expired, Ordering::Relaxed);
    tracing::info!(
        file = %path.display(),
        version = info.version,
        keys = loaded,
        expired_skipped = expired,
        seconds = started.elapsed().as_secs_f64(),
        "DB loaded from disk"
    );
    Ok(())
}

/// Reads an RDB stream into `engine`: the load info, keys loaded, and keys skipped as
/// already expired (none with `keep_expired`, as a replica keeps them: its master
/// decides when they go).
fn load_from<R: std::io::Read>(
    engine: &mut Engine,
    input: R,
    size: u64,
    progress: Option<Arc<redraft_persist::Progress>>,
    keep_expired: bool,
    tick: &mut dyn FnMut(),
) -> Result<(redraft_persist::LoadInfo, u64, u64), String> {
    let now = unix_ms();
    let ndb = engine.dbs.len();
    let (mut loaded, mut expired) = (0u64, 0u64);
    let opts = LoadOptions {
        progress,
        // `from_rdb` refuses duplicates as it inserts.
        check_duplicates: false,
        ..Default::default()
    };
    let info = redraft_persist::load_events(input, &opts, |ev| {
        let rec = match ev {
            LoadEvent::Record(rec) => rec,
            LoadEvent::ResizeDb { db, keys, expires } => {
                // Tables sized once, as Redis's dictExpand on RESIZEDB; bounded by what
                // a file of this size can hold, whatever the hint says.
                if let Some(d) = engine.dbs.get_mut(db as usize) {
                    let most = size / 8;
                    d.keys.reserve(keys.min(most) as usize);
                    d.expires.reserve(expires.min(most) as usize);
                }
                return Ok(());
            }
        };
        tick();
        let db = rec.db as usize;
        if db >= ndb {
            return Err(format!(
                "the file uses database {db}, but `databases` is {ndb}"
            ));
        }
        let d = &mut engine.dbs[db];
        // As a Redis master does, keys already expired are not loaded.
        if !keep_expired && rec.expire_ms.is_some_and(|t| t <= now) {
            if d.keys.contains_key(&rec.key[..]) {
                return Err(duplicated(&rec.key, db));
            }
            expired += 1;
            return Ok(());
        }
        let obj = Object {
            value: from_rdb(rec.value)?,
            access: (now / 1000) as u32,
        };
        d.insert_loaded(rec.key.into_boxed_slice(), obj, rec.expire_ms)
            .map_err(|key| duplicated(&key, db))?;
        loaded += 1;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok((info, loaded, expired))
}

/// The AUX field that carries the engine's clock (the latest entry time applied) in a
/// Raft snapshot, so that a node restored from it stamps later entries as the node that
/// wrote it did.
const AUX_LAST_TIME: &[u8] = b"redraft-last-time";

/// Loads a Raft snapshot (an RDB file in memory) into a fresh `engine`: every key, the
/// expired ones too (the leader decides when they go), the clock, and the scripts.
pub fn load_snapshot(shared: &Shared, engine: &mut Engine, data: &[u8]) -> Result<(), String> {
    let (info, loaded, _) = load_from(engine, data, data.len() as u64, None, true, &mut || {})
        .map_err(|e| format!("the Raft snapshot is not a valid RDB file: {e}"))?;
    if let Some(t) = info
        .aux_value(AUX_LAST_TIME)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse::<i64>().ok())
    {
        engine.last_time = t;
    }
    for (name, body) in &info.aux {
        if name == b"lua" {
            let mut reply = redraft_engine::Reply::new(redraft_engine::Protocol::Resp2);
            let argv: [&[u8]; 3] = [b"SCRIPT", b"LOAD", body];
            engine.apply_entry_in(
                0,
                engine.last_time,
                0,
                &[&argv],
                &mut reply,
                false,
                &mut redraft_engine::NoEnv,
            );
        }
    }
    *shared.rdb.functions.lock() = info.functions.clone();
    tracing::info!(keys = loaded, "dataset replaced from a Raft snapshot");
    Ok(())
}

/// Begins a Raft snapshot under the core lock, between two applies: a point-in-time
/// walk serialized later off the apply path (or, while a BGSAVE or an AOF rewrite
/// already walks the data, the whole dataset at once). Returns the work that produces
/// the RDB bytes.
pub fn raft_snapshot_begin(shared: &Arc<Shared>) -> redraft_raft::SnapshotWork {
    let mut core = shared.core.lock();
    let mut opts = writer_options(shared, crate::alloc::used_memory() as u64);
    opts.extra_aux.push((
        AUX_LAST_TIME.to_vec(),
        core.engine.last_time.to_string().into_bytes(),
    ));
    // The script cache is replicated state: carried as `lua` AUX fields, as Redis 5
    // carried scripts to its replicas.
    if let Some(s) = core.engine.scripting.as_ref() {
        for body in s.bodies() {
            opts.extra_aux.push((b"lua".to_vec(), body));
        }
    }
    if walk_running(shared) {
        let r = (|| -> Result<Vec<u8>, String> {
            let mut w = RdbWriter::new(Vec::new(), &opts).map_err(|e| e.to_string())?;
            write_dataset(shared, &core.engine, &mut w)?;
            w.finish().map_err(|e| e.to_string())
        })();
        return Box::new(move || r);
    }
    // Shown as the background save it is; BGSAVE and AOF rewrites wait for it.
    shared.rdb.bgsave_in_progress.store(true, Ordering::SeqCst);
    let walk = walk_begin(&mut core);
    drop(core);
    let sh = shared.clone();
    Box::new(move || {
        let never = AtomicBool::new(false);
        let r = (|| -> Result<Vec<u8>, String> {
            let mut w = RdbWriter::new(Vec::new(), &opts).map_err(|e| e.to_string())?;
            walk_into(&sh, &walk, &never, &mut w)?;
            w.finish().map_err(|e| e.to_string())
        })();
        walk_end(&mut sh.core.lock());
        sh.rdb.bgsave_in_progress.store(false, Ordering::SeqCst);
        r
    })
}

fn writer_options(shared: &Shared, used_mem: u64) -> WriterOptions {
    let cfg = shared.config.read();
    WriterOptions {
        compression: cfg.get("rdbcompression") == "yes",
        checksum: cfg.get("rdbchecksum") == "yes",
        redis_ver: crate::REDIS_VERSION.to_string(),
        ctime: Some(unix_ms() / 1000),
        used_mem,
        aof_base: false,
        extra_aux: vec![(
            b"redraft-ver".to_vec(),
            env!("CARGO_PKG_VERSION").as_bytes().to_vec(),
        )],
    }
}

fn temp_path(final_path: &Path, tag: &str) -> PathBuf {
    let name = format!("temp-{}-{tag}.rdb", std::process::id());
    final_path.parent().unwrap_or(Path::new(".")).join(name)
}

/// Makes a finished (fsynced) temporary file the data file: rename, fsync the directory.
pub fn rename_durably(tmp: &Path, dest: &Path) -> Result<(), String> {
    std::fs::rename(tmp, dest).map_err(|e| e.to_string())?;
    if let Some(dir) = dest.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Receives a dataset as it is written out: function libraries first, then each
/// non-empty database and its keys. The RDB writer is one (`dump.rdb`, an AOF base in
/// RDB form); the AOF's RESP base is another (`crate::aof::rewrite`).
pub trait KeySink {
    fn function(&mut self, code: &[u8]) -> Result<(), String>;
    fn begin_db(&mut self, db: u32, keys: u64, expires: u64) -> Result<(), String>;
    fn key(&mut self, key: &[u8], value: &RdbValue, expire: Option<i64>) -> Result<(), String>;
}

impl<W: Write> KeySink for RdbWriter<W> {
    fn function(&mut self, code: &[u8]) -> Result<(), String> {
        self.write_function(code).map_err(|e| e.to_string())
    }

    fn begin_db(&mut self, db: u32, keys: u64, expires: u64) -> Result<(), String> {
        self.select_db(db, keys, expires).map_err(|e| e.to_string())
    }

    fn key(&mut self, key: &[u8], value: &RdbValue, expire: Option<i64>) -> Result<(), String> {
        self.write_key(key, value, expire)
            .map_err(|e| e.to_string())
    }
}

/// Writes the whole dataset into `sink` at once (the caller holds the core lock, or
/// owns the engine at startup).
pub fn write_dataset(
    shared: &Shared,
    engine: &Engine,
    sink: &mut dyn KeySink,
) -> Result<(), String> {
    for f in shared.rdb.functions.lock().iter() {
        sink.function(f)?;
    }
    for (i, db) in engine.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        sink.begin_db(i as u32, db.len() as u64, db.expires.len() as u64)?;
        for (k, o) in db.keys.iter() {
            sink.key(k, &to_rdb(&o.value)?, db.expires.get(k).copied())?;
        }
    }
    Ok(())
}

/// An RDB writer over a new temporary file (`aof_base`: the file is an AOF base).
pub fn rdb_file_writer(
    shared: &Shared,
    tmp: &Path,
    used_mem: u64,
    aof_base: bool,
) -> Result<RdbWriter<BufWriter<File>>, String> {
    let file = File::create(tmp).map_err(|e| {
        format!(
            "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
            tmp.display(),
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    })?;
    let mut opts = writer_options(shared, used_mem);
    opts.aof_base = aof_base;
    RdbWriter::new(BufWriter::with_capacity(1 << 20, file), &opts).map_err(|e| e.to_string())
}

/// Ends an RDB writer: the trailer, then every byte flushed and fsynced. The file is
/// complete on disk, still under its temporary name.
pub fn finish_rdb_file(w: RdbWriter<BufWriter<File>>) -> Result<(), String> {
    let file = w.finish().map_err(|e| e.to_string())?;
    let file = file.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

/// `SAVE`: writes the whole dataset now, under the core lock (clients wait, as in Redis).
pub fn save(shared: &Shared, core: &mut Core) -> Result<(), String> {
    let dest = rdb_path(shared);
    let tmp = temp_path(&dest, "save");
    let result = (|| -> Result<(), String> {
        let mut w = rdb_file_writer(shared, &tmp, crate::alloc::used_memory() as u64, false)?;
        write_dataset(shared, &core.engine, &mut w)?;
        finish_rdb_file(w)?;
        rename_durably(&tmp, &dest)
    })();
    match result {
        Ok(()) => {
            core.engine.dirty = 0;
            saved(shared, true);
            tracing::info!(file = %dest.display(), "DB saved on disk");
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            saved(shared, false);
            tracing::warn!(error = %e, "Error saving DB on disk");
            Err(e)
        }
    }
}

fn saved(shared: &Shared, ok: bool) {
    let now = (unix_ms() / 1000) as u64;
    shared.rdb.last_try_unix.store(now, Ordering::Relaxed);
    shared.rdb.last_bgsave_ok.store(ok, Ordering::Relaxed);
    if ok {
        shared.rdb.last_save_unix.store(now, Ordering::Relaxed);
        shared.rdb.saves.fetch_add(1, Ordering::Relaxed);
    }
}

/// A point-in-time walk of every database, begun under the core lock: BGSAVE and
/// BGREWRITEAOF serialize it from a thread (one at a time: a database holds one walk).
pub struct Walk {
    /// Keys and keys with a deadline per database when the walk began.
    sizes: Vec<(u64, u64)>,
    pub dirty_at_start: u64,
    pub used_mem: u64,
}

/// True while a walk is running (a BGSAVE or an AOF rewrite).
pub fn walk_running(shared: &Shared) -> bool {
    shared.rdb.bgsave_in_progress.load(Ordering::SeqCst)
        || shared.aof.rewrite_in_progress.load(Ordering::SeqCst)
}

/// Starts a point-in-time walk of every database (the caller holds the core lock).
pub fn walk_begin(core: &mut Core) -> Walk {
    let sizes = core
        .engine
        .dbs
        .iter()
        .map(|d| (d.len() as u64, d.expires.len() as u64))
        .collect();
    for (i, db) in core.engine.dbs.iter_mut().enumerate() {
        db.snapshot_begin(i);
    }
    Walk {
        sizes,
        dirty_at_start: core.engine.dirty,
        used_mem: crate::alloc::used_memory() as u64,
    }
}

/// Ends a walk (under the core lock): the databases stop keeping pre-images.
pub fn walk_end(core: &mut Core) {
    for db in core.engine.dbs.iter_mut() {
        db.snapshot = None;
    }
}

/// Serializes a walk into `sink` from a background thread, a few hundred keys per turn
/// of the core lock, so clients keep being served. Stops with an error when `abort` is
/// raised.
pub fn walk_into(
    shared: &Shared,
    walk: &Walk,
    abort: &AtomicBool,
    sink: &mut dyn KeySink,
) -> Result<(), String> {
    let functions = shared.rdb.functions.lock().clone();
    for f in &functions {
        sink.function(f)?;
    }
    let mut batch: Vec<(Vec<u8>, RdbValue, Option<i64>)> = Vec::with_capacity(STEP);
    for (i, &(keys, expires)) in walk.sizes.iter().enumerate() {
        if keys == 0 {
            continue;
        }
        sink.begin_db(i as u32, keys, expires)?;
        loop {
            if abort.load(Ordering::SeqCst) {
                return Err("aborted".into());
            }
            batch.clear();
            let mut bad = None;
            let done = {
                let mut core = shared.core.lock();
                // SWAPDB carries a walk along with its data: find it by its start index.
                match core
                    .engine
                    .dbs
                    .iter_mut()
                    .find(|d| d.snapshot.as_ref().is_some_and(|s| s.index == i))
                {
                    None => true,
                    Some(db) => db.snapshot_step(STEP, &mut |k, o, e| match to_rdb(&o.value) {
                        Ok(v) => batch.push((k.to_vec(), v, e)),
                        Err(err) => bad = Some(err),
                    }),
                }
            };
            if let Some(err) = bad {
                return Err(err);
            }
            for (k, v, e) in &batch {
                sink.key(k, v, *e)?;
            }
            if done {
                break;
            }
        }
    }
    Ok(())
}

/// The refusal of BGSAVE while an AOF rewrite walks the data (Redis's text).
pub const BGSAVE_BUSY: &str = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";

/// `BGSAVE`: starts a background save. Err if one is already running, or if an AOF
/// rewrite is (then `BGSAVE SCHEDULE` can defer it: see `RdbState::scheduled`).
pub fn bgsave(shared: &Arc<Shared>, core: &mut Core) -> Result<(), &'static str> {
    if shared.rdb.bgsave_in_progress.load(Ordering::SeqCst) {
        return Err("ERR Background save already in progress");
    }
    if shared.aof.rewrite_in_progress.load(Ordering::SeqCst) {
        return Err(BGSAVE_BUSY);
    }
    shared.rdb.bgsave_in_progress.store(true, Ordering::SeqCst);
    shared.rdb.scheduled.store(false, Ordering::SeqCst);
    shared.rdb.abort.store(false, Ordering::SeqCst);
    *shared.rdb.bgsave_started.lock() = Some(Instant::now());
    let walk = walk_begin(core);
    let sh = shared.clone();
    tracing::info!("Background saving started");
    std::thread::spawn(move || {
        let started = Instant::now();
        let dest = rdb_path(&sh);
        let tmp = temp_path(&dest, "bgsave");
        let result = (|| -> Result<(), String> {
            let mut w = rdb_file_writer(&sh, &tmp, walk.used_mem, false)?;
            walk_into(&sh, &walk, &sh.rdb.abort, &mut w)?;
            finish_rdb_file(w)?;
            rename_durably(&tmp, &dest)
        })();
        let mut core = sh.core.lock();
        walk_end(&mut core);
        match result {
            Ok(()) => {
                core.engine.dirty = core.engine.dirty.saturating_sub(walk.dirty_at_start);
                drop(core);
                saved(&sh, true);
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    "Background saving terminated with success"
                );
            }
            Err(e) => {
                drop(core);
                let _ = std::fs::remove_file(&tmp);
                if !sh.rdb.abort.load(Ordering::SeqCst) {
                    saved(&sh, false);
                    tracing::warn!(error = %e, "Background saving error");
                }
            }
        }
        sh.rdb
            .last_bgsave_secs
            .store(started.elapsed().as_secs(), Ordering::Relaxed);
        *sh.rdb.bgsave_started.lock() = None;
        sh.rdb.bgsave_in_progress.store(false, Ordering::SeqCst);
    });
    Ok(())
}

/// The `save` directive as (seconds, changes) pairs.
pub fn save_points(shared: &Shared) -> Vec<(u64, u64)> {
    let cfg = shared.config.read();
    let nums: Vec<u64> = cfg
        .get("save")
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    nums.chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (c[0], c[1]))
        .collect()
}

/// Called by the cron: starts a BGSAVE when a save point is reached (after a failed
/// save, not before 5 seconds have passed, as Redis).
pub fn check_save_points(shared: &Arc<Shared>) {
    if walk_running(shared) {
        return;
    }
    if shared.rdb.scheduled.load(Ordering::SeqCst) {
        let Some(mut core) = shared.core_for_cron() else {
            return;
        };
        let _ = bgsave(shared, &mut core);
        return;
    }
    let points = save_points(shared);
    if points.is_empty() {
        return;
    }
    let now = (unix_ms() / 1000) as u64;
    let ok = shared.rdb.last_bgsave_ok.load(Ordering::Relaxed);
    if !ok && now.saturating_sub(shared.rdb.last_try_unix.load(Ordering::Relaxed)) < 5 {
        return;
    }
    let Some(mut core) = shared.core_for_cron() else {
        return;
    };
    let dirty = core.engine.dirty;
    let since = now.saturating_sub(shared.rdb.last_save_unix.load(Ordering::Relaxed));
    if let Some((secs, changes)) = points.iter().find(|(s, c)| dirty >= *c && since >= *s) {
        tracing::info!("{changes} changes in {secs} seconds. Saving...");
        let _ = bgsave(shared, &mut core);
    }
}

/// True when writes must be refused because the last save failed
/// (`stop-writes-on-bgsave-error`), as Redis's MISCONF.
pub fn writes_refused(shared: &Shared) -> bool {
    !shared.rdb.last_bgsave_ok.load(Ordering::Relaxed)
        && shared.config.read().get("stop-writes-on-bgsave-error") == "yes"
        && !save_points(shared).is_empty()
}

pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
