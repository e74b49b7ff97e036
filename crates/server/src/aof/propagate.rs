//! What the AOF receives for an applied command: nothing unless the command changed
//! data (Redis's `server.dirty` rule), and then the command in the deterministic form
//! Redis 7 propagates (`call()`, `rewriteClientCommandVector`, `alsoPropagate`):
//!
//! | command | written |
//! |---|---|
//! | EXPIRE / PEXPIRE / EXPIREAT | `PEXPIREAT key <abs-ms> [flags]` (`DEL key` if it deleted) |
//! | SET ... EX/PX/EXAT/PXAT, SETEX, PSETEX | `SET key value PXAT <abs-ms>` |
//! | GETEX EX/PX/EXAT/PXAT, GETEX PERSIST | `PEXPIREAT key <abs-ms>`, `PERSIST key` |
//! | RESTORE with a relative ttl | `RESTORE key <abs-ms> payload ... ABSTTL` |
//! | SPOP | `SREM key member` per member (`DEL key` when a count emptied the set) |
//! | INCRBYFLOAT / HINCRBYFLOAT | `SET key <result> KEEPTTL` / `HSET key field <result>` |
//! | BLPOP BRPOP BZPOPMIN BZPOPMAX | `LPOP`/`RPOP`/`ZPOPMIN`/`ZPOPMAX key` |
//! | LMPOP BLMPOP ZMPOP BZMPOP | `LPOP`/`RPOP`/`ZPOPMIN`/`ZPOPMAX key <popped>` |
//! | BLMOVE / BRPOPLPUSH | `LMOVE src dst <from> <to>` / `RPOPLPUSH src dst` |
//! | FLUSHALL / FLUSHDB | as given, even when nothing was removed |
//! | anything else | the client's arguments as given |
//!
//! Keys a write command finds expired are deleted by the engine; each such deletion is
//! written at once as `DEL key` (Redis's `propagateDeletion`), so a loader that does not
//! expire keys while loading (Redis) meets the same keyspace. Results (popped members,
//! new values) are read from the reply the command wrote and from the keyspace right
//! after the command. Checked command by command against what redis-server 7.0.15 writes
//! (`tests/test_aof.py`).

use super::Feed;
use redraft_engine::{Db, Engine, EngineCommand};

/// Commands whose written form may differ from what the client sent.
const REWRITTEN: &[&str] = &[
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "set",
    "setex",
    "psetex",
    "getex",
    "restore",
    "spop",
    "incrbyfloat",
    "hincrbyfloat",
    "blpop",
    "brpop",
    "bzpopmin",
    "bzpopmax",
    "lmpop",
    "blmpop",
    "zmpop",
    "bzmpop",
    "blmove",
    "brpoplpush",
];

/// What is noted before a command runs, to decide what to write after it.
pub struct Probe {
    dirty: u64,
    reply_start: usize,
    /// (db, key, deadline) of the command's keys found present but expired.
    expired: Vec<(usize, Box<[u8]>, i64)>,
}

/// Databases and keys a command may write besides its own database's keys.
fn other_db_keys(name: &str, argv: &[&[u8]], db: usize, ndb: usize) -> Vec<(usize, usize)> {
    let parse = |a: &[u8]| {
        redraft_resp::parse_i64(a)
            .filter(|i| *i >= 0 && (*i as usize) < ndb)
            .map(|i| i as usize)
    };
    match name {
        "move" if argv.len() == 3 => parse(argv[2]).map(|d| vec![(d, 1)]).unwrap_or_default(),
        "copy" => {
            let mut dest = db;
            let mut i = 3;
            while i + 1 < argv.len() {
                if argv[i].eq_ignore_ascii_case(b"db") {
                    if let Some(d) = parse(argv[i + 1]) {
                        dest = d;
                    }
                }
                i += 1;
            }
            if dest != db {
                vec![(dest, 2)]
            } else {
                vec![]
            }
        }
        _ => vec![],
    }
}

