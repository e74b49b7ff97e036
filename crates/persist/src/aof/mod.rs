//! The AOF formats of Redis 7: the multi-part `appendonlydir/` with its
//! manifest, and the legacy single `appendonly.aof` (with or without an RDB
//! preamble), as format primitives. Fsync policy, rewrite scheduling and
//! replay into a keyspace are the server's business.
//!
//! * [`manifest`]: `appendonly.aof.manifest` (parse and write exactly as
//!   Redis 7.0 does), file naming, sequence numbers, history marking, and the
//!   atomic manifest write.
//! * [`reader`]: [`read_commands`] for a RESP command stream (truncated tails
//!   told apart from corruption, `#TS:` annotations skipped, unfinished
//!   MULTI/EXEC held back), and [`load_file`] for one AOF file whatever its
//!   content (RDB, RDB preamble + RESP tail, or RESP).
//! * [`plan`](mod@plan): [`plan()`] decides what to load from a data
//!   directory, as Redis 7's `loadAppendOnlyFiles` does (including the
//!   upgrade of a legacy `appendonly.aof`), and [`load_plan`] replays it.
//! * [`writer`]: [`encode_command`] / [`encode_select`] (byte-exact with
//!   Redis's `catAppendOnlyGenericCommand`) and [`AofIncr`], an append-only
//!   file handle.
//!
//! Behaviour follows `src/aof.c` of Redis 7.0.15; where this module
//! deliberately differs (always for safety) the item's documentation says so.

pub mod manifest;
pub mod plan;
pub mod reader;
pub mod writer;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::rdb::RdbError;

pub use manifest::{
    base_file_name, incr_file_name, manifest_file_name, temp_incr_file_name,
    temp_manifest_file_name, temp_rewrite_file_name, write_manifest, AofFile, AofKind, BaseFormat,
    Manifest, ManifestError, ManifestErrorKind, MANIFEST_MAX_LINE,
};
pub use plan::{
    load_plan, plan, LegacyUpgrade, LoadPlan, LoadSummary, PlanKind, PlannedFile, TruncatedTail,
};
pub use reader::{
    load_file, load_file_with, read_commands, read_commands_at, AofSink, FileOutcome, ReadOutcome,
};
pub use writer::{encode_command, encode_select, encode_timestamp, truncate_file, AofIncr};

/// What went wrong with an AOF file, a manifest, or an AOF directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum AofErrorKind {
    /// An I/O error (open, read, stat, write, rename, fsync).
    Io(io::Error),
    /// The manifest is malformed (Redis exits with
    /// "FATAL AOF MANIFEST FILE ERROR").
    Manifest(ManifestError),
    /// The RESP stream is corrupt (not merely cut short) at `offset`:
    /// Redis's "Bad file format reading the append only file". `valid_len`
    /// is where the last complete command ended (redis-check-aof's
    /// `ok_up_to`); cutting there would drop everything after the damage.
    Format {
        offset: u64,
        valid_len: u64,
        reason: String,
    },
    /// The RDB part (a `.base.rdb` file or a preamble) failed to load.
    Rdb(RdbError),
    /// A callback refused the command starting at `offset` (or, for a
    /// record, the RDB reader's offset).
    Rejected { offset: u64, reason: String },
    /// A file listed in the manifest does not exist.
    MissingFile { name: String },
    /// A file other than the last one ends in a truncated command (Redis:
    /// "Fatal error: the truncated file is not the last file").
    TruncatedNotLast { valid_len: u64, len: u64 },
    /// The legacy-file upgrade cannot proceed (its target already exists).
    Upgrade(String),
}

/// An error from the AOF code, with the file it concerns when known.
#[derive(Debug)]
pub struct AofError {
    path: Option<PathBuf>,
    kind: AofErrorKind,
}

impl AofError {
    pub fn new(kind: AofErrorKind) -> Self {
        AofError { path: None, kind }
    }

    pub(crate) fn io(e: io::Error) -> Self {
        AofError::new(AofErrorKind::Io(e))
    }

    pub(crate) fn format(offset: u64, valid_len: u64, reason: impl Into<String>) -> Self {
        AofError::new(AofErrorKind::Format {
            offset,
            valid_len,
            reason: reason.into(),
        })
    }

    /// Attaches the file this error is about (kept if one is already set).
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.as_ref().to_path_buf());
        }
        self
    }

    pub fn kind(&self) -> &AofErrorKind {
        &self.kind
    }

    /// The file concerned, when known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The byte offset in the file, for format errors, rejections and RDB
    /// errors.
    pub fn offset(&self) -> Option<u64> {
        match &self.kind {
            AofErrorKind::Format { offset, .. } | AofErrorKind::Rejected { offset, .. } => {
                Some(*offset)
            }
            AofErrorKind::Rdb(e) => Some(e.offset()),
            _ => None,
        }
    }
}

impl From<io::Error> for AofError {
    fn from(e: io::Error) -> Self {
        AofError::io(e)
    }
}

impl From<ManifestError> for AofError {
    fn from(e: ManifestError) -> Self {
        AofError::new(AofErrorKind::Manifest(e))
    }
}

impl From<RdbError> for AofError {
    fn from(e: RdbError) -> Self {
        AofError::new(AofErrorKind::Rdb(e))
    }
}

impl fmt::Display for AofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = match &self.path {
            Some(p) => format!(" {}", p.display()),
            None => String::new(),
        };
        match &self.kind {
            AofErrorKind::Io(e) => write!(f, "I/O error on the append only file{file}: {e}"),
            AofErrorKind::Manifest(e) => write!(f, "AOF manifest{file}: {e}"),
            AofErrorKind::Format {
                offset,
                valid_len,
                reason,
            } => write!(
                f,
                "Bad file format reading the append only file{file} at offset {offset}: {reason} \
                 (commands are valid up to offset {valid_len})"
            ),
            AofErrorKind::Rdb(e) => write!(
                f,
                "Error reading the RDB part of the append only file{file}, AOF loading aborted: {e}"
            ),
            AofErrorKind::Rejected { offset, reason } => write!(
                f,
                "AOF loading stopped at offset {offset} of{file}: {reason}"
            ),
            AofErrorKind::MissingFile { name } => write!(
                f,
                "The AOF file {name} doesn't exist (it is listed in the manifest{})",
                match &self.path {
                    Some(p) => format!("; looked for {}", p.display()),
                    None => String::new(),
                }
            ),
            AofErrorKind::TruncatedNotLast { valid_len, len } => write!(
                f,
                "Fatal error: the truncated file is not the last file:{file} is valid up to \
                 offset {valid_len} of {len}"
            ),
            AofErrorKind::Upgrade(msg) => {
                write!(f, "Cannot upgrade the old-style AOF{file}: {msg}")
            }
        }
    }
}

impl std::error::Error for AofError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            AofErrorKind::Io(e) => Some(e),
            AofErrorKind::Rdb(e) => Some(e),
            AofErrorKind::Manifest(e) => Some(e),
            _ => None,
        }
    }
}
