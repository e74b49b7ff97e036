//! Loading at startup with `appendonly yes`, as Redis 7's `loadDataFromDisk` +
//! `aofOpenIfNeededOnServerStart`:
//!
//! * an AOF exists (a manifest listing files, or a legacy `appendonly.aof`): its base and
//!   incr files are replayed in order. Base records go straight into the keyspace; RESP
//!   commands go through the engine (a transaction as one entry). A legacy file is then
//!   moved into `appendonlydir/` (Redis's upgrade). A cut-off tail of the last file is
//!   truncated away with `aof-load-truncated yes` (with a warning), and refused
//!   otherwise. Anything corrupt stops the start with the file and offset, and the
//!   files are left as they are;
//! * no AOF exists but `dump.rdb` does: the RDB is loaded and becomes the AOF's base (the
//!   design's rule: never start empty over a data file). With neither, the base is an
//!   empty dataset, as Redis writes it;
//! * then the last incr file is opened for appending (or a first one is created) and the
//!   manifest saved; history files are deleted.
//!
//! All of this runs on an engine of its own, on a blocking thread, while clients get
//! `-LOADING` (see `crate::loading`); [`install`] then gives the opened file to the
//! core's feed, once the loaded engine is in the core.
//!
//! Time during the replay: commands run at entry time 0, so nothing expires while
//! loading (as in Redis, whose loader never expires keys: a command that met a key alive
//! when it was logged meets it alive again), and the few relative forms an AOF may hold
//! (from other writers) are made absolute against the current clock first. Keys whose
//! deadline passed are then expired by the cron, which logs their `DEL`.

use super::{paths, State};
use crate::shared::{unix_ms, Core, Shared};
use redraft_engine::{Engine, Object, Protocol, Reply, Rng, Value};
use redraft_persist::aof::{
    load_plan, plan, truncate_file, AofIncr, AofSink, BaseFormat, Manifest, PlanKind,
};
use redraft_persist::rdb::{LoadInfo, Record};
use std::path::Path;
use std::sync::atomic::Ordering;

/// Replays AOF files into the engine.
struct Loader<'a> {
    shared: &'a Shared,
    engine: &'a mut Engine,
    db: usize,
    now: i64,
    multi: Option<Vec<Vec<Vec<u8>>>>,
    seeds: Rng,
    reply: Reply,
    keys: u64,
    commands: u64,
    delay: crate::loading::KeyLoadDelay<'a>,
}

fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

/// The library name of a function library (`#!lua name=<name> ...`).
fn library_name(code: &[u8]) -> Option<&[u8]> {
    let first = code.split(|&c| c == b'\n').next()?;
    first
        .split(|&c| c == b' ')
        .find_map(|w| w.strip_prefix(b"name=".as_slice()))
}

/// A relative expiry made absolute against `now`, so that it means the same when run
/// at entry time 0 (`EXPIRE`, `PEXPIRE`, `SETEX`, `PSETEX`, `SET`/`GETEX` with `EX`/`PX`,
/// `RESTORE` without `ABSTTL`). Anything that does not parse is left to the engine.
fn absolutize(argv: &mut Vec<Vec<u8>>, now: i64) {
    let name = lower(&argv[0]);
    let int = |a: &[u8]| redraft_resp::parse_i64(a);
    let at = |n: i64, unit: i64| n.checked_mul(unit).and_then(|ms| ms.checked_add(now));
    match name.as_str() {
        "expire" | "pexpire" if argv.len() >= 3 => {
            let unit = if name == "expire" { 1000 } else { 1 };
            if let Some(t) = int(&argv[2]).and_then(|n| at(n, unit)) {
                argv[0] = b"PEXPIREAT".to_vec();
                argv[2] = t.to_string().into_bytes();
            }
        }
        "setex" | "psetex" if argv.len() == 4 => {
            let unit = if name == "setex" { 1000 } else { 1 };
            if let Some(t) = int(&argv[2]).filter(|n| *n > 0).and_then(|n| at(n, unit)) {
                let key = argv[1].clone();
                let value = argv[3].clone();
                *argv = vec![
                    b"SET".to_vec(),
                    key,
                    value,
                    b"PXAT".to_vec(),
                    t.to_string().into_bytes(),
                ];
            }
        }
        "set" | "getex" => {
            let first = if name == "set" { 3 } else { 2 };
            let mut i = first;
            while i + 1 < argv.len() {
                let unit = if argv[i].eq_ignore_ascii_case(b"ex") {
                    1000
                } else if argv[i].eq_ignore_ascii_case(b"px") {
                    1
                } else {
                    i += 1;
                    continue;
                };
                if let Some(t) = int(&argv[i + 1])
                    .filter(|n| *n > 0)
                    .and_then(|n| at(n, unit))
                {
                    argv[i] = b"PXAT".to_vec();
                    argv[i + 1] = t.to_string().into_bytes();
                }
                i += 2;
            }
        }
        "restore" if argv.len() >= 4 => {
            let abs = argv[4..].iter().any(|a| a.eq_ignore_ascii_case(b"absttl"));
            if !abs {
                if let Some(t) = int(&argv[2]).filter(|n| *n > 0).and_then(|n| at(n, 1)) {
                    argv[2] = t.to_string().into_bytes();
                    argv.push(b"ABSTTL".to_vec());
                }
            }
        }
        _ => {}
    }
}

