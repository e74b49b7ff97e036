//! Generic key commands (Redis's `db.c` and the `OBJECT` command of `object.c`).
//!
//! Reads never delete: a key whose deadline has passed is skipped (KEYS, SCAN,
//! RANDOMKEY) or reported absent. Writes that meet an expired key delete it first, as
//! Redis's `lookupKeyWrite`.

use crate::args::{int, is};
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Handler, Keys, DB_INDEX, NO_SUCH_KEY,
    SYNTAX,
};
use crate::db::{notify, Db};
use crate::dict::scan_positions;
use crate::glob::glob_match;
use crate::object::{Object, Value};

/// Keys of an `OBJECT <sub> key` subcommand.
const OBJECT_KEY: Keys = Keys::Range {
    first: 2,
    last: 2,
    step: 1,
};

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "del",
        -2,
        WRITE,
        Keys::all(),
        "generic",
        "1.0.0",
        "Deletes one or more keys.",
        del,
    ),
    cmd(
        "unlink",
        -2,
        WRITE | FAST,
        Keys::all(),
        "generic",
        "4.0.0",
        "Asynchronously deletes one or more keys.",
        del,
    ),
    cmd(
        "exists",
        -2,
        READONLY | FAST,
        Keys::all(),
        "generic",
        "1.0.0",
        "Determines whether one or more keys exist.",
        exists,
    ),
    cmd(
        "dbsize",
        1,
        READONLY | FAST,
        Keys::None,
        "server",
        "1.0.0",
        "Returns the number of keys in the database.",
        dbsize,
    ),
    cmd(
        "type",
        2,
        READONLY | FAST,
        Keys::one(),
        "generic",
        "1.0.0",
        "Determines the type of value stored at a key.",
        type_,
    ),
    cmd(
        "rename",
        3,
        WRITE,
        Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        "generic",
        "1.0.0",
        "Renames a key and overwrites the destination.",
        rename,
    ),
    cmd(
        "renamenx",
        3,
        WRITE | FAST,
        Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        "generic",
        "1.0.0",
        "Renames a key only when the target key name doesn't exist.",
        renamenx,
    ),
    cmd(
        "move",
        3,
        WRITE | FAST,
        Keys::one(),
        "generic",
        "1.0.0",
        "Moves a key to another database.",
        move_,
    ),
    cmd(
        "copy",
        -3,
        WRITE | DENYOOM,
        Keys::Range {
            first: 1,
            last: 2,
            step: 1,
        },
        "generic",
        "6.2.0",
        "Copies the value of a key to a new key.",
        copy,
    ),
    cmd(
        "keys",
        2,
        READONLY,
        Keys::None,
        "generic",
        "1.0.0",
        "Returns all key names that match a pattern.",
        keys,
    ),
    cmd(
        "scan",
        -2,
        READONLY,
        Keys::None,
        "generic",
        "2.8.0",
        "Iterates over the key names in the database.",
        scan,
    ),
    cmd(
        "randomkey",
        1,
        READONLY,
        Keys::None,
        "generic",
        "1.0.0",
        "Returns a random key name from the database.",
        randomkey,
    ),
    cmd(
        "flushdb",
        -1,
        WRITE,
        Keys::None,
        "server",
        "1.0.0",
        "Remove all keys from the current database.",
        flushdb,
    ),
    cmd(
        "flushall",
        -1,
        WRITE,
        Keys::None,
        "server",
        "1.0.0",
        "Removes all keys from all databases.",
        flushall,
    ),
    cmd(
        "swapdb",
        3,
        WRITE | FAST,
        Keys::None,
        "server",
        "4.0.0",
        "Swaps two Redis databases.",
        swapdb,
    ),
    cmd(
        "touch",
        -2,
        READONLY | FAST,
        Keys::all(),
        "generic",
        "3.2.1",
        "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
        touch,
    ),
    cmd(
        "object",
        -2,
        0,
        Keys::None,
        "generic",
        "2.2.3",
        "A container for object introspection commands.",
        object_container as Handler,
    )
    .with_subcommands(OBJECT_SUBCOMMANDS),
];

const OBJECT_SUBCOMMANDS: &[EngineCommand] = &[
    cmd(
        "encoding",
        3,
        READONLY,
        OBJECT_KEY,
        "generic",
        "2.2.3",
        "Returns the internal encoding of a Redis object.",
        object_encoding,
    ),
    cmd(
        "freq",
        3,
        READONLY,
        OBJECT_KEY,
        "generic",
        "4.0.0",
        "Returns the logarithmic access frequency counter of a Redis object.",
        object_freq,
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        Keys::None,
        "generic",
        "6.2.0",
        "Returns helpful text about the different subcommands.",
        object_help,
    ),
    cmd(
        "idletime",
        3,
        READONLY,
        OBJECT_KEY,
        "generic",
        "2.2.3",
        "Returns the time since the last access to a Redis object.",
        object_idletime,
    ),
    cmd(
        "refcount",
        3,
        READONLY,
        OBJECT_KEY,
        "generic",
        "2.2.3",
        "Returns the reference count of a value of a key.",
        object_refcount,
    ),
];

const SAME_OBJECT: Error = Error(std::borrow::Cow::Borrowed(
    "ERR source and destination objects are the same",
));