impl Probe {
    pub fn before(
        engine: &Engine,
        cmd: &EngineCommand,
        db: usize,
        time_ms: i64,
        argv: &[&[u8]],
        reply_start: usize,
    ) -> Probe {
        let mut expired = vec![];
        let ndb = engine.dbs.len();
        let db = db.min(ndb - 1);
        let mut check = |d: usize, key: &[u8]| {
            if let Some(t) = engine.dbs[d].expire_of(key) {
                if t <= time_ms && engine.dbs[d].keys.contains_key(key) {
                    expired.push((d, Box::<[u8]>::from(key), t));
                }
            }
        };
        if !engine.dbs[db].expires.is_empty() {
            for i in cmd.keys.positions(argv) {
                if let Some(k) = argv.get(i) {
                    check(db, k);
                }
            }
        }
        for (d, i) in other_db_keys(cmd.name, argv, db, ndb) {
            if let Some(k) = argv.get(i) {
                check(d, k);
            }
        }
        Probe {
            dirty: engine.dirty,
            reply_start,
            expired,
        }
    }

    /// Writes what the command propagates into `feed` (the command ran in `db`).
    pub fn after(
        self,
        engine: &Engine,
        feed: &mut Feed,
        cmd: &EngineCommand,
        db: usize,
        argv: &[&[u8]],
        reply: &[u8],
    ) {
        for (d, key, t) in &self.expired {
            let dbr = &engine.dbs[*d];
            let untouched = dbr.keys.contains_key(&key[..]) && dbr.expire_of(key) == Some(*t);
            if !untouched {
                feed.push_now(*d, &[b"DEL".to_vec(), key.to_vec()]);
            }
        }
        let reply = reply.get(self.reply_start..).unwrap_or_default();
        let is_error = matches!(reply.first(), Some(b'-' | b'!'));
        let forced = matches!(cmd.name, "flushall" | "flushdb") && !is_error;
        if engine.dirty == self.dirty && !forced {
            return;
        }
        let db = db.min(engine.dbs.len() - 1);
        if !REWRITTEN.contains(&cmd.name) || (cmd.name == "set" && !set_with_expiry(argv)) {
            feed.push_verbatim(db, argv);
            return;
        }
        for op in rewrite(cmd.name, argv, reply, &engine.dbs[db], feed.serving) {
            feed.push_op(db, op);
        }
    }
}

fn owned(argv: &[&[u8]]) -> Vec<Vec<u8>> {
    argv.iter().map(|a| a.to_vec()).collect()
}

fn v(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|a| a.to_vec()).collect()
}

fn num(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

fn is(a: &[u8], s: &str) -> bool {
    a.eq_ignore_ascii_case(s.as_bytes())
}

/// The deadline a key has now, or the deletion the command made.
fn deadline_or_del(db: &Db, key: &[u8]) -> Result<i64, Vec<Vec<u8>>> {
    if !db.keys.contains_key(key) {
        return Err(v(&[b"DEL", key]));
    }
    db.expire_of(key).ok_or_else(|| v(&[b"PERSIST", key]))
}

/// The commands written for one applied command that changed data (see the module
/// docs); `reply` is what the command replied, `db` its database after it ran, `served`
/// whether it is a blocked command served after it waited.
pub fn rewrite(
    name: &str,
    argv: &[&[u8]],
    reply: &[u8],
    db: &Db,
    served: bool,
) -> Vec<Vec<Vec<u8>>> {
    let verbatim = || vec![owned(argv)];
    let Some(&key) = argv.get(1) else {
        return verbatim();
    };
    match name {
        "expire" | "pexpire" | "expireat" => match deadline_or_del(db, key) {
            // Redis rewrites the name and the time, and keeps the flags (NX XX GT LT).
            Ok(t) => {
                let mut out = owned(argv);
                out[0] = b"PEXPIREAT".to_vec();
                if let Some(a) = out.get_mut(2) {
                    *a = num(t);
                }
                vec![out]
            }
            Err(op) => vec![op],
        },
        "pexpireat" if !db.keys.contains_key(key) => vec![v(&[b"DEL", key])],
        "set" if set_with_expiry(argv) => set_pxat(db, key, argv.get(2).copied()),
        "setex" | "psetex" => set_pxat(db, key, argv.get(3).copied()),
        "getex" => {
            let opts = &argv[2..];
            if opts.iter().any(|a| is(a, "persist")) {
                vec![v(&[b"PERSIST", key])]
            } else {
                match deadline_or_del(db, key) {
                    Ok(t) => vec![vec![b"PEXPIREAT".to_vec(), key.to_vec(), num(t)]],
                    Err(op) => vec![op],
                }
            }
        }
        "restore" => restore(argv, db, key),
        "spop" => spop(argv, reply, db, key),
        "incrbyfloat" => match parse(reply) {
            Some(R::Bulk(val)) => vec![v(&[b"SET", key, val, b"KEEPTTL"])],
            _ => verbatim(),
        },
        "hincrbyfloat" => match (parse(reply), argv.get(2)) {
            (Some(R::Bulk(val)), Some(field)) => vec![v(&[b"HSET", key, field, val])],
            _ => verbatim(),
        },
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let op: &[u8] = match name {
                "blpop" => b"LPOP",
                "brpop" => b"RPOP",
                "bzpopmin" => b"ZPOPMIN",
                _ => b"ZPOPMAX",
            };
            match parse(reply) {
                Some(R::Array(items)) => match items.first() {
                    Some(R::Bulk(k)) => vec![v(&[op, k])],
                    _ => verbatim(),
                },
                _ => verbatim(),
            }
        }
        "lmpop" | "blmpop" | "zmpop" | "bzmpop" => mpop(name, argv, reply),
        // Served at once, Redis keeps the client's words; served after waiting, it
        // writes its own lower-case `left`/`right`.
        "blmove" if argv.len() == 6 && served => {
            let side = |a: &[u8]| -> &'static [u8] {
                if is(a, "left") {
                    b"left"
                } else {
                    b"right"
                }
            };
            vec![v(&[b"LMOVE", key, argv[2], side(argv[3]), side(argv[4])])]
        }
        "blmove" if argv.len() == 6 => vec![v(&[b"LMOVE", key, argv[2], argv[3], argv[4]])],
        "brpoplpush" if argv.len() == 4 => vec![v(&[b"RPOPLPUSH", key, argv[2]])],
        _ => verbatim(),
    }
}

