//! Bitmap commands (Redis's `bitops.c`): SETBIT/GETBIT, BITCOUNT and BITPOS over byte
//! or bit ranges, BITOP, and BITFIELD/BITFIELD_RO. Bitmaps are ordinary strings; bit 0
//! is the most significant bit of the first byte. Writes grow the string with zero bytes
//! and leave it a growable `Buf` (Redis's `raw`).

use super::read_string;
use super::string::make_buf;
use crate::args::{int, is};
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, BIT_OFFSET, SYNTAX,
};
use crate::object::Value;
use redraft_resp::{parse_i64, Reply};

/// BITOP: the destination, then the sources.
const DEST_AND_SOURCES: Keys = Keys::Range { first: 2, last: -1, step: 1 };

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
    let old = match db.get_mut(key, now) {
        Some(o) => {
            let buf = make_buf(&mut o.value)?;
            let grew = buf.len() <= byte;
            if grew {
                buf.resize(byte + 1, 0);
            }
            let old = buf[byte] & mask != 0;
            if grew || old != on {
                if on {
                    buf[byte] |= mask;
                } else {
                    buf[byte] &= !mask;
                }
                *ctx.dirty += 1;
            }
            old
        }
        None => {
            let mut buf = vec![0; byte + 1];
            if on {
                buf[byte] = mask;
            }
            db.set(key, Value::Buf(Box::new(buf)), false, now);
            *ctx.dirty += 1;
            false
        }
    };
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
    let end = if end < 0 { total + end } else { end }.max(0).min(total - 1);
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
    let op = args[1];
    let not = is(op, "not");
    if !(not || is(op, "and") || is(op, "or") || is(op, "xor")) {
        return Err(SYNTAX);
    }
    if not && args.len() != 4 {
        return Err(Error::err("BITOP NOT must be called with a single source key."));
    }
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let sources = &args[3..];
    // First pass: hit/miss statistics and type checks, in order, as Redis's lookups.
    for key in sources {
        if let Some(o) = db.lookup_read(key, now) {
            super::expect_string(&o.value)?;
        }
    }
    let values: Vec<_> = sources
        .iter()
        .map(|key| db.peek(key, now).map(|o| super::string_bytes(&o.value)))
        .map(|v| v.transpose().map(Option::unwrap_or_default))
        .collect::<Result<_, _>>()?;
    let maxlen = values.iter().map(|v| v.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    res[..values[0].len()].copy_from_slice(&values[0]);
    if not {
        res.iter_mut().for_each(|b| *b = !*b);
    }
    for v in &values[1..] {
        let (head, tail) = res.split_at_mut(v.len());
        if is(op, "and") {
            head.iter_mut().zip(v.iter()).for_each(|(r, b)| *r &= b);
            tail.fill(0);
        } else if is(op, "or") {
            head.iter_mut().zip(v.iter()).for_each(|(r, b)| *r |= b);
        } else {
            head.iter_mut().zip(v.iter()).for_each(|(r, b)| *r ^= b);
        }
    }
    drop(values);
    let dest = args[2];
    if maxlen > 0 {
        db.set(dest, Value::Buf(Box::new(res)), false, now);
        *ctx.dirty += 1;
    } else if db.delete(dest, now) {
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
    *ctx.dirty += changes;
    Ok(())
}

fn bitfield(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, true)
}
