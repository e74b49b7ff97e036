//! String commands (Redis's `t_string.c`): GET and SET with its variants (SETNX, SETEX,
//! PSETEX, GETSET, GETDEL, GETEX), MGET/MSET/MSETNX, in-place edits (APPEND, SETRANGE),
//! GETRANGE/SUBSTR/STRLEN, the integer counters (INCR, DECR, INCRBY, DECRBY),
//! INCRBYFLOAT and LCS.
//!
//! Values keep Redis's encodings: a value stored whole goes through `Value::string`
//! (`tryObjectEncoding`), counters store `Int`, and a string edited in place becomes a
//! growable `Buf` (Redis's `raw`). INCRBYFLOAT computes in x87 80-bit extended precision,
//! the `long double` of Redis on x86-64, with the software arithmetic of the `ld` module
//! at the end of this file, so its results are Redis's to the last digit.

use super::{expect_string, read_string, string_bytes, wrong_arity};
use crate::args::{int, is};
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, NOT_FLOAT, NOT_INTEGER, OVERFLOW,
    STRING_TOO_LONG, SYNTAX, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::object::Value;
use redraft_resp::{parse_i64, Reply};

/// MSET/MSETNX: every other argument from the first is a key.
const PAIRS: Keys = Keys::Range {
    first: 1,
    last: -1,
    step: 2,
};
/// LCS: the first two arguments.
const TWO: Keys = Keys::Range {
    first: 1,
    last: 2,
    step: 1,
};

