//! List commands (Redis's `t_list.c`): pushes and pops at both ends (LPUSH, RPUSH,
//! LPUSHX, RPUSHX, LPOP, RPOP with a count), LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM,
//! LTRIM, LPOS, the moves (LMOVE, RPOPLPUSH), LMPOP, and the blocking family (BLPOP,
//! BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//!
//! A list is a `VecDeque` of byte strings; a list that becomes empty is deleted, as Redis
//! never keeps empty collections.
//!
//! The engine cannot wait. A blocking command validates its arguments exactly as Redis,
//! then serves the first non-empty key like the immediate case of Redis. When nothing is
//! there it either asks the server to park the client (`ctx.would_block`, no reply, no
//! change) or, where blocking is not allowed (inside MULTI or a script), replies as
//! Redis does then. The server side uses `blocking_keys` (which keys to wait on),
//! `blocking_timeout_ms` (the deadline) and replies `timeout_reply` when it expires;
//! see those functions.

use super::keyspace::touch_for_write;
use crate::args::is;
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, NOT_INTEGER, NO_SUCH_KEY, SYNTAX,
    TIMEOUT_NEGATIVE, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::object::Value;
use redraft_resp::{parse_i64, Reply};
use std::borrow::Cow;
use std::collections::VecDeque;

/// The list representation.
pub type List = VecDeque<Box<[u8]>>;

/// Source and destination of the moves.
const TWO: Keys = Keys::Range {
    first: 1,
    last: 2,
    step: 1,
};
/// BLPOP/BRPOP: every argument but the last (the timeout).
const ALL_BUT_LAST: Keys = Keys::Range {
    first: 1,
    last: -2,
    step: 1,
};
const LMPOP_KEYS: Keys = Keys::Keynum {
    numkeys: 1,
    first: 2,
    step: 1,
};
const BLMPOP_KEYS: Keys = Keys::Keynum {
    numkeys: 2,
    first: 3,
    step: 1,
};

pub const COMMANDS: &[EngineCommand] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, Keys::one(), "list", "1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", lpush),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, Keys::one(), "list", "1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist.", rpush),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, Keys::one(), "list", "2.2.0", "Prepends one or more elements to a list only when the list exists.", lpushx),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, Keys::one(), "list", "2.2.0", "Appends an element to a list only when the list exists.", rpushx),
    cmd("lpop", -2, WRITE | FAST, Keys::one(), "list", "1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", lpop),
    cmd("rpop", -2, WRITE | FAST, Keys::one(), "list", "1.0.0", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", rpop),
    cmd("llen", 2, READONLY | FAST, Keys::one(), "list", "1.0.0", "Returns the length of a list.", llen),
    cmd("lrange", 4, READONLY, Keys::one(), "list", "1.0.0", "Returns a range of elements from a list.", lrange),
    cmd("lindex", 3, READONLY, Keys::one(), "list", "1.0.0", "Returns an element from a list by its index.", lindex),
    cmd("lset", 4, WRITE | DENYOOM, Keys::one(), "list", "1.0.0", "Sets the value of an element in a list by its index.", lset),
    cmd("linsert", 5, WRITE | DENYOOM, Keys::one(), "list", "2.2.0", "Inserts an element before or after another element in a list.", linsert),
    cmd("lrem", 4, WRITE, Keys::one(), "list", "1.0.0", "Removes elements from a list. Deletes the list if the last element was removed.", lrem),
    cmd("ltrim", 4, WRITE, Keys::one(), "list", "1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", ltrim),
    cmd("lpos", -3, READONLY, Keys::one(), "list", "6.0.6", "Returns the index of matching elements in a list.", lpos),
    cmd("lmove", 5, WRITE | DENYOOM, TWO, "list", "6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", lmove),
    cmd("rpoplpush", 3, WRITE | DENYOOM, TWO, "list", "1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", rpoplpush),
    cmd("lmpop", -4, WRITE, LMPOP_KEYS, "list", "7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", lmpop),
    cmd("blpop", -3, WRITE | BLOCKING, ALL_BUT_LAST, "list", "2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blpop),
    cmd("brpop", -3, WRITE | BLOCKING, ALL_BUT_LAST, "list", "2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", brpop),
    cmd("brpoplpush", 4, WRITE | DENYOOM | BLOCKING, TWO, "list", "2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", brpoplpush),
    cmd("blmove", 6, WRITE | DENYOOM | BLOCKING, TWO, "list", "6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", blmove),
    cmd("blmpop", -5, WRITE | BLOCKING, BLMPOP_KEYS, "list", "7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blmpop),
];

const fn e(s: &'static str) -> Error {
    Error(Cow::Borrowed(s))
}

const MUST_BE_POSITIVE: Error = e("ERR value is out of range, must be positive");
const OUT_OF_RANGE_INDEX: Error = e("ERR index out of range");
const NUMKEYS: Error = e("ERR numkeys should be greater than 0");
const COUNT_POSITIVE: Error = e("ERR count should be greater than 0");
const TIMEOUT_NOT_FLOAT: Error = e("ERR timeout is not a float or out of range");
const TIMEOUT_RANGE: Error = e("ERR timeout is out of range");
const RANK_ZERO: Error = e("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
const RANK_RANGE: Error = e(
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);

// ---------------------------------------------------------------------------------------
// Helpers (shared with SORT).

/// The list under `key` for a read command (counts a keyspace hit or miss, records the
/// access): None if absent, WRONGTYPE if not a list.
pub(crate) fn read_list<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a List>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The list under `key` as a write command first looks at it: no statistics, nothing
/// signalled (a command that changes nothing must not disturb WATCH). An expired key is
/// deleted first, as Redis's `lookupKeyWrite` (which raises its `expired` event).
fn peek_list<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a List>, Error> {
    db.expire_if_needed(key, now);
    match db.peek(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The list under `key`, for modification (signals waiters, records the write access).
/// Call after `peek_list` found one.
fn list_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Option<&'a mut List> {
    let lfu = db.lfu;
    let o = db.get_mut(key, now)?;
    touch_for_write(o, lfu, now);
    match &mut o.value {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// Pops up to `count` elements from one end of an existing list, in pop order, and
/// deletes the key if the list is left empty.
fn pop_n(db: &mut Db, key: &[u8], now: i64, left: bool, count: usize) -> Vec<Box<[u8]>> {
    let Some(l) = list_mut(db, key, now) else {
        return Vec::new();
    };
    let n = count.min(l.len());
    let out: Vec<Box<[u8]>> = if left {
        l.drain(..n).collect()
    } else {
        (0..n).filter_map(|_| l.pop_back()).collect()
    };
    if l.is_empty() {
        db.remove(key);
    }
    out
}

/// Raises the events of a pop from `key` (`lpop`/`rpop`, then `del` if the pop left
/// the list empty and so deleted it), as Redis's `listElementsRemoved`.
fn notify_popped(db: &mut Db, key: &[u8], left: bool) {
    db.notify(notify::LIST, if left { "lpop" } else { "rpop" }, key);
    if !db.keys.contains_key(key) {
        db.notify(notify::GENERIC, "del", key);
    }
}

/// Raises the event of a push onto `key`.
fn notify_pushed(db: &mut Db, key: &[u8], left: bool) {
    db.notify(notify::LIST, if left { "lpush" } else { "rpush" }, key);
}

/// Pushes onto `key` (creating the list if needed; the caller checked the type).
fn push_values<'v>(
    db: &mut Db,
    key: &[u8],
    now: i64,
    left: bool,
    values: impl IntoIterator<Item = &'v [u8]>,
) -> usize {
    match list_mut(db, key, now) {
        Some(l) => {
            for v in values {
                if left {
                    l.push_front(v.into());
                } else {
                    l.push_back(v.into());
                }
            }
            l.len()
        }
        None => {
            let mut l = List::new();
            for v in values {
                if left {
                    l.push_front(v.into());
                } else {
                    l.push_back(v.into());
                }
            }
            let n = l.len();
            db.set(key, Value::List(Box::new(l)), false, now);
            n
        }
    }
}

/// An integer argument as Redis's `getLongFromObjectOrReply`.
fn long(arg: &[u8]) -> Result<i64, Error> {
    parse_i64(arg).ok_or(NOT_INTEGER)
}

/// `getRangeLongFromObjectOrReply(min, LONG_MAX)` with a message used for both a
/// non-integer and an out-of-range value.
fn long_at_least(arg: &[u8], min: i64, err: Error) -> Result<i64, Error> {
    match parse_i64(arg) {
        Some(v) if v >= min => Ok(v),
        _ => Err(err),
    }
}

/// `getPositiveLongFromObjectOrReply`.
fn positive(arg: &[u8], err: Error) -> Result<i64, Error> {
    long_at_least(arg, 0, err)
}

/// LEFT or RIGHT (true for LEFT).
fn position(arg: &[u8]) -> Result<bool, Error> {
    if is(arg, "left") {
        Ok(true)
    } else if is(arg, "right") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

/// Redis's range clamping (`addListRangeReply`, LTRIM): the inclusive positions of
/// `start..=end` in a list of `len`, or None for an empty range.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 {
        llen.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        llen.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

fn bulks<'a>(reply: &mut Reply, items: impl ExactSizeIterator<Item = &'a Box<[u8]>>) {
    reply.array(items.len());
    for i in items {
        reply.bulk(i);
    }
}

// ---------------------------------------------------------------------------------------
// Pushes and pops.

/// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
fn push_generic(ctx: &mut Ctx, left: bool, xx: bool) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    if peek_list(db, key, now)?.is_none() && xx {
        ctx.reply.int(0);
        return Ok(());
    }
    let values = &ctx.args[2..];
    let len = push_values(db, key, now, left, values.iter().copied());
    notify_pushed(db, key, left);
    *ctx.dirty += values.len() as u64;
    ctx.reply.int(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, false)
}

fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, false)
}

fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, true, true)
}

fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, false, true)
}

/// LPOP/RPOP key [count]: a bulk string without a count, an array with one (a null
/// array when the key does not exist).
fn pop_generic(ctx: &mut Ctx, left: bool) -> CmdResult {
    if ctx.args.len() > 3 {
        return Err(Error::new(super::wrong_arity(ctx.args)));
    }
    let count = match ctx.args.get(2) {
        Some(a) => Some(positive(a, MUST_BE_POSITIVE)? as usize),
        None => None,
    };
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    if peek_list(db, key, now)?.is_none() {
        match count {
            Some(_) => ctx.reply.null_array(),
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    match count {
        Some(0) => ctx.reply.array(0),
        Some(n) => {
            let out = pop_n(db, key, now, left, n);
            notify_popped(db, key, left);
            *ctx.dirty += out.len() as u64;
            bulks(ctx.reply, out.iter());
        }
        None => {
            let out = pop_n(db, key, now, left, 1);
            notify_popped(db, key, left);
            *ctx.dirty += out.len() as u64;
            match out.first() {
                Some(v) => ctx.reply.bulk(v),
                None => ctx.reply.null(),
            }
        }
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, true)
}

fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, false)
}

// ---------------------------------------------------------------------------------------
// Reads.

fn llen(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let n = read_list(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.map_or(0, |l| l.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx) -> CmdResult {
    let start = long(ctx.args[2])?;
    let end = long(ctx.args[3])?;
    let now = ctx.now;
    let Some(l) = read_list(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    match clamp_range(start, end, l.len()) {
        None => ctx.reply.array(0),
        Some((s, e)) => bulks(ctx.reply, l.range(s..=e)),
    }
    Ok(())
}

/// A list index (negative from the tail) as a position, if in range.
fn index_of(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        (len as i64).checked_add(index)?
    } else {
        index
    };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

/// LINDEX key index: the key is looked up before the index is parsed.
fn lindex(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let Some(l) = read_list(&mut ctx.dbs[ctx.db], ctx.args[1], now)? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = long(ctx.args[2])?;
    match index_of(index, l.len()).and_then(|i| l.get(i)) {
        Some(v) => ctx.reply.bulk(v),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// LSET key index element
fn lset(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let Some(l) = peek_list(db, key, now)? else {
        return Err(NO_SUCH_KEY);
    };
    let index = long(ctx.args[2])?;
    let Some(i) = index_of(index, l.len()) else {
        return Err(OUT_OF_RANGE_INDEX);
    };
    if let Some(l) = list_mut(db, key, now) {
        l[i] = ctx.args[3].into();
    }
    db.notify(notify::LIST, "lset", key);
    *ctx.dirty += 1;
    ctx.reply.ok();
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0
/// without the key.
fn linsert(ctx: &mut Ctx) -> CmdResult {
    let after = if is(ctx.args[2], "after") {
        true
    } else if is(ctx.args[2], "before") {
        false
    } else {
        return Err(SYNTAX);
    };
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let Some(l) = peek_list(db, key, now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let pivot = ctx.args[3];
    let Some(p) = l.iter().position(|e| **e == *pivot) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let mut len = 0;
    if let Some(l) = list_mut(db, key, now) {
        l.insert(if after { p + 1 } else { p }, ctx.args[4].into());
        len = l.len();
    }
    db.notify(notify::LIST, "linsert", key);
    *ctx.dirty += 1;
    ctx.reply.int(len as i64);
    Ok(())
}

/// LREM key count element: removes the first `count` occurrences from the head (from
/// the tail for a negative count; all of them for 0).
fn lrem(ctx: &mut Ctx) -> CmdResult {
    let count = long(ctx.args[2])?;
    let now = ctx.now;
    let key = ctx.args[1];
    let elem = ctx.args[3];
    let db = &mut ctx.dbs[ctx.db];
    let Some(l) = peek_list(db, key, now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !l.iter().any(|e| **e == *elem) {
        ctx.reply.int(0);
        return Ok(());
    }
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
    };
    let mut removed = 0usize;
    let mut empty = false;
    if let Some(l) = list_mut(db, key, now) {
        let old = std::mem::take(l);
        let n = old.len();
        if count >= 0 {
            for e in old {
                if removed < limit && *e == *elem {
                    removed += 1;
                } else {
                    l.push_back(e);
                }
            }
        } else {
            for e in old.into_iter().rev() {
                if removed < limit && *e == *elem {
                    removed += 1;
                } else {
                    l.push_front(e);
                }
            }
        }
        debug_assert_eq!(n, l.len() + removed);
        empty = l.is_empty();
    }
    db.notify(notify::LIST, "lrem", key);
    if empty {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += removed as u64;
    ctx.reply.int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx) -> CmdResult {
    let start = long(ctx.args[2])?;
    let end = long(ctx.args[3])?;
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    if peek_list(db, key, now)?.is_none() {
        ctx.reply.ok();
        return Ok(());
    }
    let mut removed = 0usize;
    let mut empty = false;
    if let Some(l) = list_mut(db, key, now) {
        let len = l.len();
        match clamp_range(start, end, len) {
            None => {
                removed = len;
                l.clear();
            }
            Some((s, e)) => {
                l.truncate(e + 1);
                l.drain(..s);
                removed = len - l.len();
            }
        }
        empty = l.is_empty();
    }
    // Raised even when nothing was trimmed, as Redis.
    db.notify(notify::LIST, "ltrim", key);
    if empty {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += removed as u64;
    ctx.reply.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let (mut rank, mut count, mut maxlen): (i64, Option<i64>, i64) = (1, None, 0);
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is(args[j], "rank") && more {
            j += 1;
            rank = long(args[j])?;
            if rank == i64::MIN {
                return Err(RANK_RANGE);
            }
            if rank == 0 {
                return Err(RANK_ZERO);
            }
        } else if is(args[j], "count") && more {
            j += 1;
            count = Some(positive(args[j], e("ERR COUNT can't be negative"))?);
        } else if is(args[j], "maxlen") && more {
            j += 1;
            maxlen = positive(args[j], e("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let now = ctx.now;
    let Some(l) = read_list(&mut ctx.dbs[ctx.db], args[1], now)? else {
        match count {
            Some(_) => ctx.reply.array(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let elem = args[2];
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let len = l.len();
    let maxlen = if maxlen == 0 {
        usize::MAX
    } else {
        maxlen as usize
    };
    let mut found: Vec<usize> = Vec::new();
    let mut matches = 0u64;
    let scan = len.min(maxlen);
    for i in 0..scan {
        let pos = if from_tail { len - 1 - i } else { i };
        if *l[pos] != *elem {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(pos);
            match count {
                None => break,
                Some(c) => {
                    if c != 0 && matches - rank + 1 >= c as u64 {
                        break;
                    }
                }
            }
        }
    }
    match count {
        Some(_) => {
            ctx.reply.array(found.len());
            for p in found {
                ctx.reply.int(p as i64);
            }
        }
        None => match found.first() {
            Some(p) => ctx.reply.int(*p as i64),
            None => ctx.reply.null(),
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Moves.

/// The body of LMOVE/RPOPLPUSH/BLMOVE/BRPOPLPUSH once the source is known to exist:
/// checks the destination's type, pops, pushes and replies the element.
fn move_element(ctx: &mut Ctx, from_left: bool, to_left: bool) -> CmdResult {
    let now = ctx.now;
    let (src, dst) = (ctx.args[1], ctx.args[2]);
    let db = &mut ctx.dbs[ctx.db];
    peek_list(db, dst, now)?;
    if src == dst {
        // Rotation: the list never becomes empty (and keeps its deadline).
        let Some(l) = list_mut(db, src, now) else {
            ctx.reply.null();
            return Ok(());
        };
        let Some(value) = (if from_left {
            l.pop_front()
        } else {
            l.pop_back()
        }) else {
            ctx.reply.null();
            return Ok(());
        };
        ctx.reply.bulk(&value);
        if to_left {
            l.push_front(value);
        } else {
            l.push_back(value);
        }
        notify_pushed(db, dst, to_left);
        notify_popped(db, src, from_left);
        *ctx.dirty += 1;
        return Ok(());
    }
    let Some(value) = pop_n(db, src, now, from_left, 1).pop() else {
        ctx.reply.null();
        return Ok(());
    };
    push_values(db, dst, now, to_left, [&*value]);
    // Redis pushes before it deletes an emptied source: the destination's event first.
    notify_pushed(db, dst, to_left);
    notify_popped(db, src, from_left);
    *ctx.dirty += 1;
    ctx.reply.bulk(&value);
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = position(ctx.args[3])?;
    let to = position(ctx.args[4])?;
    lmove_generic(ctx, from, to)
}

fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    lmove_generic(ctx, false, true)
}

fn lmove_generic(ctx: &mut Ctx, from_left: bool, to_left: bool) -> CmdResult {
    let now = ctx.now;
    if peek_list(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.is_none() {
        ctx.reply.null();
        return Ok(());
    }
    move_element(ctx, from_left, to_left)
}

// ---------------------------------------------------------------------------------------
// LMPOP and the blocking family.

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `numkeys_idx`:
/// the key positions, the end, and the count.
fn parse_mpop(
    args: &[&[u8]],
    numkeys_idx: usize,
) -> Result<(std::ops::Range<usize>, bool, usize), Error> {
    let numkeys = long_at_least(args[numkeys_idx], 1, NUMKEYS)?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|w| *w < args.len())
        .ok_or(SYNTAX)?;
    let left = position(args[where_idx])?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && is(args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(long_at_least(args[j], 1, COUNT_POSITIVE)?);
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    Ok((numkeys_idx + 1..where_idx, left, count))
}

/// Pops from the first non-empty list among `keys` and replies `[key, [elements]]`
/// (`[key, element]` when `nested` is false). False when every key is absent.
fn mpop_first(
    ctx: &mut Ctx,
    keys: std::ops::Range<usize>,
    left: bool,
    count: usize,
    nested: bool,
) -> Result<bool, Error> {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    for i in keys {
        let key = ctx.args[i];
        match peek_list(db, key, now)? {
            Some(l) if !l.is_empty() => {}
            _ => continue,
        }
        let out = pop_n(db, key, now, left, count);
        notify_popped(db, key, left);
        *ctx.dirty += out.len() as u64;
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        if nested {
            bulks(ctx.reply, out.iter());
        } else {
            match out.first() {
                Some(v) => ctx.reply.bulk(v),
                None => ctx.reply.null(),
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, left, count) = parse_mpop(ctx.args, 1)?;
    if !mpop_first(ctx, keys, left, count, true)? {
        ctx.reply.null_array();
    }
    Ok(())
}

/// Nothing to pop: park the client (no reply) when allowed, else reply as Redis does
/// when it may not block.
fn would_block(ctx: &mut Ctx, null_array: bool) -> CmdResult {
    if ctx.may_block {
        ctx.would_block = true;
    } else if null_array {
        ctx.reply.null_array();
    } else {
        ctx.reply.null();
    }
    Ok(())
}

/// Validates a blocking command's timeout argument against the command's clock.
fn check_timeout(arg: &[u8], now: i64) -> Result<i64, Error> {
    let ms = blocking_timeout_ms(arg)?;
    if ms > 0 && ms > i64::MAX - now.max(0) {
        return Err(TIMEOUT_RANGE);
    }
    Ok(ms)
}

/// BLPOP/BRPOP key [key ...] timeout
fn bpop_generic(ctx: &mut Ctx, left: bool) -> CmdResult {
    let n = ctx.args.len();
    check_timeout(ctx.args[n - 1], ctx.now)?;
    if mpop_first(ctx, 1..n - 1, left, 1, false)? {
        return Ok(());
    }
    would_block(ctx, true)
}

fn blpop(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, true)
}

fn brpop(ctx: &mut Ctx) -> CmdResult {
    bpop_generic(ctx, false)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, left, count) = parse_mpop(ctx.args, 2)?;
    check_timeout(ctx.args[1], ctx.now)?;
    if mpop_first(ctx, keys, left, count, true)? {
        return Ok(());
    }
    would_block(ctx, true)
}

fn blmove_generic(ctx: &mut Ctx, from_left: bool, to_left: bool) -> CmdResult {
    let now = ctx.now;
    if peek_list(&mut ctx.dbs[ctx.db], ctx.args[1], now)?.is_none() {
        // Redis replies a null bulk here when it may not block (a timeout, served by
        // the server, is a null array).
        return would_block(ctx, false);
    }
    move_element(ctx, from_left, to_left)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = position(ctx.args[3])?;
    let to = position(ctx.args[4])?;
    check_timeout(ctx.args[5], ctx.now)?;
    blmove_generic(ctx, from, to)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    check_timeout(ctx.args[3], ctx.now)?;
    blmove_generic(ctx, false, true)
}

// ---------------------------------------------------------------------------------------
// Server-side API of the blocking commands.

/// `x * 1000` for a `long double` `mant * 2^exp`, rounded to the 64-bit significand
/// (to nearest, ties to even), as `mant * 2^exp` again.
fn times_1000(mant: u64, exp: i64) -> (u128, i64) {
    let p = mant as u128 * 1000;
    let bits = 128 - p.leading_zeros() as i64;
    if bits <= 64 {
        return (p, exp);
    }
    let shift = (bits - 64) as u32;
    let mut q = p >> shift;
    let rem = p & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    (q, exp + shift as i64)
}

/// The timeout of a blocking command in milliseconds, as Redis's
/// `getTimeoutFromObjectOrReply(UNIT_SECONDS)` computes it: the argument read as a
/// `long double` (decimal or hexadecimal, `inf` allowed), times 1000, rounded up. 0
/// means "block forever". Errors are Redis's texts. (Redis also refuses a timeout whose
/// deadline would overflow: see `blocking_deadline`.)
pub fn blocking_timeout_ms(arg: &[u8]) -> Result<i64, Error> {
    use super::string::ld::{parse, Ld};
    match parse(arg).ok_or(TIMEOUT_NOT_FLOAT)? {
        Ld::Nan => Err(TIMEOUT_NOT_FLOAT),
        Ld::Inf { neg: false } => Err(TIMEOUT_RANGE),
        // `(long long)ceill(-inf)` is LLONG_MIN on x86-64.
        Ld::Inf { neg: true } => Err(TIMEOUT_NEGATIVE),
        Ld::Finite { neg, mant, exp } => {
            let (m, e) = times_1000(mant, exp);
            // floor and "has a fraction" of m * 2^e
            let (floor, frac): (u128, bool) = if m == 0 {
                (0, false)
            } else if e >= 0 {
                if (128 - m.leading_zeros() as i64) + e > 64 {
                    (u128::MAX, false)
                } else {
                    (m << e, false)
                }
            } else if -e >= 128 {
                (0, true)
            } else {
                let s = (-e) as u32;
                (m >> s, m & ((1u128 << s) - 1) != 0)
            };
            if neg {
                // ceil of a negative value: -floor(|x|); -0 is fine (0: forever).
                if floor >= 1 {
                    return Err(TIMEOUT_NEGATIVE);
                }
                return Ok(0);
            }
            if floor > i64::MAX as u128 || (floor == i64::MAX as u128 && frac) {
                return Err(TIMEOUT_RANGE);
            }
            Ok(floor as i64 + frac as i64)
        }
    }
}

/// The timeout in seconds (what `blocking_timeout_ms` computes, divided by 1000).
pub fn blocking_timeout(arg: &[u8]) -> Result<f64, Error> {
    blocking_timeout_ms(arg).map(|ms| ms as f64 / 1000.0)
}

/// The absolute deadline (ms) of a blocking command issued at `now`, None for "block
/// forever" (timeout 0).
pub fn blocking_deadline(arg: &[u8], now: i64) -> Result<Option<i64>, Error> {
    let ms = check_timeout(arg, now)?;
    Ok((ms > 0).then(|| now + ms))
}

/// The timeout argument of a blocking list command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
/// BLMPOP), None for any other command or a malformed argument vector.
pub fn blocking_timeout_arg<'a>(args: &[&'a [u8]]) -> Option<&'a [u8]> {
    let name = args.first()?;
    let i = if is(name, "blpop") || is(name, "brpop") {
        args.len().checked_sub(1)?
    } else if is(name, "blmove") {
        5
    } else if is(name, "brpoplpush") {
        3
    } else if is(name, "blmpop") {
        1
    } else {
        return None;
    };
    if i == 0 {
        return None;
    }
    args.get(i).copied()
}

/// Positions of the keys a blocking list command waits on: every key of BLPOP/BRPOP and
/// BLMPOP, the source of BLMOVE/BRPOPLPUSH. Empty for any other command.
pub fn blocking_keys(args: &[&[u8]]) -> Vec<usize> {
    let Some(name) = args.first() else {
        return vec![];
    };
    if is(name, "blpop") || is(name, "brpop") {
        (1..args.len().saturating_sub(1)).collect()
    } else if is(name, "blmove") || is(name, "brpoplpush") {
        if args.len() > 1 {
            vec![1]
        } else {
            vec![]
        }
    } else if is(name, "blmpop") {
        if args.len() < 5 {
            return vec![];
        }
        match parse_mpop(args, 2) {
            Ok((keys, _, _)) => keys.collect(),
            Err(_) => vec![],
        }
    } else {
        vec![]
    }
}

/// What a blocked list command replies when its timeout expires: a null array (`*-1`,
/// RESP3 `_`), for every command of the family, BLMOVE and BRPOPLPUSH included.
pub fn timeout_reply(reply: &mut Reply) {
    reply.null_array();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Protocol};

    use crate::testutil::{bulks, run, run3, words, NOW, WRONGTYPE_ERR};

    fn exec(e: &mut Engine, proto: Protocol, may_block: bool, args: &[&[u8]]) -> (String, bool) {
        crate::testutil::exec_entry(e, proto, 1, may_block, args)
    }
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

    #[test]
    fn push_and_range() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "lpush l a b c"), ":3\r\n");
        assert_eq!(run(&mut e, "rpush l d e"), ":5\r\n");
        assert_eq!(
            run(&mut e, "lrange l 0 -1"),
            bulks(&["c", "b", "a", "d", "e"])
        );
        assert_eq!(run(&mut e, "lpushx nokey a"), ":0\r\n");
        assert_eq!(run(&mut e, "rpushx l f g"), ":7\r\n");
        assert!(!e.dbs[0].exists(b"nokey", NOW));
        assert_eq!(run(&mut e, "llen l"), ":7\r\n");
        assert_eq!(run(&mut e, "llen nokey"), ":0\r\n");
        assert_eq!(run(&mut e, "lrange l -3 -1"), bulks(&["e", "f", "g"]));
        assert_eq!(run(&mut e, "lrange l -100 1"), bulks(&["c", "b"]));
        assert_eq!(run(&mut e, "lrange l 5 100"), bulks(&["f", "g"]));
        assert_eq!(run(&mut e, "lrange l 5 2"), "*0\r\n");
        assert_eq!(run(&mut e, "lrange l 100 200"), "*0\r\n");
        assert_eq!(run(&mut e, "lrange l -1 -3"), "*0\r\n");
        assert_eq!(
            run(&mut e, "lrange l -9223372036854775808 9223372036854775807").len(),
            bulks(&["c", "b", "a", "d", "e", "f", "g"]).len()
        );
        assert_eq!(run(&mut e, "lrange l x 1"), NOT_INT);
        assert_eq!(run(&mut e, "lrange nokey x 1"), NOT_INT);
        assert_eq!(run(&mut e, "lrange nokey 0 1"), "*0\r\n");
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lpush s a"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lpushx s a"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "llen s"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lrange s 0 1"), WRONGTYPE_ERR);
        assert_eq!(
            run(&mut e, "lpush l"),
            "-ERR wrong number of arguments for 'lpush' command\r\n"
        );
        // Every pushed element counts as a change.
        let before = e.dirty;
        run(&mut e, "rpush l 1 2 3");
        assert_eq!(e.dirty - before, 3);
    }

    #[test]
    fn pops_with_and_without_count() {
        let mut e = Engine::default();
        run(&mut e, "rpush q a b c d e");
        assert_eq!(run(&mut e, "lpop q"), "$1\r\na\r\n");
        assert_eq!(run(&mut e, "rpop q"), "$1\r\ne\r\n");
        assert_eq!(run(&mut e, "lpop q 2"), bulks(&["b", "c"]));
        assert_eq!(run(&mut e, "lpop q 0"), "*0\r\n");
        assert_eq!(run(&mut e, "rpop q 5"), bulks(&["d"]));
        // The emptied list is gone.
        assert!(!e.dbs[0].exists(b"q", NOW));
        assert_eq!(run(&mut e, "lpop q"), "$-1\r\n");
        assert_eq!(run(&mut e, "lpop q 2"), "*-1\r\n");
        assert_eq!(run(&mut e, "lpop q 0"), "*-1\r\n");
        assert_eq!(run3(&mut e, "lpop q 2"), "_\r\n");
        assert_eq!(run3(&mut e, "lpop q"), "_\r\n");
        assert_eq!(
            run(&mut e, "lpop q x"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            run(&mut e, "lpop q -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            run(&mut e, "lpop q 1 2"),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
        run(&mut e, "rpush r a b c");
        assert_eq!(run(&mut e, "rpop r 2"), bulks(&["c", "b"]));
        assert_eq!(run(&mut e, "rpop r 1"), bulks(&["a"]));
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lpop s"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lpop s 0"), WRONGTYPE_ERR);
        assert_eq!(
            run(&mut e, "lpop s x"),
            "-ERR value is out of range, must be positive\r\n"
        );
    }

    #[test]
    fn index_set_insert() {
        let mut e = Engine::default();
        run(&mut e, "rpush l a b c");
        assert_eq!(run(&mut e, "lindex l 0"), "$1\r\na\r\n");
        assert_eq!(run(&mut e, "lindex l -1"), "$1\r\nc\r\n");
        assert_eq!(run(&mut e, "lindex l 3"), "$-1\r\n");
        assert_eq!(run(&mut e, "lindex l -4"), "$-1\r\n");
        assert_eq!(run(&mut e, "lindex l -9223372036854775808"), "$-1\r\n");
        assert_eq!(run(&mut e, "lindex l x"), NOT_INT);
        // The key is looked up before the index is parsed.
        assert_eq!(run(&mut e, "lindex nokey x"), "$-1\r\n");
        assert_eq!(run(&mut e, "lset l 0 A"), "+OK\r\n");
        assert_eq!(run(&mut e, "lset l -1 C"), "+OK\r\n");
        assert_eq!(run(&mut e, "lset l 3 X"), "-ERR index out of range\r\n");
        assert_eq!(run(&mut e, "lset l x X"), NOT_INT);
        assert_eq!(run(&mut e, "lset nokey x X"), "-ERR no such key\r\n");
        assert_eq!(run(&mut e, "linsert l before b pre"), ":4\r\n");
        assert_eq!(run(&mut e, "linsert l after C post"), ":5\r\n");
        assert_eq!(run(&mut e, "linsert l after zz v"), ":-1\r\n");
        assert_eq!(run(&mut e, "linsert l middle b v"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "linsert nokey before a b"), ":0\r\n");
        assert_eq!(
            run(&mut e, "lrange l 0 -1"),
            bulks(&["A", "pre", "b", "C", "post"])
        );
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lindex s 0"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lset s 0 v"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "linsert s before a b"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "linsert s middle a b"), "-ERR syntax error\r\n");
    }

    #[test]
    fn rem_and_trim() {
        let mut e = Engine::default();
        run(&mut e, "rpush r a b a c a d a");
        assert_eq!(run(&mut e, "lrem r 2 a"), ":2\r\n");
        assert_eq!(
            run(&mut e, "lrange r 0 -1"),
            bulks(&["b", "c", "a", "d", "a"])
        );
        assert_eq!(run(&mut e, "lrem r -1 a"), ":1\r\n");
        assert_eq!(run(&mut e, "lrange r 0 -1"), bulks(&["b", "c", "a", "d"]));
        assert_eq!(run(&mut e, "lrem r 0 zz"), ":0\r\n");
        assert_eq!(run(&mut e, "lrem r x a"), NOT_INT);
        assert_eq!(run(&mut e, "lrem nokey 0 a"), ":0\r\n");
        run(&mut e, "rpush one a a");
        assert_eq!(run(&mut e, "lrem one 0 a"), ":2\r\n");
        assert!(!e.dbs[0].exists(b"one", NOW));

        run(&mut e, "rpush t 1 2 3 4 5 6 7 8 9");
        let before = e.dirty;
        assert_eq!(run(&mut e, "ltrim t 2 -2"), "+OK\r\n");
        assert_eq!(e.dirty - before, 3);
        assert_eq!(
            run(&mut e, "lrange t 0 -1"),
            bulks(&["3", "4", "5", "6", "7", "8"])
        );
        assert_eq!(run(&mut e, "ltrim t -100 100"), "+OK\r\n");
        assert_eq!(run(&mut e, "llen t"), ":6\r\n");
        assert_eq!(run(&mut e, "ltrim t 5 1"), "+OK\r\n");
        assert!(!e.dbs[0].exists(b"t", NOW));
        assert_eq!(run(&mut e, "ltrim nokey 0 1"), "+OK\r\n");
        assert_eq!(run(&mut e, "ltrim t x 1"), NOT_INT);
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "ltrim s 0 1"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lrem s 0 a"), WRONGTYPE_ERR);
    }

    #[test]
    fn lpos_options() {
        let mut e = Engine::default();
        run(&mut e, "rpush p a b c 1 2 3 c c");
        assert_eq!(run(&mut e, "lpos p c"), ":2\r\n");
        assert_eq!(run(&mut e, "lpos p c rank 2"), ":6\r\n");
        assert_eq!(run(&mut e, "lpos p c rank -1"), ":7\r\n");
        assert_eq!(
            run(&mut e, "lpos p c rank -2 count 0"),
            "*2\r\n:6\r\n:2\r\n"
        );
        assert_eq!(run(&mut e, "lpos p c count 0"), "*3\r\n:2\r\n:6\r\n:7\r\n");
        assert_eq!(run(&mut e, "lpos p c count 2"), "*2\r\n:2\r\n:6\r\n");
        assert_eq!(run(&mut e, "lpos p c count 0 maxlen 3"), "*1\r\n:2\r\n");
        assert_eq!(run(&mut e, "lpos p c maxlen 2"), "$-1\r\n");
        assert_eq!(run(&mut e, "lpos p zz"), "$-1\r\n");
        assert_eq!(run(&mut e, "lpos p zz count 0"), "*0\r\n");
        assert_eq!(run(&mut e, "lpos p c rank 10 count 0"), "*0\r\n");
        assert_eq!(run(&mut e, "lpos nokey c"), "$-1\r\n");
        assert_eq!(run(&mut e, "lpos nokey c count 0"), "*0\r\n");
        assert_eq!(run3(&mut e, "lpos nokey c"), "_\r\n");
        assert_eq!(
            run(&mut e, "lpos p c rank 0"),
            "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
        );
        assert_eq!(run(&mut e, "lpos p c rank x"), NOT_INT);
        assert_eq!(
            run(&mut e, "lpos p c rank -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(
            run(&mut e, "lpos p c count -1"),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            run(&mut e, "lpos p c count x"),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            run(&mut e, "lpos p c maxlen -1"),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(run(&mut e, "lpos p c rank"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "lpos p c bogus"), "-ERR syntax error\r\n");
        // Options are parsed before the key is looked up.
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lpos s c bogus"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "lpos s c"), WRONGTYPE_ERR);
    }

    #[test]
    fn moves() {
        let mut e = Engine::default();
        run(&mut e, "rpush m a b c");
        assert_eq!(run(&mut e, "lmove m m2 left right"), "$1\r\na\r\n");
        assert_eq!(run(&mut e, "lmove m m2 right left"), "$1\r\nc\r\n");
        assert_eq!(run(&mut e, "lrange m2 0 -1"), bulks(&["c", "a"]));
        assert_eq!(run(&mut e, "lmove m m2 up left"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "lmove nokey m2 left left"), "$-1\r\n");
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lmove m s left left"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lmove s m left left"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "lmove nokey s left left"), "$-1\r\n");
        assert_eq!(run(&mut e, "rpoplpush m m2"), "$1\r\nb\r\n");
        assert!(!e.dbs[0].exists(b"m", NOW));
        assert_eq!(run(&mut e, "lrange m2 0 -1"), bulks(&["b", "c", "a"]));
        // Rotation keeps the key (and its deadline) even with one element.
        run(&mut e, "rpush one x");
        e.dbs[0].set_expire(b"one", NOW + 10_000);
        assert_eq!(run(&mut e, "rpoplpush one one"), "$1\r\nx\r\n");
        assert_eq!(e.dbs[0].expire_of(b"one"), Some(NOW + 10_000));
        run(&mut e, "rpush rot a b c");
        run(&mut e, "rpoplpush rot rot");
        assert_eq!(run(&mut e, "lrange rot 0 -1"), bulks(&["c", "a", "b"]));
        run(&mut e, "lmove rot rot left right");
        assert_eq!(run(&mut e, "lrange rot 0 -1"), bulks(&["a", "b", "c"]));
    }

    #[test]
    fn lmpop_forms_and_errors() {
        let mut e = Engine::default();
        run(&mut e, "rpush mp1 a b c");
        run(&mut e, "rpush mp2 x y z");
        assert_eq!(
            run(&mut e, "lmpop 2 nokey mp1 left"),
            "*2\r\n$3\r\nmp1\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            run(&mut e, "lmpop 2 nokey mp1 right count 10"),
            "*2\r\n$3\r\nmp1\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert!(!e.dbs[0].exists(b"mp1", NOW));
        assert_eq!(run(&mut e, "lmpop 1 nokey left"), "*-1\r\n");
        assert_eq!(run3(&mut e, "lmpop 1 nokey left"), "_\r\n");
        for (line, err) in [
            (
                "lmpop 0 mp2 left",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "lmpop x mp2 left",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            ("lmpop 3 mp2 left", "-ERR syntax error\r\n"),
            (
                "lmpop 9223372036854775807 mp2 left",
                "-ERR syntax error\r\n",
            ),
            ("lmpop 1 mp2 middle", "-ERR syntax error\r\n"),
            (
                "lmpop 1 mp2 left count 0",
                "-ERR count should be greater than 0\r\n",
            ),
            (
                "lmpop 1 mp2 left count x",
                "-ERR count should be greater than 0\r\n",
            ),
            ("lmpop 1 mp2 left count 1 count 1", "-ERR syntax error\r\n"),
            ("lmpop 1 mp2 left count", "-ERR syntax error\r\n"),
        ] {
            assert_eq!(run(&mut e, line), err, "{line}");
        }
        run(&mut e, "set s v");
        assert_eq!(run(&mut e, "lmpop 2 s mp2 left"), WRONGTYPE_ERR);
        assert_eq!(
            run(&mut e, "lmpop 2 mp2 s left"),
            "*2\r\n$3\r\nmp2\r\n*1\r\n$1\r\nx\r\n"
        );
    }

    #[test]
    fn blocking_serves_immediately_or_blocks() {
        let mut e = Engine::default();
        run(&mut e, "rpush bl a b c");
        let (out, blocked) = exec(&mut e, Protocol::Resp2, true, &words("blpop nokey bl 0"));
        assert_eq!(
            (out.as_str(), blocked),
            ("*2\r\n$2\r\nbl\r\n$1\r\na\r\n", false)
        );
        assert_eq!(run(&mut e, "brpop bl 1.5"), "*2\r\n$2\r\nbl\r\n$1\r\nc\r\n");
        assert_eq!(
            run(&mut e, "blmpop 0 2 nokey bl left count 5"),
            "*2\r\n$2\r\nbl\r\n*1\r\n$1\r\nb\r\n"
        );
        // Nothing there: blocks with no reply and no change when allowed...
        let dirty = e.dirty;
        for line in [
            "blpop bl 0",
            "brpop bl x1 0.5",
            "blmove bl d left left 0",
            "brpoplpush bl d 0",
            "blmpop 0 1 bl left",
        ] {
            let (out, blocked) = exec(&mut e, Protocol::Resp2, true, &words(line));
            assert_eq!((out.as_str(), blocked), ("", true), "{line}");
        }
        assert_eq!(e.dirty, dirty);
        // ... else replies as Redis does inside MULTI.
        assert_eq!(run(&mut e, "blpop bl 0"), "*-1\r\n");
        assert_eq!(run(&mut e, "blmpop 0 1 bl left"), "*-1\r\n");
        assert_eq!(run(&mut e, "blmove bl d left left 0"), "$-1\r\n");
        assert_eq!(run(&mut e, "brpoplpush bl d 0"), "$-1\r\n");
        assert_eq!(run3(&mut e, "blpop bl 0"), "_\r\n");
        assert_eq!(run3(&mut e, "brpoplpush bl d 0"), "_\r\n");
        // Errors come first, even when blocking is allowed.
        run(&mut e, "set s v");
        for (line, err) in [
            (
                "blpop bl x",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("blpop bl -1", "-ERR timeout is negative\r\n"),
            ("blpop bl inf", "-ERR timeout is out of range\r\n"),
            ("blpop bl 1e30", "-ERR timeout is out of range\r\n"),
            (
                "blpop bl nan",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("blpop s 0", WRONGTYPE_ERR),
            ("blpop nokey s 0", WRONGTYPE_ERR),
            ("blmove bl d middle left 0", "-ERR syntax error\r\n"),
            (
                "blmove bl d left left x",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            ("blmove s d left left 0", WRONGTYPE_ERR),
            (
                "blmpop x 1 bl left",
                "-ERR timeout is not a float or out of range\r\n",
            ),
            (
                "blmpop x 0 bl left",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            ("blmpop 0 1 bl middle", "-ERR syntax error\r\n"),
            ("blmpop 0 1 s left", WRONGTYPE_ERR),
        ] {
            let (out, blocked) = exec(&mut e, Protocol::Resp2, true, &words(line));
            assert_eq!((out.as_str(), blocked), (err, false), "{line}");
        }
        run(&mut e, "rpush src v");
        assert_eq!(run(&mut e, "blmove src s left left 0"), WRONGTYPE_ERR);
        assert_eq!(run(&mut e, "blmove src d right left 0"), "$1\r\nv\r\n");
        assert_eq!(run(&mut e, "lrange d 0 -1"), bulks(&["v"]));
    }

    #[test]
    fn timeouts_as_redis_computes_them() {
        let ms = |s: &str| blocking_timeout_ms(s.as_bytes());
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("2"), Ok(2000));
        assert_eq!(ms("0.1"), Ok(100));
        assert_eq!(ms("1.5"), Ok(1500));
        assert_eq!(ms("0.0001"), Ok(1));
        assert_eq!(ms("-0.0001"), Ok(0));
        assert_eq!(ms("0x10"), Ok(16000));
        assert_eq!(ms("1e3"), Ok(1_000_000));
        assert_eq!(ms("9223372036854775.807"), Ok(i64::MAX));
        assert_eq!(ms("9223372036854775.808"), Err(TIMEOUT_RANGE));
        assert_eq!(ms("inf"), Err(TIMEOUT_RANGE));
        assert_eq!(ms("-inf"), Err(TIMEOUT_NEGATIVE));
        assert_eq!(ms("-1"), Err(TIMEOUT_NEGATIVE));
        assert_eq!(ms(" 1"), Err(TIMEOUT_NOT_FLOAT));
        assert_eq!(ms(""), Err(TIMEOUT_NOT_FLOAT));
        assert_eq!(blocking_timeout(b"2.5"), Ok(2.5));
        assert_eq!(blocking_deadline(b"2", 1000), Ok(Some(3000)));
        assert_eq!(blocking_deadline(b"0", 1000), Ok(None));
        assert_eq!(
            blocking_deadline(b"9223372036854775", NOW),
            Err(TIMEOUT_RANGE)
        );
    }

    #[test]
    fn blocking_key_positions() {
        let keys = |line: &str| blocking_keys(&words(line));
        assert_eq!(keys("blpop a b c 0"), vec![1, 2, 3]);
        assert_eq!(keys("BRPOP a 0"), vec![1]);
        assert_eq!(keys("blmove a b left left 0"), vec![1]);
        assert_eq!(keys("brpoplpush a b 0"), vec![1]);
        assert_eq!(keys("blmpop 0 2 a b left count 3"), vec![3, 4]);
        assert_eq!(keys("blmpop 0 3 a b left"), Vec::<usize>::new());
        assert_eq!(keys("lpop a"), Vec::<usize>::new());
        let arg = |line: &str| blocking_timeout_arg(&words(line)).map(|a| a.to_vec());
        assert_eq!(arg("blpop a b 1.5"), Some(b"1.5".to_vec()));
        assert_eq!(arg("blmove a b left left 7"), Some(b"7".to_vec()));
        assert_eq!(arg("brpoplpush a b 3"), Some(b"3".to_vec()));
        assert_eq!(arg("blmpop 4 1 a left"), Some(b"4".to_vec()));
        assert_eq!(arg("get a"), None);
        let mut r = Reply::new(Protocol::Resp2);
        timeout_reply(&mut r);
        assert_eq!(r.buf, b"*-1\r\n");
    }

    #[test]
    fn failed_commands_do_not_signal_waiters() {
        let mut e = Engine::default();
        run(&mut e, "rpush l a b");
        e.dbs[0].watched.insert(b"l"[..].into(), 1);
        for line in [
            "linsert l before zz x",
            "lrem l 0 zz",
            "lpushx nokey a",
            "lmove l l up left",
            "lset l 9 x",
        ] {
            run(&mut e, line);
        }
        assert!(e.dbs[0].signaled.is_empty());
        run(&mut e, "rpush l c");
        assert_eq!(e.dbs[0].signaled.len(), 1);
    }
}
