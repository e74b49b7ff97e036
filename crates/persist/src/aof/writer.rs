//! Writing AOF files: the RESP encoding Redis uses, and [`AofIncr`], an
//! append-only file handle. No buffering policy, no threads, no timers: the
//! server decides when to write and when to fsync (`appendfsync`).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Appends `argv` as a RESP array of bulk strings, byte for byte as Redis's
/// `catAppendOnlyGenericCommand` writes it: `*<argc>\r\n`, then
/// `$<len>\r\n<bytes>\r\n` per argument.
pub fn encode_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.reserve(16 + argv.iter().map(|a| a.len() + 16).sum::<usize>());
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `SELECT <db>` as Redis's `feedAppendOnlyFile` writes it
/// (`*2\r\n$6\r\nSELECT\r\n$<n>\r\n<db>\r\n`). Redis emits it before a
/// command whenever the command's DB differs from the last one written, and
/// before the first command of every new incr file.
pub fn encode_select(out: &mut Vec<u8>, db: u32) {
    let d = db.to_string();
    encode_command(out, &[b"SELECT", d.as_bytes()]);
}

/// Appends a timestamp annotation, `#TS:<unix-seconds>\r\n`
/// (`aof-timestamp-enabled yes`: Redis writes one before a command whenever
/// the second changed, and one at the top of a RESP rewrite).
pub fn encode_timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(format!("#TS:{unix_secs}\r\n").as_bytes());
}

/// Truncates the file at `path` to `len` bytes and fsyncs it (what Redis
/// does to a truncated tail with `aof-load-truncated yes`).
pub fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

/// An incr file (or any AOF file) opened for appending. `len` is the file's
/// length as this handle knows it; an `append` that fails part-way is cut
/// back off the file (as Redis's `flushAppendOnlyFile` does with
/// `ftruncate`), so the file never keeps half a command unless even that
/// truncation fails.
#[derive(Debug)]
pub struct AofIncr {
    file: File,
    path: PathBuf,
    len: u64,
}

fn append_opts() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o644);
    }
    o
}

impl AofIncr {
    /// Creates the file, empty (an existing one is truncated): how Redis
    /// opens a new incr (`openNewIncrAofForAppend`). Mode 0644. The new
    /// directory entry is not fsynced here; persisting the manifest that
    /// lists the file fsyncs the directory.
    pub fn create(path: &Path) -> io::Result<AofIncr> {
        let file = append_opts().open(path)?;
        file.set_len(0)?;
        Ok(AofIncr {
            file,
            path: path.to_path_buf(),
            len: 0,
        })
    }

    /// Opens the file for appending, creating it if missing: how Redis opens
    /// the last incr on start (`aofOpenIfNeededOnServerStart`).
    pub fn open_append(path: &Path) -> io::Result<AofIncr> {
        let file = append_opts().open(path)?;
        let len = file.metadata()?.len();
        Ok(AofIncr {
            file,
            path: path.to_path_buf(),
            len,
        })
    }

    /// Writes all of `buf` at the end of the file (retrying short writes and
    /// interruptions). On error, whatever part was written is truncated away
    /// again when possible, and `len` stays what it was.
    pub fn append(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut written = 0usize;
        let err = loop {
            if written == buf.len() {
                self.len += buf.len() as u64;
                return Ok(());
            }
            match self.file.write(&buf[written..]) {
                Ok(0) => break io::Error::new(io::ErrorKind::WriteZero, "short write to the AOF"),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break e,
            }
        };
        if written > 0 && self.file.set_len(self.len).is_err() {
            // Could not remove the partial write: the file really is longer.
            self.len += written as u64;
        }
        Err(err)
    }

    /// Makes the appended data durable (`fdatasync`, as Redis's
    /// `redis_fsync` on Linux).
    pub fn fsync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The file's length (bytes appended plus what it held when opened).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn into_file(self) -> File {
        self.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_redis() {
        let mut out = Vec::new();
        encode_select(&mut out, 0);
        assert_eq!(out, b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
        out.clear();
        encode_select(&mut out, 15);
        assert_eq!(out, b"*2\r\n$6\r\nSELECT\r\n$2\r\n15\r\n");
        out.clear();
        encode_command(&mut out, &[b"SET", b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        out.clear();
        encode_timestamp(&mut out, 1_700_000_000);
        assert_eq!(out, b"#TS:1700000000\r\n");
    }
}