impl Loader<'_> {
    /// Commands Redis writes to an AOF that are not data commands of the engine:
    /// function libraries are kept (as when loading an RDB); script loads change no data.
    /// Ok(true) if handled.
    fn server_command(&mut self, argv: &[Vec<u8>]) -> Result<bool, String> {
        let name = lower(&argv[0]);
        let sub = argv.get(1).map(|a| lower(a)).unwrap_or_default();
        match (name.as_str(), sub.as_str()) {
            ("function", "load") => {
                let Some(code) = argv.last().filter(|_| argv.len() >= 3) else {
                    return Err("FUNCTION LOAD without a library".into());
                };
                let mut libs = self.shared.rdb.functions.lock();
                let lib = library_name(code).map(|n| n.to_vec());
                libs.retain(|c| library_name(c).map(|n| n.to_vec()) != lib || lib.is_none());
                libs.push(code.clone());
                Ok(true)
            }
            ("function", "flush") => {
                self.shared.rdb.functions.lock().clear();
                Ok(true)
            }
            ("function", "delete") if argv.len() == 3 => {
                self.shared
                    .rdb
                    .functions
                    .lock()
                    .retain(|c| library_name(c) != Some(&argv[2][..]));
                Ok(true)
            }
            ("script", _) => Ok(true),
            _ => Ok(false),
        }
    }

    fn known(&self, argv: &[Vec<u8>]) -> Result<(), String> {
        if argv[0].eq_ignore_ascii_case(b"select")
            || redraft_engine::commands::lookup(&argv[0]).is_some()
        {
            return Ok(());
        }
        Err(format!(
            "Unknown command '{}' reading the append only file (redraft does not implement it)",
            String::from_utf8_lossy(&argv[0])
        ))
    }

    fn select(&mut self, argv: &[Vec<u8>]) -> Result<(), String> {
        match argv.get(1).and_then(|a| redraft_resp::parse_i64(a)) {
            Some(i) if i >= 0 && (i as usize) < self.engine.dbs.len() && argv.len() == 2 => {
                self.db = i as usize;
                Ok(())
            }
            _ => Err(format!(
                "SELECT {} reading the append only file: DB index is out of range (databases is {})",
                String::from_utf8_lossy(argv.get(1).map(|a| &a[..]).unwrap_or_default()),
                self.engine.dbs.len()
            )),
        }
    }

    fn apply(&mut self, mut cmds: Vec<Vec<Vec<u8>>>) {
        for c in &mut cmds {
            absolutize(c, self.now);
        }
        let argvs: Vec<Vec<&[u8]>> = cmds
            .iter()
            .map(|a| a.iter().map(|x| &x[..]).collect())
            .collect();
        let refs: Vec<&[&[u8]]> = argvs.iter().map(|a| &a[..]).collect();
        self.reply.buf.clear();
        let seed = self.seeds.next_u64();
        // Replies (errors included) are dropped, as Redis's loader drops them.
        self.engine
            .apply_entry(self.db, 0, seed, &refs, &mut self.reply, false);
        self.commands += cmds.len() as u64;
    }
}

