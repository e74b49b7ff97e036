//! HyperLogLog commands (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE.
//!
//! A HyperLogLog is a string in Redis's exact `HYLL` format, so values are byte-for-byte
//! what Redis builds for the same elements and travel through GET/SET, DUMP/RESTORE and
//! RDB files both ways:
//!
//! - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), 3 unused bytes, and the
//!   cached cardinality (64-bit little endian; the top bit set means "stale");
//! - dense: 16384 registers of 6 bits, packed from the least significant bit;
//! - sparse: run-length opcodes ZERO (`00xxxxxx`), XZERO (`01xxxxxx yyyyyyyy`) and VAL
//!   (`1vvvvvxx`), promoted to dense when a register exceeds 32 or the string would
//!   exceed `hll-sparse-max-bytes` (3000).
//!
//! Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the
//! register, the run of zeros above them (plus one) is the candidate value. The estimate
//! is Ertl's improved estimator from the register histogram, as Redis 7 computes it.
//!
//! PFCOUNT on one key stores the recomputed cardinality in the header, like Redis (a
//! data change, counted in `dirty`): the command is therefore flagged `write`, so that it
//! goes through apply and every node caches the same bytes.

use super::string::make_buf;
use crate::command::{cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, WRONGTYPE};
use crate::db::notify;
use crate::object::Value;

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "pfadd",
        -2,
        WRITE | DENYOOM | FAST,
        Keys::one(),
        "hyperloglog",
        "2.8.9",
        "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
        pfadd,
    ),
    cmd(
        "pfcount",
        -2,
        WRITE,
        Keys::all(),
        "hyperloglog",
        "2.8.9",
        "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
        pfcount,
    ),
    cmd(
        "pfmerge",
        -2,
        WRITE | DENYOOM,
        Keys::all(),
        "hyperloglog",
        "2.8.9",
        "Merges one or more HyperLogLog values into a single key.",
        pfmerge,
    ),
];

const HDR: usize = 16;
const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const P_MASK: u64 = (REGISTERS - 1) as u64;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// `hll-sparse-max-bytes` default.
pub const SPARSE_MAX_BYTES: usize = 3000;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

fn invalid_hll() -> Error {
    Error::new("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

fn corrupted() -> Error {
    Error::new("INVALIDOBJ Corrupted HLL object detected")
}

/// The sparse representation is corrupt (registers do not add up to 16384).
#[derive(Debug)]
struct Invalid;

// ---------------------------------------------------------------------------------------
// Hashing

/// MurmurHash2, 64-bit version, as Redis's endian-neutral copy.
pub fn murmurhash64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = (seed as u64) ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Redis's `hllPatLen`: (register index, length of the 000..1 pattern).
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmurhash64a(ele, 0xadc8_3b19);
    let index = (hash & P_MASK) as usize;
    let hash = (hash >> P) | (1u64 << Q);
    (index, hash.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------------------
// Dense registers (`regs` is the string after the header; the byte past the last
// register, which Redis reads from the sds terminator, counts as zero).

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = regs.get(byte).copied().unwrap_or(0) as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u16) as u8
}

fn dense_set_raw(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = v as u16;
    if let Some(b) = regs.get_mut(byte) {
        *b &= !((REGISTER_MAX as u16) << fb) as u8;
        *b |= (v << fb) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX as u16) >> (8 - fb)) as u8;
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// `hllDenseSet`: raises register `i` to `count`; true if it changed.
fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set_raw(regs, i, count);
        true
    } else {
        false
    }
}

// ---------------------------------------------------------------------------------------
// Sparse opcodes

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
fn xzero_len(b0: u8, b1: u8) -> usize {
    ((((b0 & 0x3f) as usize) << 8) | b1 as usize) + 1
}
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}
fn val_op(value: u8, len: usize) -> u8 {
    (((value - 1) << 2) | (len as u8 - 1)) | 0x80
}
fn zero_op(len: usize) -> u8 {
    (len - 1) as u8
}
fn xzero_op(len: usize) -> [u8; 2] {
    let l = len - 1;
    [((l >> 8) as u8) | 0x40, (l & 0xff) as u8]
}

