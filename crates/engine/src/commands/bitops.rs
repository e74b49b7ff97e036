//! Bitmap commands (Redis's `bitops.c`): SETBIT/GETBIT, BITCOUNT and BITPOS over byte
//! or bit ranges, BITOP, and BITFIELD/BITFIELD_RO. Bitmaps are ordinary strings; bit 0
//! is the most significant bit of the first byte. Writes grow the string with zero bytes
//! and leave it a growable `Buf` (Redis's `raw`).

use super::string::make_buf;
use super::{expect_string, read_string, string_bytes};
use crate::args::{int, is};
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, BIT_OFFSET, SYNTAX,
};
use crate::db::notify;
use crate::object::Value;
use redraft_resp::{parse_i64, Reply};
use std::borrow::Cow;

/// BITOP: the destination, then the sources.
const DEST_AND_SOURCES: Keys = Keys::Range {
    first: 2,
    last: -1,
    step: 1,
};

pub const COMMANDS: &[EngineCommand] = &[
    cmd("setbit", 4, WRITE | DENYOOM, Keys::one(), "bitmap", "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", setbit),
    cmd("getbit", 3, READONLY | FAST, Keys::one(), "bitmap", "2.2.0", "Returns a bit value by offset.", getbit),
    cmd("bitcount", -2, READONLY, Keys::one(), "bitmap", "2.6.0", "Counts the number of set bits (population counting) in a string.", bitcount),
    cmd("bitpos", -3, READONLY, Keys::one(), "bitmap", "2.8.7", "Finds the first set (1) or clear (0) bit in a string.", bitpos),
    cmd("bitop", -4, WRITE | DENYOOM, DEST_AND_SOURCES, "bitmap", "2.6.0", "Performs bitwise operations on multiple strings, and stores the result.", bitop),
    cmd("bitfield", -2, WRITE | DENYOOM, Keys::one(), "bitmap", "3.2.0", "Performs arbitrary bitfield integer operations on strings.", bitfield),
    cmd("bitfield_ro", -2, READONLY | FAST, Keys::one(), "bitmap", "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.", bitfield_ro),
];

/// A bit offset as Redis's `getBitOffsetFromArgument`: a non-negative integer whose byte
/// lies within `proto-max-bulk-len`. With `bits` (BITFIELD's field width), `#N` means
/// the N-th field, N * bits.
fn bit_offset(arg: &[u8], bits: u32, max: usize) -> Result<u64, Error> {
    let hash = bits > 0 && arg.first() == Some(&b'#');
    let digits = if hash { &arg[1..] } else { arg };
    let mut offset = parse_i64(digits).ok_or(BIT_OFFSET)?;
    if hash {
        offset = offset.wrapping_mul(bits as i64);
    }
    if offset < 0 || (offset >> 3) as u64 >= max as u64 {
        return Err(BIT_OFFSET);
    }
    Ok(offset as u64)
}

/// The bit at `pos` (false beyond the end).
fn bit_at(s: &[u8], pos: u64) -> bool {
    s.get((pos >> 3) as usize)
        .is_some_and(|b| b & (0x80 >> (pos & 7)) != 0)
}

/// SETBIT key offset value: the bit's previous value.
fn setbit(ctx: &mut Ctx) -> CmdResult {
    let offset = bit_offset(ctx.args[2], 0, ctx.max_string)?;
    let on = match parse_i64(ctx.args[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return Err(Error::err("bit is not an integer or out of range")),
    };
    let now = ctx.now;
    let key = ctx.args[1];
    let db = &mut ctx.dbs[ctx.db];
    let (byte, mask) = ((offset >> 3) as usize, 0x80u8 >> (offset & 7));
    let (old, changed) = match db.get_mut(key, now) {
        Some(o) => {
            let buf = make_buf(&mut o.value)?;
            let grew = buf.len() <= byte;
            if grew {
                buf.resize(byte + 1, 0);
            }
            let old = buf[byte] & mask != 0;
            let changed = grew || old != on;
            if changed {
                if on {
                    buf[byte] |= mask;
                } else {
                    buf[byte] &= !mask;
                }
            }
            (old, changed)
        }
        None => {
            let mut buf = vec![0; byte + 1];
            if on {
                buf[byte] = mask;
            }
            db.set(key, Value::Buf(Box::new(buf)), false, now);
            (false, true)
        }
    };
    if changed {
        db.notify(notify::STRING, "setbit", key);
        *ctx.dirty += 1;
    }
    ctx.reply.int(old as i64);
    Ok(())
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx) -> CmdResult {
    let offset = bit_offset(ctx.args[2], 0, ctx.max_string)?;
    let now = ctx.now;
    let key = ctx.args[1];
    let bit = match read_string(&mut ctx.dbs[ctx.db], key, now)? {
        Some(s) => bit_at(&s, offset),
        None => false,
    };
    ctx.reply.int(bit as i64);
    Ok(())
}

/// BYTE or BIT, the unit of a range (true for BIT).
fn range_unit(arg: &[u8]) -> Result<bool, Error> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

/// Resolves a BITCOUNT/BITPOS range over a string of `len` bytes as Redis does:
/// negative indexes count from the end, then both ends are clamped into the string.
/// Returns the first and last bit positions, or None for an empty range.
fn bit_range(len: usize, start: i64, end: i64, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }
        .max(0)
        .min(total - 1);
    if start > end {
        None
    } else if in_bits {
        Some((start as u64, end as u64))
    } else {
        Some((start as u64 * 8, end as u64 * 8 + 7))
    }
}

