//! The RDB reader: [`load`] streams an RDB file record by record, and
//! [`restore_payload`] decodes a DUMP payload.
//!
//! The reader consumes exactly the bytes of the RDB (up to and including the
//! CRC), never more, so a caller can go on reading the same stream afterwards
//! (an AOF's RESP tail after its RDB preamble, a replication stream after the
//! full-sync payload). It reads in small pieces: pass a buffered reader.
//!
//! Memory: each value is held once, as it is decoded; a length field is never
//! trusted for an allocation beyond what the input actually delivers.

use std::collections::HashSet;
use std::io::{self, Read};

use super::encodings::{self, Elem};
use super::{crc64, lzf, opcodes, stream, types};
use super::{RdbError, RdbErrorKind, RdbValue, Record, RDB_MAX_READ_VERSION};

/// Options for [`load_with`].
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Verify the CRC-64 at the end of the file (when the file has one and it
    /// is not zero). Default true; turning it off is for forensics only.
    pub verify_checksum: bool,
    /// Where to record the `used-mem` AUX field as soon as it is read (for
    /// `INFO` during the load). The bytes consumed are counted by the caller,
    /// with a [`crate::ProgressRead`] around the input.
    pub progress: Option<std::sync::Arc<crate::Progress>>,
    /// Refuse a set, hash or sorted set holding the same member twice as a corrupt
    /// file (default true). A caller that inserts every member into a table of its own
    /// sees duplicates there at no cost, and may turn this pass off and refuse them
    /// itself.
    pub check_duplicates: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            verify_checksum: true,
            progress: None,
            check_duplicates: true,
        }
    }
}

/// What the checksum check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Version < 5: the format has no checksum.
    Absent,
    /// Stored as zero (`rdbchecksum no`): not checked, as Redis does.
    Disabled,
    /// Present, non-zero, and matching.
    Verified(u64),
    /// Present and non-zero but not checked (`verify_checksum: false`).
    NotChecked(u64),
}

/// Everything in an RDB file besides the keys, plus counts.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadInfo {
    /// The header's version (1..=12).
    pub version: u32,
    /// AUX fields in file order (`redis-ver`, `ctime`, `repl-id`,
    /// `repl-offset`, `aof-preamble`, `aof-base`, `lua`, ...).
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// FUNCTION2 payloads: library code, e.g. `#!lua name=mylib\n...`.
    pub functions: Vec<Vec<u8>>,
    /// RESIZEDB hints: (db, keys, keys with an expire).
    pub resize_hints: Vec<(u32, u64, u64)>,
    /// Records handed to the callback.
    pub keys_loaded: u64,
    /// Of those, records with an expire.
    pub keys_with_expire: u64,
    /// Empty collections skipped, as Redis does ("skipping empty key"): (db, key).
    pub empty_keys_skipped: Vec<(u32, Vec<u8>)>,
    /// Things skipped that an operator should hear about (MODULE_AUX data).
    pub warnings: Vec<String>,
    pub checksum: Checksum,
    /// Bytes consumed, from the `R` of `REDIS` through the CRC.
    pub bytes_read: u64,
}