/// Walks sparse opcodes: calls `f(first_register, run_length, value)` per opcode.
fn sparse_runs(ops: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), Invalid> {
    let mut idx = 0usize;
    let mut p = 0;
    while p < ops.len() {
        let b = ops[p];
        let (run, value, oplen) = if is_zero(b) {
            (zero_len(b), 0, 1)
        } else if is_xzero(b) {
            (xzero_len(b, ops.get(p + 1).copied().unwrap_or(0)), 0, 2)
        } else {
            (val_len(b), val_value(b), 1)
        };
        if run + idx > REGISTERS {
            return Err(Invalid);
        }
        f(idx, run, value);
        idx += run;
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(Invalid);
    }
    Ok(())
}

/// `hllSparseToDense`: the dense string for a sparse one (header, cached cardinality
/// included, copied). A dense string is returned as is.
fn sparse_to_dense(hll: &[u8]) -> Result<Vec<u8>, Invalid> {
    if hll[4] == DENSE {
        return Ok(hll.to_vec());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&hll[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    sparse_runs(&hll[HDR..], |first, run, value| {
        if value != 0 {
            for i in first..first + run {
                dense_set_raw(regs, i, value);
            }
        }
    })?;
    Ok(dense)
}

/// `hllSparseSet`: raises register `index` to `count` in a sparse HLL, promoting it to
/// dense when needed. Ok(true) if the register changed.
fn sparse_set(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Invalid> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let mut end = hll.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let b = hll[p];
        let mut oplen = 1;
        span = if is_zero(b) {
            zero_len(b)
        } else if is_val(b) {
            val_len(b)
        } else {
            oplen = 2;
            xzero_len(b, hll.get(p + 1).copied().unwrap_or(0))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Invalid);
    }
    let b = hll[p];
    let (zero, xzero) = (is_zero(b), is_xzero(b));
    let runlen = if zero {
        zero_len(b)
    } else if xzero {
        xzero_len(b, hll.get(p + 1).copied().unwrap_or(0))
    } else {
        val_len(b)
    };

    // Step 2: the easy cases, updated in place.
    let mut in_place = false;
    if !zero && !xzero {
        if val_value(b) >= count {
            return Ok(false);
        }
        if runlen == 1 {
            hll[p] = val_op(count, 1);
            in_place = true;
        }
    }
    if zero && runlen == 1 {
        hll[p] = val_op(count, 1);
        in_place = true;
    }

    if !in_place {
        // The general case: split the opcode into up to three (at most 5 bytes).
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        let last = first + span - 1;
        let zeros = |seq: &mut Vec<u8>, len: usize| {
            if len > SPARSE_ZERO_MAX_LEN {
                seq.extend_from_slice(&xzero_op(len));
            } else {
                seq.push(zero_op(len));
            }
        };
        if zero || xzero {
            if index != first {
                zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                zeros(&mut seq, last - index);
            }
        } else {
            let cur = val_value(b);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        }
        // Step 3: replace the old opcode, or promote if the string grows too much.
        let oldlen = if xzero { 2 } else { 1 };
        if seq.len() > oldlen && hll.len() + seq.len() - oldlen > SPARSE_MAX_BYTES {
            return promote(hll, index, count);
        }
        hll.splice(p..p + oldlen, seq);
        end = hll.len();
    }

    // Step 4: merge adjacent VAL opcodes of the same value, up to 5 opcodes from the
    // one before the change.
    let mut q = prev.unwrap_or(HDR);
    let mut scanlen = 5;
    while q < end && scanlen > 0 {
        scanlen -= 1;
        let b = hll[q];
        if is_xzero(b) {
            q += 2;
            continue;
        }
        if is_zero(b) {
            q += 1;
            continue;
        }
        if q + 1 < end && is_val(hll[q + 1]) {
            let (v1, v2) = (val_value(b), val_value(hll[q + 1]));
            if v1 == v2 {
                let len = val_len(b) + val_len(hll[q + 1]);
                if len <= SPARSE_VAL_MAX_LEN {
                    hll[q + 1] = val_op(v1, len);
                    hll.remove(q);
                    end -= 1;
                    continue;
                }
            }
        }
        q += 1;
    }
    invalidate_cache(hll);
    Ok(true)
}

/// Promotes a sparse HLL to dense, then sets the register (which must change).
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Invalid> {
    *hll = sparse_to_dense(hll)?;
    Ok(dense_set(&mut hll[HDR..], index, count))
}

fn invalidate_cache(hll: &mut [u8]) {
    hll[HDR - 1] |= 0x80;
}

/// `hllAdd`: Ok(true) if a register changed.
fn hll_add(hll: &mut Vec<u8>, ele: &[u8]) -> Result<bool, Invalid> {
    let (index, count) = pat_len(ele);
    match hll[4] {
        DENSE => Ok(dense_set(&mut hll[HDR..], index, count)),
        SPARSE => sparse_set(hll, index, count),
        _ => Err(Invalid),
    }
}

/// `createHLLObject`: an empty sparse HLL (one XZERO of 16384).
pub fn new_hll() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    v.extend_from_slice(&xzero_op(REGISTERS));
    v
}

