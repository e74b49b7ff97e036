//! Hash commands (Redis's `t_hash.c`): HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN,
//! HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.
//!
//! A hash is an insertion-ordered `Dict` (what Redis's listpack encoding shows for small
//! hashes, and deterministic for large ones); fields are removed with `swap_remove`, and
//! a hash left without fields is deleted. HINCRBYFLOAT computes in 80-bit `long double`
//! like Redis, with the `ld` module of `string.rs`. Random picks (HRANDFIELD) draw from
//! the entry's RNG by position.

use super::keyspace::{parse_cursor, touch_for_write};
use super::string::ld;
use crate::args::is;
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, NOT_FLOAT, NOT_INTEGER, OVERFLOW,
    SYNTAX, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::dict::{new_dict, scan_positions, Dict};
use crate::glob::glob_match;
use crate::object::Value;
use crate::rng::Rng;
use redraft_resp::{parse_i64, Reply};
use std::borrow::Cow;

/// The hash representation.
pub type Hash = Dict<Box<[u8]>>;

pub const COMMANDS: &[EngineCommand] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST, Keys::one(), "hash", "2.0.0", "Creates or modifies the value of a field in a hash.", hset),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, Keys::one(), "hash", "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", hsetnx),
    cmd("hget", 3, READONLY | FAST, Keys::one(), "hash", "2.0.0", "Returns the value of a field in a hash.", hget),
    cmd("hmget", -3, READONLY | FAST, Keys::one(), "hash", "2.0.0", "Returns the values of all fields in a hash.", hmget),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, Keys::one(), "hash", "2.0.0", "Sets the values of multiple fields.", hmset),
    cmd("hdel", -3, WRITE | FAST, Keys::one(), "hash", "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", hdel),
    cmd("hlen", 2, READONLY | FAST, Keys::one(), "hash", "2.0.0", "Returns the number of fields in a hash.", hlen),
    cmd("hstrlen", 3, READONLY | FAST, Keys::one(), "hash", "3.2.0", "Returns the length of the value of a field.", hstrlen),
    cmd("hexists", 3, READONLY | FAST, Keys::one(), "hash", "2.0.0", "Determines whether a field exists in a hash.", hexists),
    cmd("hkeys", 2, READONLY, Keys::one(), "hash", "2.0.0", "Returns all fields in a hash.", hkeys),
    cmd("hvals", 2, READONLY, Keys::one(), "hash", "2.0.0", "Returns all values in a hash.", hvals),
    cmd("hgetall", 2, READONLY, Keys::one(), "hash", "2.0.0", "Returns all fields and values in a hash.", hgetall),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, Keys::one(), "hash", "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", hincrby),
    cmd("hincrbyfloat", 4, WRITE | DENYOOM | FAST, Keys::one(), "hash", "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", hincrbyfloat),
    cmd("hrandfield", -2, READONLY, Keys::one(), "hash", "6.2.0", "Returns one or more random fields from a hash.", hrandfield),
    cmd("hscan", -3, READONLY, Keys::one(), "hash", "2.8.0", "Iterates over fields and values of a hash.", hscan),
];

const fn e(s: &'static str) -> Error {
    Error(Cow::Borrowed(s))
}

pub(crate) const COUNT_RANGE: Error = e(
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);

// ---------------------------------------------------------------------------------------
// Helpers (shared with SORT and the set commands).

