//! Redis's packed blob encodings, as stored inside RDB strings: listpack
//! (decoder and encoder), ziplist, intset and zipmap (decoders).
//!
//! Every decoder validates the whole blob the way Redis's deep integrity
//! check does (`lpValidateIntegrity`, `ziplistValidateIntegrity`,
//! `intsetValidateIntegrity`, `zipmapValidateIntegrity`): header sizes and
//! counts, every entry inside the buffer, terminators, back-lengths. A damaged
//! blob is an `Err(reason)`, never a panic and never an out-of-bounds read.

use std::fmt::Write as _;

/// One element of a listpack or ziplist: either bytes or an integer
/// (which Redis reads back as its decimal text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// The element as Redis would return it: the bytes, or the integer's decimal text.
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            Elem::Str(s) => s.to_vec(),
            Elem::Int(v) => v.to_string().into_bytes(),
        }
    }

    /// The element as an integer: an integer entry, or a string that is a
    /// canonical decimal (Redis's `string2ll` / `lpGetInteger`).
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            Elem::Int(v) => Some(v),
            Elem::Str(s) => parse_canonical_i64(s),
        }
    }
}

/// Parses `s` as a canonical decimal i64: optional `-`, no leading zeros,
/// no `+`, no spaces, not `-0` (Redis's `string2ll` and `lpStringToInt64`).
pub fn parse_canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v: i64 = text.parse().ok()?;
    let mut buf = String::with_capacity(20);
    let _ = write!(buf, "{v}");
    (buf.as_bytes() == s).then_some(v)
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn int_le(b: &[u8], at: usize, width: usize) -> Option<i64> {
    let s = b.get(at..at + width)?;
    let mut buf = [0u8; 8];
    buf[..width].copy_from_slice(s);
    let raw = u64::from_le_bytes(buf);
    let shift = 64 - 8 * width as u32;
    // Sign-extend from `width` bytes.
    Some(((raw << shift) as i64) >> shift)
}

// ---------------------------------------------------------------------------
// Listpack
// ---------------------------------------------------------------------------

const LP_HEADER: usize = 6;
const LP_EOF: u8 = 0xff;
const LP_COUNT_UNKNOWN: u16 = u16::MAX;

/// Number of bytes the back-length of an entry of `l` bytes takes (Redis's
/// exact thresholds from `lpEncodeBacklen`).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

fn encode_backlen(l: usize, out: &mut Vec<u8>) {
    let l = l as u64;
    match backlen_size(l as usize) {
        1 => out.push(l as u8),
        2 => out.extend_from_slice(&[(l >> 7) as u8, ((l & 127) | 128) as u8]),
        3 => out.extend_from_slice(&[
            (l >> 14) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]),
        4 => out.extend_from_slice(&[
            (l >> 21) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]),
        _ => out.extend_from_slice(&[
            (l >> 28) as u8,
            (((l >> 21) & 127) | 128) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]),
    }
}