/// Redis's `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`: counts a keyspace hit or miss but
/// leaves the access time alone.
pub(crate) fn lookup_notouch<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Option<&'a Object> {
    if db.exists(key, now) {
        db.hits += 1;
    } else {
        db.misses += 1;
    }
    db.peek(key, now)
}

/// Records a write access as Redis's `lookupKeyWrite` does under an LRU policy (the LFU
/// counter is left as it is: its update is probabilistic).
pub(crate) fn touch_for_write(o: &mut Object, lfu: bool, now: i64) {
    if !lfu {
        o.access = (now / 1000) as u32;
    }
}

/// A database index argument as `getIntFromObjectOrReply` + `selectDb` check it.
fn db_index(arg: &[u8], databases: usize) -> Result<usize, Error> {
    let v = int(arg)?;
    if i32::try_from(v).is_err() {
        return Err(Error::new(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if v < 0 || v as usize >= databases {
        return Err(DB_INDEX);
    }
    Ok(v as usize)
}

/// DEL and UNLINK (UNLINK frees nothing in the background here: there is no thread).
fn del(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let mut n = 0;
    for key in &ctx.args[1..] {
        if db.delete(key, now) {
            db.notify(notify::GENERIC, "del", key);
            n += 1;
        }
    }
    *ctx.dirty += n as u64;
    ctx.reply.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let n = ctx.args[1..]
        .iter()
        .filter(|k| lookup_notouch(db, k, now).is_some())
        .count();
    ctx.reply.int(n as i64);
    Ok(())
}

fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.db().len();
    ctx.reply.int(n as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let name = match lookup_notouch(&mut ctx.dbs[ctx.db], ctx.args[1], now) {
        Some(o) => o.value.type_name(),
        None => "none",
    };
    ctx.reply.simple(name);
    Ok(())
}

fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let (now, src, dst) = (ctx.now, ctx.args[1], ctx.args[2]);
    let db = &mut ctx.dbs[ctx.db];
    let lfu = db.lfu;
    match db.get_mut(src, now) {
        Some(o) => touch_for_write(o, lfu, now),
        None => return Err(NO_SUCH_KEY),
    }
    if src == dst {
        if nx {
            ctx.reply.int(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    let expire = db.expire_of(src);
    if db.get_mut(dst, now).is_some() && nx {
        ctx.reply.int(0);
        return Ok(());
    }
    let Some(obj) = db.remove(src) else {
        return Err(NO_SUCH_KEY);
    };
    db.insert_object(dst, obj, expire);
    db.notify(notify::GENERIC, "rename_from", src);
    db.notify(notify::GENERIC, "rename_to", dst);
    *ctx.dirty += 1;
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

fn move_(ctx: &mut Ctx) -> CmdResult {
    let (now, key, src) = (ctx.now, ctx.args[1], ctx.db);
    let dst = db_index(ctx.args[2], ctx.dbs.len())?;
    if dst == src {
        return Err(SAME_OBJECT);
    }
    let lfu = ctx.dbs[src].lfu;
    match ctx.dbs[src].get_mut(key, now) {
        Some(o) => touch_for_write(o, lfu, now),
        None => {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    let expire = ctx.dbs[src].expire_of(key);
    if ctx.dbs[dst].get_mut(key, now).is_some() {
        ctx.reply.int(0);
        return Ok(());
    }
    let Some(obj) = ctx.dbs[src].remove(key) else {
        ctx.reply.int(0);
        return Ok(());
    };
    ctx.dbs[dst].insert_object(key, obj, expire);
    ctx.dbs[src].notify(notify::GENERIC, "move_from", key);
    ctx.dbs[dst].notify(notify::GENERIC, "move_to", key);
    *ctx.dirty += 1;
    ctx.reply.int(1);
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx) -> CmdResult {
    let (now, key, newkey, src) = (ctx.now, ctx.args[1], ctx.args[2], ctx.db);
    let mut dst = src;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.args.len() {
        let additional = ctx.args.len() - j - 1;
        if is(ctx.args[j], "replace") {
            replace = true;
        } else if is(ctx.args[j], "db") && additional >= 1 {
            dst = db_index(ctx.args[j + 1], ctx.dbs.len())?;
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if src == dst && key == newkey {
        return Err(SAME_OBJECT);
    }
    // A write meeting an expired source deletes it, as Redis's master does.
    ctx.dbs[src].expire_if_needed(key, now);
    let Some((value, expire)) = ctx.dbs[src]
        .lookup_read(key, now)
        .map(|o| o.value.clone())
        .map(|v| (v, ctx.dbs[src].expire_of(key)))
    else {
        ctx.reply.int(0);
        return Ok(());
    };
    let target = &mut ctx.dbs[dst];
    if target.get_mut(newkey, now).is_some() {
        if !replace {
            ctx.reply.int(0);
            return Ok(());
        }
        target.remove(newkey);
    }
    let obj = target.new_object(value, now);
    target.insert_object(newkey, obj, expire);
    target.notify(notify::GENERIC, "copy_to", newkey);
    *ctx.dirty += 1;
    ctx.reply.int(1);
    Ok(())
}

fn keys(ctx: &mut Ctx) -> CmdResult {
    let (now, pattern) = (ctx.now, ctx.args[1]);
    let all = pattern == b"*";
    let db = &ctx.dbs[ctx.db];
    let found: Vec<&[u8]> = db
        .keys
        .keys()
        .filter(|k| (all || glob_match(pattern, k, false)) && !db.is_expired(k, now))
        .map(|k| &**k)
        .collect();
    ctx.reply.array(found.len());
    for k in found {
        ctx.reply.bulk(k);
    }
    Ok(())
}

/// A SCAN cursor as Redis 7.2 reads it (`strtoul` base 10, refusing a leading space,
/// trailing bytes and overflow): an optional sign, digits, nothing else. A negative
/// value wraps as C's `strtoul` does; the empty string is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    const C_SPACE: &[u8] = b" \t\n\x0b\x0c\r";
    if arg.first().is_some_and(|c| C_SPACE.contains(c)) {
        return None;
    }
    // C reads up to the first NUL.
    let end = arg.iter().position(|&c| c == 0).unwrap_or(arg.len());
    let s = &arg[..end];
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
///
/// The cursor is a position in the keyspace dictionary, walked from the top down (see
/// `dict::scan_positions`): every key present for the whole iteration is returned at
/// least once, whatever is deleted or added between calls.
fn scan(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let cursor = parse_cursor(ctx.args[1]).ok_or_else(|| Error::err("invalid cursor"))?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.args.len() {
        let left = ctx.args.len() - i;
        let a = ctx.args[i];
        if is(a, "count") && left >= 2 {
            count = int(ctx.args[i + 1])?;
            if count < 1 {
                return Err(SYNTAX);
            }
        } else if is(a, "match") && left >= 2 {
            let p = ctx.args[i + 1];
            pattern = (p != b"*").then_some(p);
        } else if is(a, "type") && left >= 2 {
            type_name = Some(ctx.args[i + 1]);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let db = &mut ctx.dbs[ctx.db];
    let mut positions = Vec::new();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let next = scan_positions(db.keys.len(), cursor, count, |p| positions.push(p));
    let (mut hits, mut misses) = (0, 0);
    let mut found: Vec<&[u8]> = Vec::with_capacity(positions.len());
    for p in positions {
        let Some((k, o)) = db.keys.get_index(p) else {
            continue;
        };
        if let Some(pat) = pattern {
            if !glob_match(pat, k, false) {
                continue;
            }
        }
        let expired = db.is_expired(k, now);
        if let Some(t) = type_name {
            // Redis 7.2 checks the type with a (non-touching) lookup, which counts a
            // keyspace hit or miss; an unknown type name matches nothing.
            if expired {
                misses += 1;
                continue;
            }
            hits += 1;
            if !o.value.type_name().as_bytes().eq_ignore_ascii_case(t) {
                continue;
            }
        } else if expired {
            continue;
        }
        found.push(k);
    }
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(found.len());
    for k in found {
        ctx.reply.bulk(k);
    }
    db.hits += hits;
    db.misses += misses;
    Ok(())
}

/// RANDOMKEY: a uniformly drawn live key. Like Redis, it retries when it draws an
/// expired key (Redis deletes it first; reads here never delete); after 100 draws it
/// walks the keyspace from a random position, so a database of only expired keys
/// answers null, as Redis's master does, and never loops for long.
fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &ctx.dbs[ctx.db];
    let n = db.keys.len();
    if n == 0 {
        ctx.reply.null();
        return Ok(());
    }
    for _ in 0..100 {
        if let Some((k, _)) = db.keys.get_index(ctx.rng.below(n)) {
            if !db.is_expired(k, now) {
                ctx.reply.bulk(k);
                return Ok(());
            }
        }
    }
    let start = ctx.rng.below(n);
    for j in 0..n {
        if let Some((k, _)) = db.keys.get_index((start + j) % n) {
            if !db.is_expired(k, now) {
                ctx.reply.bulk(k);
                return Ok(());
            }
        }
    }
    ctx.reply.null();
    Ok(())
}

/// `FLUSHDB`/`FLUSHALL` take nothing, `SYNC` or `ASYNC`. ASYNC is accepted and done
/// synchronously: apply is single-threaded and must be deterministic, and dropping the
/// dictionaries is all the work there is.
fn flush_option(ctx: &Ctx) -> CmdResult {
    match ctx.args.len() {
        1 => Ok(()),
        2 if is(ctx.args[1], "sync") || is(ctx.args[1], "async") => Ok(()),
        _ => Err(SYNTAX),
    }
}

/// FLUSHDB [ASYNC | SYNC]. Adds the number of removed keys to dirty, as Redis (which
/// also forces its propagation when that is 0: the write path must log it regardless).
fn flushdb(ctx: &mut Ctx) -> CmdResult {
    flush_option(ctx)?;
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    *ctx.dirty += removed;
    ctx.reply.ok();
    Ok(())
}

/// FLUSHALL [ASYNC | SYNC]. Dirty grows by the removed keys plus one, as Redis's
/// `flushAllDataAndResetRDB`; saving the empty dataset afterwards (when save points are
/// configured) is the server's part.
fn flushall(ctx: &mut Ctx) -> CmdResult {
    flush_option(ctx)?;
    let mut removed = 0u64;
    for db in ctx.dbs.iter_mut() {
        removed += db.len() as u64;
        db.clear();
    }
    *ctx.dirty += removed + 1;
    ctx.reply.ok();
    Ok(())
}

/// SWAPDB index1 index2: swaps the data (keys and deadlines); statistics and the
/// eviction policy stay with the database number, as in Redis.
fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let parse = |arg: &[u8], msg: &'static str| -> Result<i64, Error> {
        match redraft_resp::parse_i64(arg) {
            Some(v) if i32::try_from(v).is_ok() => Ok(v),
            _ => Err(Error::new(msg)),
        }
    };
    let a = parse(ctx.args[1], "ERR invalid first DB index")?;
    let b = parse(ctx.args[2], "ERR invalid second DB index")?;
    let n = ctx.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(DB_INDEX);
    }
    let (lo, hi) = (a.min(b) as usize, a.max(b) as usize);
    if lo != hi {
        let (left, right) = ctx.dbs.split_at_mut(hi);
        let (x, y) = (&mut left[lo], &mut right[0]);
        x.signal_all();
        y.signal_all();
        std::mem::swap(&mut x.keys, &mut y.keys);
        std::mem::swap(&mut x.expires, &mut y.expires);
        // A snapshot walk follows the data it was started on.
        std::mem::swap(&mut x.snapshot, &mut y.snapshot);
    }
    *ctx.dirty += 1;
    ctx.reply.ok();
    Ok(())
}

fn touch(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let n = ctx.args[1..]
        .iter()
        .filter(|k| db.lookup_read(k, now).is_some())
        .count();
    ctx.reply.int(n as i64);
    Ok(())
}

/// Only reached if the dispatcher did not resolve a subcommand.
fn object_container(ctx: &mut Ctx) -> CmdResult {
    Err(Error::new(super::unknown_subcommand(ctx.args)))
}

/// Redis's `OBJ_SHARED_REFCOUNT`: the reference count of the shared integers.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's `OBJ_SHARED_INTEGERS`: 0..10000 are shared objects.
const SHARED_INTEGERS: i64 = 10_000;

const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// The object under the key of an `OBJECT <sub> key`, or a null reply.
fn object_lookup<'a>(ctx: &'a mut Ctx) -> Option<&'a Object> {
    let now = ctx.now;
    let found = lookup_notouch(&mut ctx.dbs[ctx.db], ctx.args[2], now).is_some();
    if !found {
        ctx.reply.null();
        return None;
    }
    ctx.dbs[ctx.db].peek(ctx.args[2], now)
}

fn object_encoding(ctx: &mut Ctx) -> CmdResult {
    if let Some(o) = object_lookup(ctx) {
        let enc = o.value.encoding();
        ctx.reply.bulk(enc.as_bytes());
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx) -> CmdResult {
    if let Some(o) = object_lookup(ctx) {
        let n = match o.value {
            Value::Int(i) if (0..SHARED_INTEGERS).contains(&i) => SHARED_REFCOUNT,
            _ => 1,
        };
        ctx.reply.int(n);
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let lfu = ctx.dbs[ctx.db].lfu;
    if let Some(o) = object_lookup(ctx) {
        if lfu {
            return Err(Error::new(LFU_SELECTED));
        }
        let idle = idle_seconds(o.access, now);
        ctx.reply.int(idle);
    }
    Ok(())
}

fn object_freq(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let lfu = ctx.dbs[ctx.db].lfu;
    if let Some(o) = object_lookup(ctx) {
        if !lfu {
            return Err(Error::new(LFU_NOT_SELECTED));
        }
        let freq = lfu_counter(o.access, now);
        ctx.reply.int(freq as i64);
    }
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn object_help(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.array(OBJECT_HELP.len());
    for line in OBJECT_HELP {
        ctx.reply.simple(line);
    }
    Ok(())
}

/// Seconds since the last access under an LRU policy (`access` holds seconds).
pub fn idle_seconds(access: u32, now: i64) -> i64 {
    ((now / 1000) - access as i64).max(0)
}

/// Redis's `LFUDecrAndReturn` with the default `lfu-decay-time` of 1: the counter (low 8
/// bits of `access`) less one per minute elapsed since the last decrement (high bits, a
/// 16-bit minute clock that wraps as Redis's).
pub fn lfu_counter(access: u32, now: i64) -> u32 {
    let ldt = (access >> 8) & 0xFFFF;
    let counter = access & 0xFF;
    let now_min = ((now / 60_000) & 0xFFFF) as u32;
    let elapsed = if now_min >= ldt {
        now_min - ldt
    } else {
        65535 - ldt + now_min
    };
    counter.saturating_sub(elapsed)
}

#[cfg(test)]
mod tests {
    use crate::commands::lookup;
    use crate::{Engine, Protocol, Reply, Value};

    const T: i64 = 1_700_000_000_000;

    fn run_at(e: &mut Engine, db: usize, now: i64, args: &[&str]) -> String {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let c = lookup(argv[0]).expect("command exists");
        let mut reply = Reply::new(Protocol::Resp2);
        e.run(c, db, now, 7, &argv, &mut reply);
        String::from_utf8_lossy(&reply.buf).into_owned()
    }

    fn run(e: &mut Engine, args: &[&str]) -> String {
        run_at(e, 0, T, args)
    }

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn set(e: &mut Engine, db: usize, k: &str, v: &str) {
        e.dbs[db].set(k.as_bytes(), Value::string(v.as_bytes()), false, T);
    }

    #[test]
    fn del_unlink_exists() {
        let mut e = Engine::default();
        set(&mut e, 0, "a", "1");
        set(&mut e, 0, "b", "2");
        set(&mut e, 0, "c", "3");
        assert_eq!(run(&mut e, &["exists", "a", "a", "x"]), ":2\r\n");
        assert_eq!(run(&mut e, &["del", "a", "x", "a"]), ":1\r\n");
        assert_eq!(run(&mut e, &["UNLINK", "b", "c", "x"]), ":2\r\n");
        assert_eq!(e.dirty, 3);
        assert_eq!(run(&mut e, &["dbsize"]), ":0\r\n");
        assert_eq!(
            run(&mut e, &["unlink"]),
            "-ERR wrong number of arguments for 'unlink' command\r\n"
        );
        // An expired key does not exist and is not counted as deleted.
        set(&mut e, 0, "v", "1");
        e.dbs[0].set_expire(b"v", T + 10);
        assert_eq!(run_at(&mut e, 0, T + 10, &["exists", "v"]), ":0\r\n");
        assert_eq!(run_at(&mut e, 0, T + 10, &["del", "v"]), ":0\r\n");
        assert_eq!(e.dbs[0].len(), 0);
    }

    #[test]
    fn type_command() {
        let mut e = Engine::default();
        set(&mut e, 0, "s", "hello");
        set(&mut e, 0, "i", "12");
        assert_eq!(run(&mut e, &["type", "s"]), "+string\r\n");
        assert_eq!(run(&mut e, &["type", "i"]), "+string\r\n");
        assert_eq!(run(&mut e, &["type", "nokey"]), "+none\r\n");
        e.dbs[0].set_expire(b"s", T);
        assert_eq!(run(&mut e, &["type", "s"]), "+none\r\n");
    }

    #[test]
    fn rename_and_renamenx() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, &["rename", "a", "b"]), "-ERR no such key\r\n");
        assert_eq!(run(&mut e, &["renamenx", "a", "b"]), "-ERR no such key\r\n");
        assert_eq!(run(&mut e, &["rename", "a", "a"]), "-ERR no such key\r\n");
        set(&mut e, 0, "a", "1");
        e.dbs[0].set_expire(b"a", T + 5000);
        assert_eq!(run(&mut e, &["rename", "a", "a"]), "+OK\r\n");
        assert_eq!(run(&mut e, &["renamenx", "a", "a"]), ":0\r\n");
        assert_eq!(e.dirty, 0);
        assert_eq!(run(&mut e, &["rename", "a", "b"]), "+OK\r\n");
        assert_eq!(run(&mut e, &["exists", "a"]), ":0\r\n");
        assert_eq!(run(&mut e, &["get", "b"]), bulk("1"));
        // The deadline travels with the value.
        assert_eq!(e.dbs[0].expire_of(b"b"), Some(T + 5000));
        assert_eq!(e.dbs[0].expire_of(b"a"), None);
        // Overwriting a destination drops its own deadline.
        set(&mut e, 0, "c", "3");
        e.dbs[0].set_expire(b"c", T + 1);
        e.dbs[0].persist(b"b");
        assert_eq!(run(&mut e, &["rename", "b", "c"]), "+OK\r\n");
        assert_eq!(e.dbs[0].expire_of(b"c"), None);
        assert_eq!(run(&mut e, &["get", "c"]), bulk("1"));
        // RENAMENX refuses an existing destination, accepts a free one.
        set(&mut e, 0, "d", "4");
        assert_eq!(run(&mut e, &["renamenx", "c", "d"]), ":0\r\n");
        assert_eq!(run(&mut e, &["renamenx", "c", "e"]), ":1\r\n");
        assert_eq!(run(&mut e, &["get", "e"]), bulk("1"));
        // An expired destination counts as free; an expired source as missing.
        e.dbs[0].set_expire(b"d", T);
        assert_eq!(run(&mut e, &["renamenx", "e", "d"]), ":1\r\n");
        e.dbs[0].set_expire(b"d", T);
        assert_eq!(run(&mut e, &["rename", "d", "z"]), "-ERR no such key\r\n");
        assert_eq!(e.dbs[0].len(), 0);
    }

    #[test]
    fn move_between_databases() {
        let mut e = Engine::default();
        set(&mut e, 0, "k", "v");
        e.dbs[0].set_expire(b"k", T + 1000);
        assert_eq!(
            run(&mut e, &["move", "k", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            run(&mut e, &["move", "k", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["move", "k", "-1"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["move", "k", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["move", "k", "4294967296"]),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "k", "x", "db", "-2147483649"]),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
        );
        assert_eq!(run(&mut e, &["move", "nokey", "1"]), ":0\r\n");
        assert_eq!(run(&mut e, &["move", "k", "1"]), ":1\r\n");
        assert_eq!(e.dbs[0].len(), 0);
        assert_eq!(e.dbs[1].expire_of(b"k"), Some(T + 1000));
        // Occupied in the target: nothing moves.
        set(&mut e, 0, "k", "other");
        assert_eq!(run(&mut e, &["move", "k", "1"]), ":0\r\n");
        assert_eq!(run_at(&mut e, 1, T, &["get", "k"]), bulk("v"));
        // Unless the occupant has expired.
        assert_eq!(run_at(&mut e, 0, T + 1000, &["move", "k", "1"]), ":1\r\n");
        assert_eq!(run_at(&mut e, 1, T + 1000, &["get", "k"]), bulk("other"));
        assert_eq!(e.dbs[1].expire_of(b"k"), None);
        assert_eq!(e.dirty, 2);
    }

    #[test]
    fn copy_command() {
        let mut e = Engine::default();
        set(&mut e, 0, "a", "hello");
        e.dbs[0].set_expire(b"a", T + 9000);
        assert_eq!(
            run(&mut e, &["copy", "a", "a"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "a", "a", "db", "0"]),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "a", "b", "db"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "a", "b", "foo"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "a", "b", "db", "99"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["copy", "a", "b", "db", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // Errors come in argument order.
        assert_eq!(
            run(&mut e, &["copy", "a", "b", "db", "99", "foo"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(run(&mut e, &["copy", "nokey", "b"]), ":0\r\n");
        set(&mut e, 0, "gone", "1");
        e.dbs[0].set_expire(b"gone", T);
        assert_eq!(run(&mut e, &["copy", "gone", "b"]), ":0\r\n");
        assert!(!e.dbs[0].keys.contains_key(&b"gone"[..]));
        assert_eq!(run(&mut e, &["copy", "a", "b"]), ":1\r\n");
        assert_eq!(run(&mut e, &["get", "b"]), bulk("hello"));
        assert_eq!(e.dbs[0].expire_of(b"b"), Some(T + 9000));
        assert_eq!(run(&mut e, &["copy", "a", "a", "db", "3"]), ":1\r\n");
        assert_eq!(run_at(&mut e, 3, T, &["get", "a"]), bulk("hello"));
        // The copy is independent of the source.
        set(&mut e, 0, "a", "changed");
        assert_eq!(run(&mut e, &["get", "b"]), bulk("hello"));
        // Existing destination: only with REPLACE.
        assert_eq!(run(&mut e, &["copy", "a", "b"]), ":0\r\n");
        assert_eq!(run(&mut e, &["copy", "a", "b", "REPLACE"]), ":1\r\n");
        assert_eq!(run(&mut e, &["get", "b"]), bulk("changed"));
        assert_eq!(e.dbs[0].expire_of(b"b"), None);
        assert_eq!(e.dirty, 3);
    }

    #[test]
    fn keys_command() {
        let mut e = Engine::default();
        for k in ["foo", "foobar", "bar", "f?o", ""] {
            set(&mut e, 0, k, "1");
        }
        e.dbs[0].set_expire(b"bar", T);
        assert_eq!(
            run(&mut e, &["keys", "*"]),
            format!(
                "*4\r\n{}{}{}{}",
                bulk("foo"),
                bulk("foobar"),
                bulk("f?o"),
                bulk("")
            )
        );
        assert_eq!(
            run(&mut e, &["keys", "foo*"]),
            format!("*2\r\n{}{}", bulk("foo"), bulk("foobar"))
        );
        assert_eq!(
            run(&mut e, &["keys", "f?o"]),
            format!("*2\r\n{}{}", bulk("foo"), bulk("f?o"))
        );
        assert_eq!(
            run(&mut e, &["keys", "f\\?o"]),
            format!("*1\r\n{}", bulk("f?o"))
        );
        assert_eq!(run(&mut e, &["keys", "bar"]), "*0\r\n");
        // Only `KEYS *` takes the empty key; `**` goes through the matcher, which
        // never matches an empty string (as Redis).
        assert_eq!(run(&mut e, &["keys", "**"]), {
            format!("*3\r\n{}{}{}", bulk("foo"), bulk("foobar"), bulk("f?o"))
        });
        assert_eq!(run(&mut e, &["keys", ""]), format!("*1\r\n{}", bulk("")));
    }

    #[test]
    fn parse_cursor_like_strtoul() {
        use super::parse_cursor;
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+12"), Some(12));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"0x10"), None);
        assert_eq!(parse_cursor(b"12\0zz"), Some(12));
    }

    #[test]
    fn scan_options_and_errors() {
        let mut e = Engine::default();
        for k in ["a", "b", "c"] {
            set(&mut e, 0, k, "1");
        }
        assert_eq!(run(&mut e, &["scan", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(run(&mut e, &["scan", " 0"]), "-ERR invalid cursor\r\n");
        assert_eq!(
            run(&mut e, &["scan", "0", "count", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, &["scan", "0", "count", "-1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, &["scan", "0", "count", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["scan", "0", "count"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, &["scan", "0", "foo", "bar"]),
            "-ERR syntax error\r\n"
        );
        let all = format!(
            "*2\r\n$1\r\n0\r\n*3\r\n{}{}{}",
            bulk("c"),
            bulk("b"),
            bulk("a")
        );
        assert_eq!(run(&mut e, &["scan", "0"]), all);
        assert_eq!(run(&mut e, &["scan", ""]), all);
        assert_eq!(
            run(&mut e, &["scan", "0", "count", "2"]),
            format!("*2\r\n$1\r\n1\r\n*2\r\n{}{}", bulk("c"), bulk("b"))
        );
        assert_eq!(
            run(&mut e, &["scan", "1", "count", "2"]),
            format!("*2\r\n$1\r\n0\r\n*1\r\n{}", bulk("a"))
        );
        assert_eq!(
            run(&mut e, &["scan", "0", "MATCH", "[ab]", "COUNT", "100"]),
            format!("*2\r\n$1\r\n0\r\n*2\r\n{}{}", bulk("b"), bulk("a"))
        );
        assert_eq!(run(&mut e, &["scan", "0", "type", "STRING"]), all);
        assert_eq!(
            run(&mut e, &["scan", "0", "type", "list"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        // An unknown type is not an error in 7.2: it matches nothing.
        assert_eq!(
            run(&mut e, &["scan", "0", "type", "nosuchtype"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        // Expired keys are skipped.
        e.dbs[0].set_expire(b"b", T);
        assert_eq!(
            run(&mut e, &["scan", "0"]),
            format!("*2\r\n$1\r\n0\r\n*2\r\n{}{}", bulk("c"), bulk("a"))
        );
    }

    fn scan_page(e: &mut Engine, cursor: &str, count: &str) -> (String, Vec<String>) {
        let out = run(e, &["scan", cursor, "count", count]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        let next = lines[2].to_string();
        let keys = lines[4..]
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect();
        (next, keys)
    }

    #[test]
    fn scan_returns_every_surviving_key_while_deleting() {
        let mut e = Engine::default();
        for i in 0..1000 {
            set(&mut e, 0, &format!("key:{i}"), "1");
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut round = 0;
        loop {
            let (next, keys) = scan_page(&mut e, &cursor, "7");
            seen.extend(keys.iter().cloned());
            // Delete some returned keys and some not yet returned (multiples of 3),
            // and add new ones, between calls.
            for k in keys.iter().take(2) {
                run(&mut e, &["del", k]);
            }
            run(&mut e, &["del", &format!("key:{}", round * 3)]);
            set(&mut e, 0, &format!("new:{round}"), "1");
            round += 1;
            cursor = next;
            if cursor == "0" {
                break;
            }
        }
        for i in 0..1000 {
            let k = format!("key:{i}");
            let deleted_early = i % 3 == 0 && i / 3 < round;
            if !deleted_early {
                assert!(seen.contains(&k), "{k} missing from the scan");
            }
        }
    }

    #[test]
    fn scan_with_match_pages_can_be_empty() {
        let mut e = Engine::default();
        for i in 0..50 {
            set(&mut e, 0, &format!("k{i}"), "1");
        }
        let out = run(&mut e, &["scan", "0", "match", "nomatch*"]);
        assert_eq!(out, "*2\r\n$2\r\n40\r\n*0\r\n");
    }

    #[test]
    fn randomkey_command() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, &["randomkey"]), "$-1\r\n");
        set(&mut e, 0, "only", "1");
        assert_eq!(run(&mut e, &["randomkey"]), bulk("only"));
        // All keys expired: null, and nothing deleted by the read.
        e.dbs[0].set_expire(b"only", T);
        for i in 0..300 {
            let k = format!("x{i}");
            set(&mut e, 0, &k, "1");
            e.dbs[0].set_expire(k.as_bytes(), T - 1);
        }
        assert_eq!(run(&mut e, &["randomkey"]), "$-1\r\n");
        assert_eq!(e.dbs[0].len(), 301);
        // One live key among many expired ones is always found.
        set(&mut e, 0, "live", "1");
        for seed in 0..20 {
            let mut reply = Reply::new(Protocol::Resp2);
            let c = lookup(b"randomkey").expect("randomkey");
            e.run(c, 0, T, seed, &[b"randomkey"], &mut reply);
            assert_eq!(String::from_utf8_lossy(&reply.buf), bulk("live"));
        }
        // Same seed, same key.
        let mut e = Engine::default();
        for i in 0..100 {
            set(&mut e, 0, &format!("k{i}"), "1");
        }
        let first = run(&mut e, &["randomkey"]);
        assert_eq!(run(&mut e, &["randomkey"]), first);
    }

    #[test]
    fn flushdb_and_flushall() {
        let mut e = Engine::default();
        set(&mut e, 0, "a", "1");
        set(&mut e, 0, "b", "1");
        set(&mut e, 1, "c", "1");
        assert_eq!(run(&mut e, &["flushdb", "now"]), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut e, &["flushdb", "async", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(run(&mut e, &["flushdb", "ASYNC"]), "+OK\r\n");
        assert_eq!(e.dirty, 2);
        assert_eq!(e.dbs[0].len(), 0);
        assert_eq!(e.dbs[1].len(), 1);
        assert_eq!(run(&mut e, &["flushdb"]), "+OK\r\n");
        assert_eq!(e.dirty, 2);
        assert_eq!(run(&mut e, &["flushall", "x"]), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, &["flushall", "sync"]), "+OK\r\n");
        assert_eq!(e.dirty, 4);
        assert_eq!(e.total_keys(), 0);
    }

    #[test]
    fn swapdb_command() {
        let mut e = Engine::default();
        set(&mut e, 0, "a", "zero");
        e.dbs[0].set_expire(b"a", T + 100);
        set(&mut e, 1, "b", "one");
        assert_eq!(
            run(&mut e, &["swapdb", "x", "1"]),
            "-ERR invalid first DB index\r\n"
        );
        assert_eq!(
            run(&mut e, &["swapdb", "0", "x"]),
            "-ERR invalid second DB index\r\n"
        );
        assert_eq!(
            run(&mut e, &["swapdb", "0", "4294967296"]),
            "-ERR invalid second DB index\r\n"
        );
        assert_eq!(
            run(&mut e, &["swapdb", "0", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            run(&mut e, &["swapdb", "-1", "0"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(run(&mut e, &["swapdb", "1", "0"]), "+OK\r\n");
        assert_eq!(run(&mut e, &["get", "b"]), bulk("one"));
        assert_eq!(run_at(&mut e, 1, T, &["get", "a"]), bulk("zero"));
        assert_eq!(e.dbs[1].expire_of(b"a"), Some(T + 100));
        assert_eq!(run(&mut e, &["swapdb", "2", "2"]), "+OK\r\n");
        assert_eq!(e.dirty, 2);
    }

    #[test]
    fn touch_command() {
        let mut e = Engine::default();
        set(&mut e, 0, "a", "1");
        set(&mut e, 0, "b", "1");
        assert_eq!(
            run_at(&mut e, 0, T + 60_000, &["touch", "a", "x", "b"]),
            ":2\r\n"
        );
        assert_eq!(
            run_at(&mut e, 0, T + 70_000, &["object", "idletime", "a"]),
            ":10\r\n"
        );
    }

    #[test]
    fn object_subcommands() {
        let mut e = Engine::default();
        set(&mut e, 0, "int", "123");
        set(&mut e, 0, "big", "10000");
        set(&mut e, 0, "neg", "-5");
        set(&mut e, 0, "emb", &"x".repeat(44));
        set(&mut e, 0, "raw", &"x".repeat(45));
        set(&mut e, 0, "lead", "09");
        let enc = |e: &mut Engine, k: &str| run(e, &["object", "encoding", k]);
        assert_eq!(enc(&mut e, "int"), bulk("int"));
        assert_eq!(enc(&mut e, "emb"), bulk("embstr"));
        assert_eq!(enc(&mut e, "raw"), bulk("raw"));
        assert_eq!(enc(&mut e, "lead"), bulk("embstr"));
        assert_eq!(enc(&mut e, "nokey"), "$-1\r\n");
        let rc = |e: &mut Engine, k: &str| run(e, &["OBJECT", "REFCOUNT", k]);
        assert_eq!(rc(&mut e, "int"), ":2147483647\r\n");
        assert_eq!(rc(&mut e, "big"), ":1\r\n");
        assert_eq!(rc(&mut e, "neg"), ":1\r\n");
        assert_eq!(rc(&mut e, "emb"), ":1\r\n");
        assert_eq!(rc(&mut e, "nokey"), "$-1\r\n");
        assert_eq!(run(&mut e, &["object", "idletime", "int"]), ":0\r\n");
        assert_eq!(
            run_at(&mut e, 0, T + 5_999, &["object", "idletime", "int"]),
            ":5\r\n"
        );
        // OBJECT itself does not touch the key.
        assert_eq!(
            run_at(&mut e, 0, T + 9_000, &["object", "idletime", "int"]),
            ":9\r\n"
        );
        assert_eq!(run(&mut e, &["object", "idletime", "nokey"]), "$-1\r\n");
        assert_eq!(
            run(&mut e, &["object", "freq", "int"]),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
        );
        assert_eq!(run(&mut e, &["object", "freq", "nokey"]), "$-1\r\n");
        // Expired keys are absent.
        e.dbs[0].set_expire(b"int", T);
        assert_eq!(enc(&mut e, "int"), "$-1\r\n");
        // Dispatcher-level errors.
        assert_eq!(
            run(&mut e, &["object", "foo", "x"]),
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
        );
        assert_eq!(
            run(&mut e, &["object"]),
            "-ERR wrong number of arguments for 'object' command\r\n"
        );
        assert_eq!(
            run(&mut e, &["object", "encoding"]),
            "-ERR wrong number of arguments for 'object|encoding' command\r\n"
        );
        assert_eq!(
            run(&mut e, &["object", "help", "x"]),
            "-ERR wrong number of arguments for 'object|help' command\r\n"
        );
        let help = run(&mut e, &["object", "help"]);
        assert!(help.starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    }

    #[test]
    fn object_under_lfu() {
        let mut e = Engine::default();
        e.dbs[0].lfu = true;
        set(&mut e, 0, "k", "v");
        assert_eq!(run(&mut e, &["object", "freq", "k"]), ":5\r\n");
        // One point of decay per minute since the last decrement.
        assert_eq!(
            run_at(&mut e, 0, T + 3 * 60_000, &["object", "freq", "k"]),
            ":2\r\n"
        );
        assert_eq!(
            run_at(&mut e, 0, T + 60 * 60_000, &["object", "freq", "k"]),
            ":0\r\n"
        );
        assert_eq!(
            run(&mut e, &["object", "idletime", "k"]),
            "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
        );
        assert_eq!(run(&mut e, &["object", "idletime", "nokey"]), "$-1\r\n");
    }

    #[test]
    fn lfu_minute_clock_wraps() {
        use super::lfu_counter;
        // Last decrement at minute 65535, now minute 2 of the next cycle: 2 elapsed.
        let access = (65_535u32 << 8) | 10;
        assert_eq!(lfu_counter(access, 65_536 * 60_000 + 2 * 60_000), 8);
    }
}
