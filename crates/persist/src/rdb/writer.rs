//! The RDB writer: version 10 files that Redis 7.0, 7.2, 7.4 and Valkey load,
//! and DUMP payloads.
//!
//! Only the flat encodings are written (STRING 0, LIST 1, SET 2, HASH 4,
//! ZSET_2 5) plus STREAM_LISTPACKS_2 (19) for streams: every Redis since 4.0
//! reads the flat types and re-encodes them with its own thresholds on load,
//! and they keep element order exactly as given. Strings are int-encoded as
//! Redis does (`rdbTryIntegerEncoding`) and, with `compression`, LZF-compressed
//! when longer than 20 bytes and at least 4 bytes smaller (`rdbcompression`).

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use super::encodings::parse_canonical_i64;
use super::stream::{self, Sink};
use super::{crc64, lzf, opcodes, types, RdbValue, Record, RDB_WRITE_VERSION};

/// Settings for [`RdbWriter`].
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// LZF-compress long strings (`rdbcompression yes`, Redis's default).
    pub compression: bool,
    /// Store the CRC-64 (`rdbchecksum yes`); when false the CRC field is 0.
    pub checksum: bool,
    /// AUX `redis-ver`.
    pub redis_ver: String,
    /// AUX `ctime` (unix seconds); `None` means now.
    pub ctime: Option<i64>,
    /// AUX `used-mem`.
    pub used_mem: u64,
    /// AUX `aof-base`: 1 when the file is an AOF base.
    pub aof_base: bool,
    /// More AUX fields, written after the standard ones (e.g. `repl-stream-db`,
    /// `repl-id`, `repl-offset`, `x-raft-index`).
    pub extra_aux: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            compression: true,
            checksum: true,
            redis_ver: "7.2.4".to_string(),
            ctime: None,
            used_mem: 0,
            aof_base: false,
            extra_aux: Vec::new(),
        }
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

// ---------------------------------------------------------------------------
// Primitive encoders, over any Sink
// ---------------------------------------------------------------------------

fn put_len<S: Sink>(out: &mut S, n: u64) -> io::Result<()> {
    if n < 64 {
        out.put(&[n as u8])
    } else if n < 16384 {
        out.put(&[0x40 | (n >> 8) as u8, (n & 0xff) as u8])
    } else if n <= u64::from(u32::MAX) {
        let mut b = [0u8; 5];
        b[0] = 0x80;
        b[1..].copy_from_slice(&(n as u32).to_be_bytes());
        out.put(&b)
    } else {
        let mut b = [0u8; 9];
        b[0] = 0x81;
        b[1..].copy_from_slice(&n.to_be_bytes());
        out.put(&b)
    }
}

/// `rdbSaveRawString`: int encoding for short canonical decimals in the i32
/// range, LZF for long compressible strings (when `compression`), else raw.
fn put_string<S: Sink>(out: &mut S, s: &[u8], compression: bool) -> io::Result<()> {
    if s.len() <= 11 {
        if let Some(v) = parse_canonical_i64(s) {
            if let Ok(v8) = i8::try_from(v) {
                return out.put(&[0xc0, v8 as u8]);
            }
            if let Ok(v16) = i16::try_from(v) {
                let b = v16.to_le_bytes();
                return out.put(&[0xc1, b[0], b[1]]);
            }
            if let Ok(v32) = i32::try_from(v) {
                let b = v32.to_le_bytes();
                return out.put(&[0xc2, b[0], b[1], b[2], b[3]]);
            }
        }
    }
    if compression && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            out.put(&[0xc3])?;
            put_len(out, c.len() as u64)?;
            put_len(out, s.len() as u64)?;
            return out.put(&c);
        }
    }
    put_len(out, s.len() as u64)?;
    out.put(s)
}

/// Checks that `v` can be written (no empty collection, no NaN score).
fn validate(v: &RdbValue) -> io::Result<()> {
    if v.is_empty_collection() {
        return Err(invalid(format!(
            "refusing to write an empty {} (Redis would skip it)",
            v.type_name()
        )));
    }
    if let RdbValue::ZSet(z) = v {
        if z.iter().any(|(_, s)| s.is_nan()) {
            return Err(invalid("refusing to write a NaN zset score"));
        }
    }
    Ok(())
}