impl AofSink for Loader<'_> {
    fn progress(&self) -> Option<std::sync::Arc<redraft_persist::Progress>> {
        Some(self.shared.loading.progress.clone())
    }

    fn begin_file(&mut self, _path: &Path) -> Result<(), String> {
        self.db = 0;
        self.multi = None;
        Ok(())
    }

    fn record(&mut self, rec: Record) -> Result<(), String> {
        self.delay.tick();
        let db = rec.db as usize;
        let ndb = self.engine.dbs.len();
        if db >= ndb {
            return Err(format!(
                "the file uses database {db}, but `databases` is {ndb}"
            ));
        }
        let d = &mut self.engine.dbs[db];
        let obj = Object {
            value: crate::rdb::from_rdb(rec.value)?,
            access: (self.now / 1000) as u32,
        };
        // Kept even when already expired (the commands after it may use it); the cron
        // expires it once loaded.
        d.insert_loaded(rec.key.into_boxed_slice(), obj, rec.expire_ms)
            .map_err(|key| {
                format!(
                    "duplicated key '{}' in DB {db}",
                    String::from_utf8_lossy(&key)
                )
            })?;
        self.keys += 1;
        Ok(())
    }

    fn rdb_done(&mut self, info: &LoadInfo) -> Result<(), String> {
        for w in &info.warnings {
            tracing::warn!("{w}");
        }
        for (db, key) in &info.empty_keys_skipped {
            tracing::warn!(db, key = %String::from_utf8_lossy(key), "skipping empty key");
        }
        self.shared
            .rdb
            .functions
            .lock()
            .extend(info.functions.iter().cloned());
        Ok(())
    }

    fn command(&mut self, argv: Vec<Vec<u8>>) -> Result<(), String> {
        self.delay.tick();
        let name = &argv[0];
        if name.eq_ignore_ascii_case(b"multi") {
            self.multi = Some(vec![]);
            return Ok(());
        }
        if name.eq_ignore_ascii_case(b"exec") {
            let queued = self.multi.take().unwrap_or_default();
            for c in &queued {
                self.known(c)?;
            }
            let start_db = self.db;
            for c in &queued {
                if c[0].eq_ignore_ascii_case(b"select") {
                    self.select(c)?;
                }
            }
            let end_db = self.db;
            self.db = start_db;
            self.apply(queued);
            self.db = end_db;
            return Ok(());
        }
        if let Some(q) = self.multi.as_mut() {
            q.push(argv);
            return Ok(());
        }
        if name.eq_ignore_ascii_case(b"select") {
            return self.select(&argv);
        }
        if self.server_command(&argv)? {
            return Ok(());
        }
        self.known(&argv)?;
        self.apply(vec![argv]);
        Ok(())
    }
}

/// What was loaded, for the log line.
struct Loaded {
    keys: u64,
    commands: u64,
}

fn replay(
    shared: &Shared,
    engine: &mut Engine,
    p: &redraft_persist::aof::LoadPlan,
) -> Result<(Loaded, Option<redraft_persist::aof::TruncatedTail>), String> {
    let mut loader = Loader {
        shared,
        engine,
        db: 0,
        now: unix_ms(),
        multi: None,
        seeds: Rng::new(crate::shared::unix_us()),
        reply: Reply::new(Protocol::Resp2),
        keys: 0,
        commands: 0,
        delay: crate::loading::KeyLoadDelay::new(shared),
    };
    let summary = load_plan(p, &mut loader).map_err(|e| {
        let hint = match e.kind() {
            redraft_persist::aof::AofErrorKind::Format { .. } => " Make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>.",
            _ => "",
        };
        format!("{e}.{hint}")
    })?;
    Ok((
        Loaded {
            keys: loader.keys,
            commands: loader.commands,
        },
        summary.truncated_tail,
    ))
}

/// After a replay: no notification or wakeup is owed for what was loaded, access times
/// start now, and nothing counts as changed since the last save.
fn settle(engine: &mut Engine, now: i64) {
    for db in engine.dbs.iter_mut() {
        db.events.clear();
        db.signaled.clear();
        let access = db.new_object(Value::Int(0), now).access;
        for o in db.keys.values_mut() {
            o.access = access;
        }
    }
    engine.dirty = 0;
}

