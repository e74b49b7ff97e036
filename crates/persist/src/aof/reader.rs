//! Reading AOF files: [`read_commands`] for a RESP command stream, and
//! [`load_file`] for one file whatever its content.
//!
//! The RESP grammar is what Redis writes (`catAppendOnlyGenericCommand`):
//! arrays of bulk strings only, `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per
//! argument. A line starting with `#` where a command may start is an
//! annotation (`#TS:<unix-seconds>` with `aof-timestamp-enabled yes`) and is
//! skipped, as Redis's loader does.
//!
//! The parse is as strict as `redis-check-aof` (digits, then exactly `\r\n`;
//! exactly `\r\n` after each bulk; `argc` at least 1). Redis's loader is
//! laxer (`atoi`, and it skips the two bytes after a bulk unchecked), but it
//! never writes anything these rules refuse, and a stray byte there means the
//! lengths are wrong, so going on would replay garbage.
//!
//! The end of the input is classified as Redis classifies it:
//! * after a complete command: [`ReadOutcome::Complete`];
//! * inside a command (a short read): [`ReadOutcome::Truncated`], with the
//!   offset the last complete command ended at (Redis truncates the file there
//!   when `aof-load-truncated yes`);
//! * after complete commands but inside `MULTI` without its `EXEC`:
//!   `Truncated` too, with `valid_len` where the `MULTI` began (Redis: "Revert
//!   incomplete MULTI/EXEC transaction in AOF file").
//!
//! Anything else that does not parse is corruption
//! ([`AofErrorKind::Format`], with its offset). So is a nested `MULTI` and an
//! `EXEC` without `MULTI` (as `redis-check-aof` says: "Unexpected MULTI",
//! "Unexpected EXEC"); Redis never writes either.
//!
//! Transactions are held back: the commands from `MULTI` to `EXEC` (both
//! included) reach the callback together once the `EXEC` has been read, so a
//! transaction cut off by the end of the file is never applied, as in Redis
//! (whose loader queues them in the fake client). Everything else reaches the
//! callback as soon as it is read.
//!
//! Two deliberate differences from Redis 7.0, both safer: a file cut short in
//! the middle of a transaction reports `valid_len` at the `MULTI` (Redis
//! keeps the transaction's first commands, and the next load reverts them);
//! and after an RDB preamble `valid_len` starts where the RDB ends (Redis
//! leaves it at 0 and would truncate the whole file if the first command is
//! cut). A dangling annotation at the very end (no newline) also counts as
//! truncated, so that the next append does not glue a command onto it.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{AofError, AofErrorKind};
use crate::rdb::{self, LoadInfo, Record};

/// Longest `*<argc>` / `$<len>` line accepted (Redis's loader reads them with
/// `fgets` into a 1024-byte buffer).
const HEADER_LINE_MAX: usize = 1024;

/// How a RESP command stream ended. Offsets are absolute (they include the
/// start offset given to [`read_commands_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The input ended cleanly after a complete command (or annotation), or
    /// was empty. `len` is where the input ended.
    Complete { len: u64, commands: u64 },
    /// The input ends inside a command, or inside a `MULTI` without `EXEC`.
    /// Everything from `valid_len` to `len` is an incomplete tail: with
    /// `aof-load-truncated yes` truncate the file to `valid_len` (allowed only
    /// for the last file of a multi-part AOF); with `no`, refuse to start.
    /// `unfinished_multi` is the offset of the `MULTI` when the tail is (or
    /// is inside) an unfinished transaction; then `valid_len` equals it.
    Truncated {
        valid_len: u64,
        len: u64,
        commands: u64,
        unfinished_multi: Option<u64>,
    },
}

impl ReadOutcome {
    /// Where the input ended.
    pub fn input_len(&self) -> u64 {
        match *self {
            ReadOutcome::Complete { len, .. } | ReadOutcome::Truncated { len, .. } => len,
        }
    }

    /// Where the valid part ends (the input length when complete).
    pub fn valid_len(&self) -> u64 {
        match *self {
            ReadOutcome::Complete { len, .. } => len,
            ReadOutcome::Truncated { valid_len, .. } => valid_len,
        }
    }

    /// Commands handed to the callback (`MULTI` and `EXEC` included).
    pub fn commands(&self) -> u64 {
        match *self {
            ReadOutcome::Complete { commands, .. } | ReadOutcome::Truncated { commands, .. } => {
                commands
            }
        }
    }

    pub fn is_truncated(&self) -> bool {
        matches!(self, ReadOutcome::Truncated { .. })
    }
}

