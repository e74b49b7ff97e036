//! Set commands (Redis's `t_set.c`): SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER,
//! SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION,
//! SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN.
//!
//! A set is an insertion-ordered `Dict` of members. Its iteration order follows what
//! Redis 7.2 shows, as far as it is a function of the contents: a set of at most 512
//! integers (Redis's `intset`) iterates in numeric order; a set whose first non-integer
//! member arrives while it holds only integers is reordered numerically first (Redis
//! converts the intset, in order, to a listpack and appends); otherwise members come in
//! insertion order (Redis's listpack; its hashtable order is arbitrary anyway). Members
//! are removed with `swap_remove`, and an emptied set is deleted. Random picks (SPOP,
//! SRANDMEMBER) draw from the entry's RNG by position.

use super::hash::{distinct_positions, empty_scan, random_count, scan_options, scan_step};
use super::keyspace::{parse_cursor, touch_for_write};
use crate::args::is;
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, SYNTAX, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::dict::{new_dict, Dict};
use crate::glob::glob_match;
use crate::object::Value;
use redraft_resp::parse_i64;
use std::borrow::Cow;

/// The set representation.
pub type Set = Dict<()>;

/// Redis's `set-max-intset-entries`.
const MAX_INTSET: usize = 512;
/// Redis's `set-max-listpack-entries` and `set-max-listpack-value`.
const MAX_LISTPACK: usize = 128;
const MAX_LISTPACK_VALUE: usize = 64;

const TWO: Keys = Keys::Range {
    first: 1,
    last: 2,
    step: 1,
};
const SINTERCARD_KEYS: Keys = Keys::Keynum {
    numkeys: 1,
    first: 2,
    step: 1,
};

pub const COMMANDS: &[EngineCommand] = &[
    cmd("sadd", -3, WRITE | DENYOOM | FAST, Keys::one(), "set", "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", sadd),
    cmd("srem", -3, WRITE | FAST, Keys::one(), "set", "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", srem),
    cmd("smembers", 2, READONLY, Keys::one(), "set", "1.0.0", "Returns all members of a set.", smembers),
    cmd("sismember", 3, READONLY | FAST, Keys::one(), "set", "1.0.0", "Determines whether a member belongs to a set.", sismember),
    cmd("smismember", -3, READONLY | FAST, Keys::one(), "set", "6.2.0", "Determines whether multiple members belong to a set.", smismember),
    cmd("scard", 2, READONLY | FAST, Keys::one(), "set", "1.0.0", "Returns the number of members in a set.", scard),
    cmd("spop", -2, WRITE | FAST, Keys::one(), "set", "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", spop),
    cmd("srandmember", -2, READONLY, Keys::one(), "set", "1.0.0", "Get one or multiple random members from a set", srandmember),
    cmd("smove", 4, WRITE | FAST, TWO, "set", "1.0.0", "Moves a member from one set to another.", smove),
    cmd("sinter", -2, READONLY, Keys::all(), "set", "1.0.0", "Returns the intersect of multiple sets.", sinter),
    cmd("sintercard", -3, READONLY, SINTERCARD_KEYS, "set", "7.0.0", "Returns the number of members of the intersect of multiple sets.", sintercard),
    cmd("sinterstore", -3, WRITE | DENYOOM, Keys::all(), "set", "1.0.0", "Stores the intersect of multiple sets in a key.", sinterstore),
    cmd("sunion", -2, READONLY, Keys::all(), "set", "1.0.0", "Returns the union of multiple sets.", sunion),
    cmd("sunionstore", -3, WRITE | DENYOOM, Keys::all(), "set", "1.0.0", "Stores the union of multiple sets in a key.", sunionstore),
    cmd("sdiff", -2, READONLY, Keys::all(), "set", "1.0.0", "Returns the difference of multiple sets.", sdiff),
    cmd("sdiffstore", -3, WRITE | DENYOOM, Keys::all(), "set", "1.0.0", "Stores the difference of multiple sets in a key.", sdiffstore),
    cmd("sscan", -3, READONLY, Keys::one(), "set", "2.8.0", "Iterates over members of a set.", sscan),
];

const fn e(s: &'static str) -> Error {
    Error(Cow::Borrowed(s))
}

const MUST_BE_POSITIVE: Error = e("ERR value is out of range, must be positive");

// ---------------------------------------------------------------------------------------
// Helpers (shared with SORT).