/// SET with an expiry (EX, PX, EXAT or PXAT): Redis 7.0 writes it as
/// `SET key value PXAT <abs-ms>`, whatever the other options.
fn set_with_expiry(argv: &[&[u8]]) -> bool {
    argv.iter()
        .skip(3)
        .any(|a| is(a, "ex") || is(a, "px") || is(a, "exat") || is(a, "pxat"))
}

fn set_pxat(db: &Db, key: &[u8], value: Option<&[u8]>) -> Vec<Vec<Vec<u8>>> {
    let Some(value) = value else {
        return vec![];
    };
    match deadline_or_del(db, key) {
        Ok(t) => vec![vec![
            b"SET".to_vec(),
            key.to_vec(),
            value.to_vec(),
            b"PXAT".to_vec(),
            num(t),
        ]],
        Err(op) if op[0] == b"DEL" => vec![op],
        // No deadline after a SET with an expiry: only the value can be written.
        Err(_) => vec![v(&[b"SET", key, value])],
    }
}

fn restore(argv: &[&[u8]], db: &Db, key: &[u8]) -> Vec<Vec<Vec<u8>>> {
    if !db.keys.contains_key(key) {
        return vec![v(&[b"DEL", key])];
    }
    let absttl = argv.iter().skip(4).any(|a| is(a, "absttl"));
    let ttl = argv.get(2).and_then(|a| redraft_resp::parse_i64(a));
    match (absttl, ttl, db.expire_of(key)) {
        (false, Some(t), Some(at)) if t > 0 => {
            let mut out = owned(argv);
            out[2] = num(at);
            out.push(b"ABSTTL".to_vec());
            vec![out]
        }
        _ => vec![owned(argv)],
    }
}

fn spop(argv: &[&[u8]], reply: &[u8], db: &Db, key: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let members: Vec<&[u8]> = match parse(reply) {
        Some(R::Bulk(m)) => vec![m],
        Some(R::Array(items)) => items
            .iter()
            .filter_map(|r| match r {
                R::Bulk(m) => Some(*m),
                _ => None,
            })
            .collect(),
        _ => return vec![owned(argv)],
    };
    if argv.len() == 3 && !db.keys.contains_key(key) {
        // A count that took the whole set: Redis propagates the deletion.
        return vec![v(&[b"DEL", key])];
    }
    // One SREM per member, as Redis 7.0 writes them (a MULTI/EXEC when more than one).
    members.iter().map(|m| v(&[b"SREM", key, m])).collect()
}