/// Decodes and validates a listpack, returning its elements in order.
pub fn listpack_elems(lp: &[u8]) -> Result<Vec<Elem<'_>>, String> {
    if lp.len() < LP_HEADER + 1 {
        return Err(format!(
            "listpack of {} bytes is shorter than its header",
            lp.len()
        ));
    }
    let total = u32_le(lp, 0).unwrap_or(0) as usize;
    if total != lp.len() {
        return Err(format!(
            "listpack header says {total} bytes but the blob has {}",
            lp.len()
        ));
    }
    if lp[lp.len() - 1] != LP_EOF {
        return Err("listpack does not end with its terminator".into());
    }
    let declared = u16_le(lp, 4).unwrap_or(0);
    let end = lp.len() - 1; // index of the terminator
    let mut out = Vec::with_capacity(usize::from(declared).min(lp.len() / 2));
    let mut p = LP_HEADER;
    while p < end {
        let b = lp[p];
        let oob = || format!("listpack entry at byte {p} runs past the end");
        let (elem, enc_len) = if b & 0x80 == 0 {
            (Elem::Int(i64::from(b & 0x7f)), 1)
        } else if b & 0xc0 == 0x80 {
            let len = usize::from(b & 0x3f);
            let s = lp.get(p + 1..p + 1 + len).ok_or_else(oob)?;
            (Elem::Str(s), 1 + len)
        } else if b & 0xe0 == 0xc0 {
            let b1 = *lp.get(p + 1).ok_or_else(oob)?;
            let v = (i64::from(b & 0x1f) << 8) | i64::from(b1);
            let v = if v >= 1 << 12 { v - (1 << 13) } else { v };
            (Elem::Int(v), 2)
        } else if b & 0xf0 == 0xe0 {
            let b1 = *lp.get(p + 1).ok_or_else(oob)?;
            let len = (usize::from(b & 0x0f) << 8) | usize::from(b1);
            let s = lp.get(p + 2..p + 2 + len).ok_or_else(oob)?;
            (Elem::Str(s), 2 + len)
        } else {
            match b {
                0xf0 => {
                    let len = u32_le(lp, p + 1).ok_or_else(oob)? as usize;
                    let s = lp
                        .get(p + 5..p.saturating_add(5).saturating_add(len))
                        .ok_or_else(oob)?;
                    (Elem::Str(s), 5 + len)
                }
                0xf1 => (Elem::Int(int_le(lp, p + 1, 2).ok_or_else(oob)?), 3),
                0xf2 => (Elem::Int(int_le(lp, p + 1, 3).ok_or_else(oob)?), 4),
                0xf3 => (Elem::Int(int_le(lp, p + 1, 4).ok_or_else(oob)?), 5),
                0xf4 => (Elem::Int(int_le(lp, p + 1, 8).ok_or_else(oob)?), 9),
                LP_EOF => return Err(format!("listpack terminator at byte {p} before the end")),
                _ => return Err(format!("invalid listpack encoding 0x{b:02x} at byte {p}")),
            }
        };
        let bl = backlen_size(enc_len);
        let next = p + enc_len + bl;
        if next > end {
            return Err(oob());
        }
        let mut expect = Vec::with_capacity(5);
        encode_backlen(enc_len, &mut expect);
        if lp[p + enc_len..next] != expect[..] {
            return Err(format!(
                "listpack entry at byte {p} has a wrong back-length"
            ));
        }
        out.push(elem);
        p = next;
    }
    if declared != LP_COUNT_UNKNOWN && usize::from(declared) != out.len() {
        return Err(format!(
            "listpack header counts {declared} entries but holds {}",
            out.len()
        ));
    }
    Ok(out)
}

/// Builds a listpack exactly as Redis's `lpAppend` would (integer-looking
/// strings stored as integers with the smallest encoding, Redis's back-length
/// widths).
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; LP_HEADER]);
        ListpackBuilder { buf, count: 0 }
    }

    /// Bytes the finished listpack would take.
    pub fn len_bytes(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends bytes, stored as an integer when they are a canonical decimal.
    pub fn push(&mut self, s: &[u8]) {
        match parse_canonical_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends bytes as a string entry.
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xe0 | (len >> 8) as u8);
            self.buf.push((len & 0xff) as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        let enc_len = self.buf.len() - start;
        encode_backlen(enc_len, &mut self.buf);
        self.count += 1;
    }

    /// Appends an integer entry with the smallest encoding.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            self.buf.push(0xc0 | (u >> 8) as u8);
            self.buf.push((u & 0xff) as u8);
        } else if (-32768..=32767).contains(&v) {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        let enc_len = self.buf.len() - start;
        encode_backlen(enc_len, &mut self.buf);
        self.count += 1;
    }

    /// Finishes the listpack. Fails when it would exceed the 4 GiB a
    /// listpack header can describe.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        self.buf.push(LP_EOF);
        let total = u32::try_from(self.buf.len())
            .map_err(|_| format!("listpack of {} bytes is too large", self.buf.len()))?;
        let count = u16::try_from(self.count).unwrap_or(LP_COUNT_UNKNOWN);
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        Ok(self.buf)
    }
}

// ---------------------------------------------------------------------------
// Ziplist
// ---------------------------------------------------------------------------

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xff;