/// The hash under `key` for a read command (counts a keyspace hit or miss, records the
/// access): None if absent, WRONGTYPE if not a hash.
pub(crate) fn read_hash<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a Hash>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Hash(h) => Ok(Some(h)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The hash under `key` as a write command first looks at it (no statistics, nothing
/// signalled). An expired key is deleted first, as Redis's `lookupKeyWrite` (which
/// raises its `expired` event).
fn peek_hash<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a Hash>, Error> {
    db.expire_if_needed(key, now);
    match db.peek(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Hash(h) => Ok(Some(h)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The hash under `key` for modification, created empty if absent (the caller checked
/// the type and must not leave it empty).
fn hash_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<&'a mut Hash, Error> {
    if db.peek(key, now).is_none() {
        db.set(key, Value::Hash(Box::new(new_dict())), false, now);
    }
    let lfu = db.lfu;
    let o = db.get_mut(key, now).ok_or(WRONGTYPE)?;
    touch_for_write(o, lfu, now);
    match &mut o.value {
        Value::Hash(h) => Ok(h),
        _ => Err(WRONGTYPE),
    }
}

/// One HRANDFIELD element: the field, and with WITHVALUES the value (a pair in RESP3).
fn emit_field(reply: &mut Reply, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && reply.resp3() {
        reply.array(2);
    }
    reply.bulk(f);
    if withvalues {
        reply.bulk(v);
    }
}

/// Distinct random positions among `n` (k < n), drawn from `rng` (Redis's SRANDMEMBER /
/// HRANDFIELD cases 3 and 4), in the order drawn.
pub(crate) fn distinct_positions(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    if k.saturating_mul(3) > n {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + rng.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k);
        all
    } else {
        let mut seen = std::collections::HashSet::with_capacity(k);
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let p = rng.below(n);
            if seen.insert(p) {
                out.push(p);
            }
        }
        out
    }
}

/// A random count argument of HRANDFIELD/SRANDMEMBER (`-LONG_MAX..=LONG_MAX`).
pub(crate) fn random_count(arg: &[u8]) -> Result<i64, Error> {
    match parse_i64(arg) {
        None => Err(NOT_INTEGER),
        Some(i64::MIN) => Err(COUNT_RANGE),
        Some(v) => Ok(v),
    }
}

/// The `[MATCH pattern] [COUNT count]` options of HSCAN/SSCAN/ZSCAN from `args[start..]`
/// (Redis's `scanGenericCommand` on a key: TYPE is a syntax error there). Returns the
/// count and the pattern (None for none or `*`).
pub(crate) fn scan_options<'a>(
    args: &[&'a [u8]],
    start: usize,
) -> Result<(usize, Option<&'a [u8]>), Error> {
    let mut count: i64 = 10;
    let mut pattern = None;
    let mut i = start;
    while i < args.len() {
        let left = args.len() - i;
        if is(args[i], "count") && left >= 2 {
            count = parse_i64(args[i + 1]).ok_or(NOT_INTEGER)?;
            if count < 1 {
                return Err(SYNTAX);
            }
        } else if is(args[i], "match") && left >= 2 {
            let p = args[i + 1];
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    Ok((usize::try_from(count).unwrap_or(usize::MAX), pattern))
}

/// The empty reply of a scan of a missing key.
pub(crate) fn empty_scan(reply: &mut Reply) {
    reply.array(2);
    reply.bulk(b"0");
    reply.array(0);
}

/// Positions a scan step visits: every element at once (cursor 0) for a collection Redis
/// keeps in a compact encoding (listpack/intset), else `dict::scan_positions`.
pub(crate) fn scan_step(len: usize, compact: bool, cursor: u64, count: usize) -> (u64, Vec<usize>) {
    if compact {
        return (0, (0..len).collect());
    }
    let mut positions = Vec::new();
    let next = scan_positions(len, cursor, count, |p| positions.push(p));
    (next, positions)
}

// ---------------------------------------------------------------------------------------
// Writes.

/// HSET/HMSET key field value [field value ...]
fn hset_generic(ctx: &mut Ctx, hmset: bool) -> CmdResult {
    if ctx.args.len() % 2 == 1 {
        return Err(Error::new(super::wrong_arity(ctx.args)));
    }
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    peek_hash(db, key, now)?;
    let h = hash_mut(db, key, now)?;
    let mut created = 0;
    for pair in ctx.args[2..].chunks_exact(2) {
        if h.insert(pair[0].into(), pair[1].into()).is_none() {
            created += 1;
        }
    }
    db.notify(notify::HASH, "hset", key);
    *ctx.dirty += ((ctx.args.len() - 2) / 2) as u64;
    if hmset {
        ctx.reply.ok();
    } else {
        ctx.reply.int(created);
    }
    Ok(())
}

fn hset(ctx: &mut Ctx) -> CmdResult {
    hset_generic(ctx, false)
}

fn hmset(ctx: &mut Ctx) -> CmdResult {
    hset_generic(ctx, true)
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    if peek_hash(db, key, now)?.is_some_and(|h| h.contains_key(ctx.args[2])) {
        ctx.reply.int(0);
        return Ok(());
    }
    hash_mut(db, key, now)?.insert(ctx.args[2].into(), ctx.args[3].into());
    db.notify(notify::HASH, "hset", key);
    *ctx.dirty += 1;
    ctx.reply.int(1);
    Ok(())
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let fields = &ctx.args[2..];
    let db = &mut ctx.dbs[ctx.db];
    let Some(h) = peek_hash(db, key, now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !fields.iter().any(|f| h.contains_key(*f)) {
        ctx.reply.int(0);
        return Ok(());
    }
    let h = hash_mut(db, key, now)?;
    let mut deleted = 0;
    for f in fields {
        if h.swap_remove(*f).is_some() {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    db.notify(notify::HASH, "hdel", key);
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += deleted as u64;
    ctx.reply.int(deleted);
    Ok(())
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let incr = parse_i64(ctx.args[3]).ok_or(NOT_INTEGER)?;
    let now = ctx.now;
    let (key, field) = (ctx.args[1], ctx.args[2]);
    let db = &mut ctx.dbs[ctx.db];
    let old = match peek_hash(db, key, now)?.and_then(|h| h.get(field)) {
        None => 0,
        Some(v) => parse_i64(v).ok_or_else(|| Error::err("hash value is not an integer"))?,
    };
    let new = old.checked_add(incr).ok_or(OVERFLOW)?;
    hash_mut(db, key, now)?.insert(field.into(), new.to_string().into_bytes().into());
    db.notify(notify::HASH, "hincrby", key);
    *ctx.dirty += 1;
    ctx.reply.int(new);
    Ok(())
}

/// HINCRBYFLOAT key field increment, in `long double`; replies (and stores) the text
/// Redis prints.
fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let incr = ld::parse(ctx.args[3]).ok_or(NOT_FLOAT)?;
    if !incr.is_finite() {
        return Err(Error::err("value is NaN or Infinity"));
    }
    let now = ctx.now;
    let (key, field) = (ctx.args[1], ctx.args[2]);
    let db = &mut ctx.dbs[ctx.db];
    let old = match peek_hash(db, key, now)?.and_then(|h| h.get(field)) {
        None => ld::Ld::ZERO,
        Some(v) => ld::parse(v).ok_or_else(|| Error::err("hash value is not a float"))?,
    };
    let sum = ld::add(old, incr);
    if !sum.is_finite() {
        return Err(Error::err("increment would produce NaN or Infinity"));
    }
    let text = ld::format_human(sum).into_bytes();
    hash_mut(db, key, now)?.insert(field.into(), text.clone().into_boxed_slice());
    db.notify(notify::HASH, "hincrbyfloat", key);
    *ctx.dirty += 1;
    ctx.reply.bulk(&text);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads.

fn hget(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    match read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.and_then(|h| h.get(ctx.args[2])) {
        Some(v) => ctx.reply.bulk(v),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let h = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?;
    let fields = &ctx.args[2..];
    ctx.reply.array(fields.len());
    for f in fields {
        match h.and_then(|h| h.get(*f)) {
            Some(v) => ctx.reply.bulk(v),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn hlen(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let n = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.map_or(0, |h| h.len());
    ctx.reply.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let n = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?
        .and_then(|h| h.get(ctx.args[2]))
        .map_or(0, |v| v.len());
    ctx.reply.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let found = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?
        .is_some_and(|h| h.contains_key(ctx.args[2]));
    ctx.reply.int(found as i64);
    Ok(())
}

/// HKEYS (fields), HVALS (values), HGETALL (a map of both).
fn getall_generic(ctx: &mut Ctx, fields: bool, values: bool) -> CmdResult {
    let now = ctx.now;
    let h = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)?;
    let n = h.map_or(0, |h| h.len());
    if fields && values {
        ctx.reply.map(n);
    } else {
        ctx.reply.array(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if fields {
                ctx.reply.bulk(f);
            }
            if values {
                ctx.reply.bulk(v);
            }
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, true, false)
}

fn hvals(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx) -> CmdResult {
    getall_generic(ctx, true, true)
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    if args.len() >= 3 {
        let l = random_count(args[2])?;
        if args.len() > 4 || (args.len() == 4 && !is(args[3], "withvalues")) {
            return Err(SYNTAX);
        }
        let withvalues = args.len() == 4;
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(Error::err("value is out of range"));
        }
        return hrandfield_count(ctx, l, withvalues);
    }
    let Some(h) = read_hash(&mut ctx.dbs[ctx.db], args[1], now)? else {
        ctx.reply.null();
        return Ok(());
    };
    match h.get_index(ctx.rng.below(h.len())) {
        Some((f, _)) => ctx.reply.bulk(f),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn hrandfield_count(ctx: &mut Ctx, l: i64, withvalues: bool) -> CmdResult {
    let now = ctx.now;
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let Some(h) = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    let reply = &mut *ctx.reply;
    let header = |reply: &mut Reply, n: usize| {
        if withvalues && !reply.resp3() {
            reply.array(n.saturating_mul(2));
        } else {
            reply.array(n);
        }
    };
    let size = h.len();
    if !uniq || count == 1 {
        // With repetitions (a negative count), in random order.
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        header(reply, n);
        for _ in 0..n {
            if let Some((f, v)) = h.get_index(ctx.rng.below(size)) {
                emit_field(reply, f, v, withvalues);
            }
        }
    } else if count >= size as u64 {
        header(reply, size);
        for (f, v) in h.iter() {
            emit_field(reply, f, v, withvalues);
        }
    } else {
        let count = count as usize;
        let mut positions = distinct_positions(ctx.rng, size, count);
        if size <= 128 {
            // A listpack hash: Redis samples in listpack order.
            positions.sort_unstable();
        }
        header(reply, count);
        for p in positions {
            if let Some((f, v)) = h.get_index(p) {
                emit_field(reply, f, v, withvalues);
            }
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is checked before the key
/// is looked up, the options only for an existing key (as Redis).
fn hscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.args[2]).ok_or_else(|| Error::err("invalid cursor"))?;
    let now = ctx.now;
    let Some(h) = read_hash(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        empty_scan(ctx.reply);
        return Ok(());
    };
    let (count, pattern) = scan_options(ctx.args, 3)?;
    let compact = h.len() <= 128 && h.iter().all(|(k, v)| k.len() <= 64 && v.len() <= 64);
    let (next, positions) = scan_step(h.len(), compact, cursor, count);
    let found: Vec<(&[u8], &[u8])> = positions
        .into_iter()
        .filter_map(|p| h.get_index(p))
        .filter(|(k, _)| pattern.is_none_or(|pat| glob_match(pat, k, false)))
        .map(|(k, v)| (&**k, &**v))
        .collect();
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(found.len() * 2);
    for (k, v) in found {
        ctx.reply.bulk(k);
        ctx.reply.bulk(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::{Engine, Protocol};

    #[test]
    fn set_get_and_delete() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "hset h a 1 b 2 c 3"), ":3\r\n");
        assert_eq!(run(&mut e, "hset h a 10 d 4"), ":1\r\n");
        assert_eq!(
            run(&mut e, "hset h a 1 b"),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            run(&mut e, "hmset h a 1 b"),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(run(&mut e, "hmset h e 5"), "+OK\r\n");
        assert_eq!(
            run(&mut e, "hgetall h"),
            bulks(&["a", "10", "b", "2", "c", "3", "d", "4", "e", "5"])
        );
        assert_eq!(run3(&mut e, "hgetall h").lines().next(), Some("%5"));
        assert_eq!(run(&mut e, "hkeys h"), bulks(&["a", "b", "c", "d", "e"]));
        assert_eq!(run(&mut e, "hvals h"), bulks(&["10", "2", "3", "4", "5"]));
        assert_eq!(run(&mut e, "hlen h"), ":5\r\n");
        assert_eq!(run(&mut e, "hget h a"), "$2\r\n10\r\n");
        assert_eq!(run(&mut e, "hget h zz"), "$-1\r\n");
        assert_eq!(run(&mut e, "hmget h a zz"), "*2\r\n$2\r\n10\r\n$-1\r\n");
        assert_eq!(run(&mut e, "hmget nokey a b"), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(run(&mut e, "hsetnx h a 99"), ":0\r\n");
        assert_eq!(run(&mut e, "hsetnx h f 6"), ":1\r\n");
        assert_eq!(run(&mut e, "hexists h f"), ":1\r\n");
        assert_eq!(run3(&mut e, "hexists h zz"), ":0\r\n");
        assert_eq!(run(&mut e, "hstrlen h a"), ":2\r\n");
        assert_eq!(run(&mut e, "hstrlen h zz"), ":0\r\n");
        assert_eq!(run(&mut e, "hdel h zz"), ":0\r\n");
        assert_eq!(run(&mut e, "hdel h a zz b"), ":2\r\n");
        assert_eq!(run(&mut e, "hlen h"), ":4\r\n");
        assert_eq!(run(&mut e, "hgetall nokey"), "*0\r\n");
        assert_eq!(run3(&mut e, "hgetall nokey"), "%0\r\n");
        assert_eq!(run3(&mut e, "hkeys nokey"), "*0\r\n");
        // Deleting the last field deletes the key.
        run(&mut e, "hset one f v g w");
        assert_eq!(run(&mut e, "hdel one f g h"), ":2\r\n");
        assert!(!e.dbs[0].exists(b"one", NOW));
        let before = e.dirty;
        run(&mut e, "hset d x 1 y 2");
        assert_eq!(e.dirty - before, 2);
    }

    #[test]
    fn wrong_type() {
        let mut e = Engine::default();
        run(&mut e, "set s v");
        for line in [
            "hget s a",
            "hmget s a",
            "hset s a 1",
            "hmset s a 1",
            "hsetnx s a 1",
            "hgetall s",
            "hkeys s",
            "hvals s",
            "hlen s",
            "hexists s a",
            "hstrlen s a",
            "hdel s a",
            "hincrby s a 1",
            "hincrbyfloat s a 1",
            "hrandfield s",
            "hrandfield s 1",
            "hscan s 0",
        ] {
            assert_eq!(run(&mut e, line), WRONGTYPE_ERR, "{line}");
        }
    }

    #[test]
    fn counters() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "hincrby c n 5"), ":5\r\n");
        assert_eq!(run(&mut e, "hincrby c n -10"), ":-5\r\n");
        assert_eq!(
            run(&mut e, "hincrby c n x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        run(&mut e, "hset c s abc big 9223372036854775807 lead 01");
        assert_eq!(
            run(&mut e, "hincrby c s 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            run(&mut e, "hincrby c lead 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            run(&mut e, "hincrby c big 1"),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(run(&mut e, "hincrby c big -1"), ":9223372036854775806\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c f 10.5"), "$4\r\n10.5\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c f 0.1"), "$4\r\n10.6\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c f -10.6"), "$1\r\n0\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c g 0x10"), "$2\r\n16\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c g 1e4"), "$5\r\n10016\r\n");
        assert_eq!(run(&mut e, "hincrbyfloat c n 1.5"), "$4\r\n-3.5\r\n");
        assert_eq!(
            run(&mut e, "hincrbyfloat c f x"),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            run(&mut e, "hincrbyfloat c f nan"),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            run(&mut e, "hincrbyfloat c f inf"),
            "-ERR value is NaN or Infinity\r\n"
        );
        assert_eq!(
            run(&mut e, "hincrbyfloat c s 1"),
            "-ERR hash value is not a float\r\n"
        );
        run(&mut e, "hincrbyfloat c h 1e4932");
        assert_eq!(
            run(&mut e, "hincrbyfloat c h 1e4932"),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        assert_eq!(run(&mut e, "hget c f"), "$1\r\n0\r\n");
    }

    #[test]
    fn randfield() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "hrandfield nokey"), "$-1\r\n");
        assert_eq!(run(&mut e, "hrandfield nokey 5"), "*0\r\n");
        assert_eq!(run(&mut e, "hrandfield nokey -5 withvalues"), "*0\r\n");
        run(&mut e, "hset h a 1 b 2 c 3 d 4");
        assert_eq!(
            run(&mut e, "hrandfield h x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(run(&mut e, "hrandfield h 1 foo"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut e, "hrandfield h 1 withvalues x"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut e, "hrandfield h -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(
            run(&mut e, "hrandfield h 4611686018427387904 withvalues"),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(run(&mut e, "hrandfield h 0"), "*0\r\n");
        // A count at least the size: the whole hash, in order.
        assert_eq!(run(&mut e, "hrandfield h 10"), bulks(&["a", "b", "c", "d"]));
        assert_eq!(
            run(&mut e, "hrandfield h 4 withvalues"),
            bulks(&["a", "1", "b", "2", "c", "3", "d", "4"])
        );
        assert_eq!(
            run3(&mut e, "hrandfield h 1 withvalues")
                .lines()
                .take(2)
                .collect::<Vec<_>>(),
            ["*1", "*2"]
        );
        // Distinct fields, in hash order for a small hash.
        let out = run(&mut e, "hrandfield h 3");
        assert!(out.starts_with("*3\r\n"));
        let fields: Vec<&str> = out.lines().skip(2).step_by(2).collect();
        let mut sorted = fields.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(fields, sorted);
        // Repetitions allowed with a negative count.
        run(&mut e, "hset one f v");
        assert_eq!(run(&mut e, "hrandfield one -3"), bulks(&["f", "f", "f"]));
        assert_eq!(
            run(&mut e, "hrandfield one -2 withvalues"),
            bulks(&["f", "v", "f", "v"])
        );
        assert_eq!(
            run3(&mut e, "hrandfield one -2 withvalues"),
            "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
        );
        assert_eq!(run(&mut e, "hrandfield one"), "$1\r\nf\r\n");
        // Same seed, same picks.
        let mut big = String::from("hset big");
        for i in 0..300 {
            big.push_str(&format!(" f{i} v{i}"));
        }
        run(&mut e, &big);
        let a = exec(&mut e, Protocol::Resp2, 42, &words("hrandfield big 20"));
        let b = exec(&mut e, Protocol::Resp2, 42, &words("hrandfield big 20"));
        let c = exec(&mut e, Protocol::Resp2, 43, &words("hrandfield big 20"));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn scan() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "hscan nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(run(&mut e, "hscan nokey x"), "-ERR invalid cursor\r\n");
        // Options are only checked for an existing key.
        assert_eq!(
            run(&mut e, "hscan nokey 0 count 0"),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        run(&mut e, "hset h a 1 b 2 c 3");
        assert_eq!(run(&mut e, "hscan h 0 count 0"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut e, "hscan h 0 count x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(run(&mut e, "hscan h 0 type hash"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "hscan h 0 count"), "-ERR syntax error\r\n");
        // A small hash comes whole, whatever the cursor and count.
        let all = "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n";
        assert_eq!(run(&mut e, "hscan h 0 count 1"), all);
        assert_eq!(run(&mut e, "hscan h 7"), all);
        assert_eq!(
            run(&mut e, "hscan h 0 match b*"),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        // A large one pages, and every field present throughout is returned.
        let mut big = String::from("hset big");
        for i in 0..500 {
            big.push_str(&format!(" f{i} v{i}"));
        }
        run(&mut e, &big);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let out = run(&mut e, &format!("hscan big {cursor} count 50"));
            let lines: Vec<&str> = out.lines().collect();
            cursor = lines[2].to_string();
            for pair in lines[4..].chunks(4) {
                assert_eq!(&pair[1][1..], &pair[3][1..]);
                seen.insert(pair[1].to_string());
            }
            calls += 1;
            // Deleting while scanning loses nothing that stays.
            if calls == 3 {
                run(&mut e, "hdel big f499 f498 f0");
            }
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 5);
        for i in 1..498 {
            assert!(seen.contains(&format!("f{i}")), "f{i}");
        }
    }
}
