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
use crate::db::Db;
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
pub(crate) fn read_list<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a List>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The list under `key` as a write command first looks at it: no statistics, nothing
/// signalled (a command that changes nothing must not disturb WATCH).
fn peek_list<'a>(db: &'a Db, key: &[u8], now: i64) -> Result<Option<&'a List>, Error> {
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
    let mut start = if start < 0 { llen.saturating_add(start) } else { start };
    let mut end = if end < 0 { llen.saturating_add(end) } else { end };
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
            *ctx.dirty += out.len() as u64;
            bulks(ctx.reply, out.iter());
        }
        None => {
            let out = pop_n(db, key, now, left, 1);
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
    if empty {
        db.remove(key);
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
    if empty {
        db.remove(key);
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
    let maxlen = if maxlen == 0 { usize::MAX } else { maxlen as usize };
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
        let Some(value) = (if from_left { l.pop_front() } else { l.pop_back() }) else {
            ctx.reply.null();
            return Ok(());
        };
        ctx.reply.bulk(&value);
        if to_left {
            l.push_front(value);
        } else {
            l.push_back(value);
        }
        *ctx.dirty += 1;
        return Ok(());
    }
    let Some(value) = pop_n(db, src, now, from_left, 1).pop() else {
        ctx.reply.null();
        return Ok(());
    };
    push_values(db, dst, now, to_left, [&*value]);
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
    if peek_list(&ctx.dbs[ctx.db], ctx.args[1], now)?.is_none() {
        ctx.reply.null();
        return Ok(());
    }
    move_element(ctx, from_left, to_left)
}

// ---------------------------------------------------------------------------------------
// LMPOP and the blocking family.

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `numkeys_idx`:
/// the key positions, the end, and the count.
fn parse_mpop(args: &[&[u8]], numkeys_idx: usize) -> Result<(std::ops::Range<usize>, bool, usize), Error> {
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
fn mpop_first(ctx: &mut Ctx, keys: std::ops::Range<usize>, left: bool, count: usize, nested: bool) -> Result<bool, Error> {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    for i in keys {
        let key = ctx.args[i];
        match peek_list(db, key, now)? {
            Some(l) if !l.is_empty() => {}
            _ => continue,
        }
        let out = pop_n(db, key, now, left, count);
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
    if peek_list(&ctx.dbs[ctx.db], ctx.args[1], now)?.is_none() {
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