/// Decodes and validates a ziplist, returning its elements in order.
pub fn ziplist_elems(zl: &[u8]) -> Result<Vec<Elem<'_>>, String> {
    if zl.len() < ZL_HEADER + 1 {
        return Err(format!(
            "ziplist of {} bytes is shorter than its header",
            zl.len()
        ));
    }
    let bytes = u32_le(zl, 0).unwrap_or(0) as usize;
    if bytes != zl.len() {
        return Err(format!(
            "ziplist header says {bytes} bytes but the blob has {}",
            zl.len()
        ));
    }
    let tail = u32_le(zl, 4).unwrap_or(0) as usize;
    let declared = u16_le(zl, 8).unwrap_or(0);
    let end = zl.len() - 1;
    if zl[end] != ZL_END {
        return Err("ziplist does not end with its terminator".into());
    }
    if tail > end {
        return Err(format!("ziplist tail offset {tail} is out of range"));
    }
    let mut out = Vec::with_capacity(usize::from(declared).min(zl.len() / 2));
    let mut p = ZL_HEADER;
    let mut prev_start: Option<usize> = None;
    let mut prev_raw = 0usize;
    while p < end {
        let oob = || format!("ziplist entry at byte {p} runs past the end");
        let (prevlen, prevlen_size) = if zl[p] < 254 {
            (usize::from(zl[p]), 1)
        } else if zl[p] == 254 {
            (u32_le(zl, p + 1).ok_or_else(oob)? as usize, 5)
        } else {
            return Err(format!("ziplist terminator at byte {p} before the end"));
        };
        if prevlen != prev_raw {
            return Err(format!(
                "ziplist entry at byte {p} has prevlen {prevlen}, expected {prev_raw}"
            ));
        }
        let q = p + prevlen_size;
        let b = *zl.get(q).ok_or_else(oob)?;
        let (elem, header_len, data_len) = if b < 0xc0 {
            let (len, hl) = match b >> 6 {
                0 => (usize::from(b & 0x3f), 1),
                1 => {
                    let b1 = *zl.get(q + 1).ok_or_else(oob)?;
                    ((usize::from(b & 0x3f) << 8) | usize::from(b1), 2)
                }
                _ => {
                    let s = zl.get(q + 1..q + 5).ok_or_else(oob)?;
                    (u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize, 5)
                }
            };
            let s = zl
                .get(q + hl..(q + hl).saturating_add(len))
                .ok_or_else(oob)?;
            (Elem::Str(s), hl, len)
        } else {
            let (width, imm) = match b {
                0xc0 => (2, None),
                0xd0 => (4, None),
                0xe0 => (8, None),
                0xf0 => (3, None),
                0xfe => (1, None),
                0xf1..=0xfd => (0, Some(i64::from(b & 0x0f) - 1)),
                _ => return Err(format!("invalid ziplist encoding 0x{b:02x} at byte {q}")),
            };
            let v = match imm {
                Some(v) => v,
                None => int_le(zl, q + 1, width).ok_or_else(oob)?,
            };
            (Elem::Int(v), 1, width)
        };
        let raw = prevlen_size + header_len + data_len;
        if p + raw > end {
            return Err(oob());
        }
        out.push(elem);
        prev_start = Some(p);
        prev_raw = raw;
        p += raw;
    }
    if let Some(last) = prev_start {
        if last != tail {
            return Err(format!(
                "ziplist tail offset {tail} does not point at the last entry ({last})"
            ));
        }
    }
    if declared != u16::MAX && usize::from(declared) != out.len() {
        return Err(format!(
            "ziplist header counts {declared} entries but holds {}",
            out.len()
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Intset
// ---------------------------------------------------------------------------

/// Decodes and validates an intset (`<u32 enc> <u32 len> <len x enc bytes>`),
/// which must be non-empty and strictly ascending.
pub fn intset_elems(is: &[u8]) -> Result<Vec<i64>, String> {
    if is.len() < 8 {
        return Err(format!(
            "intset of {} bytes is shorter than its header",
            is.len()
        ));
    }
    let enc = u32_le(is, 0).unwrap_or(0) as usize;
    if !matches!(enc, 2 | 4 | 8) {
        return Err(format!("invalid intset encoding {enc}"));
    }
    let len = u32_le(is, 4).unwrap_or(0) as u64;
    if 8 + len * enc as u64 != is.len() as u64 {
        return Err(format!(
            "intset of {len} x {enc}-byte integers does not fit a {}-byte blob",
            is.len()
        ));
    }
    if len == 0 {
        return Err("empty intset".into());
    }
    let mut out: Vec<i64> = Vec::with_capacity(len as usize);
    for chunk in is[8..].chunks_exact(enc) {
        let v = int_le(chunk, 0, enc).unwrap_or(0);
        if let Some(&last) = out.last() {
            if v <= last {
                return Err("intset is not strictly ascending".into());
            }
        }
        out.push(v);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Zipmap (Redis <= 2.4 small hashes)
// ---------------------------------------------------------------------------

/// Field-value pairs of a zipmap, borrowed from the blob.
pub type ZipmapPairs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Decodes and validates a zipmap, returning its field-value pairs in order.
pub fn zipmap_pairs(zm: &[u8]) -> Result<ZipmapPairs<'_>, String> {
    const BIGLEN: u8 = 254;
    const END: u8 = 255;
    if zm.len() < 2 {
        return Err("zipmap shorter than 2 bytes".into());
    }
    if zm[zm.len() - 1] != END {
        return Err("zipmap does not end with its terminator".into());
    }
    let end = zm.len() - 1;
    let read_len = |p: usize| -> Result<(usize, usize), String> {
        let b = *zm.get(p).ok_or("zipmap entry runs past the end")?;
        if b < BIGLEN {
            Ok((usize::from(b), 1))
        } else {
            let v = u32_le(zm, p + 1).ok_or("zipmap entry runs past the end")?;
            Ok((v as usize, 5))
        }
    };
    let mut out = Vec::new();
    let mut p = 1;
    while p < end && zm[p] != END {
        let (klen, ks) = read_len(p)?;
        let kstart = p + ks;
        let key = zm
            .get(kstart..kstart.saturating_add(klen))
            .ok_or("zipmap key runs past the end")?;
        p = kstart + klen;
        if p >= end {
            return Err("zipmap entry runs past the end".into());
        }
        let (vlen, vs) = read_len(p)?;
        let free = usize::from(*zm.get(p + vs).ok_or("zipmap entry runs past the end")?);
        let vstart = p + vs + 1;
        let val = zm
            .get(vstart..vstart.saturating_add(vlen))
            .ok_or("zipmap value runs past the end")?;
        p = vstart + vlen + free;
        if p > end {
            return Err("zipmap entry runs past the end".into());
        }
        out.push((key, val));
    }
    if p != end {
        return Err("zipmap terminator before the end".into());
    }
    if out.is_empty() {
        return Err("empty zipmap".into());
    }
    if zm[0] != BIGLEN && usize::from(zm[0]) != out.len() {
        return Err(format!(
            "zipmap header counts {} entries but holds {}",
            zm[0],
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn listpack_matches_redis_bytes() {
        // A real 7.0.15 list [a, b, 1, 2, 300, -5, 70000] (reference 1.8.1).
        let redis = hex("1c000000 0700 8161 02 8162 02 01 01 02 01 c12c 02 dffb 02 f2701101 04 ff");
        let mut b = ListpackBuilder::new();
        for e in ["a", "b", "1", "2", "300", "-5", "70000"] {
            b.push(e.as_bytes());
        }
        assert_eq!(b.finish().unwrap(), redis);
        let elems: Vec<Vec<u8>> = listpack_elems(&redis)
            .unwrap()
            .iter()
            .map(Elem::to_vec)
            .collect();
        assert_eq!(
            elems,
            ["a", "b", "1", "2", "300", "-5", "70000"]
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn listpack_round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::from(i32::MAX) + 1,
            i64::MAX,
            i64::MIN,
        ];
        let mut b = ListpackBuilder::new();
        for v in ints {
            b.push_int(v);
        }
        b.push_str(b"");
        b.push_str(&mid);
        b.push_str(&long);
        b.push(b"007");
        b.push(b"-0");
        let lp = b.finish().unwrap();
        let elems = listpack_elems(&lp).unwrap();
        for (i, v) in ints.iter().enumerate() {
            assert_eq!(elems[i], Elem::Int(*v));
        }
        let n = ints.len();
        assert_eq!(elems[n], Elem::Str(b""));
        assert_eq!(elems[n + 1], Elem::Str(&mid));
        assert_eq!(elems[n + 2], Elem::Str(&long));
        assert_eq!(elems[n + 3], Elem::Str(b"007"));
        assert_eq!(elems[n + 4], Elem::Str(b"-0"));
    }

    #[test]
    fn backlen_thresholds() {
        for (l, size) in [
            (127, 1),
            (128, 2),
            (16382, 2),
            (16383, 3),
            (2_097_150, 3),
            (2_097_151, 4),
            (268_435_454, 4),
            (268_435_455, 5),
        ] {
            assert_eq!(backlen_size(l), size, "l={l}");
            let mut v = Vec::new();
            encode_backlen(l, &mut v);
            assert_eq!(v.len(), size);
        }
    }

    #[test]
    fn listpack_rejects_damage() {
        let mut b = ListpackBuilder::new();
        b.push(b"hello");
        b.push(b"12");
        let lp = b.finish().unwrap();
        for cut in 0..lp.len() {
            assert!(listpack_elems(&lp[..cut]).is_err());
        }
        let mut bad = lp.clone();
        bad[4] = 3; // count
        assert!(listpack_elems(&bad).is_err());
        let mut bad = lp.clone();
        bad[12] ^= 1; // backlen of "hello"
        assert!(listpack_elems(&bad).is_err());
        let mut bad = lp.clone();
        bad[6] = 0xf5;
        assert!(listpack_elems(&bad).is_err());
    }

    #[test]
    fn ziplist_from_encodings_rdb() {
        let zl = hex(
            "30000000 25000000 0800 00c00100 04c00200 04c00300 040161 030162 030163
             03d0a0860100 06e000bca06501000000 ff",
        );
        assert_eq!(zl.len(), 48);
        let elems: Vec<Vec<u8>> = ziplist_elems(&zl)
            .unwrap()
            .iter()
            .map(Elem::to_vec)
            .collect();
        let want: Vec<Vec<u8>> = ["1", "2", "3", "a", "b", "c", "100000", "6000000000"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(elems, want);
        for cut in 0..zl.len() {
            assert!(ziplist_elems(&zl[..cut]).is_err());
        }
        assert!(ziplist_elems(b"xxxxx").is_err());
    }

    #[test]
    fn intset_checks() {
        let is = hex("02000000 04000000 0100 0200 0300 0400");
        assert_eq!(intset_elems(&is).unwrap(), vec![1, 2, 3, 4]);
        let bad = hex("02000000 02000000 0200 0100");
        assert!(intset_elems(&bad).is_err());
        assert!(intset_elems(&hex("02000000 00000000")).is_err());
        assert!(intset_elems(&hex("03000000 01000000 010000")).is_err());
        assert!(intset_elems(&is[..is.len() - 1]).is_err());
        let wide = hex("08000000 02000000 0000000000000080 ffffffffffffff7f");
        assert_eq!(intset_elems(&wide).unwrap(), vec![i64::MIN, i64::MAX]);
    }

    #[test]
    fn zipmap_example() {
        let zm = hex("02 02 6631 02 00 7631 02 6632 02 00 7632 ff");
        let pairs = zipmap_pairs(&zm).unwrap();
        assert_eq!(
            pairs,
            vec![(&b"f1"[..], &b"v1"[..]), (&b"f2"[..], &b"v2"[..])]
        );
        for cut in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..cut]).is_err());
        }
        // Free bytes after a value are skipped.
        let zm = hex("01 01 61 01 02 62 0000 ff");
        assert_eq!(zipmap_pairs(&zm).unwrap(), vec![(&b"a"[..], &b"b"[..])]);
    }

    #[test]
    fn canonical_ints() {
        assert_eq!(parse_canonical_i64(b"0"), Some(0));
        assert_eq!(parse_canonical_i64(b"-5"), Some(-5));
        assert_eq!(parse_canonical_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"-0"[..],
            b"007",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"9223372036854775808",
            b"1e3",
        ] {
            assert_eq!(parse_canonical_i64(bad), None, "{bad:?}");
        }
    }
}