/// LMPOP/BLMPOP/ZMPOP/BZMPOP: `[LR]POP key n` or `ZPOP{MIN,MAX} key n`, n the number
/// popped.
fn mpop(name: &str, argv: &[&[u8]], reply: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let first = if name.starts_with('b') { 2 } else { 1 };
    let numkeys = argv
        .get(first)
        .and_then(|a| redraft_resp::parse_i64(a))
        .unwrap_or(0)
        .max(0) as usize;
    let Some(&dir) = argv.get(first + 1 + numkeys) else {
        return vec![owned(argv)];
    };
    let op: &[u8] = match (name.ends_with("lmpop"), is(dir, "left") || is(dir, "min")) {
        (true, true) => b"LPOP",
        (true, false) => b"RPOP",
        (false, true) => b"ZPOPMIN",
        (false, false) => b"ZPOPMAX",
    };
    match parse(reply) {
        Some(R::Array(items)) => match (items.first(), items.get(1)) {
            (Some(R::Bulk(k)), Some(R::Array(popped))) => {
                vec![vec![op.to_vec(), k.to_vec(), num(popped.len() as i64)]]
            }
            _ => vec![owned(argv)],
        },
        _ => vec![owned(argv)],
    }
}

/// A reply value, as far as propagation needs to see it.
#[derive(Debug, PartialEq)]
pub enum R<'a> {
    Bulk(&'a [u8]),
    Array(Vec<R<'a>>),
    Other,
}

/// Parses the first reply in `buf` (RESP2 or RESP3).
pub fn parse(buf: &[u8]) -> Option<R<'_>> {
    let mut pos = 0;
    parse_at(buf, &mut pos, 0)
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = buf.get(*pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    *pos += end + 2;
    Some(&rest[..end])
}

fn parse_at<'a>(buf: &'a [u8], pos: &mut usize, depth: usize) -> Option<R<'a>> {
    if depth > 16 {
        return None;
    }
    let t = *buf.get(*pos)?;
    *pos += 1;
    let head = line(buf, pos)?;
    let n = || redraft_resp::parse_i64(head);
    match t {
        b'$' | b'=' | b'!' => {
            let len = n()?;
            if len < 0 {
                return Some(R::Other);
            }
            let len = len as usize;
            let data = buf.get(*pos..*pos + len)?;
            *pos += len + 2;
            Some(if t == b'$' { R::Bulk(data) } else { R::Other })
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = n()?;
            if count < 0 {
                return Some(R::Other);
            }
            let count = count as usize * if matches!(t, b'%' | b'|') { 2 } else { 1 };
            let mut items = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                items.push(parse_at(buf, pos, depth + 1)?);
            }
            if t == b'|' {
                // An attribute precedes the actual reply.
                return parse_at(buf, pos, depth + 1);
            }
            Some(R::Array(items))
        }
        _ => Some(R::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_replies() {
        assert_eq!(parse(b"$3\r\nabc\r\n"), Some(R::Bulk(b"abc")));
        assert_eq!(parse(b"$-1\r\n"), Some(R::Other));
        assert_eq!(
            parse(b"*2\r\n$1\r\nk\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            Some(R::Array(vec![
                R::Bulk(b"k"),
                R::Array(vec![R::Bulk(b"a"), R::Bulk(b"b")])
            ]))
        );
        assert_eq!(
            parse(b"~1\r\n$1\r\nx\r\n"),
            Some(R::Array(vec![R::Bulk(b"x")]))
        );
        assert_eq!(parse(b"*2\r\n$1\r\nk\r\n"), None);
    }

    /// Runs writes through a recording replicator (each `(ms offset, commands)` one
    /// entry) and returns what the AOF received.
    fn written(entries: &[(i64, &[&str])]) -> Vec<Vec<String>> {
        use crate::aof::{State, Status};
        use crate::replicator::Replicator;
        use redraft_engine::{Protocol, Reply};
        use redraft_persist::aof::{read_commands, AofIncr};
        let path = std::env::temp_dir().join(format!(
            "redraft-propagate-{}-{}.aof",
            std::process::id(),
            crate::shared::unix_us()
        ));
        let mut repl = Replicator::new(std::sync::Arc::new(Status::default()));
        repl.aof.set_state(State::On);
        repl.aof.switch_file(AofIncr::create(&path).unwrap());
        let mut engine = Engine::new(16);
        let t0 = 1_700_000_000_000;
        for (dt, cmds) in entries {
            let argvs: Vec<Vec<&[u8]>> = cmds
                .iter()
                .map(|c| c.split(' ').map(str::as_bytes).collect())
                .collect();
            let refs: Vec<&[&[u8]]> = argvs.iter().map(|a| &a[..]).collect();
            let mut r = Reply::new(Protocol::Resp2);
            let mut ps = crate::commands::pubsub::PubSub::with_limits((0, 0, 0));
            repl.write_entry(
                &mut engine,
                &mut ps,
                0,
                t0 + dt,
                &refs,
                &mut r,
                refs.len() == 1,
            );
        }
        repl.aof.flush();
        let data = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let mut out = vec![];
        read_commands(&data[..], |argv| {
            out.push(
                argv.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
            Ok(())
        })
        .unwrap();
        out
    }

    fn cmds(lines: &[&str]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.split(' ').map(String::from).collect())
            .collect()
    }

    #[test]
    fn writes_redis_forms() {
        let got = written(&[
            (0, &["set a 1"]),
            (0, &["expire a 100"]),
            (1, &["setex c 100 3"]),
            (1, &["incrbyfloat f 1.5"]),
            (1, &["hincrbyfloat h fld 0.5"]),
            (2, &["getex a persist"]),
            (2, &["del nothing"]),
            (2, &["set b 2 ex 10 nx"]),
            (2, &["set b 3 nx"]),
            (3, &["set gone v", "expire gone -1"]),
        ]);
        assert_eq!(
            got,
            cmds(&[
                "SELECT 0",
                "set a 1",
                "PEXPIREAT a 1700000100000",
                "SET c 3 PXAT 1700000100001",
                "SET f 1.5 KEEPTTL",
                "HSET h fld 0.5",
                "PERSIST a",
                "SET b 2 PXAT 1700000010002",
                "MULTI",
                "set gone v",
                "DEL gone",
                "EXEC",
            ])
        );
    }

    #[test]
    fn spop_and_pops() {
        let got = written(&[
            (0, &["sadd s x"]),
            (0, &["spop s"]),
            (0, &["sadd t a b c"]),
            (0, &["spop t 5"]),
            (0, &["sadd u a"]),
            (0, &["sadd u b"]),
            (0, &["spop u 2"]),
            (0, &["sadd w a b c"]),
            (0, &["spop w 0"]),
            (0, &["rpush l a b c"]),
            (0, &["blpop l 0"]),
            (0, &["lmpop 1 l right count 5"]),
            (0, &["zadd z 1 m 2 n"]),
            (0, &["bzpopmax z 0"]),
        ]);
        assert_eq!(
            got,
            cmds(&[
                "SELECT 0",
                "sadd s x",
                "SREM s x",
                "sadd t a b c",
                "DEL t",
                "sadd u a",
                "sadd u b",
                "DEL u",
                "sadd w a b c",
                "rpush l a b c",
                "LPOP l",
                "RPOP l 2",
                "zadd z 1 m 2 n",
                "ZPOPMAX z",
            ])
        );
    }

    #[test]
    fn spop_with_a_count_is_one_srem_per_member() {
        let got = written(&[(0, &["sadd s a b c d"]), (0, &["spop s 3"])]);
        assert_eq!(got.len(), 7);
        assert_eq!(got[2], vec!["MULTI"]);
        assert_eq!(got[6], vec!["EXEC"]);
        for c in &got[3..6] {
            assert_eq!(&c[..2], &["SREM", "s"]);
            assert_eq!(c.len(), 3);
        }
    }

    #[test]
    fn transactions_select_and_expired_keys() {
        let got = written(&[
            (0, &["set k v px 10"]),
            (100, &["set k v2 nx"]),
            (100, &["set m1 1", "select 2", "set m2 2", "del none"]),
            (100, &["select 3", "set only 1"]),
        ]);
        assert_eq!(
            got,
            cmds(&[
                "SELECT 0",
                "SET k v PXAT 1700000000010",
                "DEL k",
                "set k v2 nx",
                "MULTI",
                "set m1 1",
                "SELECT 2",
                "set m2 2",
                "EXEC",
                "SELECT 3",
                "set only 1",
            ])
        );
    }

    #[test]
    fn set_options_with_expiry() {
        fn a(s: &str) -> Vec<&[u8]> {
            s.split(' ').map(|x| x.as_bytes()).collect()
        }
        assert!(set_with_expiry(&a("set k v EX 10")));
        assert!(set_with_expiry(&a("set k v nx px 10 get")));
        assert!(set_with_expiry(&a("set k v exat 10")));
        assert!(set_with_expiry(&a("set k v pxat 10")));
        assert!(!set_with_expiry(&a("set k v keepttl")));
    }
}
