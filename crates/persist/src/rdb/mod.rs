//! The RDB format: a streaming reader for RDB versions 1 to 12, a writer of
//! version 10 files (loadable by Redis 7.0, 7.2, 7.4 and Valkey), and the
//! DUMP/RESTORE payload format.
//!
//! Values are in this crate's own plain representation ([`RdbValue`]);
//! converting to engine values is the caller's business. Element order is
//! kept exactly as stored, and the writer writes elements in the order given.
//!
//! Layout, in the order a reader meets it:
//! * [`crc64`], [`lzf`]: the checksum and the string compression.
//! * [`encodings`]: ziplist, listpack, intset and zipmap blobs.
//! * [`reader`]: [`load`] / [`load_with`] and [`restore_payload`].
//! * [`stream`]: stream values (listpack nodes, consumer groups).
//! * [`writer`]: [`RdbWriter`], [`write_rdb`] and [`dump_payload`].

pub mod crc64;
pub mod encodings;
pub mod lzf;
pub mod reader;
pub mod stream;
pub mod writer;

use std::fmt;
use std::io;

pub use reader::{
    load, load_events, load_with, restore_payload, Checksum, LoadEvent, LoadInfo, LoadOptions,
};
pub use writer::{dump_payload, try_dump_payload, write_rdb, RdbWriter, WriterOptions};

/// The RDB version this crate writes (Redis 7.0's).
pub const RDB_WRITE_VERSION: u16 = 10;
/// The highest RDB version the reader accepts (Redis 7.4's). Files of this
/// version load as long as they hold only types and opcodes we know.
pub const RDB_MAX_READ_VERSION: u32 = 12;

/// Object type ids (`RDB_TYPE_*` in Redis's `rdb.h`).
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
    pub const HASH_METADATA_PRE_GA: u8 = 22;
    pub const HASH_LISTPACK_EX_PRE_GA: u8 = 23;
    pub const HASH_METADATA: u8 = 24;
    pub const HASH_LISTPACK_EX: u8 = 25;
}

/// Opcodes (`RDB_OPCODE_*` in Redis's `rdb.h`).
pub mod opcodes {
    pub const SLOT_INFO: u8 = 0xf4;
    pub const FUNCTION2: u8 = 0xf5;
    pub const FUNCTION_PRE_GA: u8 = 0xf6;
    pub const MODULE_AUX: u8 = 0xf7;
    pub const IDLE: u8 = 0xf8;
    pub const FREQ: u8 = 0xf9;
    pub const AUX: u8 = 0xfa;
    pub const RESIZEDB: u8 = 0xfb;
    pub const EXPIRETIME_MS: u8 = 0xfc;
    pub const EXPIRETIME: u8 = 0xfd;
    pub const SELECTDB: u8 = 0xfe;
    pub const EOF: u8 = 0xff;
}

/// A value as stored in an RDB file, whatever its on-disk encoding.
///
/// Collections keep the order of the file (for hashes and sets written by
/// Redis that is its hash-table or listpack order; for zsets it is whatever
/// order Redis wrote: listpacks ascending, skiplists descending).
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    String(Vec<u8>),
    /// Head to tail.
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    /// Field-value pairs.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Member-score pairs. Scores are never NaN.
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(StreamValue),
}

impl RdbValue {
    /// The name `TYPE` returns for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbValue::String(_) => "string",
            RdbValue::List(_) => "list",
            RdbValue::Set(_) => "set",
            RdbValue::Hash(_) => "hash",
            RdbValue::ZSet(_) => "zset",
            RdbValue::Stream(_) => "stream",
        }
    }

    /// True for a collection with no elements (never for strings or streams:
    /// an empty stream is a valid value).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            RdbValue::String(_) | RdbValue::Stream(_) => false,
            RdbValue::List(v) | RdbValue::Set(v) => v.is_empty(),
            RdbValue::Hash(v) => v.is_empty(),
            RdbValue::ZSet(v) => v.is_empty(),
        }
    }
}

/// One key of an RDB file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub db: u32,
    pub key: Vec<u8>,
    pub value: RdbValue,
    /// Absolute unix time in milliseconds (EXPIRETIME_MS, or EXPIRETIME x 1000).
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (IDLE opcode), when the file has one.
    pub idle: Option<u64>,
    /// LFU counter (FREQ opcode), when the file has one.
    pub freq: Option<u8>,
}