/// Reads a RESP AOF body from `r` (offsets from 0), calling `on_command` with
/// each command's arguments in file order (transactions held back until
/// their `EXEC`; see the module docs). An `Err` from the callback stops the
/// read with [`AofErrorKind::Rejected`].
pub fn read_commands<R: BufRead>(
    r: R,
    on_command: impl FnMut(Vec<Vec<u8>>) -> Result<(), String>,
) -> Result<ReadOutcome, AofError> {
    read_commands_at(r, 0, on_command)
}

enum Line {
    /// A complete line, `\n` included, in the scanner's buffer.
    Full,
    /// The input ended before a `\n`; the partial line is in the buffer.
    Eof,
    /// No `\n` within the limit.
    TooLong,
}

enum Header {
    Value(u64),
    /// The input ended inside a line that could still have been valid.
    Eof,
    Bad(String),
}

struct Scanner<R> {
    r: R,
    pos: u64,
    line: Vec<u8>,
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// `fill_buf`, retrying interruptions.
fn fill<R: BufRead>(r: &mut R) -> io::Result<&[u8]> {
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    r.fill_buf()
}

impl<R: BufRead> Scanner<R> {
    fn consume(&mut self, n: usize) {
        self.r.consume(n);
        self.pos += n as u64;
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(fill(&mut self.r)?.first().copied())
    }

    /// Skips through the next `\n`; false if the input ends first.
    fn skip_line(&mut self) -> io::Result<bool> {
        loop {
            let buf = fill(&mut self.r)?;
            if buf.is_empty() {
                return Ok(false);
            }
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    let n = buf.len();
                    self.consume(n);
                }
            }
        }
    }

    fn read_line(&mut self, max: usize) -> io::Result<Line> {
        self.line.clear();
        loop {
            let room = max - self.line.len();
            let buf = fill(&mut self.r)?;
            if buf.is_empty() {
                return Ok(Line::Eof);
            }
            let window = &buf[..buf.len().min(room)];
            if let Some(i) = window.iter().position(|&b| b == b'\n') {
                self.line.extend_from_slice(&window[..=i]);
                self.consume(i + 1);
                return Ok(Line::Full);
            }
            let n = window.len();
            self.line.extend_from_slice(window);
            self.consume(n);
            if self.line.len() >= max {
                return Ok(Line::TooLong);
            }
        }
    }

    /// Reads a `<prefix><digits>\r\n` line (the prefix byte already seen).
    fn header(&mut self, prefix: u8) -> io::Result<Header> {
        let what = if prefix == b'*' {
            "multibulk length"
        } else {
            "bulk length"
        };
        match self.read_line(HEADER_LINE_MAX)? {
            Line::TooLong => Ok(Header::Bad(format!("{what} line too long"))),
            Line::Eof => {
                // Still a possible prefix of a valid line? Then it was cut.
                let body = &self.line[1..];
                let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
                let rest = &body[digits..];
                if rest.is_empty() || (digits > 0 && rest == b"\r") {
                    Ok(Header::Eof)
                } else {
                    Ok(Header::Bad(format!(
                        "invalid {what} {:?}",
                        String::from_utf8_lossy(body)
                    )))
                }
            }
            Line::Full => {
                let body = &self.line[1..];
                let Some(num) = body.strip_suffix(b"\r\n") else {
                    return Ok(Header::Bad(format!(
                        "{what} line not terminated by \\r\\n: {:?}",
                        String::from_utf8_lossy(body)
                    )));
                };
                if num.is_empty() || !num.iter().all(u8::is_ascii_digit) {
                    return Ok(Header::Bad(format!(
                        "invalid {what} {:?}",
                        String::from_utf8_lossy(num)
                    )));
                }
                let mut v: u64 = 0;
                for &d in num {
                    v = match v
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                    {
                        Some(v) => v,
                        None => return Ok(Header::Bad(format!("{what} out of range"))),
                    };
                }
                Ok(Header::Value(v))
            }
        }
    }
}

/// A transaction being read: the `MULTI`'s offset and the commands so far
/// (each with its offset), `MULTI` first.
type PendingMulti = (u64, Vec<(u64, Vec<Vec<u8>>)>);