/// `isHLLObjectOrReply`: the string is a well-formed HLL header.
fn check_hll(v: &Value) -> Result<(), Error> {
    let s: &[u8] = match v {
        Value::Str(s) => s,
        Value::Buf(b) => b,
        Value::Int(_) => return Err(invalid_hll()),
        _ => return Err(WRONGTYPE),
    };
    if s.len() < HDR || &s[..4] != b"HYLL" || s[4] > SPARSE {
        return Err(invalid_hll());
    }
    if s[4] == DENSE && s.len() != DENSE_SIZE {
        return Err(invalid_hll());
    }
    Ok(())
}

fn hll_bytes(v: &Value) -> &[u8] {
    match v {
        Value::Str(s) => s,
        Value::Buf(b) => b,
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------
// Counting

/// `hllSigma` (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches").
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

/// `hllTau`.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

/// `hllCount` from a histogram of register values.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// Register histogram of a stored HLL (Err for a corrupt sparse one).
fn histogram(hll: &[u8]) -> Result<[u32; 64], Invalid> {
    let mut histo = [0u32; 64];
    if hll[4] == DENSE {
        let regs = &hll[HDR..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
    } else {
        sparse_runs(&hll[HDR..], |_, run, value| {
            histo[value as usize] += run as u32;
        })?;
    }
    Ok(histo)
}

/// `hllMerge`: raises `max[i]` to each register of `hll`.
fn merge(max: &mut [u8; REGISTERS], hll: &[u8]) -> Result<(), Invalid> {
    if hll[4] == DENSE {
        let regs = &hll[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            let v = dense_get(regs, i);
            if v > *m {
                *m = v;
            }
        }
        Ok(())
    } else {
        sparse_runs(&hll[HDR..], |first, run, value| {
            for m in &mut max[first..first + run] {
                if value > *m {
                    *m = value;
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// Commands

/// PFADD key [element ...]: 1 if a register changed (or the key was created).
fn pfadd(ctx: &mut Ctx) -> CmdResult {
    let (now, key) = (ctx.now, ctx.args[1]);
    let db = &mut ctx.dbs[ctx.db];
    let mut updated = 0u64;
    let mut error = None;
    let mut add_all = |hll: &mut Vec<u8>, updated: &mut u64| {
        for ele in &ctx.args[2..] {
            match hll_add(hll, ele) {
                Ok(true) => *updated += 1,
                Ok(false) => {}
                Err(Invalid) => {
                    error = Some(corrupted());
                    return;
                }
            }
        }
        if *updated > 0 {
            invalidate_cache(hll);
        }
    };
    match db.peek(key, now) {
        None => {
            let mut hll = new_hll();
            updated += 1;
            add_all(&mut hll, &mut updated);
            db.set(key, Value::Buf(Box::new(hll)), false, now);
        }
        Some(o) => {
            check_hll(&o.value)?;
            if let Some(o) = db.get_mut(key, now) {
                add_all(make_buf(&mut o.value)?, &mut updated);
            }
        }
    }
    if let Some(e) = error {
        return Err(e);
    }
    if updated > 0 {
        db.notify(notify::STRING, "pfadd", key);
    }
    *ctx.dirty += updated;
    ctx.reply.int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]: the estimated cardinality (of the union for several keys).
fn pfcount(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let args = ctx.args;
    let db = &mut ctx.dbs[ctx.db];
    if args.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for key in &args[1..] {
            let Some(o) = db.lookup_read(key, now) else {
                continue;
            };
            check_hll(&o.value)?;
            merge(&mut max, hll_bytes(&o.value)).map_err(|_| corrupted())?;
        }
        let mut histo = [0u32; 64];
        for &v in max.iter() {
            histo[v as usize] += 1;
        }
        ctx.reply.int(estimate(&histo) as i64);
        return Ok(());
    }
    let key = args[1];
    let Some(o) = db.lookup_read(key, now) else {
        ctx.reply.int(0);
        return Ok(());
    };
    check_hll(&o.value)?;
    let hll = make_buf(&mut o.value)?;
    if hll[HDR - 1] & 0x80 == 0 {
        let mut card = [0u8; 8];
        card.copy_from_slice(&hll[8..HDR]);
        ctx.reply.int(u64::from_le_bytes(card) as i64);
        return Ok(());
    }
    let card = histogram(hll)
        .map(|h| estimate(&h))
        .map_err(|_| corrupted())?;
    hll[8..HDR].copy_from_slice(&card.to_le_bytes());
    db.signal(key);
    *ctx.dirty += 1;
    ctx.reply.int(card as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself a source) becomes the union.
fn pfmerge(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    let args = ctx.args;
    let db = &mut ctx.dbs[ctx.db];
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    for key in &args[1..] {
        let Some(o) = db.lookup_read(key, now) else {
            continue;
        };
        check_hll(&o.value)?;
        let hll = hll_bytes(&o.value);
        use_dense |= hll[4] == DENSE;
        merge(&mut max, hll).map_err(|_| corrupted())?;
    }
    let dst = args[1];
    let mut hll = match db.get_mut(dst, now) {
        Some(o) => std::mem::take(make_buf(&mut o.value)?),
        None => new_hll(),
    };
    let result = (|| {
        if use_dense {
            hll = sparse_to_dense(&hll)?;
        }
        for (j, &v) in max.iter().enumerate() {
            if v == 0 {
                continue;
            }
            if hll[4] == DENSE {
                dense_set(&mut hll[HDR..], j, v);
            } else {
                // As Redis, a failure here (impossible: the destination was merged
                // above) is ignored.
                let _ = sparse_set(&mut hll, j, v);
            }
        }
        invalidate_cache(&mut hll);
        Ok::<(), Invalid>(())
    })();
    let failed = result.is_err();
    db.set(dst, Value::Buf(Box::new(hll)), true, now);
    if failed {
        return Err(corrupted());
    }
    // Redis raises `pfadd` for PFMERGE too (a mass add, as its source puts it).
    db.notify(notify::STRING, "pfadd", dst);
    *ctx.dirty += 1;
    ctx.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Protocol};
    use redraft_resp::Reply;

    const NOW: i64 = 1_700_000_000_000;

    // Values captured from redis-server 7.0.15 (`GET key`, hex) after the same commands.
    const H200: &str = concat!(
        "48594c4c010000000000000000000080368421801980409f8408a40e88409084406c9c0190018812",
        "883884409480411c8817884055800080407a80411d8812804075800d842a8040638440768c404684",
        "414880098040d5800980409480407e9040738040628440a280408384405d84148040cb8407840d80",
        "40f080405e80068427844081803c844047840780404e80408f84039404844043840c842684406e80",
        "407380404084409d84198019802a8441028c088441298010801c884060801080404b8c4052881b80",
        "40b080406e8040bc802b8c40f58040618c1a840380407e80408080404580088440fd80405a804066",
        "84409f8040468c108c018401841e8811802384407d8440de84406280308812844065840784198040",
        "de84404684408b8814802988008402800a8840578041a79011842e844070801f840180189440f984",
        "40848c168421813c881d801380368410804089844044804147800380228040b88440bb8840468416",
        "8040c684404980048440e680404380388c405c80405584409980268005800380405480409e88404c",
        "882e8840448040b080198408841f880380405b841b803f804044804055800d88128440d380405988",
        "408b800290407e800784407b801d841d8040af8418840f844045803384404f80288440a784407680",
        "40578419844048800e9022840a80406a840d8039801380409a8828804046844044",
    );
    const M1: &str = concat!(
        "48594c4c010000000000000000000080368421801980409f8408a40e88409084406c9c0190018812",
        "883884409480411c8817884055800080407a80411d8812804075800d842a8040638440768c404684",
        "414880098040d5800980409480407e9040738040628440a280408384405d84148040cb8407840d80",
        "40f080405e80068427844081803c844047840780404e80408f84039404844043840c842684406e80",
        "407380404084409d84198019802a8441028c088441298010801c884060801080404b8c4052881b80",
        "40b080406e8040bc802b8c40f58040618c1a8403804059802380408080404580088440fd80405a80",
        "406684409f8040468c108c018401841e8811802384406280198440de844062803088128440658407",
        "84198040de84404684408b8814802988008402800a8840578041a79011842e844070801f84018018",
        "9440f98440848c168421813c881d801380368410804089844044804147800380228040b88440bb88",
        "404684168040c684404980048440e680404380388c405c8013844040844099802680058003804054",
        "80409e88404c882e8840448040b080198408841f880380405b841b803f804044804055800d881284",
        "40d380405988408b800290407e800784407b801d841d8040af8418840f844045803384404f802884",
        "40a784407680405784198440488001800b9022840a80406a840d8039801380409a88288040468440",
        "44",
    );
    const H1MERGED: &str = concat!(
        "48594c4c010000000300000000000080368421801980409f8408a40e88409084406c9c0190018812",
        "883884409480411c8817884055800080407a80411d8812804075800d842a8040638440768c404684",
        "414880098040d5800980409480407e9040738040628440a280408384405d84148040cb8407840d80",
        "40f080405e80068427844081803c844047840780404e80408f84039404844043840c842684406e80",
        "407380404084409d84198019802a8441028c088441298010801c884060801080404b8c4052881b80",
        "40b080406e8040bc802b8c40f58040618c1a8403804059802380408080404580088440fd80405a80",
        "406684409f8040468c108c018401841e8811802384406280198440de844062803088128440658407",
        "84198040de84404684408b8814802988008402800a8840578041a79011842e844070801f84018018",
        "9440f98440848c168421813c881d801380368410804089844044804147800380228040b88440bb88",
        "404684168040c684404980048440e680404380388c405c8013844040844099802680058003804054",
        "80409e88404c882e8840448040b080198408841f880380405b841b803f804044804055800d881284",
        "40d380405988408b800290407e800784407b801d841d8040af8418840f844045803384404f802884",
        "40a784407680405784198440488001800b9022840a80406a840d8039801380409a88288040468440",
        "44",
    );

    fn exec(e: &mut Engine, proto: Protocol, args: &[&[u8]]) -> Vec<u8> {
        let c = crate::commands::lookup(args[0]).expect("known command");
        let mut reply = Reply::new(proto);
        e.run(c, 0, NOW, 0, args, &mut reply);
        reply.buf
    }

    fn run(e: &mut Engine, line: &str) -> String {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        String::from_utf8_lossy(&exec(e, Protocol::Resp2, &args)).into_owned()
    }

    /// PFADD key with the elements `prefix{from..to}`.
    fn add_range(e: &mut Engine, key: &str, prefix: &str, from: usize, to: usize) -> String {
        let els: Vec<String> = (from..to).map(|i| format!("{prefix}{i}")).collect();
        let mut args: Vec<&[u8]> = vec![b"pfadd", key.as_bytes()];
        args.extend(els.iter().map(|s| s.as_bytes()));
        String::from_utf8_lossy(&exec(e, Protocol::Resp2, &args)).into_owned()
    }

    fn get(e: &mut Engine, key: &str) -> Vec<u8> {
        let out = exec(e, Protocol::Resp2, &[b"get", key.as_bytes()]);
        let body = out.iter().position(|&c| c == b'\n').map_or(0, |p| p + 1);
        out[body..out.len() - 2].to_vec()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn fnv1a(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
            (h ^ x as u64).wrapping_mul(0x0100_0000_01b3)
        })
    }

    const INVALID_HLL: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
    const CORRUPT: &str = "-INVALIDOBJ Corrupted HLL object detected\r\n";

    #[test]
    fn hash_and_pattern() {
        // MurmurHash64A with Redis's seed, and the (register, count) Redis derives.
        for (ele, hash, reg, count) in [
            (&b""[..], 0xd8df_ea65_85bc_9732u64, 5938, 2),
            (b"a", 0x53d2_470a_9b43_b1a7, 12711, 2),
            (b"hello world", 0xa919_bc30_51f6_24b7, 9399, 4),
            (b"abcdefgh", 0xf3a6_5df5_5991_4567, 1383, 1),
            (b"abcdefghi", 0x834f_ba4d_9152_daf7, 6903, 1),
        ] {
            assert_eq!(murmurhash64a(ele, 0xadc8_3b19), hash);
            assert_eq!(pat_len(ele), (reg, count));
        }
        assert_eq!(new_hll(), unhex("48594c4c0100000000000000000000007fff"));
        assert_eq!(
            ALPHA_INF,
            "0.721347520444481703680".parse::<f64>().unwrap_or(0.0)
        );
    }

    #[test]
    fn sparse_values_match_redis_bytes() {
        let mut e = Engine::default();
        assert_eq!(run(&mut e, "pfadd h1 a b c"), ":1\r\n");
        assert_eq!(
            hex(&get(&mut e, "h1")),
            "48594c4c01000000000000000000008060f38050b1844bfb80425a"
        );
        assert_eq!(run(&mut e, "pfcount h1"), ":3\r\n");
        // The cardinality is cached in the header (valid: top bit clear).
        assert_eq!(
            hex(&get(&mut e, "h1")),
            "48594c4c01000000030000000000000060f38050b1844bfb80425a"
        );
        assert_eq!(run(&mut e, "pfadd h1 a b c"), ":0\r\n");
        assert_eq!(run(&mut e, "pfadd h1 d"), ":1\r\n");
        // Invalidated: only the top bit is set, the old value stays.
        assert_eq!(
            hex(&get(&mut e, "h1")),
            "48594c4c0100000003000000000000805c7b8044768050b1844bfb80425a"
        );
        assert_eq!(run(&mut e, "pfadd h0"), ":1\r\n");
        assert_eq!(
            hex(&get(&mut e, "h0")),
            "48594c4c0100000000000000000000807fff"
        );
        assert_eq!(run(&mut e, "pfadd h0"), ":0\r\n");
        assert_eq!(add_range(&mut e, "h200", "e", 0, 200), ":1\r\n");
        assert_eq!(hex(&get(&mut e, "h200")), H200);
        assert_eq!(run(&mut e, "pfcount h200"), ":200\r\n");
        assert_eq!(run(&mut e, "object encoding h200"), "$3\r\nraw\r\n");
    }

    #[test]
    fn sparse_grows_to_3000_bytes_then_turns_dense() {
        let mut e = Engine::default();
        let mut prev_len = 0;
        let mut dense_at = None;
        for i in 0..4000 {
            add_range(&mut e, "hs", "x", i, i + 1);
            let v = get(&mut e, "hs");
            if v[4] == DENSE {
                dense_at = Some(i);
                break;
            }
            prev_len = v.len();
        }
        assert_eq!((dense_at, prev_len), (Some(1691), 2999));
        let v = get(&mut e, "hs");
        assert_eq!((v.len(), fnv1a(&v)), (12304, 0x5582_f744_41f5_ab13));
        assert_eq!(run(&mut e, "pfcount hs"), ":1687\r\n");
        let v = get(&mut e, "hs");
        assert_eq!(fnv1a(&v), 0xcaa8_d396_3956_ce9a);
        assert_eq!(hex(&v[..16]), "48594c4c000000009706000000000000");
    }

    #[test]
    fn dense_values_match_redis_bytes() {
        let mut e = Engine::default();
        assert_eq!(add_range(&mut e, "h5k", "e", 0, 5000), ":1\r\n");
        let v = get(&mut e, "h5k");
        assert_eq!((v.len(), fnv1a(&v)), (12304, 0x8052_4675_3a1c_dada));
        assert_eq!(
            hex(&v[..40]),
            "48594c4c000000000000000000000080020000c02000001000811000800000000000421000000000"
        );
        assert_eq!(run(&mut e, "pfcount h5k"), ":4968\r\n");
        assert_eq!(
            hex(&get(&mut e, "h5k")[..16]),
            "48594c4c000000006813000000000000"
        );
        for j in 0..100 {
            add_range(&mut e, "hbig", "b", j * 1000, (j + 1) * 1000);
        }
        assert_eq!(run(&mut e, "pfcount hbig"), ":101362\r\n");
        let v = get(&mut e, "hbig");
        assert_eq!(fnv1a(&v), 0xa314_8be8_d680_0674);
        assert_eq!(hex(&v[..16]), "48594c4c00000000f28b010000000000");
    }

    #[test]
    fn count_and_merge_several_keys() {
        let mut e = Engine::default();
        run(&mut e, "pfadd h1 a b c");
        run(&mut e, "pfcount h1");
        run(&mut e, "pfadd h1 d");
        add_range(&mut e, "h200", "e", 0, 200);
        add_range(&mut e, "h5k", "e", 0, 5000);
        assert_eq!(run(&mut e, "pfcount h200 h5k"), ":4968\r\n");
        assert_eq!(run(&mut e, "pfcount h200 h1 nokey"), ":204\r\n");
        assert_eq!(run(&mut e, "pfcount nokey"), ":0\r\n");
        assert_eq!(run(&mut e, "pfmerge m1 h1 h200"), "+OK\r\n");
        assert_eq!(hex(&get(&mut e, "m1")), M1);
        // A dense source makes a dense destination.
        assert_eq!(run(&mut e, "pfmerge m2 h1 h5k"), "+OK\r\n");
        let v = get(&mut e, "m2");
        assert_eq!((v.len(), fnv1a(&v)), (12304, 0x9264_084e_22f0_cf25));
        assert_eq!(hex(&v[..16]), "48594c4c000000000000000000000080");
        assert_eq!(run(&mut e, "pfmerge m3"), "+OK\r\n");
        assert_eq!(
            hex(&get(&mut e, "m3")),
            "48594c4c0100000000000000000000807fff"
        );
        // The destination is itself a source, and keeps its cached value's low bytes.
        assert_eq!(run(&mut e, "pfmerge h1 h200"), "+OK\r\n");
        assert_eq!(hex(&get(&mut e, "h1")), H1MERGED);
        let d = e.dirty;
        run(&mut e, "pfmerge h1");
        assert_eq!(e.dirty, d + 1);
    }

    #[test]
    fn values_travel_through_set_and_get() {
        let mut e = Engine::default();
        let bytes = unhex(H200);
        exec(&mut e, Protocol::Resp2, &[b"set", b"copy", &bytes]);
        assert_eq!(run(&mut e, "pfcount copy"), ":200\r\n");
        assert_eq!(run(&mut e, "object encoding copy"), "$3\r\nraw\r\n");
        let mut expect = bytes.clone();
        expect[8..16].copy_from_slice(&200u64.to_le_bytes());
        assert_eq!(get(&mut e, "copy"), expect);
        assert_eq!(add_range(&mut e, "copy", "e", 0, 200), ":0\r\n");
        assert_eq!(get(&mut e, "copy"), expect);
    }

    #[test]
    fn type_and_corruption_errors() {
        let mut e = Engine::default();
        run(&mut e, "set str hello");
        run(&mut e, "set int 12345");
        run(&mut e, "zadd z 1 a");
        assert_eq!(run(&mut e, "pfadd str a"), INVALID_HLL);
        assert_eq!(run(&mut e, "pfcount str"), INVALID_HLL);
        assert_eq!(run(&mut e, "pfadd int a"), INVALID_HLL);
        assert_eq!(run(&mut e, "pfmerge d str"), INVALID_HLL);
        let wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
        assert_eq!(run(&mut e, "pfadd z a"), wt);
        assert_eq!(run(&mut e, "pfcount z"), wt);
        assert_eq!(run(&mut e, "pfcount nokey z"), wt);
        assert_eq!(run(&mut e, "pfmerge z"), wt);
        let set = |e: &mut Engine, k: &str, v: &[u8]| {
            exec(e, Protocol::Resp2, &[b"set", k.as_bytes(), v]);
        };
        // A sparse header with a stale cached cardinality.
        let hdr = unhex("48594c4c010000000000000000000080");
        // Registers adding up to 32768: corrupt (the cache is stale, so it is recounted).
        set(
            &mut e,
            "b1",
            &[&hdr[..], &[0x7f, 0xff, 0x7f, 0xff]].concat(),
        );
        assert_eq!(run(&mut e, "pfcount b1"), CORRUPT);
        assert_eq!(run(&mut e, "pfcount b1 b1"), CORRUPT);
        assert_eq!(run(&mut e, "pfmerge x b1"), CORRUPT);
        assert_eq!(run(&mut e, "exists x"), ":0\r\n");
        // The register PFADD touches is found in the first opcode: it works.
        assert_eq!(run(&mut e, "pfadd b1 a"), ":1\r\n");
        // One ZERO of 1: PFADD fails after a partial update, as Redis.
        set(&mut e, "b2", &[&hdr[..], &[0x00]].concat());
        assert_eq!(run(&mut e, "pfcount b2"), CORRUPT);
        assert_eq!(run(&mut e, "pfadd b2 a b c"), CORRUPT);
        assert_eq!(
            hex(&get(&mut e, "b2")),
            "48594c4c01000000000000000000008000"
        );
        // A dense value of the wrong size is not an HLL.
        set(&mut e, "b3", &[b"HYLL\x00".as_slice(), &[0; 111]].concat());
        assert_eq!(run(&mut e, "pfcount b3"), INVALID_HLL);
        set(
            &mut e,
            "b5",
            b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        );
        assert_eq!(run(&mut e, "pfcount b5"), INVALID_HLL);
        // A valid cached value is trusted without looking at the registers.
        set(
            &mut e,
            "b4",
            &[b"HYLL\x01".as_slice(), &[0; 11], &[0x7f]].concat(),
        );
        assert_eq!(run(&mut e, "pfcount b4"), ":0\r\n");
        assert_eq!(run(&mut e, "pfadd b4 x"), CORRUPT);
    }

    #[test]
    fn pfcount_is_routed_as_a_write() {
        // It may store the recomputed cardinality: every node must apply it.
        let c = crate::commands::lookup(b"pfcount").expect("registered");
        assert!(c.is_write());
        let mut e = Engine::default();
        run(&mut e, "pfadd h a b");
        let d = e.dirty;
        run(&mut e, "pfcount h");
        assert_eq!(e.dirty, d + 1);
        run(&mut e, "pfcount h");
        assert_eq!(e.dirty, d + 1);
    }
}