/// The AOF opened for appending at startup, to hand to the core's feed with
/// [`install`] once the loaded engine is in place.
pub struct Opened {
    paths: super::Paths,
    manifest: Manifest,
    file: AofIncr,
    size: u64,
}

/// Loads the dataset with `appendonly yes` into `engine` (not yet the core's: the load
/// runs while clients get `-LOADING`), then opens the AOF for appending. Err: the
/// server must not start (the message says which file, where, and what to do).
pub fn load_at_startup(shared: &Shared, engine: &mut Engine) -> Result<Opened, String> {
    let s = shared.settings();
    let paths = paths(&s);
    let started = std::time::Instant::now();
    let mut p = plan(&s.dir, &s.appenddirname, &s.appendfilename).map_err(|e| e.to_string())?;
    if let Some(legacy) = &p.ignored_legacy {
        tracing::warn!(file = %legacy.display(), "an old-style AOF is present but the AOF directory takes precedence; the old file is ignored");
    }
    let mut need_base = p.manifest.has_nothing_to_load();
    let mut from_dump = false;
    match p.kind {
        PlanKind::Load => {
            shared.loading.begin(p.total_size());
            let (loaded, tail) = replay(shared, engine, &p)?;
            if let Some(t) = tail {
                let file = t.path.display();
                if !s.aof_load_truncated {
                    return Err(format!("Unexpected end of file reading the append only file {file} (valid up to offset {} of {}). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", t.valid_len, t.file_len));
                }
                tracing::warn!("!!! Warning: short read while loading the AOF file {file}!!!");
                if t.unfinished_multi.is_some() {
                    tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {file}");
                }
                tracing::warn!(
                    "!!! Truncating the AOF {file} at offset {} !!!",
                    t.valid_len
                );
                truncate_file(&t.path, t.valid_len)
                    .map_err(|e| format!("Error truncating the AOF file {file}: {e}"))?;
                tracing::warn!("AOF {file} loaded anyway because aof-load-truncated is enabled");
            }
            tracing::info!(
                keys_from_base = loaded.keys,
                commands = loaded.commands,
                seconds = started.elapsed().as_secs_f64(),
                "DB loaded from append only file"
            );
        }
        PlanKind::NotExist | PlanKind::Empty => {
            let dump = crate::rdb::rdb_path(shared);
            if dump.is_file() {
                crate::rdb::load(shared, engine)?;
                tracing::warn!(file = %dump.display(), "appendonly is yes but no append only file holds data: the RDB file was loaded and becomes the AOF's base");
                need_base = true;
                from_dump = true;
            }
        }
    }
    if p.upgrade.is_some() {
        p.apply_upgrade()
            .map_err(|e| format!("{e} (the old-style AOF was loaded; nothing was changed)"))?;
        tracing::info!("Successfully migrated an old-style AOF into the AOF directory");
    }
    settle(engine, unix_ms());
    open_for_append(shared, engine, &paths, p.manifest, need_base, from_dump, &s)
}

/// Makes the AOF opened by [`load_at_startup`] the one the core appends to.
pub fn install(shared: &Shared, core: &mut Core, opened: Opened) {
    let feed = &mut core.repl.aof;
    feed.paths = opened.paths;
    feed.manifest = opened.manifest;
    feed.switch_file(opened.file);
    feed.set_state(State::On);
    shared
        .aof
        .current_size
        .store(opened.size, Ordering::Relaxed);
    shared.aof.base_size.store(opened.size, Ordering::Relaxed);
}