/// Set bits from bit `first` to bit `last`, inclusive (both within `s`).
fn count_bits(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let mut n: u64 = s[fb..=lb].iter().map(|b| b.count_ones() as u64).sum();
    // Take off the bits of the edge bytes that lie outside the range.
    n -= (s[fb] & !(0xFFu8 >> (first & 7))).count_ones() as u64;
    n -= (s[lb] & (0x7Fu8 >> (last & 7))).count_ones() as u64;
    n
}

/// BITCOUNT key [start end [BYTE | BIT]]. As Redis 7.2, a missing key counts 0 before
/// the arguments are looked at.
fn bitcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    let Some(s) = read_string(&mut ctx.dbs[ctx.db], args[1], now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let range = match args.len() {
        2 => bit_range(s.len(), 0, -1, false),
        4 | 5 => {
            let start = int(args[2])?;
            let end = int(args[3])?;
            if start < 0 && end < 0 && start > end {
                ctx.reply.int(0);
                return Ok(());
            }
            let in_bits = args.len() == 5 && range_unit(args[4])?;
            bit_range(s.len(), start, end, in_bits)
        }
        _ => return Err(SYNTAX),
    };
    let n = range.map_or(0, |(first, last)| count_bits(&s, first, last));
    ctx.reply.int(n as i64);
    Ok(())
}

/// The first bit equal to `want` from bit `first` to bit `last` (both within `s`).
fn find_bit(s: &[u8], first: u64, last: u64, want: bool) -> Option<u64> {
    let mut pos = first;
    // Bit by bit up to a byte boundary, then whole bytes, then the last bits.
    while pos <= last && pos & 7 != 0 {
        if bit_at(s, pos) == want {
            return Some(pos);
        }
        pos += 1;
    }
    let (from, to) = ((pos >> 3) as usize, ((last + 1) >> 3) as usize);
    if from < to {
        let skip = if want { 0x00 } else { 0xFF };
        if let Some(k) = s[from..to].iter().position(|&b| b != skip) {
            let b = if want { s[from + k] } else { !s[from + k] };
            return Some((from + k) as u64 * 8 + b.leading_zeros() as u64);
        }
        pos = to as u64 * 8;
    }
    (pos..=last).find(|&p| bit_at(s, p) == want)
}