pub const COMMANDS: &[EngineCommand] = &[
    cmd("get", 2, READONLY | FAST, Keys::one(), "string", "1.0.0", "Returns the string value of a key.", get),
    cmd("set", -3, WRITE | DENYOOM, Keys::one(), "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", set),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Set the string value of a key only when the key doesn't exist.", setnx),
    cmd("setex", 4, WRITE | DENYOOM, Keys::one(), "string", "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", setex),
    cmd("psetex", 4, WRITE | DENYOOM, Keys::one(), "string", "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", psetex),
    cmd("getset", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Returns the previous string value of a key after setting it to a new value.", getset),
    cmd("getdel", 2, WRITE | FAST, Keys::one(), "string", "6.2.0", "Returns the string value of a key after deleting the key.", getdel),
    cmd("getex", -2, WRITE | FAST, Keys::one(), "string", "6.2.0", "Returns the string value of a key after setting its expiration time.", getex),
    cmd("mget", -2, READONLY | FAST, Keys::all(), "string", "1.0.0", "Atomically returns the string values of one or more keys.", mget),
    cmd("mset", -3, WRITE | DENYOOM, PAIRS, "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.", mset),
    cmd("msetnx", -3, WRITE | DENYOOM, PAIRS, "string", "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", msetnx),
    cmd("append", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", append),
    cmd("strlen", 2, READONLY | FAST, Keys::one(), "string", "2.2.0", "Returns the length of a string value.", strlen),
    cmd("getrange", 4, READONLY, Keys::one(), "string", "2.4.0", "Returns a substring of the string stored at a key.", getrange),
    cmd("substr", 4, READONLY, Keys::one(), "string", "1.0.0", "Returns a substring from a string value.", getrange),
    cmd("setrange", 4, WRITE | DENYOOM, Keys::one(), "string", "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", setrange),
    cmd("incr", 2, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", incr),
    cmd("decr", 2, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", decr),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", incrby),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", decrby),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, Keys::one(), "string", "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", incrbyfloat),
    cmd("lcs", -3, READONLY, TWO, "string", "7.0.0", "Finds the longest common substring.", lcs),
];

// ---------------------------------------------------------------------------------------
// Helpers (`make_buf` is shared with the bitmap commands).

/// Length of a string value, integers counted in digits (`stringObjectLen`); WRONGTYPE
/// for other types.
pub(crate) fn string_len(v: &Value) -> Result<usize, Error> {
    match v {
        Value::Str(s) => Ok(s.len()),
        Value::Buf(b) => Ok(b.len()),
        Value::Int(i) => Ok(i.to_string().len()),
        #[allow(unreachable_patterns)]
        _ => Err(WRONGTYPE),
    }
}

/// Turns a string value, in place, into a growable buffer and returns it (Redis's
/// `dbUnshareStringValue`: the value is `raw` from then on). WRONGTYPE for other types.
pub(crate) fn make_buf(v: &mut Value) -> Result<&mut Vec<u8>, Error> {
    let bytes = match v {
        Value::Buf(_) => None,
        Value::Str(s) => Some(std::mem::take(s).into_vec()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        #[allow(unreachable_patterns)]
        _ => return Err(WRONGTYPE),
    };
    if let Some(b) = bytes {
        *v = Value::Buf(Box::new(b));
    }
    match v {
        Value::Buf(b) => Ok(b),
        _ => Err(WRONGTYPE),
    }
}

/// Fails unless a string of `len + extra` bytes fits in `proto-max-bulk-len`
/// (`checkStringLength`).
fn check_len(len: u64, extra: u64, max: usize) -> CmdResult {
    match len.checked_add(extra) {
        Some(total) if total <= max as u64 => Ok(()),
        _ => Err(STRING_TOO_LONG),
    }
}

/// Replies with the string under `key` or a null, as Redis's `getGenericCommand`:
/// WRONGTYPE (and no reply) for other types. Returns whether the key exists.
fn reply_value(db: &mut Db, key: &[u8], now: i64, reply: &mut Reply) -> Result<bool, Error> {
    match db.lookup_read(key, now) {
        Some(o) => {
            reply.bulk(&string_bytes(&o.value)?);
            Ok(true)
        }
        None => {
            reply.null();
            Ok(false)
        }
    }
}

// ---------------------------------------------------------------------------------------
// GET, SET and their variants.

fn get(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    reply_value(&mut ctx.dbs[ctx.db], key, now, ctx.reply)?;
    Ok(())
}

/// How an expiry argument is expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireUnit {
    Seconds,
    Millis,
}

/// Turns an expiry argument into an absolute deadline in ms, as Redis's
/// `getExpireMillisecondsOrReply` (same checks, same error naming the command).
pub fn expire_deadline(
    ctx: &Ctx,
    arg: &[u8],
    unit: ExpireUnit,
    absolute: bool,
) -> Result<i64, Error> {
    let v = int(arg)?;
    let invalid = || {
        Error::err(format!(
            "invalid expire time in '{}' command",
            String::from_utf8_lossy(ctx.args[0]).to_lowercase()
        ))
    };
    if v <= 0 || (unit == ExpireUnit::Seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if unit == ExpireUnit::Seconds {
        v * 1000
    } else {
        v
    };
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(ctx.now).ok_or_else(invalid)
    }
}

/// The options of SET and GETEX, read as Redis's `parseExtendedStringArgumentsOrReply`.
#[derive(Default)]
struct StringOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// Position of the expiry argument, its unit, and whether it is absolute.
    expire: Option<(usize, ExpireUnit, bool)>,
}

/// Parses SET's options (`set`) or GETEX's. One form of expiry only, and not with
/// KEEPTTL or PERSIST; repeating the same form keeps the last value.
fn parse_options(args: &[&[u8]], set: bool) -> Result<StringOptions, Error> {
    let mut o = StringOptions::default();
    let mut i = if set { 3 } else { 2 };
    while i < args.len() {
        let a = args[i];
        let has_next = i + 1 < args.len();
        let form = if is(a, "ex") {
            Some((ExpireUnit::Seconds, false))
        } else if is(a, "px") {
            Some((ExpireUnit::Millis, false))
        } else if is(a, "exat") {
            Some((ExpireUnit::Seconds, true))
        } else if is(a, "pxat") {
            Some((ExpireUnit::Millis, true))
        } else {
            None
        };
        if set && is(a, "nx") && !o.xx {
            o.nx = true;
        } else if set && is(a, "xx") && !o.nx {
            o.xx = true;
        } else if set && is(a, "get") {
            o.get = true;
        } else if set && is(a, "keepttl") && o.expire.is_none() {
            o.keepttl = true;
        } else if !set && is(a, "persist") && o.expire.is_none() {
            o.persist = true;
        } else if let Some((unit, abs)) = form.filter(|_| has_next && !o.keepttl && !o.persist) {
            if matches!(o.expire, Some((_, u, a)) if (u, a) != (unit, abs)) {
                return Err(SYNTAX);
            }
            o.expire = Some((i + 1, unit, abs));
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    Ok(o)
}

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts-ms | KEEPTTL]
fn set(ctx: &mut Ctx) -> CmdResult {
    let o = parse_options(ctx.args, true)?;
    let deadline = match o.expire {
        Some((pos, unit, abs)) => Some(expire_deadline(ctx, ctx.arg(pos), unit, abs)?),
        None => None,
    };
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    if o.get {
        reply_value(db, key, now, ctx.reply)?;
    }
    let found = db.exists(key, now);
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            ctx.reply.null();
        }
        return Ok(());
    }
    db.set(key, Value::string(ctx.args[2]), o.keepttl, now);
    db.notify(notify::STRING, "set", key);
    if let Some(t) = deadline {
        db.set_expire(key, t);
        db.notify(notify::GENERIC, "expire", key);
    }
    *ctx.dirty += 1;
    if !o.get {
        ctx.reply.ok();
    }
    Ok(())
}

/// SETNX key value: 1 if set, 0 if the key exists.
fn setnx(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    if db.get_mut(key, now).is_some() {
        ctx.reply.int(0);
        return Ok(());
    }
    db.set(key, Value::string(ctx.args[2]), false, now);
    db.notify(notify::STRING, "set", key);
    *ctx.dirty += 1;
    ctx.reply.int(1);
    Ok(())
}

/// SETEX and PSETEX: SET with a relative expiry given first.
fn set_with_expire(ctx: &mut Ctx, unit: ExpireUnit) -> CmdResult {
    let deadline = expire_deadline(ctx, ctx.args[2], unit, false)?;
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.set(key, Value::string(ctx.args[3]), false, now);
    db.notify(notify::STRING, "set", key);
    db.set_expire(key, deadline);
    db.notify(notify::GENERIC, "expire", key);
    *ctx.dirty += 1;
    ctx.reply.ok();
    Ok(())
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx) -> CmdResult {
    set_with_expire(ctx, ExpireUnit::Seconds)
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx) -> CmdResult {
    set_with_expire(ctx, ExpireUnit::Millis)
}

/// GETSET key value: the old value; the new one replaces it and its TTL.
fn getset(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    reply_value(db, key, now, ctx.reply)?;
    db.set(key, Value::string(ctx.args[2]), false, now);
    db.notify(notify::STRING, "set", key);
    *ctx.dirty += 1;
    Ok(())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    if reply_value(db, key, now, ctx.reply)? {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
        *ctx.dirty += 1;
    }
    Ok(())
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ts-ms | PERSIST]. As Redis, a missing key
/// replies null before the expiry argument is checked; an absolute deadline already
/// past deletes the key.
fn getex(ctx: &mut Ctx) -> CmdResult {
    let o = parse_options(ctx.args, false)?;
    let deadline = o
        .expire
        .map(|(pos, unit, abs)| expire_deadline(ctx, ctx.arg(pos), unit, abs));
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    db.expire_if_needed(key, now);
    match db.lookup_read(key, now) {
        None => {
            ctx.reply.null();
            return Ok(());
        }
        Some(obj) => expect_string(&obj.value)?,
    }
    let deadline = deadline.transpose()?;
    if let Some(obj) = db.peek(key, now) {
        ctx.reply.bulk(&string_bytes(&obj.value)?);
    }
    let absolute = matches!(o.expire, Some((_, _, true)));
    match deadline {
        Some(t) if absolute && t <= now => {
            db.remove(key);
            db.notify(notify::GENERIC, "del", key);
            *ctx.dirty += 1;
        }
        Some(t) => {
            db.set_expire(key, t);
            db.notify(notify::GENERIC, "expire", key);
            *ctx.dirty += 1;
        }
        None => {
            if o.persist && db.persist(key) {
                db.notify(notify::GENERIC, "persist", key);
                *ctx.dirty += 1;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Several keys at once.

/// MGET key [key ...]: null for missing keys and for values that are not strings.
fn mget(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    ctx.reply.array(ctx.args.len() - 1);
    for key in &ctx.args[1..] {
        match db.lookup_read(key, now).map(|o| string_bytes(&o.value)) {
            Some(Ok(v)) => ctx.reply.bulk(&v),
            _ => ctx.reply.null(),
        }
    }
    Ok(())
}

/// MSET and MSETNX (`nx`: nothing is set if any key exists).
fn mset_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    // The name, then key-value pairs: an odd count.
    if ctx.args.len() % 2 != 1 {
        return Err(Error::new(wrong_arity(ctx.args)));
    }
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    if nx {
        for pair in ctx.args[1..].chunks(2) {
            if db.get_mut(pair[0], now).is_some() {
                ctx.reply.int(0);
                return Ok(());
            }
        }
    }
    for pair in ctx.args[1..].chunks(2) {
        db.set(pair[0], Value::string(pair[1]), false, now);
        db.notify(notify::STRING, "set", pair[0]);
    }
    *ctx.dirty += (ctx.args.len() / 2) as u64;
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, false)
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx) -> CmdResult {
    mset_generic(ctx, true)
}

// ---------------------------------------------------------------------------------------
// Lengths, ranges and in-place edits.

/// APPEND key value: the new length.
fn append(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let tail = ctx.args[2];
    let db = &mut ctx.dbs[ctx.db];
    let len = match db.get_mut(key, now) {
        Some(o) => {
            let len = string_len(&o.value)?;
            check_len(len as u64, tail.len() as u64, ctx.max_string)?;
            let buf = make_buf(&mut o.value)?;
            buf.extend_from_slice(tail);
            buf.len()
        }
        None => {
            db.set(key, Value::string(tail), false, now);
            tail.len()
        }
    };
    db.notify(notify::STRING, "append", key);
    *ctx.dirty += 1;
    ctx.reply.int(len as i64);
    Ok(())
}

/// STRLEN key
fn strlen(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let len = match ctx.dbs[ctx.db].lookup_read(key, now) {
        Some(o) => string_len(&o.value)?,
        None => 0,
    };
    ctx.reply.int(len as i64);
    Ok(())
}

/// GETRANGE key start end (and SUBSTR): inclusive, negative indexes from the end.
fn getrange(ctx: &mut Ctx) -> CmdResult {
    let start = int(ctx.args[2])?;
    let end = int(ctx.args[3])?;
    let now = ctx.now;
    let key = ctx.args[1];
    let Some(s) = read_string(&mut ctx.dbs[ctx.db], key, now)? else {
        ctx.reply.bulk(b"");
        return Ok(());
    };
    if start < 0 && end < 0 && start > end {
        ctx.reply.bulk(b"");
        return Ok(());
    }
    let len = s.len() as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if start > end {
        ctx.reply.bulk(b"");
    } else {
        ctx.reply.bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding as needed; the new
/// length.
fn setrange(ctx: &mut Ctx) -> CmdResult {
    let offset = int(ctx.args[2])?;
    if offset < 0 {
        return Err(Error::err("offset is out of range"));
    }
    let now = ctx.now;
    let key = ctx.args[1];
    let value = ctx.args[3];
    let db = &mut ctx.dbs[ctx.db];
    let end = offset as usize + value.len();
    let len = match db.get_mut(key, now) {
        Some(o) => {
            let len = string_len(&o.value)?;
            if value.is_empty() {
                ctx.reply.int(len as i64);
                return Ok(());
            }
            check_len(offset as u64, value.len() as u64, ctx.max_string)?;
            let buf = make_buf(&mut o.value)?;
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[offset as usize..end].copy_from_slice(value);
            buf.len()
        }
        None => {
            if value.is_empty() {
                ctx.reply.int(0);
                return Ok(());
            }
            check_len(offset as u64, value.len() as u64, ctx.max_string)?;
            let mut buf = vec![0; end];
            buf[offset as usize..].copy_from_slice(value);
            db.set(key, Value::Buf(Box::new(buf)), false, now);
            end
        }
    };
    db.notify(notify::STRING, "setrange", key);
    *ctx.dirty += 1;
    ctx.reply.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Counters.

/// Adds `incr` to the integer under the key (0 if absent), keeping its TTL.
fn incr_by(ctx: &mut Ctx, incr: i64) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let new = match db.get_mut(key, now) {
        Some(o) => {
            let old = match &o.value {
                Value::Int(i) => *i,
                v => parse_i64(&string_bytes(v)?).ok_or(NOT_INTEGER)?,
            };
            let new = old.checked_add(incr).ok_or(OVERFLOW)?;
            o.value = Value::Int(new);
            new
        }
        None => {
            db.set(key, Value::Int(incr), false, now);
            incr
        }
    };
    db.notify(notify::STRING, "incrby", key);
    *ctx.dirty += 1;
    ctx.reply.int(new);
    Ok(())
}

/// INCR key
fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_by(ctx, 1)
}

/// DECR key
fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_by(ctx, -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx) -> CmdResult {
    let incr = int(ctx.args[2])?;
    incr_by(ctx, incr)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx) -> CmdResult {
    let decr = int(ctx.args[2])?;
    if decr == i64::MIN {
        return Err(Error::err("decrement would overflow"));
    }
    incr_by(ctx, -decr)
}

/// INCRBYFLOAT key increment, in `long double` precision. The result is stored as text
/// (`embstr`/`raw`, never `int`), exactly as Redis prints it.
fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let old = match db.get_mut(key, now) {
        None => ld::Ld::ZERO,
        Some(o) => match &o.value {
            Value::Int(i) => ld::Ld::from_i64(*i),
            v => ld::parse(&string_bytes(v)?).ok_or(NOT_FLOAT)?,
        },
    };
    let incr = ld::parse(ctx.args[2]).ok_or(NOT_FLOAT)?;
    let sum = ld::add(old, incr);
    if !sum.is_finite() {
        return Err(Error::err("increment would produce NaN or Infinity"));
    }
    let text = ld::format_human(sum).into_bytes();
    ctx.reply.bulk(&text);
    let value = Value::Str(text.into_boxed_slice());
    match db.get_mut(key, now) {
        Some(o) => o.value = value,
        None => db.set(key, value, false, now),
    }
    db.notify(notify::STRING, "incrbyfloat", key);
    *ctx.dirty += 1;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// LCS.

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: Redis's dynamic
/// programming table and its backtracking, so ties resolve to the same subsequence and
/// the same match ranges (reported from the last to the first).
fn lcs(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let mut fetch = |key: &[u8]| match db.lookup_read(key, now) {
        None => Some(Vec::new()),
        Some(o) => string_bytes(&o.value).ok().map(|v| v.into_owned()),
    };
    let (a, b) = (fetch(args[1]), fetch(args[2]));
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Error::err("The specified keys must contain string values"));
    };
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0);
    let mut i = 3;
    while i < args.len() {
        let opt = args[i];
        if is(opt, "idx") {
            getidx = true;
        } else if is(opt, "len") {
            getlen = true;
        } else if is(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is(opt, "minmatchlen") && i + 1 < args.len() {
            minmatchlen = int(args[i + 1])?.max(0);
            i += 1;
        } else {
            return Err(SYNTAX);
        }
        i += 1;
    }
    if getidx && getlen {
        return Err(Error::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(Error::err("String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen + 1) * (blen + 1);
    if cells as u128 * 4 > ctx.max_string as u128 {
        return Err(Error::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    // table[i * w + j]: length of the LCS of a[..i] and b[..j].
    let w = blen + 1;
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        return Err(Error::err(
            "Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells, 0);
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * w + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let total = table[alen * w + blen];
    if getlen {
        ctx.reply.int(total as i64);
        return Ok(());
    }

    // Walk back from the end, collecting the subsequence and the ranges of contiguous
    // matches (a range is "unset" while its start is `alen`).
    let mut result = vec![0u8; total as usize];
    let mut ranges: Vec<[usize; 5]> = Vec::new();
    let (mut i, mut j, mut idx) = (alen, blen, total as usize);
    let unset = alen;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0, 0, 0);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * w + j] > table[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = a_start != unset;
        }
        if emit {
            let len = a_end - a_start + 1;
            if minmatchlen == 0 || len as i64 >= minmatchlen {
                ranges.push([a_start, a_end, b_start, b_end, len]);
            }
            a_start = unset;
        }
    }
    if !getidx {
        ctx.reply.bulk(&result);
        return Ok(());
    }
    ctx.reply.map(2);
    ctx.reply.bulk(b"matches");
    ctx.reply.array(ranges.len());
    for [a_start, a_end, b_start, b_end, len] in ranges {
        ctx.reply.array(2 + withmatchlen as usize);
        ctx.reply.array(2);
        ctx.reply.int(a_start as i64);
        ctx.reply.int(a_end as i64);
        ctx.reply.array(2);
        ctx.reply.int(b_start as i64);
        ctx.reply.int(b_end as i64);
        if withmatchlen {
            ctx.reply.int(len as i64);
        }
    }
    ctx.reply.bulk(b"len");
    ctx.reply.int(total as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------

/// Software x87 extended precision (`long double` on x86-64: a 64-bit significand and a
/// 15-bit exponent), just what INCRBYFLOAT needs to match Redis there exactly: reading
/// as `strtold` under `string2ld`'s rules, one correctly rounded addition, and printing
/// as `%.17Lf` with `ld2string`'s human-friendly trimming. Every operation is exact on
/// big integers, then rounded once, to nearest with ties to even.
pub mod ld {
    use std::cmp::Ordering;

    /// Exponent of the lowest bit of the smallest subnormal (2^-16445).
    const MIN_LSB: i64 = -16445;
    /// Exponent of the leading bit of the largest finite value (just under 2^16384).
    const MAX_TOP: i64 = 16383;
    /// `string2ld` refuses strings this long or longer (`MAX_LONG_DOUBLE_CHARS`).
    const MAX_CHARS: usize = 5 * 1024;

    /// A `long double`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Ld {
        /// `(-1)^neg * mant * 2^exp`, representable in the format.
        Finite {
            neg: bool,
            mant: u64,
            exp: i64,
        },
        Inf {
            neg: bool,
        },
        Nan,
    }

    impl Ld {
        pub const ZERO: Ld = Ld::Finite {
            neg: false,
            mant: 0,
            exp: 0,
        };

        /// Exact: every 64-bit integer fits the 64-bit significand.
        pub fn from_i64(v: i64) -> Ld {
            Ld::Finite {
                neg: v < 0,
                mant: v.unsigned_abs(),
                exp: 0,
            }
        }

        pub fn is_finite(&self) -> bool {
            matches!(self, Ld::Finite { .. })
        }
    }

    /// Reads a number as Redis's `string2ld`: `strtold` syntax (decimal, hexadecimal
    /// `0x...p...`, `inf`/`infinity`), the whole argument consumed, no leading space,
    /// shorter than 5 KiB. None for anything refused, including NaN, overflow, and an
    /// underflow to zero.
    pub fn parse(arg: &[u8]) -> Option<Ld> {
        if arg.len() >= MAX_CHARS {
            return None;
        }
        let first = *arg.first()?;
        if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            return None;
        }
        let (neg, body) = match first {
            b'-' => (true, &arg[1..]),
            b'+' => (false, &arg[1..]),
            _ => (false, arg),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Ld::Inf { neg });
        }
        let hex = body.len() > 2 && body[0] == b'0' && body[1] | 0x20 == b'x';
        let (mag, exp, sticky) = if hex {
            parse_hex(&body[2..])?
        } else {
            parse_decimal(body)?
        };
        if mag.is_zero() {
            return Some(Ld::Finite {
                neg,
                mant: 0,
                exp: 0,
            });
        }
        match round(neg, &mag, exp, sticky) {
            // ERANGE with HUGE_VALL or zero: refused.
            Ld::Finite { mant: 0, .. } | Ld::Inf { .. } => None,
            v => Some(v),
        }
    }

    /// Optional sign then digits, at the end of the argument: the exponent of a number,
    /// saturated far beyond any representable value.
    fn parse_exponent(s: &[u8]) -> Option<i64> {
        let (neg, digits) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let e = digits
            .iter()
            .fold(0i64, |e, &d| (e * 10 + (d - b'0') as i64).min(1 << 40));
        Some(if neg { -e } else { e })
    }

    /// A decimal number without its sign, as `mag * 2^exp` (plus `sticky`: something
    /// nonzero lies below `mag`'s last bit), with enough bits for one correct rounding.
    fn parse_decimal(s: &[u8]) -> Option<(Big, i64, bool)> {
        let mut digits: Vec<u8> = Vec::new(); // significant digits
        let (mut seen, mut dot, mut exp10) = (false, false, 0i64);
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                c @ b'0'..=b'9' => {
                    seen = true;
                    if dot {
                        exp10 -= 1;
                    }
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                }
                b'.' if !dot => dot = true,
                _ => break,
            }
            i += 1;
        }
        if !seen {
            return None;
        }
        if i < s.len() {
            if s[i] | 0x20 != b'e' {
                return None;
            }
            exp10 += parse_exponent(&s[i + 1..])?;
        }
        if digits.is_empty() {
            return Some((Big::default(), 0, false));
        }
        // The value lies in [10^(n-1+exp10), 10^(n+exp10)): settle what is surely out of
        // range (above 1.19e4932, below half of 3.65e-4951) before building big numbers.
        let n = digits.len() as i64;
        if n - 1 + exp10 >= 4933 || n + exp10 <= -4951 {
            return None;
        }
        let mut d = Big::default();
        for chunk in digits.chunks(9) {
            let v = chunk.iter().fold(0u32, |v, &c| v * 10 + c as u32);
            d.mul_add(10u32.pow(chunk.len() as u32), v);
        }
        if exp10 >= 0 {
            d.mul_pow10(exp10 as u64);
            return Some((d, 0, false));
        }
        let mut p = Big::from_u128(1);
        p.mul_pow10(exp10.unsigned_abs());
        Some(divide(&d, &p))
    }

    /// A hexadecimal number after its `0x`, as `mag * 2^exp` (exact).
    fn parse_hex(s: &[u8]) -> Option<(Big, i64, bool)> {
        let mut mag = Big::default();
        let (mut seen, mut dot, mut exp) = (false, false, 0i64);
        let mut i = 0;
        while i < s.len() {
            match (s[i] as char).to_digit(16) {
                Some(v) => {
                    seen = true;
                    mag.mul_add(16, v);
                    if dot {
                        exp -= 4;
                    }
                }
                None if s[i] == b'.' && !dot => dot = true,
                None => break,
            }
            i += 1;
        }
        if !seen {
            return None;
        }
        if i < s.len() {
            if s[i] | 0x20 != b'p' {
                return None;
            }
            exp += parse_exponent(&s[i + 1..])?;
        }
        Some((mag, exp, false))
    }

    /// `n / m` as `q * 2^exp` with a 66 or 67-bit `q`, and whether a remainder was left.
    fn divide(n: &Big, m: &Big) -> (Big, i64, bool) {
        let s = m.bit_len() as i64 - n.bit_len() as i64 + 66;
        let (mut rem, den) = if s >= 0 {
            (n.shifted(s as u64), m.clone())
        } else {
            (n.clone(), m.shifted(s.unsigned_abs()))
        };
        // rem / den now lies in (2^65, 2^67): long division, one quotient bit at a time.
        let mut q = 0u128;
        for bit in (0..68).rev() {
            let t = den.shifted(bit);
            if rem.compare(&t) != Ordering::Less {
                rem = rem.minus(&t);
                q |= 1 << bit;
            }
        }
        (Big::from_u128(q), -s, !rem.is_zero())
    }

    /// Rounds `mag * 2^exp` (plus `sticky`, only meaningful when `mag` carries at least
    /// two bits beyond the result's precision) to the nearest `long double`, ties to even,
    /// with subnormals and overflow to infinity.
    fn round(neg: bool, mag: &Big, exp: i64, sticky: bool) -> Ld {
        let len = mag.bit_len() as i64;
        if len == 0 {
            return Ld::Finite {
                neg,
                mant: 0,
                exp: 0,
            };
        }
        let top = len - 1 + exp;
        if top > MAX_TOP {
            return Ld::Inf { neg };
        }
        let mut lsb = (top - 63).max(MIN_LSB);
        let shift = lsb - exp;
        let mut mant = if shift <= 0 {
            mag.bits_from(0) << shift.unsigned_abs()
        } else {
            let s = shift as u64;
            let m = mag.bits_from(s);
            let half = mag.bit(s - 1);
            let rest = sticky || mag.any_below(s - 1);
            m + u128::from(half && (rest || m & 1 == 1))
        };
        if mant >> 64 != 0 {
            mant >>= 1;
            lsb += 1;
            if lsb + 63 > MAX_TOP {
                return Ld::Inf { neg };
            }
        }
        Ld::Finite {
            neg,
            mant: mant as u64,
            exp: lsb,
        }
    }

    /// `a + b`, correctly rounded.
    pub fn add(a: Ld, b: Ld) -> Ld {
        match (a, b) {
            (Ld::Nan, _) | (_, Ld::Nan) => Ld::Nan,
            (Ld::Inf { neg: x }, Ld::Inf { neg: y }) if x != y => Ld::Nan,
            (Ld::Inf { .. }, _) => a,
            (_, Ld::Inf { .. }) => b,
            (
                Ld::Finite {
                    neg: na,
                    mant: ma,
                    exp: ea,
                },
                Ld::Finite {
                    neg: nb,
                    mant: mb,
                    exp: eb,
                },
            ) => {
                let e = ea.min(eb);
                let x = Big::from_u128(ma as u128).shifted((ea - e) as u64);
                let y = Big::from_u128(mb as u128).shifted((eb - e) as u64);
                let (neg, sum) = if na == nb {
                    (na, x.plus(&y))
                } else if x.compare(&y) != Ordering::Less {
                    (na, x.minus(&y))
                } else {
                    (nb, y.minus(&x))
                };
                round(neg, &sum, e, false)
            }
        }
    }

    /// The text Redis stores for an INCRBYFLOAT result: `%.17Lf` (the exact value rounded
    /// to 17 decimals, ties to even), trailing zeros and a bare point removed, `-0` as `0`.
    pub fn format_human(v: Ld) -> String {
        let (neg, mant, exp) = match v {
            Ld::Finite { neg, mant, exp } => (neg, mant, exp),
            Ld::Inf { neg: false } => return "inf".into(),
            Ld::Inf { neg: true } => return "-inf".into(),
            Ld::Nan => return "nan".into(),
        };
        let mut text = if neg { "-".to_string() } else { String::new() };
        if exp >= 0 {
            text.push_str(
                &Big::from_u128(mant as u128)
                    .shifted(exp as u64)
                    .to_decimal(),
            );
        } else {
            // The value times 10^17, rounded: at most 121 bits before the shift.
            let f = exp.unsigned_abs();
            let scaled = mant as u128 * 10u128.pow(17);
            let q = if f >= 128 {
                0
            } else {
                let q = scaled >> f;
                let rem = scaled & ((1u128 << f) - 1);
                let half = 1u128 << (f - 1);
                q + u128::from(rem > half || (rem == half && q & 1 == 1))
            };
            let digits = format!("{q:018}");
            let (int_part, frac) = digits.split_at(digits.len() - 17);
            text.push_str(int_part);
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                text.push('.');
                text.push_str(frac);
            }
        }
        if text == "-0" {
            text = "0".into();
        }
        text
    }

    /// An unsigned big integer: little-endian base-2^32 limbs, no high zero limbs.
    #[derive(Clone, Debug, Default)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u128(v: u128) -> Big {
            let mut b = Big((0..4).map(|k| (v >> (32 * k)) as u32).collect());
            b.trim();
            b
        }

        fn trim(&mut self) {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
        }

        fn is_zero(&self) -> bool {
            self.0.is_empty()
        }

        fn limb(&self, i: usize) -> u32 {
            self.0.get(i).copied().unwrap_or(0)
        }

        fn bit_len(&self) -> u64 {
            match self.0.last() {
                None => 0,
                Some(top) => self.0.len() as u64 * 32 - top.leading_zeros() as u64,
            }
        }

        fn bit(&self, i: u64) -> bool {
            self.limb((i / 32) as usize) >> (i % 32) & 1 == 1
        }

        /// Whether any bit below position `i` is set.
        fn any_below(&self, i: u64) -> bool {
            let l = ((i / 32) as usize).min(self.0.len());
            self.0[..l].iter().any(|&x| x != 0) || self.limb(l) & ((1u32 << (i % 32)) - 1) != 0
        }

        /// The 128 bits from position `s` up.
        fn bits_from(&self, s: u64) -> u128 {
            let (l, r) = ((s / 32) as usize, (s % 32) as u32);
            let mut v = (0..4)
                .rev()
                .fold(0u128, |v, k| (v << 32) | self.limb(l + k) as u128);
            if r > 0 {
                v = (v >> r) | ((self.limb(l + 4) as u128) << (128 - r));
            }
            v
        }

        /// `self * m + a`.
        fn mul_add(&mut self, m: u32, a: u32) {
            let mut carry = a as u64;
            for x in self.0.iter_mut() {
                let t = *x as u64 * m as u64 + carry;
                *x = t as u32;
                carry = t >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }

        fn mul_pow10(&mut self, mut n: u64) {
            while n >= 9 {
                self.mul_add(1_000_000_000, 0);
                n -= 9;
            }
            if n > 0 {
                self.mul_add(10u32.pow(n as u32), 0);
            }
        }

        /// `self << s`.
        fn shifted(&self, s: u64) -> Big {
            if self.is_zero() {
                return Big::default();
            }
            let (l, r) = ((s / 32) as usize, (s % 32) as u32);
            let mut v = vec![0u32; l];
            if r == 0 {
                v.extend_from_slice(&self.0);
            } else {
                let mut carry = 0;
                for &x in &self.0 {
                    v.push((x << r) | carry);
                    carry = x >> (32 - r);
                }
                v.push(carry);
            }
            let mut b = Big(v);
            b.trim();
            b
        }

        fn plus(&self, o: &Big) -> Big {
            let mut v = Vec::with_capacity(self.0.len().max(o.0.len()) + 1);
            let mut carry = 0u64;
            for i in 0..self.0.len().max(o.0.len()) {
                let t = self.limb(i) as u64 + o.limb(i) as u64 + carry;
                v.push(t as u32);
                carry = t >> 32;
            }
            v.push(carry as u32);
            let mut b = Big(v);
            b.trim();
            b
        }

        /// `self - o`, for `self >= o`.
        fn minus(&self, o: &Big) -> Big {
            let mut v = Vec::with_capacity(self.0.len());
            let mut borrow = 0i64;
            for (i, &x) in self.0.iter().enumerate() {
                let mut t = x as i64 - o.limb(i) as i64 - borrow;
                borrow = (t < 0) as i64;
                if t < 0 {
                    t += 1 << 32;
                }
                v.push(t as u32);
            }
            let mut b = Big(v);
            b.trim();
            b
        }

        fn compare(&self, o: &Big) -> Ordering {
            self.0
                .len()
                .cmp(&o.0.len())
                .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
        }

        /// Divides in place by `d`, returning the remainder.
        fn div_small(&mut self, d: u32) -> u32 {
            let mut rem = 0u64;
            for x in self.0.iter_mut().rev() {
                let cur = (rem << 32) | *x as u64;
                *x = (cur / d as u64) as u32;
                rem = cur % d as u64;
            }
            self.trim();
            rem as u32
        }

        fn to_decimal(&self) -> String {
            let mut n = self.clone();
            let mut chunks = Vec::new();
            while !n.is_zero() {
                chunks.push(n.div_small(1_000_000_000));
            }
            let mut s = chunks.last().copied().unwrap_or(0).to_string();
            for c in chunks.iter().rev().skip(1) {
                s.push_str(&format!("{c:09}"));
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Protocol};

    const NOW: i64 = 1_700_000_000_000;

    /// Runs one command at time `now` and returns its RESP2 reply.
    fn run_args_at(e: &mut Engine, now: i64, args: &[&[u8]]) -> Vec<u8> {
        let c = crate::commands::lookup(args[0]).expect("known command");
        let mut reply = Reply::new(Protocol::Resp2);
        e.run(c, 0, now, 0, args, &mut reply);
        reply.buf
    }

    /// Runs a command line (arguments split on spaces) at time `now`.
    fn run_at(e: &mut Engine, now: i64, line: &str) -> Vec<u8> {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        run_args_at(e, now, &args)
    }

    fn run(e: &mut Engine, line: &str) -> Vec<u8> {
        run_at(e, NOW, line)
    }

    fn run_args(e: &mut Engine, args: &[&[u8]]) -> Vec<u8> {
        run_args_at(e, NOW, args)
    }

    fn encoding(e: &Engine, key: &str) -> &'static str {
        e.dbs[0]
            .peek(key.as_bytes(), NOW)
            .map_or("none", |o| o.value.encoding())
    }

    fn ttl(e: &Engine, key: &str) -> Option<i64> {
        e.dbs[0].expire_of(key.as_bytes())
    }

    const NULL: &[u8] = b"$-1\r\n";
    const OK: &[u8] = b"+OK\r\n";
    const SYNTAX_ERR: &[u8] = b"-ERR syntax error\r\n";
    const NOT_INT: &[u8] = b"-ERR value is not an integer or out of range\r\n";
    const NOT_FLOAT_ERR: &[u8] = b"-ERR value is not a valid float\r\n";

    #[test]
    fn value_stays_small() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn get_and_set() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "get k"), NULL);
        assert_eq!(run(&mut e, "set k v"), OK);
        assert_eq!(run(&mut e, "get k"), b"$1\r\nv\r\n");
        assert_eq!(encoding(&e, "k"), "embstr");
        assert_eq!(run(&mut e, "set n 12345"), OK);
        assert_eq!(encoding(&e, "n"), "int");
        assert_eq!(run(&mut e, "get n"), b"$5\r\n12345\r\n");
        assert_eq!(run(&mut e, "set n 012"), OK);
        assert_eq!(encoding(&e, "n"), "embstr");
        assert_eq!(e.dirty, 3);
        assert_eq!((e.dbs[0].hits, e.dbs[0].misses), (2, 1));
    }

    #[test]
    fn set_conditions_and_get() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "set k v xx"), NULL);
        assert_eq!(run(&mut e, "set k v nx"), OK);
        assert_eq!(run(&mut e, "set k w nx"), NULL);
        assert_eq!(run(&mut e, "set k w XX"), OK);
        assert_eq!(run(&mut e, "set k x get"), b"$1\r\nw\r\n");
        assert_eq!(run(&mut e, "set k y nx get"), b"$1\r\nx\r\n");
        assert_eq!(run(&mut e, "get k"), b"$1\r\nx\r\n");
        assert_eq!(run(&mut e, "set new v get"), NULL);
        assert_eq!(run(&mut e, "set other v xx get"), NULL);
        assert_eq!(run(&mut e, "exists other"), b":0\r\n");
        assert_eq!(run(&mut e, "set k v get get nx nx"), b"$1\r\nx\r\n");
    }

    #[test]
    fn set_option_errors() {
        let mut e = Engine::default();
        for line in [
            "set k v nx xx",
            "set k v xx nx",
            "set k v ex",
            "set k v ex 10 px 10",
            "set k v keepttl ex 10",
            "set k v ex 10 keepttl",
            "set k v persist",
            "set k v foo",
        ] {
            assert_eq!(run(&mut e, line), SYNTAX_ERR, "{line}");
        }
        assert_eq!(run(&mut e, "set k v ex abc"), NOT_INT);
        let invalid = b"-ERR invalid expire time in 'set' command\r\n";
        for line in [
            "set k v ex 0",
            "set k v px -1",
            "set k v ex 9223372036854776",
            "set k v ex 9223372036854775",
            "set k v px 9223372036854775807",
        ] {
            assert_eq!(run(&mut e, line), invalid, "{line}");
        }
        assert_eq!(run(&mut e, "exists k"), b":0\r\n");
        assert_eq!(e.dirty, 0);
    }

    #[test]
    fn set_expiry_forms() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "set k v ex 10"), OK);
        assert_eq!(ttl(&e, "k"), Some(NOW + 10_000));
        assert_eq!(run(&mut e, "set k v px 10 px 20"), OK);
        assert_eq!(ttl(&e, "k"), Some(NOW + 20));
        assert_eq!(run(&mut e, "set k v exat 2000000000"), OK);
        assert_eq!(ttl(&e, "k"), Some(2_000_000_000_000));
        assert_eq!(run(&mut e, "set k v pxat 9223372036854775807"), OK);
        assert_eq!(ttl(&e, "k"), Some(i64::MAX));
        assert_eq!(run(&mut e, "set k w keepttl"), OK);
        assert_eq!(ttl(&e, "k"), Some(i64::MAX));
        assert_eq!(run(&mut e, "set k w"), OK);
        assert_eq!(ttl(&e, "k"), None);
        // An absolute deadline already past leaves a key that reads as absent.
        assert_eq!(run(&mut e, "set k v exat 1"), OK);
        assert_eq!(run(&mut e, "get k"), NULL);
    }

    #[test]
    fn expired_keys_are_absent() {
        let mut e = Engine::default();
        assert_eq!(run_at(&mut e, 1000, "set k v px 100"), OK);
        assert_eq!(run_at(&mut e, 1099, "get k"), b"$1\r\nv\r\n");
        assert_eq!(run_at(&mut e, 1100, "get k"), NULL);
        assert_eq!(run_at(&mut e, 1100, "mget k"), b"*1\r\n$-1\r\n");
        assert_eq!(run_at(&mut e, 1100, "strlen k"), b":0\r\n");
        assert_eq!(run_at(&mut e, 1100, "getrange k 0 -1"), b"$0\r\n\r\n");
        assert_eq!(run_at(&mut e, 1100, "lcs k k"), b"$0\r\n\r\n");
        // Reads never delete; writes delete first and start afresh.
        assert!(e.dbs[0].keys.contains_key(&b"k"[..]));
        assert_eq!(run_at(&mut e, 1100, "append k x"), b":1\r\n");
        assert_eq!(ttl(&e, "k"), None);
        assert_eq!(e.dbs[0].expired_keys, 1);
        assert_eq!(run_at(&mut e, 1000, "set c 5 px 100"), OK);
        assert_eq!(run_at(&mut e, 1100, "incr c"), b":1\r\n");
        assert_eq!(run_at(&mut e, 1000, "set n v px 100"), OK);
        assert_eq!(run_at(&mut e, 1100, "setnx n w"), b":1\r\n");
        assert_eq!(run_at(&mut e, 1000, "set x v px 100"), OK);
        assert_eq!(run_at(&mut e, 1100, "set x w xx"), NULL);
        assert_eq!(run_at(&mut e, 1100, "msetnx x 1 y 2"), b":1\r\n");
        assert_eq!(run_at(&mut e, 1000, "set g v px 100"), OK);
        assert_eq!(run_at(&mut e, 1100, "getdel g"), NULL);
        assert_eq!(run_at(&mut e, 1100, "getset g w"), NULL);
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "setnx k v"), b":1\r\n");
        assert_eq!(run(&mut e, "setnx k w"), b":0\r\n");
        assert_eq!(run(&mut e, "get k"), b"$1\r\nv\r\n");
        assert_eq!(run(&mut e, "setex k 100 w"), OK);
        assert_eq!(ttl(&e, "k"), Some(NOW + 100_000));
        assert_eq!(run(&mut e, "psetex k 100 x"), OK);
        assert_eq!(ttl(&e, "k"), Some(NOW + 100));
        assert_eq!(run(&mut e, "get k"), b"$1\r\nx\r\n");
        assert_eq!(run(&mut e, "setex k abc v"), NOT_INT);
        assert_eq!(
            run(&mut e, "setex k 0 v"),
            b"-ERR invalid expire time in 'setex' command\r\n"
        );
        assert_eq!(
            run(&mut e, "PSETEX k -5 v"),
            b"-ERR invalid expire time in 'psetex' command\r\n"
        );
        assert_eq!(e.dirty, 3);
    }

    #[test]
    fn getset_and_getdel() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "getset k v"), NULL);
        assert_eq!(run(&mut e, "setex k 100 w"), OK);
        assert_eq!(run(&mut e, "getset k x"), b"$1\r\nw\r\n");
        assert_eq!(ttl(&e, "k"), None);
        assert_eq!(run(&mut e, "getdel k"), b"$1\r\nx\r\n");
        assert_eq!(run(&mut e, "getdel k"), NULL);
        assert_eq!(run(&mut e, "exists k"), b":0\r\n");
        assert_eq!(e.dirty, 4);
    }

    #[test]
    fn getex() {
        let mut e = Engine::default();
        // A missing key replies null before the expiry is even parsed.
        assert_eq!(run(&mut e, "getex nokey"), NULL);
        assert_eq!(run(&mut e, "getex nokey ex -1"), NULL);
        assert_eq!(run(&mut e, "getex nokey persist ex 10"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "set k v"), OK);
        for line in [
            "getex k ex",
            "getex k ex 10 px 10",
            "getex k persist px 10",
            "getex k nx",
            "getex k keepttl",
            "getex k get",
        ] {
            assert_eq!(run(&mut e, line), SYNTAX_ERR, "{line}");
        }
        assert_eq!(run(&mut e, "getex k ex abc"), NOT_INT);
        assert_eq!(
            run(&mut e, "getex k ex 0"),
            b"-ERR invalid expire time in 'getex' command\r\n"
        );
        let dirty = e.dirty;
        assert_eq!(run(&mut e, "getex k"), b"$1\r\nv\r\n");
        assert_eq!(run(&mut e, "getex k persist"), b"$1\r\nv\r\n");
        assert_eq!(e.dirty, dirty);
        assert_eq!(run(&mut e, "getex k ex 10 ex 20"), b"$1\r\nv\r\n");
        assert_eq!(ttl(&e, "k"), Some(NOW + 20_000));
        assert_eq!(run(&mut e, "getex k pxat 9000000000000"), b"$1\r\nv\r\n");
        assert_eq!(ttl(&e, "k"), Some(9_000_000_000_000));
        assert_eq!(run(&mut e, "getex k persist persist"), b"$1\r\nv\r\n");
        assert_eq!(ttl(&e, "k"), None);
        assert_eq!(e.dirty, dirty + 3);
        // An absolute deadline already past deletes the key.
        assert_eq!(run(&mut e, "getex k exat 1"), b"$1\r\nv\r\n");
        assert!(!e.dbs[0].keys.contains_key(&b"k"[..]));
        assert_eq!(e.dirty, dirty + 4);
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "mset a 1 b 2 c 3"), OK);
        assert_eq!(e.dirty, 3);
        assert_eq!(
            run(&mut e, "mget a b nokey c"),
            b"*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            run(&mut e, "mset a 1 b"),
            b"-ERR wrong number of arguments for 'mset' command\r\n"
        );
        assert_eq!(
            run(&mut e, "MSETNX a"),
            b"-ERR wrong number of arguments for 'msetnx' command\r\n"
        );
        assert_eq!(run(&mut e, "msetnx a 1 x 2"), b":0\r\n");
        assert_eq!(run(&mut e, "exists x"), b":0\r\n");
        assert_eq!(run(&mut e, "msetnx x 1 x 2"), b":1\r\n");
        assert_eq!(run(&mut e, "get x"), b"$1\r\n2\r\n");
        assert_eq!(e.dirty, 5);
    }

    #[test]
    fn append_and_strlen() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "append k hello"), b":5\r\n");
        assert_eq!(encoding(&e, "k"), "embstr");
        assert_eq!(run_args(&mut e, &[b"append", b"k", b" world"]), b":11\r\n");
        assert_eq!(encoding(&e, "k"), "raw");
        assert_eq!(run(&mut e, "get k"), b"$11\r\nhello world\r\n");
        assert_eq!(run(&mut e, "strlen k"), b":11\r\n");
        assert_eq!(run(&mut e, "strlen nokey"), b":0\r\n");
        assert_eq!(run(&mut e, "append n 123"), b":3\r\n");
        assert_eq!(encoding(&e, "n"), "int");
        assert_eq!(run(&mut e, "strlen n"), b":3\r\n");
        assert_eq!(run(&mut e, "append n 4"), b":4\r\n");
        assert_eq!(encoding(&e, "n"), "raw");
        assert_eq!(run(&mut e, "incr n"), b":1235\r\n");
        // An empty append still rewrites the value as raw, and counts.
        assert_eq!(run(&mut e, "set s v"), OK);
        let dirty = e.dirty;
        assert_eq!(run_args(&mut e, &[b"append", b"s", b""]), b":1\r\n");
        assert_eq!(encoding(&e, "s"), "raw");
        assert_eq!(e.dirty, dirty + 1);
        // Appending keeps the TTL.
        assert_eq!(run(&mut e, "setex t 100 a"), OK);
        assert_eq!(run(&mut e, "append t b"), b":2\r\n");
        assert_eq!(ttl(&e, "t"), Some(NOW + 100_000));
    }

    #[test]
    fn string_size_limit() {
        let mut e = Engine {
            max_string: 10,
            ..Engine::default()
        };
        let too_long = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
        assert_eq!(run(&mut e, "append k 0123456789"), b":10\r\n");
        assert_eq!(run(&mut e, "append k x"), too_long);
        assert_eq!(run_args(&mut e, &[b"append", b"k", b""]), b":10\r\n");
        assert_eq!(run(&mut e, "setrange k 9 x"), b":10\r\n");
        assert_eq!(run(&mut e, "setrange k 9 xy"), too_long);
        assert_eq!(run(&mut e, "setrange new 10 x"), too_long);
        assert_eq!(run(&mut e, "setrange new 9223372036854775807 x"), too_long);
        assert_eq!(run(&mut e, "exists new"), b":0\r\n");
    }

    #[test]
    fn getrange_and_substr() {
        let mut e = Engine::default();
        assert_eq!(run_args(&mut e, &[b"set", b"s", b"Hello World"]), OK);
        for (range, want) in [
            ("0 4", &b"$5\r\nHello\r\n"[..]),
            ("-5 -1", b"$5\r\nWorld\r\n"),
            ("-1 -5", b"$0\r\n\r\n"),
            ("0 -1", b"$11\r\nHello World\r\n"),
            ("0 100", b"$11\r\nHello World\r\n"),
            ("100 200", b"$0\r\n\r\n"),
            ("-100 -50", b"$1\r\nH\r\n"),
            ("-100 2", b"$3\r\nHel\r\n"),
            ("5 3", b"$0\r\n\r\n"),
            ("0 -100", b"$1\r\nH\r\n"),
            (
                "-9223372036854775808 9223372036854775807",
                b"$11\r\nHello World\r\n",
            ),
        ] {
            assert_eq!(run(&mut e, &format!("getrange s {range}")), want, "{range}");
        }
        assert_eq!(run(&mut e, "substr s 6 -1"), b"$5\r\nWorld\r\n");
        assert_eq!(run(&mut e, "getrange s a 1"), NOT_INT);
        assert_eq!(run(&mut e, "getrange s 1 a"), NOT_INT);
        assert_eq!(run(&mut e, "getrange nokey 0 1"), b"$0\r\n\r\n");
        assert_eq!(run(&mut e, "getrange nokey a 1"), NOT_INT);
        assert_eq!(
            run(&mut e, "substr s 0"),
            b"-ERR wrong number of arguments for 'substr' command\r\n"
        );
        assert_eq!(run(&mut e, "set n 123456"), OK);
        assert_eq!(run(&mut e, "getrange n 1 3"), b"$3\r\n234\r\n");
        assert_eq!(run(&mut e, "getrange n -2 -1"), b"$2\r\n56\r\n");
        assert_eq!(run_args(&mut e, &[b"set", b"empty", b""]), OK);
        assert_eq!(run(&mut e, "getrange empty 0 -1"), b"$0\r\n\r\n");
    }

    #[test]
    fn setrange() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "setrange k 5 hi"), b":7\r\n");
        assert_eq!(run(&mut e, "get k"), b"$7\r\n\0\0\0\0\0hi\r\n");
        assert_eq!(encoding(&e, "k"), "raw");
        assert_eq!(run(&mut e, "setrange k 0 HELLO"), b":7\r\n");
        assert_eq!(run(&mut e, "setrange k 6 world"), b":11\r\n");
        assert_eq!(run(&mut e, "get k"), b"$11\r\nHELLOhworld\r\n");
        assert_eq!(
            run(&mut e, "setrange k -1 x"),
            b"-ERR offset is out of range\r\n"
        );
        assert_eq!(run(&mut e, "setrange k a x"), NOT_INT);
        // Setting nothing: the current length, no key created, nothing counted.
        let dirty = e.dirty;
        assert_eq!(
            run_args(&mut e, &[b"setrange", b"k", b"1", b""]),
            b":11\r\n"
        );
        assert_eq!(
            run_args(&mut e, &[b"setrange", b"nokey", b"5", b""]),
            b":0\r\n"
        );
        assert_eq!(run(&mut e, "exists nokey"), b":0\r\n");
        assert_eq!(e.dirty, dirty);
        assert_eq!(run(&mut e, "set n 1234"), OK);
        assert_eq!(run(&mut e, "setrange n 1 X"), b":4\r\n");
        assert_eq!(run(&mut e, "get n"), b"$4\r\n1X34\r\n");
        assert_eq!(encoding(&e, "n"), "raw");
        assert_eq!(run(&mut e, "setex t 100 abc"), OK);
        assert_eq!(run(&mut e, "setrange t 1 X"), b":3\r\n");
        assert_eq!(ttl(&e, "t"), Some(NOW + 100_000));
    }

    #[test]
    fn integer_counters() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "incr c"), b":1\r\n");
        assert_eq!(run(&mut e, "incrby c 10"), b":11\r\n");
        assert_eq!(run(&mut e, "decr c"), b":10\r\n");
        assert_eq!(run(&mut e, "decrby c 15"), b":-5\r\n");
        assert_eq!(run(&mut e, "decrby c -5"), b":0\r\n");
        assert_eq!(encoding(&e, "c"), "int");
        assert_eq!(e.dirty, 5);
        assert_eq!(run(&mut e, "incrby c abc"), NOT_INT);
        assert_eq!(run(&mut e, "incrby c 1.5"), NOT_INT);
        assert_eq!(
            run(&mut e, "decrby c -9223372036854775808"),
            b"-ERR decrement would overflow\r\n"
        );
        let overflow = b"-ERR increment or decrement would overflow\r\n";
        assert_eq!(run(&mut e, "set c 9223372036854775807"), OK);
        assert_eq!(run(&mut e, "incr c"), overflow);
        assert_eq!(run(&mut e, "set c -9223372036854775808"), OK);
        assert_eq!(run(&mut e, "decr c"), overflow);
        assert_eq!(run(&mut e, "incrby c 9223372036854775807"), b":-1\r\n");
        for bad in [
            " 12",
            "12 ",
            "+12",
            "012",
            "-0",
            "12345678901234567890",
            "1.0",
            "",
        ] {
            assert_eq!(run_args(&mut e, &[b"set", b"s", bad.as_bytes()]), OK);
            assert_eq!(run(&mut e, "incr s"), NOT_INT, "{bad:?}");
        }
        // A counter held as text becomes an integer; the TTL stays.
        assert_eq!(run(&mut e, "setex s 100 41"), OK);
        assert_eq!(run(&mut e, "append s 0"), b":3\r\n");
        assert_eq!(run(&mut e, "incr s"), b":411\r\n");
        assert_eq!(encoding(&e, "s"), "int");
        assert_eq!(ttl(&e, "s"), Some(NOW + 100_000));
    }

    #[test]
    fn incrbyfloat() {
        let mut e = Engine::default();
        for (incr, want) in [
            ("10.5", &b"$4\r\n10.5\r\n"[..]),
            ("0.1", b"$4\r\n10.6\r\n"),
            // long double arithmetic, as Redis on x86-64.
            ("5.0e3", b"$22\r\n5010.60000000000000009\r\n"),
            ("2.0e2", b"$22\r\n5210.60000000000000009\r\n"),
            ("-5210.6", b"$1\r\n0\r\n"),
            ("-0.00000000000000001", b"$20\r\n-0.00000000000000001\r\n"),
            ("1e-400", b"$20\r\n-0.00000000000000001\r\n"),
            ("0x10", b"$20\r\n15.99999999999999999\r\n"),
        ] {
            assert_eq!(
                run(&mut e, &format!("incrbyfloat f {incr}")),
                want,
                "{incr}"
            );
        }
        assert_eq!(encoding(&e, "f"), "embstr");
        assert_eq!(run(&mut e, "set g 0.1"), OK);
        assert_eq!(run(&mut e, "incrbyfloat g 0.2"), b"$3\r\n0.3\r\n");
        assert_eq!(run(&mut e, "incrbyfloat g 0.1"), b"$3\r\n0.4\r\n");
        // An integer result is stored as text, not as an integer.
        assert_eq!(run(&mut e, "setex i 100 5"), OK);
        assert_eq!(run(&mut e, "incrbyfloat i 1"), b"$1\r\n6\r\n");
        assert_eq!(encoding(&e, "i"), "embstr");
        assert_eq!(ttl(&e, "i"), Some(NOW + 100_000));
        assert_eq!(run(&mut e, "incr i"), b":7\r\n");
        let huge = run(&mut e, "incrbyfloat h 1e400");
        assert!(huge.starts_with(b"$401\r\n10000000000000000000281880683947586514586"));
        for bad in [
            "abc", "nan", " 1", "1 ", "1e", "0x", ".", "--1", "1.2.", "1e99999", "", "1\0",
        ] {
            let args: [&[u8]; 3] = [b"incrbyfloat", b"f", bad.as_bytes()];
            assert_eq!(run_args(&mut e, &args), NOT_FLOAT_ERR, "{bad:?}");
        }
        let inf = b"-ERR increment would produce NaN or Infinity\r\n";
        assert_eq!(run(&mut e, "incrbyfloat f inf"), inf);
        assert_eq!(run(&mut e, "incrbyfloat f -Infinity"), inf);
        assert_eq!(run(&mut e, "set f inf"), OK);
        assert_eq!(run(&mut e, "incrbyfloat f -inf"), inf);
        assert_eq!(run(&mut e, "set f abc"), OK);
        assert_eq!(run(&mut e, "incrbyfloat f 1"), NOT_FLOAT_ERR);
        assert_eq!(run(&mut e, "get f"), b"$3\r\nabc\r\n");
    }

    #[test]
    fn long_double_edges() {
        use super::ld::{add, format_human, parse, Ld};
        let f = |s: &str| format_human(parse(s.as_bytes()).expect(s));
        assert_eq!(f("0"), "0");
        assert_eq!(f("-0"), "0");
        assert_eq!(f("1.5"), "1.5");
        assert_eq!(f("0x1.8p1"), "3");
        assert_eq!(f("2.5e-17"), "0.00000000000000002");
        assert_eq!(f("3.5e-17"), "0.00000000000000004");
        assert_eq!(f("-1.5e-17"), "-0.00000000000000002");
        assert_eq!(f("18446744073709551615"), "18446744073709551615");
        assert_eq!(f("18446744073709551617"), "18446744073709551616");
        assert_eq!(f("3.6e-4951"), "0");
        assert_eq!(f("1.18973149535723176502e+4932").len(), 4933);
        // Overflow and underflow to zero are refused, as strtold's ERANGE.
        assert_eq!(parse(b"1.18973149535723176508e+4932"), None);
        assert_eq!(parse(b"1.8e-4951"), None);
        assert_eq!(parse(b"0x1p-16446"), None);
        assert_eq!(parse(b"0e999999999999999999"), Some(Ld::ZERO));
        assert_eq!(parse(b"INFINITY"), Some(Ld::Inf { neg: false }));
        assert_eq!(parse(b"infinit"), None);
        assert_eq!(parse(b"\x0b1"), None);
        let max = parse(b"1.18973149535723176502e+4932").unwrap_or(Ld::Nan);
        assert_eq!(add(max, max), Ld::Inf { neg: false });
        assert_eq!(add(Ld::Inf { neg: true }, Ld::Inf { neg: false }), Ld::Nan);
        assert_eq!(
            format_human(add(Ld::from_i64(i64::MIN), Ld::from_i64(-1))),
            "-9223372036854775809"
        );
    }

    #[test]
    fn lcs() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "mset key1 ohmytext key2 mynewtext"), OK);
        assert_eq!(run(&mut e, "lcs key1 key2"), b"$6\r\nmytext\r\n");
        assert_eq!(run(&mut e, "lcs key1 key2 len"), b":6\r\n");
        assert_eq!(
            run(&mut e, "lcs key1 key2 withmatchlen"),
            b"$6\r\nmytext\r\n"
        );
        assert_eq!(
            run(&mut e, "lcs key1 key2 idx"),
            &b"*4\r\n$7\r\nmatches\r\n*2\r\n\
               *2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
               *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n\
               $3\r\nlen\r\n:6\r\n"[..]
        );
        assert_eq!(
            run(&mut e, "lcs key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN"),
            &b"*4\r\n$7\r\nmatches\r\n*1\r\n\
               *3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
               $3\r\nlen\r\n:6\r\n"[..]
        );
        assert_eq!(run(&mut e, "mset l3 aaaaabbbbbaaaaa l4 ababababababa"), OK);
        assert_eq!(run(&mut e, "lcs l3 l4"), b"$8\r\nabbaaaaa\r\n");
        assert_eq!(
            run(&mut e, "lcs l3 l4 idx minmatchlen 2 withmatchlen"),
            &b"*4\r\n$7\r\nmatches\r\n*1\r\n\
               *3\r\n*2\r\n:9\r\n:10\r\n*2\r\n:3\r\n:4\r\n:2\r\n\
               $3\r\nlen\r\n:8\r\n"[..]
        );
        assert_eq!(run(&mut e, "lcs key1 nokey"), b"$0\r\n\r\n");
        assert_eq!(
            run(&mut e, "lcs nokey nokey2 idx"),
            b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
        );
        assert_eq!(
            run(&mut e, "lcs key1 key2 len idx"),
            b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
        );
        assert_eq!(run(&mut e, "lcs key1 key2 minmatchlen"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "lcs key1 key2 minmatchlen x"), NOT_INT);
        assert_eq!(run(&mut e, "lcs key1 key2 foo"), SYNTAX_ERR);
        // The DP table may not exceed proto-max-bulk-len.
        e.max_string = 4 * 9 * 10 - 1;
        assert_eq!(
            run(&mut e, "lcs key1 key2"),
            b"-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
        );
    }

    #[test]
    fn lcs_resp3() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "mset a ab b ab"), OK);
        let args: [&[u8]; 4] = [b"lcs", b"a", b"b", b"idx"];
        let c = crate::commands::lookup(b"LCS").expect("lcs");
        let mut reply = Reply::new(Protocol::Resp3);
        e.run(c, 0, NOW, 0, &args, &mut reply);
        assert_eq!(
            reply.buf,
            b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:2\r\n"
        );
        let get = crate::commands::lookup(b"get").expect("get");
        let mut reply = Reply::new(Protocol::Resp3);
        e.run(get, 0, NOW, 0, &[b"get", b"nokey"], &mut reply);
        assert_eq!(reply.buf, b"_\r\n");
    }

    #[test]
    fn table_entries() {
        for (name, arity, write) in [
            ("getex", -2, true),
            ("mset", -3, true),
            ("substr", 4, false),
            ("lcs", -3, false),
        ] {
            let c = crate::commands::lookup(name.as_bytes()).expect(name);
            assert_eq!(
                (c.arity, c.is_write(), c.group),
                (arity, write, "string"),
                "{name}"
            );
        }
        let mset = crate::commands::lookup(b"mset").expect("mset");
        let args: [&[u8]; 5] = [b"mset", b"a", b"1", b"b", b"2"];
        assert_eq!(mset.keys.positions(&args), vec![1, 3]);
    }
}