/// Temporary files a process that died during a rewrite left behind (a rewrite's
/// output, the incr file of an unfinished switch-on): no manifest lists them.
fn remove_stale_temp_files(paths: &super::Paths) {
    let temp_incr = redraft_persist::aof::temp_incr_file_name(&paths.filename);
    let Ok(entries) = std::fs::read_dir(&paths.aof_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if (name.starts_with("temp-rewriteaof-bg-") && name.ends_with(".aof")) || name == temp_incr
        {
            tracing::info!("Removing a temporary AOF file left by an interrupted rewrite: {name}");
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Redis's `aofOpenIfNeededOnServerStart`: a base if there is none (or if the data came
/// from `dump.rdb`), the last incr file (or a new one), the manifest, then history gone.
fn open_for_append(
    shared: &Shared,
    engine: &Engine,
    paths: &super::Paths,
    mut m: Manifest,
    need_base: bool,
    from_dump: bool,
    s: &crate::config::Settings,
) -> Result<Opened, String> {
    std::fs::create_dir_all(&paths.aof_dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            paths.aof_dir.display()
        )
    })?;
    remove_stale_temp_files(paths);
    let mut changed = false;
    if need_base {
        if from_dump {
            m.mark_rewritten_incrs_as_history(false);
        }
        let format = if s.aof_use_rdb_preamble {
            BaseFormat::Rdb
        } else {
            BaseFormat::Aof
        };
        let base = m.new_base(&paths.filename, format);
        let dest = paths.aof_dir.join(&base.name);
        super::rewrite::write_base_now(
            shared,
            engine,
            paths,
            &dest,
            s.aof_use_rdb_preamble,
            s.aof_timestamp_enabled,
        )
        .map_err(|e| format!("Can't create the AOF base file {}: {e}", dest.display()))?;
        tracing::info!(file = %dest.display(), "Creating AOF base file {} on server start", base.name);
        changed = true;
    }
    let (incr, new) = m.last_incr_or_new(&paths.filename);
    let path = paths.aof_dir.join(&incr.name);
    let file = if new {
        tracing::info!("Creating AOF incr file {} on server start", incr.name);
        AofIncr::create(&path)
    } else {
        AofIncr::open_append(&path)
    }
    .map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))?;
    if new || changed {
        m.persist(&paths.aof_dir, &paths.filename)
            .map_err(|e| e.to_string())?;
    }
    let history = m.take_history();
    if !history.is_empty() {
        match m.persist(&paths.aof_dir, &paths.filename) {
            Ok(()) => {
                for h in &history {
                    let _ = std::fs::remove_file(paths.aof_dir.join(&h.name));
                }
            }
            Err(e) => {
                tracing::warn!("can't persist the AOF manifest: {e}");
                m.history = history;
            }
        }
    }
    let size: u64 = m
        .files_to_load()
        .filter_map(|f| std::fs::metadata(paths.aof_dir.join(&f.name)).ok())
        .map(|md| md.len())
        .sum();
    Ok(Opened {
        paths: paths.clone(),
        manifest: m,
        file,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abs(cmd: &str) -> String {
        let mut argv: Vec<Vec<u8>> = cmd.split(' ').map(|a| a.as_bytes().to_vec()).collect();
        absolutize(&mut argv, 1_000_000);
        argv.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn relative_forms_become_absolute() {
        assert_eq!(abs("EXPIRE k 10"), "PEXPIREAT k 1010000");
        assert_eq!(abs("pexpire k 10 NX"), "PEXPIREAT k 1000010 NX");
        assert_eq!(abs("SETEX k 10 v"), "SET k v PXAT 1010000");
        assert_eq!(abs("psetex k 10 v"), "SET k v PXAT 1000010");
        assert_eq!(abs("set k v NX EX 5 GET"), "set k v NX PXAT 1005000 GET");
        assert_eq!(abs("getex k px 7"), "getex k PXAT 1000007");
        assert_eq!(
            abs("restore k 50 payload REPLACE"),
            "restore k 1000050 payload REPLACE ABSTTL"
        );
        assert_eq!(
            abs("restore k 50 payload ABSTTL"),
            "restore k 50 payload ABSTTL"
        );
        assert_eq!(abs("restore k 0 payload"), "restore k 0 payload");
        assert_eq!(abs("PEXPIREAT k 5"), "PEXPIREAT k 5");
        assert_eq!(abs("SET k v PXAT 5"), "SET k v PXAT 5");
        assert_eq!(abs("EXPIRE k notanumber"), "EXPIRE k notanumber");
    }

    #[test]
    fn library_names() {
        assert_eq!(
            library_name(b"#!lua name=mylib\nreturn 1"),
            Some(&b"mylib"[..])
        );
        assert_eq!(library_name(b"return 1"), None);
    }
}