/// A stream ID, `<ms>-<seq>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The 16-byte big-endian form used for rax keys and PEL entries.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_be_bytes(b: [u8; 16]) -> Self {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        StreamId {
            ms: u64::from_be_bytes(ms),
            seq: u64::from_be_bytes(seq),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One live stream entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: StreamId,
    /// Field-value pairs in insertion order (duplicates allowed, as in XADD).
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A pending (delivered, not yet acknowledged) entry of a consumer group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPendingEntry {
    pub id: StreamId,
    /// Unix time in milliseconds of the last delivery.
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumer {
    pub name: Vec<u8>,
    /// Unix ms of the last interaction (`seen-time`).
    pub seen_time_ms: i64,
    /// Unix ms of the last successful read (`active-time`); RDB 11+ stores it,
    /// older files get `seen_time_ms` (as Redis does). Version 10 files, which
    /// is what this crate writes, cannot store it.
    pub active_time_ms: i64,
    /// IDs of the group's pending entries this consumer owns, in ID order.
    pub pending: Vec<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamGroup {
    pub name: Vec<u8>,
    /// `last-delivered-id`.
    pub last_id: StreamId,
    /// `entries-read`; `None` when unknown (-1 in Redis).
    pub entries_read: Option<u64>,
    /// The group's pending entries list, in ID order.
    pub pending: Vec<StreamPendingEntry>,
    pub consumers: Vec<StreamConsumer>,
}

/// Everything a stream holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamValue {
    /// Live entries in ascending ID order; `XLEN` is `entries.len()`.
    pub entries: Vec<StreamEntry>,
    pub last_id: StreamId,
    /// `recorded-first-entry-id`.
    pub first_id: StreamId,
    /// `max-deleted-entry-id`.
    pub max_deleted_id: StreamId,
    /// `entries-added`.
    pub entries_added: u64,
    pub groups: Vec<StreamGroup>,
}

/// What went wrong while reading an RDB file or a DUMP payload.
#[derive(Debug)]
#[non_exhaustive]
pub enum RdbErrorKind {
    /// The underlying reader failed.
    Io(io::Error),
    /// The input ended in the middle of the file.
    UnexpectedEof,
    /// The header's version is outside 1..=12 (or not a number).
    UnsupportedVersion(u32),
    /// The bytes do not make a valid file.
    Corrupt(String),
    /// A valid construct we cannot load (module data, pre-GA functions,
    /// hash field expiry, ...).
    Unsupported(String),
    /// The stored CRC-64 does not match the content.
    ChecksumMismatch { stored: u64, computed: u64 },
    /// A DUMP payload whose footer (version or CRC) is wrong.
    BadDumpPayload,
    /// The `on_record` callback refused a record.
    Rejected(String),
}

/// An error from the RDB reader, with the byte offset (from the start of the
/// input) of the item that was wrong.
#[derive(Debug)]
pub struct RdbError {
    offset: u64,
    kind: RdbErrorKind,
}

impl RdbError {
    pub fn new(offset: u64, kind: RdbErrorKind) -> Self {
        RdbError { offset, kind }
    }

    pub(crate) fn corrupt(offset: u64, reason: impl Into<String>) -> Self {
        RdbError::new(offset, RdbErrorKind::Corrupt(reason.into()))
    }

    pub(crate) fn unsupported(offset: u64, reason: impl Into<String>) -> Self {
        RdbError::new(offset, RdbErrorKind::Unsupported(reason.into()))
    }

    /// Byte offset from the start of the input.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn kind(&self) -> &RdbErrorKind {
        &self.kind
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let off = self.offset;
        match &self.kind {
            RdbErrorKind::Io(e) => write!(f, "I/O error reading RDB at offset {off}: {e}"),
            RdbErrorKind::UnexpectedEof => write!(
                f,
                "RDB file corrupt at offset {off}: unexpected end of file (truncated?)"
            ),
            RdbErrorKind::UnsupportedVersion(v) => write!(
                f,
                "RDB file not supported: can't handle RDB format version {v} (this server reads 1 to {RDB_MAX_READ_VERSION})"
            ),
            RdbErrorKind::Corrupt(r) => write!(f, "RDB file corrupt at offset {off}: {r}"),
            RdbErrorKind::Unsupported(r) => write!(f, "RDB file not supported at offset {off}: {r}"),
            RdbErrorKind::ChecksumMismatch { stored, computed } => write!(
                f,
                "RDB file corrupt at offset {off}: RDB CRC error (stored {stored:016x}, computed {computed:016x})"
            ),
            RdbErrorKind::BadDumpPayload => f.write_str("DUMP payload version or checksum are wrong"),
            RdbErrorKind::Rejected(r) => write!(f, "RDB load stopped at offset {off}: {r}"),
        }
    }
}

impl std::error::Error for RdbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RdbErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