fn object_type(v: &RdbValue) -> u8 {
    match v {
        RdbValue::String(_) => types::STRING,
        RdbValue::List(_) => types::LIST,
        RdbValue::Set(_) => types::SET,
        RdbValue::Hash(_) => types::HASH,
        RdbValue::ZSet(_) => types::ZSET_2,
        RdbValue::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// Writes the object payload of `v` (no type byte).
fn put_value<S: Sink>(out: &mut S, v: &RdbValue, compression: bool) -> io::Result<()> {
    match v {
        RdbValue::String(s) => put_string(out, s, compression),
        RdbValue::List(items) | RdbValue::Set(items) => {
            put_len(out, items.len() as u64)?;
            for it in items {
                put_string(out, it, compression)?;
            }
            Ok(())
        }
        RdbValue::Hash(pairs) => {
            put_len(out, pairs.len() as u64)?;
            for (f, val) in pairs {
                put_string(out, f, compression)?;
                put_string(out, val, compression)?;
            }
            Ok(())
        }
        RdbValue::ZSet(pairs) => {
            put_len(out, pairs.len() as u64)?;
            for (m, score) in pairs {
                put_string(out, m, compression)?;
                out.put(&score.to_le_bytes())?;
            }
            Ok(())
        }
        RdbValue::Stream(s) => {
            let mut ps = |o: &mut S, b: &[u8]| put_string(o, b, compression);
            stream::write_stream(out, s, types::STREAM_LISTPACKS_2, put_len::<S>, &mut ps)
        }
    }
}

// ---------------------------------------------------------------------------
// DUMP payloads
// ---------------------------------------------------------------------------

/// Serializes `v` in DUMP format: `<type> <value> <u16 LE version 10> <u64 LE
/// CRC-64>`, without LZF (see [`try_dump_payload`]). Defined for every value
/// Redis can hold; for one it cannot (a NaN score, a stream entry over 4 GiB)
/// the result is an empty payload, which RESTORE rejects.
pub fn dump_payload(v: &RdbValue) -> Vec<u8> {
    try_dump_payload(v, false).unwrap_or_default()
}

/// [`dump_payload`] with a choice of LZF compression (Redis compresses DUMP
/// payloads when `rdbcompression` is on), reporting unwritable values.
pub fn try_dump_payload(v: &RdbValue, compression: bool) -> io::Result<Vec<u8>> {
    if let RdbValue::ZSet(z) = v {
        if z.iter().any(|(_, s)| s.is_nan()) {
            return Err(invalid("refusing to write a NaN zset score"));
        }
    }
    let mut out = vec![object_type(v)];
    put_value(&mut out, v, compression)?;
    out.extend_from_slice(&RDB_WRITE_VERSION.to_le_bytes());
    let crc = crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

// ---------------------------------------------------------------------------
// RdbWriter
// ---------------------------------------------------------------------------

const FLUSH_AT: usize = 64 * 1024;

/// Buffers output, keeps the running CRC, writes through in 64 KiB pieces.
struct Out<W: Write> {
    inner: W,
    buf: Vec<u8>,
    crc: u64,
    checksum: bool,
    written: u64,
}

impl<W: Write> Out<W> {
    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            if self.checksum {
                self.crc = crc64::crc64(self.crc, &self.buf);
            }
            self.inner.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Sink for Out<W> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }
}

/// Writes an RDB version 10 file.
///
/// ```text
/// let mut w = RdbWriter::new(file, &WriterOptions::default())?;  // header + AUX
/// w.write_function(b"#!lua name=lib\n...")?;                     // optional
/// w.select_db(0, keys_in_db0, keys_with_expire_in_db0)?;
/// w.write_key(b"k", &RdbValue::String(b"v".to_vec()), None)?;
/// let file = w.finish()?;                                        // EOF + CRC
/// ```
///
/// Output is buffered internally; `finish` flushes and returns the writer
/// (call `sync_all` on a file yourself).
pub struct RdbWriter<W: Write> {
    out: Out<W>,
    compression: bool,
    db: Option<u32>,
}

impl<W: Write> RdbWriter<W> {
    /// Writes the header `REDIS0010` and the AUX fields.
    pub fn new(inner: W, opts: &WriterOptions) -> io::Result<Self> {
        let mut w = RdbWriter {
            out: Out {
                inner,
                buf: Vec::with_capacity(FLUSH_AT + 1024),
                crc: 0,
                checksum: opts.checksum,
                written: 0,
            },
            compression: opts.compression,
            db: None,
        };
        w.out
            .put(format!("REDIS{RDB_WRITE_VERSION:04}").as_bytes())?;
        let ctime = opts.ctime.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        w.write_aux(b"redis-ver", opts.redis_ver.as_bytes())?;
        w.write_aux(b"redis-bits", b"64")?;
        w.write_aux(b"ctime", ctime.to_string().as_bytes())?;
        w.write_aux(b"used-mem", opts.used_mem.to_string().as_bytes())?;
        w.write_aux(b"aof-base", if opts.aof_base { b"1" } else { b"0" })?;
        for (k, v) in &opts.extra_aux {
            w.write_aux(k, v)?;
        }
        Ok(w)
    }

    /// An AUX field. Redis ignores names it does not know.
    pub fn write_aux(&mut self, name: &[u8], value: &[u8]) -> io::Result<()> {
        self.out.put(&[opcodes::AUX])?;
        put_string(&mut self.out, name, self.compression)?;
        put_string(&mut self.out, value, self.compression)
    }

    /// A function library (FUNCTION2), e.g. `#!lua name=mylib\n...`. Redis
    /// writes these before the databases.
    pub fn write_function(&mut self, code: &[u8]) -> io::Result<()> {
        self.out.put(&[opcodes::FUNCTION2])?;
        put_string(&mut self.out, code, self.compression)
    }

    /// Starts database `db`: SELECTDB, then RESIZEDB with the number of keys
    /// and of keys with an expire that will follow (a sizing hint for the loader).
    pub fn select_db(&mut self, db: u32, keys: u64, expires: u64) -> io::Result<()> {
        self.out.put(&[opcodes::SELECTDB])?;
        put_len(&mut self.out, u64::from(db))?;
        self.out.put(&[opcodes::RESIZEDB])?;
        put_len(&mut self.out, keys)?;
        put_len(&mut self.out, expires)?;
        self.db = Some(db);
        Ok(())
    }

    /// Writes one key in the current database. Empty collections and NaN
    /// scores are refused (`InvalidInput`), as Redis would not load them.
    pub fn write_key(
        &mut self,
        key: &[u8],
        value: &RdbValue,
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        self.write_key_full(key, value, expire_ms, None, None)
    }

    /// [`write_key`](Self::write_key) with the LRU idle time (IDLE) and LFU
    /// counter (FREQ) Redis writes under an LRU/LFU `maxmemory-policy`.
    pub fn write_key_full(
        &mut self,
        key: &[u8],
        value: &RdbValue,
        expire_ms: Option<i64>,
        idle: Option<u64>,
        freq: Option<u8>,
    ) -> io::Result<()> {
        validate(value)?;
        if let Some(ms) = expire_ms {
            self.out.put(&[opcodes::EXPIRETIME_MS])?;
            self.out.put(&ms.to_le_bytes())?;
        }
        if let Some(idle) = idle {
            self.out.put(&[opcodes::IDLE])?;
            put_len(&mut self.out, idle)?;
        }
        if let Some(freq) = freq {
            self.out.put(&[opcodes::FREQ, freq])?;
        }
        self.out.put(&[object_type(value)])?;
        put_string(&mut self.out, key, self.compression)?;
        put_value(&mut self.out, value, self.compression)
    }

    /// Writes a record, switching database first (SELECTDB without a
    /// RESIZEDB hint) when `rec.db` differs from the current one.
    pub fn write_record(&mut self, rec: &Record) -> io::Result<()> {
        if self.db != Some(rec.db) {
            self.out.put(&[opcodes::SELECTDB])?;
            put_len(&mut self.out, u64::from(rec.db))?;
            self.db = Some(rec.db);
        }
        self.write_key_full(&rec.key, &rec.value, rec.expire_ms, rec.idle, rec.freq)
    }

    /// Bytes written so far (including the internal buffer).
    pub fn bytes_written(&self) -> u64 {
        self.out.written + self.out.buf.len() as u64
    }

    /// Writes EOF and the CRC-64 (or 0 without `checksum`), flushes, and
    /// returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.put(&[opcodes::EOF])?;
        self.out.flush_buf()?;
        let crc = if self.out.checksum { self.out.crc } else { 0 };
        self.out.inner.write_all(&crc.to_le_bytes())?;
        self.out.inner.flush()?;
        Ok(self.out.inner)
    }
}

/// Writes a whole RDB file: header and AUX, function libraries, then the
/// records grouped by database in ascending order (file order kept within a
/// database), each database with its RESIZEDB counts.
pub fn write_rdb<W: Write>(
    w: W,
    opts: &WriterOptions,
    functions: &[Vec<u8>],
    records: &[Record],
) -> io::Result<W> {
    let mut writer = RdbWriter::new(w, opts)?;
    for f in functions {
        writer.write_function(f)?;
    }
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| records[i].db);
    let mut k = 0;
    while k < order.len() {
        let db = records[order[k]].db;
        let end = order[k..]
            .iter()
            .position(|&i| records[i].db != db)
            .map_or(order.len(), |p| k + p);
        let expires = order[k..end]
            .iter()
            .filter(|&&i| records[i].expire_ms.is_some())
            .count();
        writer.select_db(db, (end - k) as u64, expires as u64)?;
        for &i in &order[k..end] {
            let r = &records[i];
            writer.write_key_full(&r.key, &r.value, r.expire_ms, r.idle, r.freq)?;
        }
        k = end;
    }
    writer.finish()
}

