//! redraft-persist: Redis's on-disk formats, in a plain representation of
//! their own, with no dependency on the engine.
//!
//! This crate owns:
//! * the RDB format ([`rdb`]): a streaming reader for RDB versions 1 to 12
//!   (every object type and encoding Redis 2.x to 7.4 writes, except module
//!   values and hash field expiry, which are refused with a clear error), a
//!   writer of version 10 files that Redis 7.0, 7.2, 7.4 and Valkey load, the
//!   DUMP/RESTORE payload format, and the CRC-64 and LZF they use;
//! * the AOF ([`aof`]): multi-part `appendonlydir/` with manifest, and the
//!   legacy single file;
//! * load progress ([`progress`]): bytes consumed while a file loads, for
//!   `INFO` during the load.
//!
//! The server converts between [`rdb::RdbValue`] and engine values; Raft
//! snapshots are RDB files written with the same writer.

#![forbid(unsafe_code)]

pub mod aof;
pub mod progress;
pub mod rdb;

pub use rdb::{
    dump_payload, load, load_events, load_with, restore_payload, try_dump_payload, write_rdb,
    Checksum, LoadEvent, LoadInfo, LoadOptions, RdbError, RdbErrorKind, RdbValue, RdbWriter,
    Record, StreamConsumer, StreamEntry, StreamGroup, StreamId, StreamPendingEntry, StreamValue,
    WriterOptions,
};

pub use progress::{Progress, ProgressRead};

pub use aof::{
    load_file, load_plan, plan, read_commands, AofError, AofErrorKind, AofFile, AofIncr, AofKind,
    AofSink, LoadPlan, Manifest, ReadOutcome,
};