/// [`read_commands`] for input that starts at byte `start` of its file (for
/// example right after an RDB preamble): every offset reported, and
/// `valid_len` at the least, is absolute.
pub fn read_commands_at<R: BufRead>(
    r: R,
    start: u64,
    mut on_command: impl FnMut(Vec<Vec<u8>>) -> Result<(), String>,
) -> Result<ReadOutcome, AofError> {
    let mut s = Scanner {
        r,
        pos: start,
        line: Vec::new(),
    };
    let mut valid_len = start;
    let mut commands: u64 = 0;
    let mut multi: Option<PendingMulti> = None;

    macro_rules! truncated {
        () => {
            return Ok(ReadOutcome::Truncated {
                valid_len,
                len: s.pos,
                commands,
                unfinished_multi: multi.as_ref().map(|m| m.0),
            })
        };
    }

    loop {
        let cmd_start = s.pos;
        let first = match s.peek()? {
            None => break,
            Some(b) => b,
        };
        if first == b'#' {
            if !s.skip_line()? {
                truncated!();
            }
            if multi.is_none() {
                valid_len = s.pos;
            }
            continue;
        }
        if first != b'*' {
            return Err(AofError::format(
                cmd_start,
                valid_len,
                format!("expected '*' (the start of a command), got {}", show(first)),
            ));
        }
        let argc = match s.header(b'*')? {
            Header::Value(n) => n,
            Header::Eof => truncated!(),
            Header::Bad(reason) => return Err(AofError::format(cmd_start, valid_len, reason)),
        };
        if argc < 1 || argc > i32::MAX as u64 {
            return Err(AofError::format(
                cmd_start,
                valid_len,
                format!("invalid multibulk length {argc}"),
            ));
        }
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(argc.min(1024) as usize);
        for _ in 0..argc {
            let arg_start = s.pos;
            match s.peek()? {
                None => truncated!(),
                Some(b'$') => {}
                Some(b) => {
                    return Err(AofError::format(
                        arg_start,
                        valid_len,
                        format!("expected '$' (a bulk string), got {}", show(b)),
                    ))
                }
            }
            let len = match s.header(b'$')? {
                Header::Value(n) => n,
                Header::Eof => truncated!(),
                Header::Bad(reason) => return Err(AofError::format(arg_start, valid_len, reason)),
            };
            if len > i64::MAX as u64 {
                return Err(AofError::format(
                    arg_start,
                    valid_len,
                    format!("invalid bulk length {len}"),
                ));
            }
            // Never trust the length for an allocation beyond what arrives.
            let mut v = Vec::with_capacity(len.min(1 << 20) as usize);
            let got = (&mut s.r).take(len).read_to_end(&mut v)? as u64;
            s.pos += got;
            if got < len {
                truncated!();
            }
            for want in [b'\r', b'\n'] {
                match s.peek()? {
                    None => truncated!(),
                    Some(b) if b == want => s.consume(1),
                    Some(b) => {
                        return Err(AofError::format(
                            s.pos,
                            valid_len,
                            format!(
                                "expected \\r\\n after a bulk string of {len} bytes, got {}",
                                show(b)
                            ),
                        ))
                    }
                }
            }
            argv.push(v);
        }
        let end = s.pos;

        let mut deliver = |off: u64, argv: Vec<Vec<u8>>| -> Result<(), AofError> {
            on_command(argv).map_err(|reason| {
                AofError::new(AofErrorKind::Rejected {
                    offset: off,
                    reason,
                })
            })
        };
        let name = &argv[0];
        if name.eq_ignore_ascii_case(b"multi") {
            if let Some((m, _)) = &multi {
                return Err(AofError::format(
                    cmd_start,
                    valid_len,
                    format!("Unexpected MULTI (the MULTI at offset {m} has no EXEC)"),
                ));
            }
            multi = Some((cmd_start, vec![(cmd_start, argv)]));
        } else if name.eq_ignore_ascii_case(b"exec") {
            let Some((_, mut queued)) = multi.take() else {
                return Err(AofError::format(
                    cmd_start,
                    valid_len,
                    "Unexpected EXEC (no MULTI before it)",
                ));
            };
            queued.push((cmd_start, argv));
            for (off, argv) in queued {
                deliver(off, argv)?;
                commands += 1;
            }
            valid_len = end;
        } else if let Some((_, queued)) = multi.as_mut() {
            queued.push((cmd_start, argv));
        } else {
            deliver(cmd_start, argv)?;
            commands += 1;
            valid_len = end;
        }
    }
    if multi.is_some() {
        truncated!();
    }
    Ok(ReadOutcome::Complete {
        len: s.pos,
        commands,
    })
}

// ---------------------------------------------------------------------------
// Whole files
// ---------------------------------------------------------------------------

/// Receives what an AOF file holds, in file order. Every file is replayed as
/// by a fresh Redis client: it starts on DB 0 (`begin_file` is the moment to
/// reset that); RESP commands then carry their own `SELECT`s, RDB records
/// their db.
pub trait AofSink {
    /// A file is about to be read.
    fn begin_file(&mut self, _path: &Path) -> Result<(), String> {
        Ok(())
    }

    /// A key from the file's RDB part (a `.base.rdb` file or a preamble).
    /// Redis loads these with `RDBFLAGS_AOF_PREAMBLE`: keys whose expiry is
    /// already past are kept, not dropped (the commands that follow may
    /// rely on them; the server expires them afterwards).
    fn record(&mut self, rec: Record) -> Result<(), String>;

