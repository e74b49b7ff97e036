//! LZF, the compression Redis uses for RDB strings (`src/lzf_d.c`, `src/lzf_c.c`).
//!
//! The stream is a sequence of commands. A control byte `ctrl < 32` starts a
//! literal run of `ctrl + 1` bytes. Otherwise it is a back reference of
//! `(ctrl >> 5) + 2` bytes (when `ctrl >> 5 == 7` one more length byte is
//! added), at distance `((ctrl & 0x1f) << 8) + next + 1` behind the output
//! position. Copies may overlap (run-length style).

/// Longest literal run in one command.
const MAX_LIT: usize = 32;
/// Farthest back a reference can reach.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference: (7 + 255) + 2.
const MAX_REF: usize = 264;
const HASH_LOG: u32 = 14;

/// Decompresses `input`, which must produce exactly `expected_len` bytes.
///
/// Never allocates more than the output actually produced (so a lying
/// `expected_len` costs nothing), never reads or writes out of bounds.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, &'static str> {
    // LZF expands at most ~88x (3 input bytes -> 264 output bytes), so cap the
    // up-front reservation by what the input could possibly produce.
    let mut out: Vec<u8> = Vec::with_capacity(expected_len.min(input.len().saturating_mul(90)));
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input
                .get(ip..ip + run)
                .ok_or("literal run past end of input")?;
            if out.len() + run > expected_len {
                return Err("output longer than declared");
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or("back reference past end of input")?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or("back reference past end of input")?);
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + low + 1;
            if dist > out.len() {
                return Err("back reference before start of output");
            }
            let len = len + 2;
            if out.len() + len > expected_len {
                return Err("output longer than declared");
            }
            let start = out.len() - dist;
            if dist >= len {
                out.extend_from_within(start..start + len);
            } else {
                for k in 0..len {
                    let b = out[start + k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != expected_len {
        return Err("output shorter than declared");
    }
    Ok(out)
}

fn hash3(b: &[u8], log: u32) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - log)) as usize
}

fn table_valid(cand: usize) -> bool {
    cand != u32::MAX as usize
}

/// Compresses `input`. Returns `None` when the result would be longer than
/// `max_out` bytes (Redis calls it with `len - 4` and stores the string raw
/// when compression does not save at least 4 bytes).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n >= u32::MAX as usize {
        return None; // positions are kept as u32; store such a string raw
    }
    let mut out = Vec::with_capacity(max_out.min(n + n / 32 + 1));
    // A hash table sized to the input (short strings are the common case).
    let log = (usize::BITS - n.leading_zeros()).clamp(8, HASH_LOG);
    let mut table = vec![u32::MAX; 1 << log];
    let mut lit_start = 0usize;
    let mut i = 0usize;

    fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
        for chunk in lit.chunks(MAX_LIT) {
            out.push((chunk.len() - 1) as u8);
            out.extend_from_slice(chunk);
        }
    }

    while i + 2 < n {
        let h = hash3(&input[i..], log);
        let cand = table[h] as usize;
        table[h] = i as u32;
        if table_valid(cand) && i - cand <= MAX_OFF && input[cand..cand + 3] == input[i..i + 3] {
            let max_len = MAX_REF.min(n - i);
            let mut len = 3;
            while len < max_len && input[cand + len] == input[i + len] {
                len += 1;
            }
            flush_literals(&mut out, &input[lit_start..i]);
            let off = i - cand - 1;
            let l = len - 2;
            if l < 7 {
                out.push(((l << 5) | (off >> 8)) as u8);
            } else {
                out.push(((7 << 5) | (off >> 8)) as u8);
                out.push((l - 7) as u8);
            }
            out.push((off & 0xff) as u8);
            if out.len() > max_out {
                return None;
            }
            // Index the positions inside the match so later data can refer to them.
            let end = i + len;
            let mut k = i + 1;
            while k < end && k + 2 < n {
                table[hash3(&input[k..], log)] = k as u32;
                k += 1;
            }
            i = end;
            lit_start = i;
        } else {
            i += 1;
        }
        if out.len() + (i - lit_start) > max_out + MAX_LIT {
            // Even the literals alone are already too long.
            return None;
        }
    }
    flush_literals(&mut out, &input[lit_start..n]);
    if out.len() > max_out {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_example_137_a() {
        // encodings.rdb's "compressible" (137 x 'a') as Redis compressed it.
        let comp = [0x01, b'a', b'a', 0xe0, 0x7c, 0x00, 0x01, b'a', b'a'];
        let data = vec![b'a'; 137];
        assert_eq!(decompress(&comp, 137).unwrap(), data);
        let c = compress(&data, 133).expect("compressible");
        assert_eq!(decompress(&c, 137).unwrap(), data);
    }

    #[test]
    fn round_trips() {
        let mut seed = 12345u64;
        for n in [0usize, 1, 2, 3, 4, 31, 32, 33, 100, 1000, 10_000, 70_000] {
            for kind in 0..3 {
                let data: Vec<u8> = (0..n)
                    .map(|i| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        match kind {
                            0 => (seed >> 33) as u8,
                            1 => b"abcabcabdabc"[i % 12],
                            _ => ((i / 300) as u8) ^ ((seed >> 60) as u8 & 1),
                        }
                    })
                    .collect();
                if let Some(c) = compress(&data, n + n / 16 + 64) {
                    assert_eq!(decompress(&c, n).unwrap(), data, "n={n} kind={kind}");
                }
            }
        }
    }

    #[test]
    fn rejects_bad_streams() {
        assert!(decompress(&[0x20, 0x00], 3).is_err()); // reference before start
        assert!(decompress(&[0x05, b'a'], 6).is_err()); // literal past end
        assert!(decompress(&[0x00, b'a'], 2).is_err()); // too short
        assert!(decompress(&[0x01, b'a', b'b'], 1).is_err()); // too long
        assert!(decompress(&[0xe0], 300).is_err());
        assert_eq!(
            decompress(&[0x00, b'a', 0xe0, 0xff, 0x00], 265).unwrap(),
            vec![b'a'; 265]
        );
    }
}