impl LoadInfo {
    /// The value of the first AUX field with this name.
    pub fn aux_value(&self, name: &[u8]) -> Option<&[u8]> {
        self.aux
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Reads an RDB file from `r`, calling `on_record` for every key in file
/// order. An `Err` from the callback stops the load with
/// [`RdbErrorKind::Rejected`]. Checks the CRC.
pub fn load<R: Read>(
    r: R,
    on_record: impl FnMut(Record) -> Result<(), String>,
) -> Result<LoadInfo, RdbError> {
    load_with(r, &LoadOptions::default(), on_record)
}

/// [`load`] with options.
pub fn load_with<R: Read>(
    r: R,
    opts: &LoadOptions,
    mut on_record: impl FnMut(Record) -> Result<(), String>,
) -> Result<LoadInfo, RdbError> {
    load_events(r, opts, |ev| match ev {
        LoadEvent::Record(rec) => on_record(rec),
        LoadEvent::ResizeDb { .. } => Ok(()),
    })
}

/// What [`load_events`] hands over, in file order.
#[derive(Debug)]
pub enum LoadEvent {
    /// A key.
    Record(Record),
    /// A `RESIZEDB` hint, before the keys of `db`: how many keys the writer had, and
    /// how many with an expire. Only a hint (a file may lie): a caller sizing its
    /// tables from it should bound it by what the input can hold.
    ResizeDb { db: u32, keys: u64, expires: u64 },
}

/// [`load_with`], with the `RESIZEDB` hints as well, so that a caller can size its
/// tables once instead of growing them key after key.
pub fn load_events<R: Read>(
    r: R,
    opts: &LoadOptions,
    mut on_event: impl FnMut(LoadEvent) -> Result<(), String>,
) -> Result<LoadInfo, RdbError> {
    let mut inp = Input::new(r);
    // A whole file: a large one gets its CRC computed on a thread of its own.
    inp.parallel_crc = opts.verify_checksum;
    inp.check_dups = opts.check_duplicates;
    let mut magic = [0u8; 9];
    inp.fill(&mut magic)?;
    if &magic[..5] != b"REDIS" {
        return Err(RdbError::corrupt(
            0,
            "wrong signature: not an RDB file (no REDIS header)",
        ));
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| RdbError::corrupt(5, "RDB version is not 4 decimal digits"))?;
    if !(1..=RDB_MAX_READ_VERSION).contains(&version) {
        return Err(RdbError::new(5, RdbErrorKind::UnsupportedVersion(version)));
    }

    let mut info = LoadInfo {
        version,
        aux: Vec::new(),
        functions: Vec::new(),
        resize_hints: Vec::new(),
        keys_loaded: 0,
        keys_with_expire: 0,
        empty_keys_skipped: Vec::new(),
        warnings: Vec::new(),
        checksum: Checksum::Absent,
        bytes_read: 0,
    };
    let mut db: u32 = 0;
    let mut expire_ms: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;

    loop {
        let op_off = inp.pos;
        let op = inp.u8()?;
        match op {
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let n = inp.length()?;
                db = u32::try_from(n)
                    .map_err(|_| RdbError::corrupt(op_off, format!("SELECTDB {n} out of range")))?;
            }
            opcodes::RESIZEDB => {
                let keys = inp.length()?;
                let expires = inp.length()?;
                info.resize_hints.push((db, keys, expires));
                on_event(LoadEvent::ResizeDb { db, keys, expires })
                    .map_err(|m| RdbError::new(op_off, RdbErrorKind::Rejected(m)))?;
            }
            opcodes::EXPIRETIME_MS => {
                let mut b = [0u8; 8];
                inp.fill(&mut b)?;
                expire_ms = Some(i64::from_le_bytes(b));
            }
            opcodes::EXPIRETIME => {
                let mut b = [0u8; 4];
                inp.fill(&mut b)?;
                expire_ms = Some(i64::from(i32::from_le_bytes(b)) * 1000);
            }
            opcodes::AUX => {
                let k = inp.string()?;
                let v = inp.string()?;
                if let Some(p) = opts.progress.as_ref().filter(|_| k == b"used-mem") {
                    let used = std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok());
                    p.set_used_mem(used.unwrap_or(0));
                }
                info.aux.push((k, v));
            }
            opcodes::FREQ => freq = Some(inp.u8()?),
            opcodes::IDLE => idle = Some(inp.length()?),
            opcodes::MODULE_AUX => {
                let warning = skip_module_aux(&mut inp, op_off)?;
                info.warnings.push(warning);
            }
            opcodes::FUNCTION_PRE_GA => {
                return Err(RdbError::unsupported(
                    op_off,
                    "pre-GA function format (FUNCTION opcode from a Redis 7.0 release candidate); \
                     load the file in Redis 7.0 and save it again",
                ));
            }
            opcodes::FUNCTION2 => info.functions.push(inp.string()?),
            opcodes::SLOT_INFO => {
                // Redis 7.4 cluster mode: slot id, slot size, expires slot size. Hints only.
                inp.length()?;
                inp.length()?;
                inp.length()?;
            }
            t => {
                let key = inp.string()?;
                let value = read_object(&mut inp, t, op_off)?;
                let (e, i, f) = (expire_ms.take(), idle.take(), freq.take());
                match value {
                    None => info.empty_keys_skipped.push((db, key)),
                    Some(value) => {
                        info.keys_loaded += 1;
                        if e.is_some() {
                            info.keys_with_expire += 1;
                        }
                        let rec = Record {
                            db,
                            key,
                            value,
                            expire_ms: e,
                            idle: i,
                            freq: f,
                        };
                        on_event(LoadEvent::Record(rec))
                            .map_err(|m| RdbError::new(op_off, RdbErrorKind::Rejected(m)))?;
                    }
                }
            }
        }
    }