/// The set under `key` for a read command (counts a keyspace hit or miss, records the
/// access): None if absent, WRONGTYPE if not a set.
pub(crate) fn read_set<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a Set>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Set(s) => Ok(Some(s)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The set under `key` without statistics or signalling.
fn peek_set<'a>(db: &'a Db, key: &[u8], now: i64) -> Result<Option<&'a Set>, Error> {
    match db.peek(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Set(s) => Ok(Some(s)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The set under `key` for modification, created empty if absent (the caller checked
/// the type and must not leave it empty).
fn set_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<&'a mut Set, Error> {
    if db.peek(key, now).is_none() {
        db.set(key, Value::Set(Box::new(new_dict())), false, now);
    }
    let lfu = db.lfu;
    let o = db.get_mut(key, now).ok_or(WRONGTYPE)?;
    touch_for_write(o, lfu, now);
    match &mut o.value {
        Value::Set(s) => Ok(s),
        _ => Err(WRONGTYPE),
    }
}

/// True if the set is what Redis keeps as an intset: at most 512 members, all integers.
fn is_intset(s: &Set) -> bool {
    s.len() <= MAX_INTSET && s.keys().all(|m| parse_i64(m).is_some())
}

/// True if Redis would keep the set compact (intset or listpack): SSCAN returns it whole.
fn is_compact(s: &Set) -> bool {
    is_intset(s) || (s.len() <= MAX_LISTPACK && s.keys().all(|m| m.len() <= MAX_LISTPACK_VALUE))
}

/// Adds a member, as Redis's `setTypeAdd` orders it: the first non-integer member added
/// to an intset-like set first puts the integers in numeric order.
pub(crate) fn add_member(s: &mut Set, m: &[u8]) -> bool {
    if s.contains_key(m) {
        return false;
    }
    if !s.is_empty() && parse_i64(m).is_none() && is_intset(s) {
        s.sort_by_cached_key(|k, _| parse_i64(k).unwrap_or(0));
    }
    s.insert(m.into(), ());
    true
}

/// The members in Redis's iteration order (numeric for an intset-like set).
pub(crate) fn members(s: &Set) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = s.keys().map(|k| &**k).collect();
    if is_intset(s) {
        v.sort_by_cached_key(|k| parse_i64(k).unwrap_or(0));
    }
    v
}

fn reply_set(reply: &mut redraft_resp::Reply, members: &[&[u8]]) {
    reply.set(members.len());
    for m in members {
        reply.bulk(m);
    }
}

// ---------------------------------------------------------------------------------------
// Writes.

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let new = ctx.args[2..].iter();
    if let Some(s) = peek_set(db, key, now)? {
        let mut fresh = new.clone();
        if !fresh.any(|m| !s.contains_key(*m)) {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    let s = set_mut(db, key, now)?;
    let added = new.filter(|m| add_member(s, m)).count();
    if added > 0 {
        db.notify(notify::SET, "sadd", key);
    }
    *ctx.dirty += added as u64;
    ctx.reply.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    // A write meeting an expired key deletes it first (Redis's `lookupKeyWrite`).
    db.expire_if_needed(key, now);
    let Some(s) = peek_set(db, key, now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !ctx.args[2..].iter().any(|m| s.contains_key(*m)) {
        ctx.reply.int(0);
        return Ok(());
    }
    let s = set_mut(db, key, now)?;
    let mut deleted = 0;
    for m in &ctx.args[2..] {
        if s.swap_remove(*m).is_some() {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let emptied = s.is_empty();
    db.notify(notify::SET, "srem", key);
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += deleted as u64;
    ctx.reply.int(deleted);
    Ok(())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let (src, dst, m) = (ctx.args[1], ctx.args[2], ctx.args[3]);
    let db = &mut ctx.dbs[ctx.db];
    // Redis looks both keys up for writing (deleting expired ones) before any check.
    db.expire_if_needed(src, now);
    db.expire_if_needed(dst, now);
    let Some(s) = peek_set(db, src, now)? else {
        // A missing source wins over a destination of the wrong type.
        ctx.reply.int(0);
        return Ok(());
    };
    let has = s.contains_key(m);
    peek_set(db, dst, now)?;
    if src == dst {
        ctx.reply.int(has as i64);
        return Ok(());
    }
    if !has {
        ctx.reply.int(0);
        return Ok(());
    }
    let s = set_mut(db, src, now)?;
    s.swap_remove(m);
    let emptied = s.is_empty();
    db.notify(notify::SET, "srem", src);
    if emptied {
        db.remove(src);
        db.notify(notify::GENERIC, "del", src);
    }
    *ctx.dirty += 1;
    let already = peek_set(db, dst, now)?.is_some_and(|d| d.contains_key(m));
    if !already {
        add_member(set_mut(db, dst, now)?, m);
        db.notify(notify::SET, "sadd", dst);
        *ctx.dirty += 1;
    }
    ctx.reply.int(1);
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx) -> CmdResult {
    match ctx.args.len() {
        2 => {}
        3 => return spop_count(ctx),
        _ => return Err(SYNTAX),
    }
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    if peek_set(db, key, now)?.is_none() {
        ctx.reply.null();
        return Ok(());
    }
    let s = set_mut(db, key, now)?;
    let p = ctx.rng.below(s.len());
    let Some((m, ())) = s.swap_remove_index(p) else {
        ctx.reply.null();
        return Ok(());
    };
    let emptied = s.is_empty();
    db.notify(notify::SET, "spop", key);
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += 1;
    ctx.reply.bulk(&m);
    Ok(())
}

fn spop_count(ctx: &mut Ctx) -> CmdResult {
    let count = match parse_i64(ctx.args[2]) {
        Some(v) if v >= 0 => v as u64,
        _ => return Err(MUST_BE_POSITIVE),
    };
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    let Some(s) = peek_set(db, key, now)? else {
        ctx.reply.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set(0);
        return Ok(());
    }
    let size = s.len();
    if count >= size as u64 {
        reply_set(ctx.reply, &members(s));
        db.notify(notify::SET, "spop", key);
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
        *ctx.dirty += size as u64;
        return Ok(());
    }
    let s = set_mut(db, key, now)?;
    let count = count as usize;
    ctx.reply.set(count);
    for _ in 0..count {
        let p = ctx.rng.below(s.len());
        if let Some((m, ())) = s.swap_remove_index(p) {
            ctx.reply.bulk(&m);
        }
    }
    db.notify(notify::SET, "spop", key);
    *ctx.dirty += count as u64;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads.

fn smembers(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    match read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)? {
        Some(s) => reply_set(ctx.reply, &members(s)),
        None => ctx.reply.set(0),
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let found = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)?
        .is_some_and(|s| s.contains_key(ctx.args[2]));
    ctx.reply.int(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let s = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)?;
    let ms = &ctx.args[2..];
    ctx.reply.array(ms.len());
    for m in ms {
        ctx.reply.int(s.is_some_and(|s| s.contains_key(*m)) as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let n = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.map_or(0, |s| s.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx) -> CmdResult {
    match ctx.args.len() {
        2 => {}
        3 => return srandmember_count(ctx),
        _ => return Err(SYNTAX),
    }
    let now = ctx.now;
    let Some(s) = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        ctx.reply.null();
        return Ok(());
    };
    match s.get_index(ctx.rng.below(s.len())) {
        Some((m, ())) => ctx.reply.bulk(m),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn srandmember_count(ctx: &mut Ctx) -> CmdResult {
    let l = random_count(ctx.args[2])?;
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let now = ctx.now;
    let Some(s) = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    let size = s.len();
    if !uniq || count == 1 {
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        ctx.reply.array(n);
        for _ in 0..n {
            if let Some((m, ())) = s.get_index(ctx.rng.below(size)) {
                ctx.reply.bulk(m);
            }
        }
        return Ok(());
    }
    if count >= size as u64 {
        let all = members(s);
        ctx.reply.array(all.len());
        for m in all {
            ctx.reply.bulk(m);
        }
        return Ok(());
    }
    let count = count as usize;
    let mut positions = distinct_positions(ctx.rng, size, count);
    if !is_intset(s) && is_compact(s) {
        // A listpack set: Redis samples in listpack order.
        positions.sort_unstable();
    }
    ctx.reply.array(count);
    for p in positions {
        if let Some((m, ())) = s.get_index(p) {
            ctx.reply.bulk(m);
        }
    }
    Ok(())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx) -> CmdResult {
    let cursor = parse_cursor(ctx.args[2]).ok_or_else(|| Error::err("invalid cursor"))?;
    let now = ctx.now;
    let Some(s) = read_set(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        empty_scan(ctx.reply);
        return Ok(());
    };
    let (count, pattern) = scan_options(ctx.args, 3)?;
    let matches = |m: &[u8]| pattern.is_none_or(|pat| glob_match(pat, m, false));
    let (next, found): (u64, Vec<&[u8]>) = if is_compact(s) {
        (0, members(s).into_iter().filter(|m| matches(m)).collect())
    } else {
        let (next, positions) = scan_step(s.len(), false, cursor, count);
        let found = positions
            .into_iter()
            .filter_map(|p| s.get_index(p))
            .map(|(m, ())| &**m)
            .filter(|m| matches(m))
            .collect();
        (next, found)
    };
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(found.len());
    for m in found {
        ctx.reply.bulk(m);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Algebra.

/// Looks up every key as Redis's `lookupKeyRead` (statistics, WRONGTYPE in key order),
/// then returns the sets (None for a missing key).
fn load_sets<'a>(db: &'a mut Db, keys: &[&[u8]], now: i64) -> Result<Vec<Option<&'a Set>>, Error> {
    for k in keys {
        read_set(db, k, now)?;
    }
    let db: &'a Db = db;
    keys.iter().map(|k| peek_set(db, k, now)).collect()
}

/// The intersection, in the order of the smallest set; `limit` stops early (0: none).
fn intersect<'a>(sets: &[Option<&'a Set>], limit: usize) -> Option<Vec<&'a [u8]>> {
    let mut sets: Vec<&Set> = sets.iter().copied().collect::<Option<Vec<_>>>()?;
    sets.sort_by_key(|s| s.len());
    let (first, rest) = sets.split_first()?;
    let mut out = Vec::new();
    for m in members(first) {
        if rest
            .iter()
            .all(|s| std::ptr::eq(*s, *first) || s.contains_key(m))
        {
            out.push(m);
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    Some(out)
}

/// Union (`diff` false) or difference of the sets, built in Redis's order.
fn union_diff(sets: &[Option<&Set>], diff: bool) -> Set {
    let mut out: Set = new_dict();
    if diff {
        let Some(Some(first)) = sets.first() else {
            return out;
        };
        if sets[1..]
            .iter()
            .any(|s| s.is_some_and(|s| std::ptr::eq(s, *first)))
        {
            return out;
        }
        for m in members(first) {
            if !sets[1..]
                .iter()
                .any(|s| s.is_some_and(|s| s.contains_key(m)))
            {
                add_member(&mut out, m);
            }
        }
    } else {
        for s in sets.iter().flatten() {
            for m in members(s) {
                add_member(&mut out, m);
            }
        }
    }
    out
}

/// Stores a computed set (or deletes the destination for an empty one) and replies its
/// size, as the *STORE commands; `event` is the command's keyspace event.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let n = result.len();
    if n > 0 {
        db.set(dst, Value::Set(Box::new(result)), false, now);
        db.notify(notify::SET, event, dst);
        *ctx.dirty += 1;
    } else if db.remove(dst).is_some() {
        // As Redis's `dbDelete`: even a key past its deadline is deleted (and `del`).
        db.notify(notify::GENERIC, "del", dst);
        *ctx.dirty += 1;
    }
    ctx.reply.int(n as i64);
}

fn sinter(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let sets = load_sets(&mut ctx.dbs[ctx.db], &ctx.args[1..], now)?;
    let out = intersect(&sets, 0).unwrap_or_default();
    reply_set(ctx.reply, &out);
    Ok(())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let numkeys = match parse_i64(args[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(Error::err("numkeys should be greater than 0")),
    };
    if numkeys > (args.len() - 2) as u64 {
        return Err(Error::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if is(args[j], "limit") && j + 1 < args.len() {
            j += 1;
            limit = match parse_i64(args[j]) {
                Some(v) if v >= 0 => usize::try_from(v).unwrap_or(usize::MAX),
                _ => return Err(Error::err("LIMIT can't be negative")),
            };
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let now = ctx.now;
    let sets = load_sets(&mut ctx.dbs[ctx.db], &args[2..2 + numkeys], now)?;
    let n = intersect(&sets, limit).map_or(0, |v| v.len());
    ctx.reply.int(n as i64);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let sets = load_sets(&mut ctx.dbs[ctx.db], &ctx.args[2..], now)?;
    let mut result: Set = new_dict();
    for m in intersect(&sets, 0).unwrap_or_default() {
        add_member(&mut result, m);
    }
    store(ctx, ctx.args[1], result, "sinterstore");
    Ok(())
}

fn sunion_diff(ctx: &mut Ctx, diff: bool, store_to: Option<&[u8]>) -> CmdResult {
    let now = ctx.now;
    let first = if store_to.is_some() { 2 } else { 1 };
    let sets = load_sets(&mut ctx.dbs[ctx.db], &ctx.args[first..], now)?;
    let result = union_diff(&sets, diff);
    match store_to {
        Some(dst) => {
            let event = if diff { "sdiffstore" } else { "sunionstore" };
            store(ctx, dst, result, event)
        }
        None => reply_set(ctx.reply, &members(&result)),
    }
    Ok(())
}

fn sunion(ctx: &mut Ctx) -> CmdResult {
    sunion_diff(ctx, false, None)
}

fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    sunion_diff(ctx, false, Some(ctx.args[1]))
}

fn sdiff(ctx: &mut Ctx) -> CmdResult {
    sunion_diff(ctx, true, None)
}

fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    sunion_diff(ctx, true, Some(ctx.args[1]))
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use crate::{Engine, Protocol};

    #[test]
    fn add_remove_and_order() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "sadd s 3 1 2"), ":3\r\n");
        // Integers only: numeric order (Redis's intset).
        assert_eq!(run(&mut e, "smembers s"), bulks(&["1", "2", "3"]));
        assert_eq!(run(&mut e, "sadd s 2 b"), ":1\r\n");
        // The intset became a listpack in order, then appended.
        assert_eq!(run(&mut e, "smembers s"), bulks(&["1", "2", "3", "b"]));
        assert_eq!(run(&mut e, "sadd t b 2 1"), ":3\r\n");
        assert_eq!(run(&mut e, "smembers t"), bulks(&["b", "2", "1"]));
        assert_eq!(run3(&mut e, "smembers t").lines().next(), Some("~3"));
        assert_eq!(run3(&mut e, "smembers nokey"), "~0\r\n");
        assert_eq!(run(&mut e, "smembers nokey"), "*0\r\n");
        assert_eq!(run(&mut e, "scard s"), ":4\r\n");
        assert_eq!(run(&mut e, "scard nokey"), ":0\r\n");
        assert_eq!(run(&mut e, "sismember s b"), ":1\r\n");
        assert_eq!(run(&mut e, "sismember s zz"), ":0\r\n");
        assert_eq!(
            run(&mut e, "smismember s b zz 1"),
            "*3\r\n:1\r\n:0\r\n:1\r\n"
        );
        assert_eq!(run(&mut e, "smismember nokey a"), "*1\r\n:0\r\n");
        assert_eq!(run(&mut e, "srem s zz"), ":0\r\n");
        assert_eq!(run(&mut e, "srem s 1 zz b"), ":2\r\n");
        assert_eq!(run(&mut e, "srem nokey a"), ":0\r\n");
        run(&mut e, "sadd two x y");
        assert_eq!(run(&mut e, "srem two x y z"), ":2\r\n");
        assert!(!e.dbs[0].exists(b"two", NOW));
        let before = e.dirty;
        assert_eq!(run(&mut e, "sadd d a b a"), ":2\r\n");
        assert_eq!(e.dirty - before, 2);
        run(&mut e, "set str v");
        for line in [
            "sadd str a",
            "srem str a",
            "smembers str",
            "sismember str a",
            "smismember str a",
            "scard str",
            "spop str",
            "spop str 1",
            "srandmember str",
            "srandmember str 1",
            "sinter str",
            "sintercard 1 str",
            "sunion str",
            "sdiff str",
            "sinterstore d str",
            "sscan str 0",
        ] {
            assert_eq!(run(&mut e, line), WRONGTYPE_ERR, "{line}");
        }
    }

    #[test]
    fn smove_cases() {
        let mut e = Engine::default();
        run(&mut e, "sadd a 1 2 3");
        run(&mut e, "set str v");
        assert_eq!(run(&mut e, "smove nokey str x"), ":0\r\n");
        assert_eq!(run(&mut e, "smove str a x"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "smove a str 1"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "smove a a 1"), ":1\r\n");
        assert_eq!(run(&mut e, "smove a a 9"), ":0\r\n");
        assert_eq!(run(&mut e, "smove a b 9"), ":0\r\n");
        assert_eq!(run(&mut e, "smove a b 1"), ":1\r\n");
        assert_eq!(run(&mut e, "smembers a"), bulks(&["2", "3"]));
        assert_eq!(run(&mut e, "smembers b"), bulks(&["1"]));
        run(&mut e, "sadd b 2");
        let before = e.dirty;
        assert_eq!(run(&mut e, "smove a b 2"), ":1\r\n");
        assert_eq!(e.dirty - before, 1);
        run(&mut e, "smove a b 3");
        assert!(!e.dbs[0].exists(b"a", NOW));
        assert_eq!(run(&mut e, "smembers b"), bulks(&["1", "2", "3"]));
    }

    #[test]
    fn pop_and_random() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "spop nokey"), "$-1\r\n");
        assert_eq!(run(&mut e, "spop nokey 3"), "*0\r\n");
        assert_eq!(run3(&mut e, "spop nokey 3"), "~0\r\n");
        run(&mut e, "sadd s a b c d e");
        assert_eq!(
            run(&mut e, "spop s x"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            run(&mut e, "spop s -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(run(&mut e, "spop s 0"), "*0\r\n");
        assert_eq!(run(&mut e, "spop s 1 2"), "-ERR syntax error\r\n");
        let out = run3(&mut e, "spop s 2");
        assert!(out.starts_with("~2\r\n"), "{out}");
        assert_eq!(run(&mut e, "scard s"), ":3\r\n");
        let before = e.dirty;
        assert_eq!(run(&mut e, "spop s 10").lines().next(), Some("*3"));
        assert_eq!(e.dirty - before, 3);
        assert!(!e.dbs[0].exists(b"s", NOW));
        run(&mut e, "sadd one x");
        assert_eq!(run(&mut e, "spop one"), "$1\r\nx\r\n");
        assert!(!e.dbs[0].exists(b"one", NOW));

        assert_eq!(run(&mut e, "srandmember nokey"), "$-1\r\n");
        assert_eq!(run(&mut e, "srandmember nokey 5"), "*0\r\n");
        assert_eq!(run(&mut e, "srandmember nokey -5"), "*0\r\n");
        run(&mut e, "sadd r 3 1 2");
        assert_eq!(run(&mut e, "srandmember r 0"), "*0\r\n");
        assert_eq!(run(&mut e, "srandmember r 100"), bulks(&["1", "2", "3"]));
        assert_eq!(run3(&mut e, "srandmember r 100").lines().next(), Some("*3"));
        assert_eq!(
            run(&mut e, "srandmember r x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut e, "srandmember r -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(run(&mut e, "srandmember r 1 2"), "-ERR syntax error\r\n");
        run(&mut e, "sadd single x");
        assert_eq!(
            run(&mut e, "srandmember single -3"),
            bulks(&["x", "x", "x"])
        );
        let out = run(&mut e, "srandmember r 2");
        let picked: Vec<&str> = out.lines().skip(2).step_by(2).collect();
        assert_eq!(picked.len(), 2);
        assert_ne!(picked[0], picked[1]);
    }

    #[test]
    fn spop_is_deterministic_per_seed() {
        let fill = || {
            let mut e = Engine::default();
            let mut line = String::from("sadd s");
            for i in 0..1000 {
                line.push_str(&format!(" m{i}"));
            }
            run(&mut e, &line);
            e
        };
        let (mut a, mut b, mut c) = (fill(), fill(), fill());
        let pa = exec(&mut a, Protocol::Resp2, 99, &words("spop s 10"));
        let pb = exec(&mut b, Protocol::Resp2, 99, &words("spop s 10"));
        let pc = exec(&mut c, Protocol::Resp2, 100, &words("spop s 10"));
        assert_eq!(pa, pb);
        assert_ne!(pa, pc);
        // Both nodes are left with the same members in the same order.
        assert_eq!(run(&mut a, "smembers s"), run(&mut b, "smembers s"));
        assert_eq!(
            exec(&mut a, Protocol::Resp2, 5, &words("srandmember s 30")),
            exec(&mut b, Protocol::Resp2, 5, &words("srandmember s 30"))
        );
        assert_eq!(
            exec(&mut a, Protocol::Resp2, 6, &words("spop s")),
            exec(&mut b, Protocol::Resp2, 6, &words("spop s"))
        );
    }

    #[test]
    fn algebra() {
        let mut e = Engine::default();
        run(&mut e, "sadd a1 1 2 3 4");
        run(&mut e, "sadd a2 3 4 5");
        run(&mut e, "sadd a3 x 3");
        assert_eq!(run(&mut e, "sinter a1 a2"), bulks(&["3", "4"]));
        assert_eq!(run(&mut e, "sinter a1 a2 a3"), bulks(&["3"]));
        assert_eq!(run(&mut e, "sinter a1 nokey"), "*0\r\n");
        assert_eq!(run3(&mut e, "sinter a1 nokey"), "~0\r\n");
        assert_eq!(run(&mut e, "sinter a1 a1"), bulks(&["1", "2", "3", "4"]));
        assert_eq!(
            run(&mut e, "sunion a1 a2"),
            bulks(&["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            run(&mut e, "sunion a3 a1"),
            bulks(&["x", "3", "1", "2", "4"])
        );
        assert_eq!(run(&mut e, "sunion nokey"), "*0\r\n");
        assert_eq!(run(&mut e, "sdiff a1 a2"), bulks(&["1", "2"]));
        assert_eq!(run(&mut e, "sdiff a1 a2 a3"), bulks(&["1", "2"]));
        assert_eq!(run(&mut e, "sdiff a1 a1"), "*0\r\n");
        assert_eq!(run(&mut e, "sdiff a1 nokey a2"), bulks(&["1", "2"]));
        assert_eq!(run(&mut e, "sdiff nokey a1"), "*0\r\n");
        assert_eq!(run(&mut e, "sinterstore d a1 a2"), ":2\r\n");
        assert_eq!(run(&mut e, "smembers d"), bulks(&["3", "4"]));
        assert_eq!(run(&mut e, "sinterstore d a1 nokey"), ":0\r\n");
        assert!(!e.dbs[0].exists(b"d", NOW));
        // STORE replaces a value of any type, deadline included.
        run(&mut e, "set dstr v");
        e.dbs[0].set_expire(b"dstr", NOW + 1000);
        assert_eq!(run(&mut e, "sunionstore dstr a1 a2"), ":5\r\n");
        assert_eq!(run(&mut e, "type dstr"), "+set\r\n");
        assert_eq!(e.dbs[0].expire_of(b"dstr"), None);
        assert_eq!(run(&mut e, "sdiffstore d a1 a2"), ":2\r\n");
        assert_eq!(run(&mut e, "sdiffstore d a1 a1"), ":0\r\n");
        assert!(!e.dbs[0].exists(b"d", NOW));
        for (line, out) in [
            (
                "sintercard 0 a1",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "sintercard x a1",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "sintercard 3 a1 a2",
                "-ERR Number of keys can't be greater than number of args\r\n",
            ),
            ("sintercard 2 a1 a2", ":2\r\n"),
            ("sintercard 2 a1 a2 limit 1", ":1\r\n"),
            ("sintercard 2 a1 a2 limit 0", ":2\r\n"),
            (
                "sintercard 2 a1 a2 limit -1",
                "-ERR LIMIT can't be negative\r\n",
            ),
            (
                "sintercard 2 a1 a2 limit x",
                "-ERR LIMIT can't be negative\r\n",
            ),
            ("sintercard 2 a1 a2 limit", "-ERR syntax error\r\n"),
            ("sintercard 2 a1 a2 foo", "-ERR syntax error\r\n"),
            ("sintercard 2 a1 nokey", ":0\r\n"),
        ] {
            assert_eq!(run(&mut e, line), out, "{line}");
        }
    }

    #[test]
    fn scan() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "sscan nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(run(&mut e, "sscan nokey x"), "-ERR invalid cursor\r\n");
        run(&mut e, "sadd s 5 3 9");
        assert_eq!(run(&mut e, "sscan s 0 count 0"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "sscan s 0 type set"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut e, "sscan s 0 count 1"),
            "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"
        );
        assert_eq!(
            run(&mut e, "sscan s 0 match 9"),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n9\r\n"
        );
        let mut line = String::from("sadd big");
        for i in 0..300 {
            line.push_str(&format!(" member:{i}"));
        }
        run(&mut e, &line);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        loop {
            let out = run(&mut e, &format!("sscan big {cursor} count 20"));
            let lines: Vec<&str> = out.lines().collect();
            cursor = lines[2].to_string();
            seen.extend(lines[5..].iter().step_by(2).map(|s| s.to_string()));
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
    }
}