/// A DUMP-style payload of a stream as type 21 (STREAM_LISTPACKS_3, RDB 11),
/// for tests of the reader.
#[doc(hidden)]
pub fn stream_v3_payload_for_tests(s: &super::StreamValue) -> Vec<u8> {
    let mut out = vec![types::STREAM_LISTPACKS_3];
    let mut ps = |o: &mut Vec<u8>, b: &[u8]| put_string(o, b, false);
    // Cannot fail: Vec sinks do not fail and test streams are small.
    let _ = stream::write_stream(
        &mut out,
        s,
        types::STREAM_LISTPACKS_3,
        put_len::<Vec<u8>>,
        &mut ps,
    );
    out.extend_from_slice(&11u16.to_le_bytes());
    let crc = crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &[u8], compression: bool) -> Vec<u8> {
        let mut v = Vec::new();
        put_string(&mut v, s, compression).unwrap();
        v
    }

    #[test]
    fn string_encodings_like_redis() {
        assert_eq!(enc(b"12345", false), vec![0xc1, 0x39, 0x30]);
        assert_eq!(enc(b"-1", false), vec![0xc0, 0xff]);
        assert_eq!(enc(b"100000", false), vec![0xc2, 0xa0, 0x86, 0x01, 0x00]);
        assert_eq!(enc(b"007", false), b"\x03007".to_vec());
        assert_eq!(enc(b"-0", false), b"\x02-0".to_vec());
        assert_eq!(enc(b"3000000000", false), b"\x0a3000000000".to_vec());
        let a = vec![b'a'; 137];
        let c = enc(&a, true);
        assert_eq!(c[0], 0xc3);
        assert!(c.len() < 20);
        assert_eq!(enc(&a, false).len(), 139);
    }

    #[test]
    fn lengths() {
        let mut v = Vec::new();
        for n in [0u64, 63, 64, 16383, 16384, u64::from(u32::MAX), u64::MAX] {
            put_len(&mut v, n).unwrap();
        }
        assert_eq!(
            v,
            [
                &[0x00][..],
                &[0x3f],
                &[0x40, 0x40],
                &[0x7f, 0xff],
                &[0x80, 0, 0, 0x40, 0],
                &[0x80, 0xff, 0xff, 0xff, 0xff],
                &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ]
            .concat()
        );
    }

    #[test]
    fn dump_matches_redis_for_strings() {
        // Reference section 2: SET k hello, SET n 12345, SADD s2 a.
        let hex = |s: &str| -> Vec<u8> {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        assert_eq!(
            dump_payload(&RdbValue::String(b"hello".to_vec())),
            hex("000568656c6c6f 0a00 6372df766534200a")
        );
        assert_eq!(
            dump_payload(&RdbValue::String(b"12345".to_vec())),
            hex("00c13930 0a00 9d94ea2793fc08b9")
        );
        assert_eq!(
            dump_payload(&RdbValue::Set(vec![b"a".to_vec()])),
            hex("02 01 0161 0a00 6296e97e44d21a6d")
        );
    }
}