    if version >= 5 {
        let computed = inp.checksum()?;
        let crc_off = inp.pos;
        let mut b = [0u8; 8];
        inp.fill(&mut b)?;
        let stored = u64::from_le_bytes(b);
        info.checksum = if stored == 0 {
            Checksum::Disabled
        } else if !opts.verify_checksum {
            Checksum::NotChecked(stored)
        } else if stored == computed {
            Checksum::Verified(stored)
        } else {
            return Err(RdbError::new(
                crc_off,
                RdbErrorKind::ChecksumMismatch { stored, computed },
            ));
        };
    }
    info.bytes_read = inp.pos;
    Ok(info)
}

/// Decodes a DUMP payload: `<type> <value> <u16 LE RDB version> <u64 LE CRC-64>`.
/// Accepts payload versions up to 12; the CRC must match (zero is not special
/// here, as in Redis).
pub fn restore_payload(bytes: &[u8]) -> Result<RdbValue, RdbError> {
    if bytes.len() < 10 {
        return Err(RdbError::new(0, RdbErrorKind::BadDumpPayload));
    }
    let body_len = bytes.len() - 10;
    let footer = &bytes[body_len..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if u32::from(version) > RDB_MAX_READ_VERSION
        || crc64::crc64(0, &bytes[..body_len + 2]) != u64::from_le_bytes(crc)
    {
        return Err(RdbError::new(body_len as u64, RdbErrorKind::BadDumpPayload));
    }
    let mut inp = Input::new(&bytes[..body_len]);
    let t = inp.u8()?;
    match read_object(&mut inp, t, 0)? {
        Some(v) => Ok(v),
        None => Err(RdbError::corrupt(0, "empty collection in DUMP payload")),
    }
}

// ---------------------------------------------------------------------------
// Input: a counting, checksumming reader
// ---------------------------------------------------------------------------

/// Reads that never allocate more than this before the data has arrived.
const ALLOC_CHUNK: usize = 1 << 20;

/// Initial capacity for a collection whose length field claims `n` elements.
pub(crate) fn cap(n: u64) -> usize {
    n.min(4096) as usize
}

enum LenEnc {
    Len(u64),
    Enc(u8),
}

/// Reads shorter than this are gathered before being checksummed: most reads are an
/// opcode, a length or a short string, and the CRC runs several times faster over
/// a few kilobytes at once than a few bytes at a time.
const CRC_GATHER: usize = 256;
const CRC_STAGE: usize = 8 * 1024;
/// Past this many bytes of a file, the CRC moves to a thread of its own, fed with
/// copies of what is read in pieces of [`PAR_STAGE`] bytes (a large load then costs one
/// memory copy instead of the CRC, which runs on the other core).
const PAR_AFTER: u64 = 1 << 20;
const PAR_STAGE: usize = 256 * 1024;

/// The thread computing the CRC of a large file.
struct CrcThread {
    data: std::sync::mpsc::SyncSender<Vec<u8>>,
    /// Emptied buffers coming back for reuse.
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    handle: std::thread::JoinHandle<u64>,
}

impl CrcThread {
    fn start(crc: u64) -> Option<CrcThread> {
        let (data, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let (back, spare) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("rdb-crc".into())
            .spawn(move || {
                let mut crc = crc;
                while let Ok(mut buf) = rx.recv() {
                    crc = crc64::crc64(crc, &buf);
                    buf.clear();
                    let _ = back.send(buf);
                }
                crc
            })
            .ok()?;
        Some(CrcThread {
            data,
            spare,
            handle,
        })
    }
}

pub(crate) struct Input<R> {
    inner: R,
    pub(crate) pos: u64,
    /// CRC-64 of everything read, except what `stage` still holds (and, with a CRC
    /// thread, what it has not finished).
    crc: u64,
    stage: Vec<u8>,
    /// May hand the CRC to a thread once the input is large (whole files only).
    parallel_crc: bool,
    thread: Option<CrcThread>,
    /// The CRC thread died: the checksum cannot be known.
    crc_lost: bool,
    /// Refuse duplicate members (see [`LoadOptions::check_duplicates`]).
    pub(crate) check_dups: bool,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Self {
        Input {
            inner,
            pos: 0,
            crc: 0,
            stage: Vec::new(),
            parallel_crc: false,
            thread: None,
            crc_lost: false,
            check_dups: true,
        }
    }

    /// CRC-64 of every byte read so far.
    pub(crate) fn checksum(&mut self) -> Result<u64, RdbError> {
        match self.thread.take() {
            None if self.crc_lost => {
                return Err(RdbError::new(
                    self.pos,
                    RdbErrorKind::Io(io::Error::other("the CRC thread failed")),
                ))
            }
            None => self.flush_crc(),
            Some(t) => {
                let sent = t.data.send(std::mem::take(&mut self.stage));
                drop(t.data);
                match (sent, t.handle.join()) {
                    (Ok(()), Ok(crc)) => self.crc = crc,
                    _ => {
                        return Err(RdbError::new(
                            self.pos,
                            RdbErrorKind::Io(io::Error::other("the CRC thread failed")),
                        ))
                    }
                }
            }
        }
        Ok(self.crc)
    }

    fn flush_crc(&mut self) {
        if !self.stage.is_empty() {
            self.crc = crc64::crc64(self.crc, &self.stage);
            self.stage.clear();
        }
    }

    /// Checksums what `fill` just read into `buf`.
    fn checksum_piece(&mut self, buf: &[u8]) {
        if let Some(t) = &self.thread {
            self.stage.extend_from_slice(buf);
            if self.stage.len() >= PAR_STAGE {
                let next = t
                    .spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(PAR_STAGE));
                let full = std::mem::replace(&mut self.stage, next);
                if t.data.send(full).is_err() {
                    // The thread is gone (`checksum` reports it).
                    self.thread = None;
                    self.crc_lost = true;
                    self.stage.clear();
                }
            }
            return;
        }
        if buf.len() >= CRC_GATHER {
            self.flush_crc();
            self.crc = crc64::crc64(self.crc, buf);
        } else {
            if self.stage.len() + buf.len() > CRC_STAGE {
                self.flush_crc();
            }
            if self.stage.capacity() == 0 {
                self.stage.reserve_exact(CRC_STAGE);
            }
            self.stage.extend_from_slice(buf);
        }
        if self.parallel_crc && self.pos >= PAR_AFTER {
            self.parallel_crc = false;
            self.flush_crc();
            self.thread = CrcThread::start(self.crc);
            if self.thread.is_some() {
                self.stage = Vec::with_capacity(PAR_STAGE);
            }
        }
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                self.checksum_piece(buf);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(RdbError::new(self.pos, RdbErrorKind::UnexpectedEof))
            }
            Err(e) => Err(RdbError::new(self.pos, RdbErrorKind::Io(e))),
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }

    pub(crate) fn i64_le(&mut self) -> Result<i64, RdbError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    pub(crate) fn f64_le(&mut self) -> Result<f64, RdbError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(f64::from_le_bytes(b))
    }

    pub(crate) fn raw_id(&mut self) -> Result<super::StreamId, RdbError> {
        let mut b = [0u8; 16];
        self.fill(&mut b)?;
        Ok(super::StreamId::from_be_bytes(b))
    }

    /// `n` bytes, allocated as they arrive (a lying length costs at most
    /// [`ALLOC_CHUNK`] beyond the real input).
    pub(crate) fn bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        if n <= ALLOC_CHUNK as u64 {
            let mut v = vec![0u8; n as usize];
            self.fill(&mut v)?;
            return Ok(v);
        }
        let mut v = Vec::new();
        let mut left = n;
        while left > 0 {
            let take = left.min(ALLOC_CHUNK as u64) as usize;
            let old = v.len();
            v.resize(old + take, 0);
            self.fill(&mut v[old..])?;
            left -= take as u64;
        }
        Ok(v)
    }

    fn len_enc(&mut self) -> Result<LenEnc, RdbError> {
        let off = self.pos;
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => LenEnc::Len(u64::from(b & 0x3f)),
            1 => LenEnc::Len((u64::from(b & 0x3f) << 8) | u64::from(self.u8()?)),
            2 => match b {
                0x80 => {
                    let mut x = [0u8; 4];
                    self.fill(&mut x)?;
                    LenEnc::Len(u64::from(u32::from_be_bytes(x)))
                }
                0x81 => {
                    let mut x = [0u8; 8];
                    self.fill(&mut x)?;
                    LenEnc::Len(u64::from_be_bytes(x))
                }
                _ => {
                    return Err(RdbError::corrupt(
                        off,
                        format!("unknown length encoding 0x{b:02x}"),
                    ))
                }
            },
            _ => LenEnc::Enc(b & 0x3f),
        })
    }

    /// A length (`rdbLoadLen`).
    pub(crate) fn length(&mut self) -> Result<u64, RdbError> {
        let off = self.pos;
        match self.len_enc()? {
            LenEnc::Len(n) => Ok(n),
            LenEnc::Enc(e) => Err(RdbError::corrupt(
                off,
                format!("string encoding {e} where a length was expected"),
            )),
        }
    }

    /// A string (`rdbGenericLoadStringObject`): plain, int-encoded or LZF.
    pub(crate) fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        let off = self.pos;
        match self.len_enc()? {
            LenEnc::Len(n) => self.bytes(n),
            LenEnc::Enc(0) => Ok((self.u8()? as i8).to_string().into_bytes()),
            LenEnc::Enc(1) => {
                let mut b = [0u8; 2];
                self.fill(&mut b)?;
                Ok(i16::from_le_bytes(b).to_string().into_bytes())
            }
            LenEnc::Enc(2) => {
                let mut b = [0u8; 4];
                self.fill(&mut b)?;
                Ok(i32::from_le_bytes(b).to_string().into_bytes())
            }
            LenEnc::Enc(3) => {
                let clen = self.length()?;
                let ulen = self.length()?;
                let comp = self.bytes(clen)?;
                let ulen = usize::try_from(ulen)
                    .map_err(|_| RdbError::corrupt(off, "LZF uncompressed length out of range"))?;
                lzf::decompress(&comp, ulen).map_err(|e| {
                    RdbError::corrupt(off, format!("invalid LZF-compressed string: {e}"))
                })
            }
            LenEnc::Enc(e) => Err(RdbError::corrupt(
                off,
                format!("unknown string encoding {e}"),
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------

/// Checks that no two items are equal (Redis refuses duplicate set members,
/// hash fields and zset members as a corrupt file).
fn check_unique<'a>(
    on: bool,
    items: impl Iterator<Item = &'a [u8]>,
    what: &str,
    off: u64,
) -> Result<(), RdbError> {
    if !on {
        return Ok(());
    }
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(items.size_hint().0);
    for it in items {
        if !seen.insert(it) {
            return Err(RdbError::corrupt(
                off,
                format!(
                    "duplicate {what} {:?}",
                    String::from_utf8_lossy(&it[..it.len().min(64)])
                ),
            ));
        }
    }
    Ok(())
}

/// A score written as text (ZSET type 3, ziplist/listpack zsets): strtod-like.
fn parse_score_text(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?.trim();
    t.parse::<f64>().ok()
}

fn elem_score(e: &Elem<'_>) -> Option<f64> {
    match *e {
        Elem::Int(v) => Some(v as f64),
        Elem::Str(s) => parse_score_text(s),
    }
}

fn pairs_of(elems: &[Elem<'_>], what: &str, off: u64) -> Result<(), RdbError> {
    if elems.len() % 2 != 0 {
        return Err(RdbError::corrupt(
            off,
            format!("{what} has an odd number of elements ({})", elems.len()),
        ));
    }
    Ok(())
}

fn hash_from_elems(
    dups: bool,
    elems: &[Elem<'_>],
    what: &str,
    off: u64,
) -> Result<RdbValue, RdbError> {
    pairs_of(elems, what, off)?;
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = elems
        .chunks_exact(2)
        .map(|p| (p[0].to_vec(), p[1].to_vec()))
        .collect();
    check_unique(
        dups,
        pairs.iter().map(|(f, _)| f.as_slice()),
        "hash field",
        off,
    )?;
    Ok(RdbValue::Hash(pairs))
}

fn zset_from_elems(
    dups: bool,
    elems: &[Elem<'_>],
    what: &str,
    off: u64,
) -> Result<RdbValue, RdbError> {
    pairs_of(elems, what, off)?;
    let mut out = Vec::with_capacity(elems.len() / 2);
    for p in elems.chunks_exact(2) {
        let score = elem_score(&p[1])
            .ok_or_else(|| RdbError::corrupt(off, format!("{what}: score is not a number")))?;
        if score.is_nan() {
            return Err(RdbError::corrupt(off, format!("{what}: NaN score")));
        }
        out.push((p[0].to_vec(), score));
    }
    check_unique(
        dups,
        out.iter().map(|(m, _)| m.as_slice()),
        "zset member",
        off,
    )?;
    Ok(RdbValue::ZSet(out))
}

fn blob_err(off: u64, what: &str) -> impl FnOnce(String) -> RdbError + '_ {
    move |e| RdbError::corrupt(off, format!("{what} integrity check failed: {e}"))
}

fn module_type_name(id: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = CSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Walks a module value's opcode stream (`rdbLoadCheckModuleValue`) without
/// understanding it.
fn skip_module_value<R: Read>(inp: &mut Input<R>, name: &str) -> Result<(), RdbError> {
    loop {
        let off = inp.pos;
        match inp.length()? {
            0 => return Ok(()),
            1 | 2 => {
                inp.length()?;
            }
            3 => {
                let mut b = [0u8; 4];
                inp.fill(&mut b)?;
            }
            4 => {
                inp.f64_le()?;
            }
            5 => {
                inp.string()?;
            }
            op => {
                return Err(RdbError::corrupt(
                    off,
                    format!("unknown module opcode {op} in data of module '{name}'"),
                ))
            }
        }
    }
}

fn skip_module_aux<R: Read>(inp: &mut Input<R>, op_off: u64) -> Result<String, RdbError> {
    let id = inp.length()?;
    let when_opcode = inp.length()?;
    let when = inp.length()?;
    if when_opcode != 2 {
        return Err(RdbError::corrupt(
            op_off,
            format!("MODULE_AUX with bad when_opcode {when_opcode}"),
        ));
    }
    let name = module_type_name(id);
    skip_module_value(inp, &name)?;
    Ok(format!(
        "skipped MODULE_AUX data of module '{name}' (encoding version {}, when {when}) at offset {op_off}: \
         redraft has no modules",
        id & 1023
    ))
}

/// Reads the value of object type `t`. `Ok(None)` is an empty collection
/// (skipped by the loader, as Redis does).
pub(crate) fn read_object<R: Read>(
    inp: &mut Input<R>,
    t: u8,
    type_off: u64,
) -> Result<Option<RdbValue>, RdbError> {
    let off = inp.pos;
    let value = match t {
        types::STRING => RdbValue::String(inp.string()?),
        types::LIST | types::SET => {
            let n = inp.length()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                v.push(inp.string()?);
            }
            if t == types::LIST {
                RdbValue::List(v)
            } else {
                check_unique(
                    inp.check_dups,
                    v.iter().map(Vec::as_slice),
                    "set member",
                    off,
                )?;
                RdbValue::Set(v)
            }
        }
        types::ZSET | types::ZSET_2 => {
            let n = inp.length()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let m = inp.string()?;
                let score_off = inp.pos;
                let score = if t == types::ZSET_2 {
                    inp.f64_le()?
                } else {
                    match inp.u8()? {
                        253 => f64::NAN,
                        254 => f64::INFINITY,
                        255 => f64::NEG_INFINITY,
                        len => {
                            let text = inp.bytes(u64::from(len))?;
                            parse_score_text(&text).ok_or_else(|| {
                                RdbError::corrupt(score_off, "zset score is not a number")
                            })?
                        }
                    }
                };
                if score.is_nan() {
                    return Err(RdbError::corrupt(score_off, "zset with NaN score"));
                }
                v.push((m, score));
            }
            check_unique(
                inp.check_dups,
                v.iter().map(|(m, _)| m.as_slice()),
                "zset member",
                off,
            )?;
            RdbValue::ZSet(v)
        }
        types::HASH => {
            let n = inp.length()?;
            let mut v = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let f = inp.string()?;
                let val = inp.string()?;
                v.push((f, val));
            }
            check_unique(
                inp.check_dups,
                v.iter().map(|(f, _)| f.as_slice()),
                "hash field",
                off,
            )?;
            RdbValue::Hash(v)
        }
        types::HASH_ZIPMAP => {
            let blob = inp.string()?;
            let pairs = encodings::zipmap_pairs(&blob).map_err(blob_err(off, "zipmap"))?;
            let v: Vec<(Vec<u8>, Vec<u8>)> = pairs
                .into_iter()
                .map(|(f, val)| (f.to_vec(), val.to_vec()))
                .collect();
            check_unique(
                inp.check_dups,
                v.iter().map(|(f, _)| f.as_slice()),
                "hash field",
                off,
            )?;
            RdbValue::Hash(v)
        }
        types::LIST_ZIPLIST => {
            let blob = inp.string()?;
            let elems = encodings::ziplist_elems(&blob).map_err(blob_err(off, "ziplist"))?;
            RdbValue::List(elems.iter().map(Elem::to_vec).collect())
        }
        types::SET_INTSET => {
            let blob = inp.string()?;
            let ints = encodings::intset_elems(&blob).map_err(blob_err(off, "intset"))?;
            RdbValue::Set(ints.iter().map(|i| i.to_string().into_bytes()).collect())
        }
        types::SET_LISTPACK => {
            let blob = inp.string()?;
            let elems = encodings::listpack_elems(&blob).map_err(blob_err(off, "set listpack"))?;
            let v: Vec<Vec<u8>> = elems.iter().map(Elem::to_vec).collect();
            check_unique(
                inp.check_dups,
                v.iter().map(Vec::as_slice),
                "set member",
                off,
            )?;
            RdbValue::Set(v)
        }
        types::ZSET_ZIPLIST => {
            let blob = inp.string()?;
            let elems = encodings::ziplist_elems(&blob).map_err(blob_err(off, "zset ziplist"))?;
            zset_from_elems(inp.check_dups, &elems, "zset ziplist", off)?
        }
        types::ZSET_LISTPACK => {
            let blob = inp.string()?;
            let elems = encodings::listpack_elems(&blob).map_err(blob_err(off, "zset listpack"))?;
            zset_from_elems(inp.check_dups, &elems, "zset listpack", off)?
        }
        types::HASH_ZIPLIST => {
            let blob = inp.string()?;
            let elems = encodings::ziplist_elems(&blob).map_err(blob_err(off, "hash ziplist"))?;
            hash_from_elems(inp.check_dups, &elems, "hash ziplist", off)?
        }
        types::HASH_LISTPACK => {
            let blob = inp.string()?;
            let elems = encodings::listpack_elems(&blob).map_err(blob_err(off, "hash listpack"))?;
            hash_from_elems(inp.check_dups, &elems, "hash listpack", off)?
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = inp.length()?;
            let mut v = Vec::new();
            for _ in 0..nodes {
                let node_off = inp.pos;
                let container = if t == types::LIST_QUICKLIST_2 {
                    let c = inp.length()?;
                    if c != 1 && c != 2 {
                        return Err(RdbError::corrupt(
                            node_off,
                            format!(
                                "quicklist node container {c} is neither 1 (plain) nor 2 (packed)"
                            ),
                        ));
                    }
                    c
                } else {
                    2
                };
                let data_off = inp.pos;
                let data = inp.string()?;
                if data.is_empty() {
                    return Err(RdbError::corrupt(data_off, "empty quicklist node"));
                }
                if container == 1 {
                    v.push(data);
                } else if t == types::LIST_QUICKLIST {
                    let elems = encodings::ziplist_elems(&data)
                        .map_err(blob_err(data_off, "quicklist ziplist"))?;
                    v.extend(elems.iter().map(Elem::to_vec));
                } else {
                    let elems = encodings::listpack_elems(&data)
                        .map_err(blob_err(data_off, "quicklist listpack"))?;
                    v.extend(elems.iter().map(Elem::to_vec));
                }
            }
            RdbValue::List(v)
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 | types::STREAM_LISTPACKS_3 => {
            RdbValue::Stream(stream::read_stream(inp, t)?)
        }
        types::MODULE_PRE_GA => {
            let id = inp.length()?;
            return Err(RdbError::unsupported(
                type_off,
                format!(
                    "key of pre-GA module type '{}' (object type 6)",
                    module_type_name(id)
                ),
            ));
        }
        types::MODULE_2 => {
            let id = inp.length()?;
            return Err(RdbError::unsupported(
                type_off,
                format!(
                    "key of module type '{}' (encoding version {}): redraft has no modules",
                    module_type_name(id),
                    id & 1023
                ),
            ));
        }
        types::HASH_METADATA_PRE_GA
        | types::HASH_LISTPACK_EX_PRE_GA
        | types::HASH_METADATA
        | types::HASH_LISTPACK_EX => {
            return Err(RdbError::unsupported(
                type_off,
                format!("object type {t}: hash with field expiration (HEXPIRE, Redis 7.4+)"),
            ));
        }
        _ => {
            return Err(RdbError::corrupt(
                type_off,
                format!("unknown object type {t}"),
            ));
        }
    };
    if value.is_empty_collection() {
        return Ok(None);
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_pass_can_be_left_to_the_caller() {
        let file = b"REDIS0010\xfe\x00\x02\x01s\x02\x01a\x01a\xff\x00\x00\x00\x00\x00\x00\x00\x00";
        let err = load(&file[..], |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("duplicate set member"), "{err}");
        let opts = LoadOptions {
            check_duplicates: false,
            ..Default::default()
        };
        let mut got = vec![];
        load_with(&file[..], &opts, |r| {
            got.push(r.value);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![RdbValue::Set(vec![b"a".to_vec(), b"a".to_vec()])]);
    }

    /// A file large enough for the CRC thread: it loads, and a flipped byte in the
    /// middle is a CRC error, as with the CRC computed in line.
    #[test]
    fn large_file_crc_on_its_own_thread() {
        let records: Vec<Record> = (0..3000u32)
            .map(|i| Record {
                db: 0,
                key: format!("k{i}").into_bytes(),
                value: RdbValue::String((0..1000u32).map(|j| (i * 31 + j * 7) as u8).collect()),
                expire_ms: None,
                idle: None,
                freq: None,
            })
            .collect();
        let opts = crate::WriterOptions {
            compression: false,
            ..Default::default()
        };
        let bytes = crate::write_rdb(Vec::new(), &opts, &[], &records).unwrap();
        assert!(bytes.len() as u64 > 2 * PAR_AFTER);
        let mut n = 0;
        let info = load(&bytes[..], |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3000);
        assert!(matches!(info.checksum, Checksum::Verified(_)));
        let mut bad = bytes.clone();
        let mid = bad.len() * 3 / 4;
        bad[mid] ^= 1;
        let err = load(&bad[..], |_| Ok(())).unwrap_err();
        assert!(
            matches!(err.kind(), RdbErrorKind::ChecksumMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn module_names() {
        // "ReJSON-RL" with encoding version 3.
        let mut id: u64 = 0;
        let cset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for c in b"ReJSON-RL" {
            let pos = cset.iter().position(|x| x == c).unwrap() as u64;
            id = (id << 6) | pos;
        }
        id = (id << 10) | 3;
        assert_eq!(module_type_name(id), "ReJSON-RL");
    }

    #[test]
    fn huge_length_does_not_allocate() {
        // A string claiming 2^62 bytes with only 3 behind it.
        let data = [0x81, 0x40, 0, 0, 0, 0, 0, 0, 0, b'a', b'b', b'c'];
        let mut inp = Input::new(&data[..]);
        let e = inp.string().unwrap_err();
        assert!(matches!(e.kind(), RdbErrorKind::UnexpectedEof));
        // A list claiming 2^32 elements.
        let data = [0x80, 0xff, 0xff, 0xff, 0xff, 0x01, b'a'];
        let mut inp = Input::new(&data[..]);
        assert!(read_object(&mut inp, types::LIST, 0).is_err());
    }
}