/// BITPOS key bit [start [end [BYTE | BIT]]]. A missing key is all zeros. Looking for a
/// 0 without an explicit end finds the first bit past the string when the range holds
/// none, as Redis does.
fn bitpos(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let bit = int(args[2])?;
    if bit != 0 && bit != 1 {
        return Err(Error::err("The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    let now = ctx.now;
    let Some(s) = read_string(&mut ctx.dbs[ctx.db], args[1], now)? else {
        ctx.reply.int(if want { -1 } else { 0 });
        return Ok(());
    };
    let end_given = args.len() >= 5;
    let range = match args.len() {
        3 => bit_range(s.len(), 0, -1, false),
        4..=6 => {
            let start = int(args[3])?;
            let in_bits = args.len() == 6 && range_unit(args[5])?;
            let end = if end_given { int(args[4])? } else { -1 };
            bit_range(s.len(), start, end, in_bits)
        }
        _ => return Err(SYNTAX),
    };
    let pos = match range {
        None => -1,
        Some((first, last)) => match find_bit(&s, first, last, want) {
            Some(p) => p as i64,
            None if !want && !end_given => last as i64 + 1,
            None => -1,
        },
    };
    ctx.reply.int(pos);
    Ok(())
}

/// BITOP AND | OR | XOR | NOT destkey key [key ...]: the result's length. Missing keys
/// are empty strings, shorter strings are zero-padded; an empty result deletes destkey.
fn bitop(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match args[1] {
        a if is(a, "and") => Op::And,
        a if is(a, "or") => Op::Or,
        a if is(a, "xor") => Op::Xor,
        a if is(a, "not") => Op::Not,
        _ => return Err(SYNTAX),
    };
    if op == Op::Not && args.len() != 4 {
        return Err(Error::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let sources = &args[3..];
    // Hit/miss statistics and type checks first, in order, as Redis's lookups.
    for key in sources {
        if let Some(o) = db.lookup_read(key, now) {
            expect_string(&o.value)?;
        }
    }
    let values = sources
        .iter()
        .map(|key| match db.peek(key, now) {
            Some(o) => string_bytes(&o.value),
            None => Ok(Cow::Borrowed(&[][..])),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let maxlen = values.iter().map(|v| v.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    res[..values[0].len()].copy_from_slice(&values[0]);
    if op == Op::Not {
        res.iter_mut().for_each(|b| *b = !*b);
    }
    for v in &values[1..] {
        let (head, tail) = res.split_at_mut(v.len());
        let pairs = head.iter_mut().zip(v.iter());
        match op {
            Op::And => {
                pairs.for_each(|(r, b)| *r &= b);
                tail.fill(0);
            }
            Op::Or => pairs.for_each(|(r, b)| *r |= b),
            Op::Xor | Op::Not => pairs.for_each(|(r, b)| *r ^= b),
        }
    }
    drop(values);
    let dest = args[2];
    if maxlen > 0 {
        db.set(dest, Value::Buf(Box::new(res)), false, now);
        db.notify(notify::STRING, "set", dest);
        *ctx.dirty += 1;
    } else if db.remove(dest).is_some() {
        // As Redis's `dbDelete`: even a key past its deadline is deleted (and `del`).
        db.notify(notify::GENERIC, "del", dest);
        *ctx.dirty += 1;
    }
    ctx.reply.int(maxlen as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// BITFIELD.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One BITFIELD operation on a field of `bits` bits at bit `offset`.
struct Field {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

/// A field type: `i1`..`i64` or `u1`..`u63` (lower-case only, as Redis).
fn field_type(arg: &[u8]) -> Result<(bool, u32), Error> {
    let invalid = || {
        Error::err(
            "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(invalid()),
    };
    // Redis reads the width as a C string: up to a NUL.
    let width = arg[1..].split(|&c| c == 0).next().unwrap_or_default();
    match parse_i64(width) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(invalid()),
    }
}

/// The unsigned value of the field (bits beyond the end of `s` read as zeros).
fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + bits as u64).fold(0, |v, pos| (v << 1) | bit_at(s, pos) as u64)
}

/// Writes the low `bits` bits of `value` into the field (within `s`).
fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for k in 0..bits as u64 {
        let pos = offset + k;
        let mask = 0x80u8 >> (pos & 7);
        if let Some(b) = s.get_mut((pos >> 3) as usize) {
            if value >> (bits as u64 - 1 - k) & 1 == 1 {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// A field's value as replied: signed fields sign-extended.
fn read_field(s: &[u8], f: &Field) -> i64 {
    let v = get_field(s, f.offset, f.bits);
    if f.signed {
        sign_extend(v, f.bits)
    } else {
        v as i64
    }
}

/// Runs a SET (`arg` is the new value) or INCRBY (`arg` is the increment) on `buf`,
/// long enough for the field. The reply (the old value for SET, the new one for INCRBY)
/// and whether the field changed, or None when OVERFLOW FAIL refuses the write.
fn write_field(buf: &mut [u8], f: &Field, arg: i64, incr: bool) -> Option<(i64, bool)> {
    let bits = f.bits;
    let old = read_field(buf, f);
    // The operands as Redis's overflow checks see them: SET checks `arg + 0`, and an
    // unsigned SET takes a negative `arg` as a huge unsigned value.
    let (value, delta): (i128, i64) = match (incr, f.signed) {
        (true, _) => (old as i128, arg),
        (false, true) => (arg as i128, 0),
        (false, false) => (arg as u64 as i128, 0),
    };
    let (min, max): (i128, i128) = if f.signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let sum = value + delta as i128;
    let new = if sum > max || sum < min {
        match f.overflow {
            Overflow::Fail => return None,
            Overflow::Sat if sum > max => max as i64,
            Overflow::Sat => min as i64,
            Overflow::Wrap => {
                let wrapped = (value as u64).wrapping_add(delta as u64);
                if f.signed {
                    sign_extend(wrapped, bits)
                } else {
                    (wrapped & (u64::MAX >> (64 - bits))) as i64
                }
            }
        }
    } else {
        sum as i64
    };
    set_field(buf, f.offset, bits, new as u64);
    Some((if incr { new } else { old }, new != old))
}

/// Runs every operation on `buf` (already grown for the writes), replying as it goes.
/// Returns the modifications, as Redis counts them: each write done, unless it left its
/// field unchanged in a string that was neither created nor grown (`grown`).
fn run_fields(buf: &mut [u8], fields: &[Field], grown: bool, reply: &mut Reply) -> u64 {
    reply.array(fields.len());
    let mut changes = 0;
    for f in fields {
        let r = match f.op {
            FieldOp::Get => Some((read_field(buf, f), false)),
            FieldOp::Set(v) => write_field(buf, f, v, false),
            FieldOp::IncrBy(v) => write_field(buf, f, v, true),
        };
        match r {
            Some((v, changed)) => {
                reply.int(v);
                if changed || (grown && !matches!(f.op, FieldOp::Get)) {
                    changes += 1;
                }
            }
            None => reply.null(),
        }
    }
    changes
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL] SET type offset value |
/// INCRBY type offset increment ...], and BITFIELD_RO (`readonly`: GET only).
fn bitfield_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let args = ctx.args;
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    // The last bit any SET or INCRBY touches.
    let mut highest: Option<u64> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        let sub = args[i];
        let write = if is(sub, "get") && more >= 2 {
            false
        } else if (is(sub, "set") || is(sub, "incrby")) && more >= 3 {
            true
        } else if is(sub, "overflow") && more >= 1 {
            let t = args[i + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(Error::err("Invalid OVERFLOW type specified"));
            };
            i += 2;
            continue;
        } else {
            return Err(SYNTAX);
        };
        let (signed, bits) = field_type(args[i + 1])?;
        let offset = bit_offset(args[i + 2], bits, ctx.max_string)?;
        let op = if write {
            let last = offset + bits as u64 - 1;
            highest = Some(highest.map_or(last, |h| h.max(last)));
            let v = int(args[i + 3])?;
            if is(sub, "set") {
                FieldOp::Set(v)
            } else {
                FieldOp::IncrBy(v)
            }
        } else {
            FieldOp::Get
        };
        fields.push(Field {
            op,
            offset,
            bits,
            signed,
            overflow,
        });
        i += if write { 4 } else { 3 };
    }

    let now = ctx.now;
    let key = args[1];
    let db = &mut ctx.dbs[ctx.db];
    let Some(highest) = highest else {
        // Only reads: the key may be missing (all zeros) but must be a string.
        let value = read_string(db, key, now)?.unwrap_or_default();
        ctx.reply.array(fields.len());
        for f in &fields {
            ctx.reply.int(read_field(&value, f));
        }
        return Ok(());
    };
    if readonly {
        return Err(Error::err("BITFIELD_RO only supports the GET subcommand"));
    }
    let need = (highest >> 3) as usize + 1;
    let changes = match db.get_mut(key, now) {
        Some(o) => {
            let buf = make_buf(&mut o.value)?;
            let grown = buf.len() < need;
            if grown {
                buf.resize(need, 0);
            }
            run_fields(buf, &fields, grown, ctx.reply)
        }
        None => {
            // Created even if every write fails, as Redis.
            let mut buf = vec![0; need];
            let changes = run_fields(&mut buf, &fields, true, ctx.reply);
            db.set(key, Value::Buf(Box::new(buf)), false, now);
            changes
        }
    };
    if changes > 0 {
        db.notify(notify::STRING, "setbit", key);
    }
    *ctx.dirty += changes;
    Ok(())
}

fn bitfield(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, true)
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Protocol, Reply};

    const NOW: i64 = 1_700_000_000_000;

    /// Runs one command and returns its RESP2 reply.
    fn run_args(e: &mut Engine, args: &[&[u8]]) -> Vec<u8> {
        let c = crate::commands::lookup(args[0]).expect("known command");
        let mut reply = Reply::new(Protocol::Resp2);
        e.run(c, 0, NOW, 0, args, &mut reply);
        reply.buf
    }

    /// Runs a command line, arguments split on spaces.
    fn run(e: &mut Engine, line: &str) -> Vec<u8> {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        run_args(e, &args)
    }

    fn set(e: &mut Engine, key: &str, value: &[u8]) {
        assert_eq!(run_args(e, &[b"set", key.as_bytes(), value]), b"+OK\r\n");
    }

    fn encoding(e: &Engine, key: &str) -> &'static str {
        e.dbs[0]
            .peek(key.as_bytes(), NOW)
            .map_or("none", |o| o.value.encoding())
    }

    const SYNTAX_ERR: &[u8] = b"-ERR syntax error\r\n";
    const NOT_INT: &[u8] = b"-ERR value is not an integer or out of range\r\n";
    const BAD_OFFSET: &[u8] = b"-ERR bit offset is not an integer or out of range\r\n";
    const BAD_TYPE: &[u8] = b"-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";

    #[test]
    fn setbit_getbit() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "setbit b 7 1"), b":0\r\n");
        assert_eq!(run(&mut e, "get b"), b"$1\r\n\x01\r\n");
        assert_eq!(encoding(&e, "b"), "raw");
        assert_eq!(run(&mut e, "setbit b 7 1"), b":1\r\n");
        assert_eq!(e.dirty, 1, "an unchanged bit is not a modification");
        assert_eq!(run(&mut e, "setbit b 7 0"), b":1\r\n");
        assert_eq!(run(&mut e, "setbit b 100 0"), b":0\r\n");
        assert_eq!(e.dirty, 3, "growing is a modification");
        assert_eq!(run(&mut e, "strlen b"), b":13\r\n");
        assert_eq!(run(&mut e, "getbit b 100"), b":0\r\n");
        assert_eq!(run(&mut e, "getbit b 1000000"), b":0\r\n");
        assert_eq!(run(&mut e, "getbit nokey 5"), b":0\r\n");
        assert_eq!(run(&mut e, "getbit b 4294967295"), b":0\r\n");
        for line in [
            "getbit b 4294967296",
            "getbit b -1",
            "getbit b abc",
            "setbit b -1 1",
        ] {
            assert_eq!(run(&mut e, line), BAD_OFFSET, "{line}");
        }
        let bad_bit = b"-ERR bit is not an integer or out of range\r\n";
        for line in [
            "setbit b 1 2",
            "setbit b 1 -1",
            "setbit b 1 abc",
            "setbit b 1 01",
        ] {
            assert_eq!(run(&mut e, line), bad_bit, "{line}");
        }
        // Integers are bitmaps of their digits.
        assert_eq!(run(&mut e, "set n 5"), b"+OK\r\n");
        assert_eq!(run(&mut e, "getbit n 2"), b":1\r\n");
        assert_eq!(run(&mut e, "getbit n 3"), b":1\r\n");
        assert_eq!(run(&mut e, "getbit n 4"), b":0\r\n");
        assert_eq!(run(&mut e, "set n 12"), b"+OK\r\n");
        assert_eq!(run(&mut e, "setbit n 0 1"), b":0\r\n");
        assert_eq!(run(&mut e, "get n"), b"$2\r\n\xb12\r\n");
        assert_eq!(encoding(&e, "n"), "raw");
        e.max_string = 1;
        assert_eq!(run(&mut e, "setbit m 7 1"), b":0\r\n");
        assert_eq!(run(&mut e, "setbit m 8 1"), BAD_OFFSET);
    }

    #[test]
    fn bitcount() {
        let mut e = Engine::default();
        set(&mut e, "s", b"foobar");
        for (args, n) in [
            ("", 26),
            (" 0 0", 4),
            (" 1 1", 6),
            (" -2 -1", 7),
            (" 0 -1 byte", 26),
            (" 5 30 bit", 17),
            (" 5 30 BIT", 17),
            (" 1 6 bit", 4),
            (" -5 -1 bit", 2),
            (" 7 8 bit", 0),
            (" 100 200", 0),
            (" -100 100", 26),
            (" -1 -2", 0),
            (" -1 -2 foo", 0),
        ] {
            assert_eq!(
                run(&mut e, &format!("bitcount s{args}")),
                format!(":{n}\r\n").as_bytes(),
                "{args}"
            );
        }
        assert_eq!(run(&mut e, "bitcount s 1 1 foo"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "bitcount s 0"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "bitcount s 0 1 2 3"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "bitcount s a 1"), NOT_INT);
        // As Redis 7.2, a missing key counts 0 before its arguments are checked.
        assert_eq!(run(&mut e, "bitcount nokey"), b":0\r\n");
        assert_eq!(run(&mut e, "bitcount nokey 0"), b":0\r\n");
        assert_eq!(run(&mut e, "bitcount nokey a b"), b":0\r\n");
        set(&mut e, "e", b"");
        assert_eq!(run(&mut e, "bitcount e 0 -1"), b":0\r\n");
    }

    #[test]
    fn bitpos() {
        let mut e = Engine::default();
        set(&mut e, "s", b"foobar");
        set(&mut e, "mix", b"\x00\x00\x01\x80\x00");
        set(&mut e, "f1", b"\xff\xf0\xff");
        set(&mut e, "ff", b"\xff\xff\xff");
        set(&mut e, "e", b"");
        for (line, pos) in [
            ("s 1 2 -1 bit", 2),
            ("s 0 0 -1 bit", 0),
            ("s 1 7 15 bit", 9),
            ("s 0 1 1 bit", -1),
            ("s 1 1", 9),
            ("s 1 100", -1),
            ("s 0 100", -1),
            ("mix 1", 23),
            ("mix 1 3", 24),
            ("mix 0 2 3", 16),
            ("mix 1 -17 -10 bit", 23),
            ("f1 0", 12),
            ("f1 0 0 11 bit", -1),
            ("f1 0 0 12 bit", 12),
            ("f1 0 16 23 bit", -1),
            // Looking for a 0 with no end given: the first bit past the string.
            ("f1 0 2", 24),
            ("f1 0 2 2", -1),
            ("ff 0", 24),
            ("ff 0 0 -1", -1),
            ("ff 1 -1", 16),
            ("e 0", -1),
            ("e 1", -1),
            ("nokey 1", -1),
            ("nokey 0", 0),
            ("nokey 0 5 10 bit", 0),
            ("nokey 1 0 -1 foo", -1),
        ] {
            assert_eq!(
                run(&mut e, &format!("bitpos {line}")),
                format!(":{pos}\r\n").as_bytes(),
                "{line}"
            );
        }
        let bad_bit = b"-ERR The bit argument must be 1 or 0.\r\n";
        assert_eq!(run(&mut e, "bitpos s 2"), bad_bit);
        assert_eq!(run(&mut e, "bitpos nokey -1"), bad_bit);
        assert_eq!(run(&mut e, "bitpos s a"), NOT_INT);
        assert_eq!(run(&mut e, "bitpos s 1 a"), NOT_INT);
        assert_eq!(run(&mut e, "bitpos s 1 0 a"), NOT_INT);
        assert_eq!(run(&mut e, "bitpos s 1 0 a foo"), SYNTAX_ERR);
        assert_eq!(run(&mut e, "bitpos s 1 0 -1 bit extra"), SYNTAX_ERR);
    }

    #[test]
    fn bitop() {
        let mut e = Engine::default();
        set(&mut e, "a1", b"\x0f\x0f");
        set(&mut e, "a2", b"\xf0");
        for (op, result) in [
            ("and", &b"\x00\x00"[..]),
            ("or", b"\xff\x0f"),
            ("xor", b"\xff\x0f"),
        ] {
            assert_eq!(run(&mut e, &format!("bitop {op} dest a1 a2")), b":2\r\n");
            assert_eq!(
                run(&mut e, "get dest"),
                [&b"$2\r\n"[..], result, b"\r\n"].concat()
            );
        }
        assert_eq!(encoding(&e, "dest"), "raw");
        assert_eq!(run(&mut e, "BITOP NOT dest a1"), b":2\r\n");
        assert_eq!(run(&mut e, "get dest"), b"$2\r\n\xf0\xf0\r\n");
        assert_eq!(run(&mut e, "bitop and dest a1 nokey"), b":2\r\n");
        assert_eq!(run(&mut e, "get dest"), b"$2\r\n\x00\x00\r\n");
        assert_eq!(run(&mut e, "bitop xor a1 a1 a2 a2"), b":2\r\n");
        assert_eq!(run(&mut e, "get a1"), b"$2\r\n\x0f\x0f\r\n");
        // An empty result deletes the destination (and clears its TTL when set).
        let dirty = e.dirty;
        assert_eq!(run(&mut e, "bitop or dest nokey nokey2"), b":0\r\n");
        assert_eq!(run(&mut e, "exists dest"), b":0\r\n");
        assert_eq!(run(&mut e, "bitop or dest nokey nokey2"), b":0\r\n");
        assert_eq!(e.dirty, dirty + 1);
        assert_eq!(run(&mut e, "setex d 100 x"), b"+OK\r\n");
        assert_eq!(run(&mut e, "bitop or d a2"), b":1\r\n");
        assert_eq!(e.dbs[0].expire_of(b"d"), None);
        assert_eq!(
            run(&mut e, "bitop not dest a1 a2"),
            b"-ERR BITOP NOT must be called with a single source key.\r\n"
        );
        assert_eq!(run(&mut e, "bitop foo dest a1"), SYNTAX_ERR);
        assert_eq!(
            run(&mut e, "bitop and dest"),
            b"-ERR wrong number of arguments for 'bitop' command\r\n"
        );
    }

    #[test]
    fn bitfield_values() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "bitfield bf"), b"*0\r\n");
        assert_eq!(run(&mut e, "exists bf"), b":0\r\n");
        assert_eq!(
            run(
                &mut e,
                "bitfield bf set i5 3 -7 get i5 3 get u5 3 get u8 0 get u3 3"
            ),
            b"*5\r\n:0\r\n:-7\r\n:25\r\n:25\r\n:6\r\n"
        );
        assert_eq!(
            run(
                &mut e,
                "bitfield bf set u13 5 4000 get u13 5 get u16 0 get u16 8 get i13 5"
            ),
            b"*5\r\n:1024\r\n:4000\r\n:7144\r\n:59392\r\n:4000\r\n"
        );
        assert_eq!(
            run(&mut e, "bitfield bf incrby i13 5 -5000 get i13 5"),
            b"*2\r\n:-1000\r\n:-1000\r\n"
        );
        assert_eq!(
            run(
                &mut e,
                "bitfield bf overflow fail incrby i13 5 -5000 get i13 5"
            ),
            b"*2\r\n$-1\r\n:-1000\r\n"
        );
        assert_eq!(
            run(
                &mut e,
                "bitfield bf set i64 17 -123456789012345 get i64 17 get u63 17 get i64 18"
            ),
            b"*4\r\n:0\r\n:-123456789012345\r\n:9223310308460269635\r\n:-246913578024690\r\n"
        );
        assert_eq!(
            run(&mut e, "get bf"),
            b"$11\r\n\x1f\x06\x7f\xff\xc7\xdb\xbc\xf9\x10C\x80\r\n"
        );
        assert_eq!(encoding(&e, "bf"), "raw");
        // `#N` offsets count in fields; reads past the end are zeros.
        assert_eq!(
            run(
                &mut e,
                "bitfield h set u8 #2 255 get u8 16 get u4 #5 get u8 #100"
            ),
            b"*4\r\n:0\r\n:255\r\n:15\r\n:0\r\n"
        );
        assert_eq!(run(&mut e, "strlen h"), b":3\r\n");
        // Integers are read as their digits.
        assert_eq!(run(&mut e, "set n 12"), b"+OK\r\n");
        assert_eq!(
            run(&mut e, "bitfield n get u8 0 get u8 8 get u8 16"),
            b"*3\r\n:49\r\n:50\r\n:0\r\n"
        );
    }

    #[test]
    fn bitfield_overflow() {
        let mut e = Engine::default();
        for (ops, reply) in [
            ("set u8 0 255", &b":0"[..]),
            ("incrby u8 0 10", b":9"),
            ("incrby u8 0 -20", b":245"),
            ("overflow sat incrby u8 0 -300", b":0"),
            ("overflow sat incrby u8 0 300", b":255"),
            ("overflow fail incrby u8 0 1", b"$-1"),
            ("overflow wrap incrby u8 0 1", b":0"),
            ("overflow sat set u8 0 -1", b":0"),
            ("overflow wrap set u8 0 257", b":255"),
            ("overflow fail set u8 0 256", b"$-1"),
            ("overflow sat set i8 0 200", b":1"),
            ("overflow sat set i8 0 -200", b":127"),
            ("overflow wrap set i8 0 200", b":-128"),
            ("overflow wrap set i8 0 -200", b":-56"),
            ("overflow fail set i8 0 -129", b"$-1"),
            ("overflow wrap incrby i8 0 200", b":0"),
            ("overflow sat incrby i8 0 -500", b":-128"),
            ("set i64 0 -9223372036854775808", b":-9223372036854775808"),
            ("incrby i64 0 -1", b":9223372036854775807"),
            ("overflow sat incrby i64 0 1", b":9223372036854775807"),
            ("overflow fail incrby i64 0 1", b"$-1"),
            ("overflow sat incrby i64 0 -9223372036854775808", b":-1"),
            ("set u63 0 9223372036854775807", b":9223372036854775807"),
            ("overflow wrap incrby u63 0 1", b":0"),
            ("overflow wrap incrby u63 0 -1", b":9223372036854775807"),
            ("overflow sat set u63 0 -1", b":9223372036854775807"),
            ("overflow wrap set u1 0 3", b":1"),
        ] {
            let want = [&b"*1\r\n"[..], reply, b"\r\n"].concat();
            assert_eq!(run(&mut e, &format!("bitfield bf {ops}")), want, "{ops}");
        }
        // OVERFLOW applies to the operations after it only.
        assert_eq!(
            run(
                &mut e,
                "bitfield x incrby u2 0 5 overflow fail incrby u2 0 5 overflow sat incrby u2 0 5"
            ),
            b"*3\r\n:1\r\n$-1\r\n:3\r\n"
        );
    }

    #[test]
    fn bitfield_modifications() {
        let mut e = Engine::default();
        // A refused write still creates and grows the string, but is no modification.
        assert_eq!(
            run(&mut e, "bitfield k overflow fail set u8 0 300"),
            b"*1\r\n$-1\r\n"
        );
        assert_eq!(run(&mut e, "get k"), b"$1\r\n\x00\r\n");
        assert_eq!(e.dirty, 0);
        assert_eq!(run(&mut e, "bitfield k set u8 0 0"), b"*1\r\n:0\r\n");
        assert_eq!(e.dirty, 0, "an unchanged field");
        assert_eq!(
            run(&mut e, "bitfield k set u8 8 0 set u8 0 1"),
            b"*2\r\n:0\r\n:0\r\n"
        );
        assert_eq!(e.dirty, 2, "the string grew: every write counts");
        assert_eq!(
            run(&mut e, "bitfield k get u8 0 incrby u8 0 256"),
            b"*2\r\n:1\r\n:1\r\n"
        );
        assert_eq!(e.dirty, 2);
    }

    #[test]
    fn bitfield_errors() {
        let mut e = Engine::default();
        for t in ["u64", "i65", "i0", "x8", "I8", "U8", "i", "i08", "i-1"] {
            assert_eq!(
                run(&mut e, &format!("bitfield bf get {t} 0")),
                BAD_TYPE,
                "{t}"
            );
        }
        assert_eq!(
            run_args(&mut e, &[b"bitfield", b"bf", b"get", b"", b"0"]),
            BAD_TYPE
        );
        // The width is read as a C string.
        assert_eq!(
            run_args(&mut e, &[b"bitfield", b"bf", b"get", b"i8\0x", b"0"]),
            b"*1\r\n:0\r\n"
        );
        for offset in [
            "-1",
            "#-1",
            "abc",
            "#",
            "##1",
            "4294967296",
            "#536870912",
            "#9223372036854775807",
        ] {
            assert_eq!(
                run(&mut e, &format!("bitfield bf get i8 {offset}")),
                BAD_OFFSET,
                "{offset}"
            );
        }
        assert_eq!(
            run(&mut e, "bitfield bf get i8 4294967295"),
            b"*1\r\n:0\r\n"
        );
        assert_eq!(
            run(&mut e, "bitfield bf get i64 #67108863"),
            b"*1\r\n:0\r\n"
        );
        assert_eq!(run(&mut e, "bitfield bf get i64 #67108864"), BAD_OFFSET);
        assert_eq!(
            run(&mut e, "bitfield bf overflow foo get i8 0"),
            b"-ERR Invalid OVERFLOW type specified\r\n"
        );
        for line in [
            "bitfield bf overflow",
            "bitfield bf get i8",
            "bitfield bf set i8 0",
            "bitfield bf foo",
        ] {
            assert_eq!(run(&mut e, line), SYNTAX_ERR, "{line}");
        }
        assert_eq!(run(&mut e, "bitfield bf set i8 0 1.5"), NOT_INT);
        assert_eq!(run(&mut e, "bitfield bf incrby i8 0 abc"), NOT_INT);
        assert_eq!(run(&mut e, "exists bf"), b":0\r\n");
    }

    #[test]
    fn bitfield_ro() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "bitfield k set u8 0 200"), b"*1\r\n:0\r\n");
        assert_eq!(
            run(&mut e, "bitfield_ro k get u8 0 get i8 0"),
            b"*2\r\n:200\r\n:-56\r\n"
        );
        assert_eq!(
            run(&mut e, "bitfield_ro nokey get u8 0 get i64 100"),
            b"*2\r\n:0\r\n:0\r\n"
        );
        assert_eq!(
            run(&mut e, "bitfield_ro k overflow sat get u8 0"),
            b"*1\r\n:200\r\n"
        );
        assert_eq!(run(&mut e, "bitfield_ro k"), b"*0\r\n");
        let ro = b"-ERR BITFIELD_RO only supports the GET subcommand\r\n";
        assert_eq!(run(&mut e, "bitfield_ro k get u8 0 set u8 0 1"), ro);
        assert_eq!(run(&mut e, "bitfield_ro k incrby u8 0 1"), ro);
        assert_eq!(run(&mut e, "bitfield_ro k set u8 0 abc"), NOT_INT);
        let c = crate::commands::lookup(b"bitfield_ro").expect("bitfield_ro");
        assert!(!c.is_write());
    }
}