    /// The RDB part ended (its AUX fields, FUNCTION2 libraries, ...), before
    /// any command of the RESP part.
    fn rdb_done(&mut self, _info: &LoadInfo) -> Result<(), String> {
        Ok(())
    }

    /// One command of the RESP part (see [`read_commands`]). Redis refuses
    /// to load a file with a command it does not know ("Unknown command
    /// ... reading the append only file"): return `Err` for those.
    fn command(&mut self, argv: Vec<Vec<u8>>) -> Result<(), String>;

    /// Where to count the bytes consumed (and the RDB part's `used-mem`), for
    /// a server reporting the load's progress. None by default.
    fn progress(&self) -> Option<std::sync::Arc<crate::Progress>> {
        None
    }
}

struct FnSink<F, G> {
    on_record: F,
    on_command: G,
}

impl<F, G> AofSink for FnSink<F, G>
where
    F: FnMut(Record) -> Result<(), String>,
    G: FnMut(Vec<Vec<u8>>) -> Result<(), String>,
{
    fn record(&mut self, rec: Record) -> Result<(), String> {
        (self.on_record)(rec)
    }

    fn command(&mut self, argv: Vec<Vec<u8>>) -> Result<(), String> {
        (self.on_command)(argv)
    }
}

/// What one file held and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOutcome {
    /// The file's size when it was opened.
    pub file_len: u64,
    /// The RDB part, when the file starts with `REDIS` (a `.base.rdb` file
    /// or an old-style preamble). Its `bytes_read` is where RESP starts.
    pub rdb: Option<LoadInfo>,
    /// The RESP part (possibly empty), with absolute offsets.
    pub resp: ReadOutcome,
}

impl FileOutcome {
    /// A zero-length file (Redis: `AOF_EMPTY`, fine for any file).
    pub fn is_empty(&self) -> bool {
        self.file_len == 0
    }

    pub fn is_truncated(&self) -> bool {
        self.resp.is_truncated()
    }

    /// Where the valid part ends (the file length unless truncated).
    pub fn valid_len(&self) -> u64 {
        self.resp.valid_len()
    }

    /// Where the RESP part starts (0 without an RDB part).
    pub fn resp_start(&self) -> u64 {
        self.rdb.as_ref().map_or(0, |i| i.bytes_read)
    }
}

/// Loads one AOF file, deciding by content as Redis does: if it starts with
/// `REDIS` the RDB part goes to `on_record` (via [`crate::rdb::load`], CRC
/// checked) and the rest of the file is read as RESP commands for
/// `on_command`; otherwise the whole file is RESP. A failure in the RDB part
/// is fatal, never a truncation.
pub fn load_file(
    path: &Path,
    on_record: impl FnMut(Record) -> Result<(), String>,
    on_command: impl FnMut(Vec<Vec<u8>>) -> Result<(), String>,
) -> Result<FileOutcome, AofError> {
    load_file_with(
        path,
        &mut FnSink {
            on_record,
            on_command,
        },
    )
}

/// [`load_file`] into an [`AofSink`] (one value receiving records and
/// commands alike, as a keyspace would).
pub fn load_file_with<S: AofSink + ?Sized>(
    path: &Path,
    sink: &mut S,
) -> Result<FileOutcome, AofError> {
    let wp = |e: AofError| e.with_path(path);
    let mut f = File::open(path).map_err(|e| wp(AofError::io(e)))?;
    let file_len = f.metadata().map_err(|e| wp(AofError::io(e)))?.len();
    sink.begin_file(path)
        .map_err(|reason| wp(AofError::new(AofErrorKind::Rejected { offset: 0, reason })))?;

    let mut sig = [0u8; 5];
    let mut n = 0;
    while n < sig.len() {
        match f.read(&mut sig[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(wp(AofError::io(e))),
        }
    }
    f.seek(SeekFrom::Start(0))
        .map_err(|e| wp(AofError::io(e)))?;
    let progress = sink.progress();
    let mut r = crate::ProgressRead::new(BufReader::with_capacity(64 * 1024, f), progress.clone());

    let mut rdb_info = None;
    let mut start = 0;
    if n == sig.len() && &sig == b"REDIS" {
        let opts = rdb::LoadOptions {
            progress,
            ..Default::default()
        };
        let info =
            rdb::load_with(&mut r, &opts, |rec| sink.record(rec)).map_err(|e| wp(e.into()))?;
        start = info.bytes_read;
        sink.rdb_done(&info).map_err(|reason| {
            wp(AofError::new(AofErrorKind::Rejected {
                offset: start,
                reason,
            }))
        })?;
        rdb_info = Some(info);
    }
    let resp = read_commands_at(&mut r, start, |argv| sink.command(argv)).map_err(wp)?;
    Ok(FileOutcome {
        file_len,
        rdb: rdb_info,
        resp,
    })
}
