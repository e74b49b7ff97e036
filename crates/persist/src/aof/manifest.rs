//! `appendonly.aof.manifest`: the list of files of a Redis 7 multi-part AOF.
//!
//! Grammar (Redis 7.0.15 `aofLoadManifestFromFile` / `aofInfoFormat`): one
//! line per file, `file <name> seq <n> type <b|h|i>\n`. Lines are read the
//! way `fgets` reads them into a 1025-byte buffer, so a line (newline
//! included) may be at most 1024 bytes, and every line, the last one too,
//! must end with `\n`. A line starting with `#` is a comment. Each line is
//! trimmed of ` \t\r\n` and split with `sdssplitargs` (so names may be
//! quoted); keys are matched case-insensitively, in any order; unknown
//! key/value pairs are ignored, but the token count must be even and at least
//! 6. `seq` is read with `atoll` and `type` is the first byte of its value.
//! At most one `b` line; `i` lines must have strictly increasing seqs; `h`
//! (history) files are waiting for deletion and are not loaded. Redis writes
//! the base first, then the history files, then the incr files, and quotes a
//! name with `sdscatrepr` when it needs it.
//!
//! Deliberate differences, all on inputs Redis itself never writes: a seq
//! that `atoll` reads as negative is refused for `b` and `h` lines (Redis
//! would keep it and later build names like `appendonly.aof.-2.base.rdb`); an
//! empty name, `.` and `..` are refused (Redis would try to open the
//! directory itself); names must be UTF-8; and the writer also quotes names
//! holding a `'`, which Redis writes bare and then cannot read back.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::AofError;

/// Longest manifest line, newline included (`MANIFEST_MAX_LINE`).
pub const MANIFEST_MAX_LINE: usize = 1024;

/// The three kinds of manifest entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AofKind {
    /// `b`: the base (RDB or RESP), loaded first.
    Base,
    /// `h`: a file replaced by a rewrite, waiting for deletion; never loaded.
    History,
    /// `i`: an incremental RESP file, loaded after the base in seq order.
    Incr,
}

impl AofKind {
    /// The manifest's type letter.
    pub fn as_char(self) -> char {
        match self {
            AofKind::Base => 'b',
            AofKind::History => 'h',
            AofKind::Incr => 'i',
        }
    }

    /// Parses a manifest type letter (Redis uses the value's first byte).
    pub fn from_byte(b: u8) -> Option<AofKind> {
        match b {
            b'b' => Some(AofKind::Base),
            b'h' => Some(AofKind::History),
            b'i' => Some(AofKind::Incr),
            _ => None,
        }
    }
}

/// The format of a base file, which gives its suffix. Redis picks it from
/// `aof-use-rdb-preamble` at rewrite time; loaders decide by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseFormat {
    /// `.base.rdb`: an RDB file (AUX `aof-base` = 1).
    Rdb,
    /// `.base.aof`: RESP commands.
    Aof,
}

impl BaseFormat {
    pub fn suffix(self) -> &'static str {
        match self {
            BaseFormat::Rdb => ".rdb",
            BaseFormat::Aof => ".aof",
        }
    }
}

/// One manifest entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AofFile {
    /// A bare file name inside the AOF directory.
    pub name: String,
    pub seq: u64,
    pub kind: AofKind,
}

impl AofFile {
    pub fn new(name: impl Into<String>, seq: u64, kind: AofKind) -> Self {
        AofFile {
            name: name.into(),
            seq,
            kind,
        }
    }
}

/// `<appendfilename>.manifest`.
pub fn manifest_file_name(appendfilename: &str) -> String {
    format!("{appendfilename}.manifest")
}

/// `temp-<appendfilename>.manifest`, the name the manifest is written under
/// before being renamed into place.
pub fn temp_manifest_file_name(appendfilename: &str) -> String {
    format!("temp-{appendfilename}.manifest")
}

/// `<appendfilename>.<seq>.base.rdb` or `.base.aof`.
pub fn base_file_name(appendfilename: &str, seq: u64, format: BaseFormat) -> String {
    format!("{appendfilename}.{seq}.base{}", format.suffix())
}

/// `<appendfilename>.<seq>.incr.aof`.
pub fn incr_file_name(appendfilename: &str, seq: u64) -> String {
    format!("{appendfilename}.{seq}.incr.aof")
}

/// `temp-<appendfilename>.incr`: the incr file Redis writes while turning
/// `appendonly` on (state `AOF_WAIT_REWRITE`), renamed when the rewrite ends.
pub fn temp_incr_file_name(appendfilename: &str) -> String {
    format!("temp-{appendfilename}.incr")
}

/// `temp-rewriteaof-bg-<pid>.aof`: the rewrite child's output, renamed to
/// the new base when the rewrite succeeds.
pub fn temp_rewrite_file_name(pid: u32) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// The ways a manifest can be malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// The file has no lines at all.
    Empty,
    /// A line longer than 1024 bytes, or the last line without `\n` (or a
    /// NUL byte before the newline, which C's `strchr` stops at).
    TooLongLine,
    /// Blank line, unbalanced quotes, fewer than 6 or an odd number of
    /// tokens, a missing `file`/`seq`/`type`, a zero seq, and the
    /// differences listed in the module documentation.
    InvalidFormat,
    /// The name holds a `/` or `\` (or is `.` or `..`).
    NotBaseName,
    DuplicateBase,
    NonMonotonicSeq,
    UnknownType,
    /// The name is not UTF-8 (this crate keeps names as `String`).
    NotUtf8Name,
}

impl ManifestErrorKind {
    /// The message Redis 7.0.15 logs for this error.
    pub fn redis_message(self) -> &'static str {
        match self {
            ManifestErrorKind::Empty => "Found an empty AOF manifest",
            ManifestErrorKind::TooLongLine => "The AOF manifest file contains too long line",
            ManifestErrorKind::InvalidFormat => "Invalid AOF manifest file format",
            ManifestErrorKind::NotBaseName => "File can't be a path, just a filename",
            ManifestErrorKind::DuplicateBase => "Found duplicate base file information",
            ManifestErrorKind::NonMonotonicSeq => "Found a non-monotonic sequence number",
            ManifestErrorKind::UnknownType => "Unknown AOF file type",
            ManifestErrorKind::NotUtf8Name => "AOF file name is not valid UTF-8",
        }
    }
}

/// A malformed manifest: what, and where (1-based line number, counting
/// comment lines, and the trimmed line as Redis prints it after `>>>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub kind: ManifestErrorKind,
    pub line: Option<usize>,
    pub text: Option<String>,
}

impl ManifestError {
    fn new(kind: ManifestErrorKind, line: Option<usize>, text: Option<&[u8]>) -> Self {
        ManifestError {
            kind,
            line,
            text: text.map(|t| String::from_utf8_lossy(t).into_owned()),
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.redis_message())?;
        match (&self.line, &self.text) {
            (Some(n), Some(t)) => write!(f, " (reading the manifest file, at line {n}: '{t}')"),
            (Some(n), None) => write!(f, " (reading the manifest file, at line {n})"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for ManifestError {}

// ---------------------------------------------------------------------------
// C helpers, as the manifest parser uses them
// ---------------------------------------------------------------------------

/// C `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C `isprint` in the C locale.
fn is_print(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The bytes before the first NUL (what C string functions see).
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// `sdstrim(s, " \t\r\n")`.
fn trim(mut s: &[u8]) -> &[u8] {
    let set = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while let Some((&f, rest)) = s.split_first() {
        if !set(f) {
            break;
        }
        s = rest;
    }
    while let Some((&l, rest)) = s.split_last() {
        if !set(l) {
            break;
        }
        s = rest;
    }
    s
}

/// `atoll`: leading white space, an optional sign, decimal digits; stops at
/// the first other byte; saturates like glibc's `strtoll`.
fn atoll(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v
}

/// `sdssplitargs`: splits a line into arguments, handling `"..."` (with
/// `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<c>` escapes) and `'...'` (with
/// `\'`). `None` for unbalanced quotes or a closing quote followed by
/// something other than white space. The line must hold no NUL byte.
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let n = line.len();
    let at = |i: usize| -> u8 { line.get(i).copied().unwrap_or(0) };
    let mut out = Vec::new();
    let mut p = 0usize;
    loop {
        while p < n && is_space(line[p]) {
            p += 1;
        }
        if p >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq, mut done) = (false, false, false);
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        cur.push(h * 16 + l);
                        p += 3;
                    } else {
                        // `\x` not followed by two hex digits: `\<c>` rule.
                        p += 1;
                        cur.push(b'x');
                    }
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        o => o,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        out.push(cur);
    }
}

/// Whether Redis's `sdsneedsrepr` (plus `'`, see the module docs) asks for
/// the name to be quoted.
fn needs_repr(name: &[u8]) -> bool {
    name.is_empty()
        || name.iter().any(|&b| {
            matches!(
                b,
                b'\\' | b'"' | b'\'' | b'\n' | b'\r' | b'\t' | 0x07 | 0x08
            ) || !is_print(b)
                || is_space(b)
        })
}

/// `sdscatrepr`.
fn push_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b if is_print(b) => out.push(b),
            b => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

// ---------------------------------------------------------------------------
// The manifest
// ---------------------------------------------------------------------------

/// The content of a manifest. `incrs` are in load order (strictly increasing
/// seq); `history` files are not loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub incrs: Vec<AofFile>,
    pub history: Vec<AofFile>,
}

impl Manifest {
    /// Parses a manifest exactly as Redis 7.0.15 does (see the module docs).
    pub fn parse(data: &[u8]) -> Result<Manifest, ManifestError> {
        use ManifestErrorKind as K;
        let mut m = Manifest::default();
        let mut maxseq: i64 = 0;
        let mut pos = 0usize;
        let mut linenum = 0usize;
        while pos < data.len() {
            // fgets(buf, 1025): at most 1024 bytes, up to and including '\n'.
            let rest = &data[pos..];
            let window = &rest[..rest.len().min(MANIFEST_MAX_LINE)];
            let chunk = match window.iter().position(|&b| b == b'\n') {
                Some(i) => &window[..=i],
                None => window,
            };
            pos += chunk.len();
            linenum += 1;
            if chunk.first() == Some(&b'#') {
                continue;
            }
            let cline = c_str(chunk);
            if !cline.contains(&b'\n') {
                return Err(ManifestError::new(K::TooLongLine, Some(linenum), None));
            }
            let line = trim(cline);
            let err = |kind| ManifestError::new(kind, Some(linenum), Some(line));
            if line.is_empty() {
                return Err(err(K::InvalidFormat));
            }
            let args = split_args(line).ok_or_else(|| err(K::InvalidFormat))?;
            if args.len() < 6 || args.len() % 2 != 0 {
                return Err(err(K::InvalidFormat));
            }
            let mut name: Option<&[u8]> = None;
            let mut seq: i64 = 0;
            let mut ty: u8 = 0;
            for pair in args.chunks(2) {
                let key = c_str(&pair[0]);
                let val = &pair[1];
                if key.eq_ignore_ascii_case(b"file") {
                    let n = c_str(val);
                    if n.contains(&b'/') || n.contains(&b'\\') {
                        return Err(err(K::NotBaseName));
                    }
                    name = Some(n);
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(c_str(val));
                } else if key.eq_ignore_ascii_case(b"type") {
                    ty = val.first().copied().unwrap_or(0);
                }
            }
            let name = match name {
                Some(n) if seq != 0 && ty != 0 && !n.is_empty() => n,
                _ => return Err(err(K::InvalidFormat)),
            };
            if name == b"." || name == b".." {
                return Err(err(K::NotBaseName));
            }
            let name = String::from_utf8(name.to_vec()).map_err(|_| err(K::NotUtf8Name))?;
            match AofKind::from_byte(ty) {
                Some(AofKind::Base) => {
                    if m.base.is_some() {
                        return Err(err(K::DuplicateBase));
                    }
                    let seq = u64::try_from(seq).map_err(|_| err(K::InvalidFormat))?;
                    m.base = Some(AofFile::new(name, seq, AofKind::Base));
                }
                Some(AofKind::History) => {
                    let seq = u64::try_from(seq).map_err(|_| err(K::InvalidFormat))?;
                    m.history.push(AofFile::new(name, seq, AofKind::History));
                }
                Some(AofKind::Incr) => {
                    if seq <= maxseq {
                        return Err(err(K::NonMonotonicSeq));
                    }
                    maxseq = seq;
                    let seq = u64::try_from(seq).map_err(|_| err(K::InvalidFormat))?;
                    m.incrs.push(AofFile::new(name, seq, AofKind::Incr));
                }
                None => return Err(err(K::UnknownType)),
            }
        }
        if linenum == 0 {
            return Err(ManifestError::new(K::Empty, None, None));
        }
        Ok(m)
    }

    /// Reads and parses the manifest at `path`.
    pub fn read(path: &Path) -> Result<Manifest, AofError> {
        let data = fs::read(path).map_err(|e| AofError::io(e).with_path(path))?;
        Manifest::parse(&data).map_err(|e| AofError::from(e).with_path(path))
    }

    /// The manifest text as Redis writes it: base, then history, then incr
    /// files, one `file <name> seq <n> type <t>\n` line each.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.entries() {
            push_line(&mut out, f);
        }
        out
    }

    /// Every entry in the order Redis writes them (base, history, incrs).
    pub fn entries(&self) -> impl Iterator<Item = &AofFile> {
        self.base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter())
    }

    /// The files to load, in order: the base (if any), then the incrs.
    pub fn files_to_load(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// True when there is nothing to load (no base and no incr file): Redis's
    /// `AOF_NOT_EXIST`.
    pub fn has_nothing_to_load(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// Checks that Redis (and [`Manifest::parse`]) will read this manifest
    /// back as it is: kinds match the lists, at most one base, valid bare
    /// names, non-zero seqs, strictly increasing incr seqs, lines within
    /// 1024 bytes.
    pub fn validate(&self) -> Result<(), String> {
        let mut last_incr: u64 = 0;
        for (list, kind) in [
            (self.base.as_slice(), AofKind::Base),
            (self.history.as_slice(), AofKind::History),
            (self.incrs.as_slice(), AofKind::Incr),
        ] {
            for f in list {
                if f.kind != kind {
                    return Err(format!(
                        "{} is in the {kind:?} list with kind {:?}",
                        f.name, f.kind
                    ));
                }
                if f.name.is_empty()
                    || f.name == "."
                    || f.name == ".."
                    || f.name.contains(['/', '\\', '\0'])
                {
                    return Err(format!("invalid AOF file name {:?}", f.name));
                }
                if f.seq == 0 || f.seq > i64::MAX as u64 {
                    return Err(format!("invalid seq {} for {}", f.seq, f.name));
                }
                if kind == AofKind::Incr {
                    if f.seq <= last_incr {
                        return Err(format!(
                            "incr seqs must increase strictly ({} after {last_incr})",
                            f.seq
                        ));
                    }
                    last_incr = f.seq;
                }
                let mut line = Vec::new();
                push_line(&mut line, f);
                if line.len() > MANIFEST_MAX_LINE {
                    return Err(format!("manifest line for {:?} is too long", f.name));
                }
            }
        }
        Ok(())
    }

    /// `curr_base_file_seq`: the base's seq, 0 without a base.
    pub fn curr_base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |b| b.seq)
    }

    /// `curr_incr_file_seq`: the last incr's seq, 0 without incrs.
    pub fn curr_incr_seq(&self) -> u64 {
        self.incrs.last().map_or(0, |f| f.seq)
    }

    fn name_taken(&self, name: &str) -> bool {
        self.entries().any(|f| f.name == name)
    }

    /// After a successful rewrite (`getNewBaseFileNameAndMarkPreAsHistory`):
    /// the current base (if any) becomes the first history entry, and a new
    /// base `<appendfilename>.<seq+1>.base.rdb|aof` takes its place. Returns
    /// the new base. (Should that name already be listed, which Redis never
    /// produces, the seq is bumped past it rather than reusing the file.)
    pub fn new_base(&mut self, appendfilename: &str, format: BaseFormat) -> AofFile {
        let mut seq = self.curr_base_seq() + 1;
        if let Some(mut old) = self.base.take() {
            old.kind = AofKind::History;
            self.history.insert(0, old);
        }
        while self.name_taken(&base_file_name(appendfilename, seq, format)) {
            seq += 1;
        }
        let f = AofFile::new(
            base_file_name(appendfilename, seq, format),
            seq,
            AofKind::Base,
        );
        self.base = Some(f.clone());
        f
    }

    /// Opens a new incr (`getNewIncrAofName`): appends
    /// `<appendfilename>.<last incr seq + 1>.incr.aof` and returns it. (As in
    /// [`Manifest::new_base`], a name already listed is skipped.)
    pub fn new_incr(&mut self, appendfilename: &str) -> AofFile {
        let mut seq = self.curr_incr_seq() + 1;
        while self.name_taken(&incr_file_name(appendfilename, seq)) {
            seq += 1;
        }
        let f = AofFile::new(incr_file_name(appendfilename, seq), seq, AofKind::Incr);
        self.incrs.push(f.clone());
        f
    }

    /// `getLastIncrAofName`: the last incr, or a new one when there is none
    /// (then `true`). This is the file to append to on start.
    pub fn last_incr_or_new(&mut self, appendfilename: &str) -> (AofFile, bool) {
        match self.incrs.last() {
            Some(f) => (f.clone(), false),
            None => (self.new_incr(appendfilename), true),
        }
    }

    /// `markRewrittenIncrAofAsHistory`: moves the incr files a rewrite
    /// covered to the front of the history list (in their order). With
    /// `keep_last` (AOF on: the last incr is the one being written) the last
    /// incr stays.
    pub fn mark_rewritten_incrs_as_history(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last && !self.incrs.is_empty());
        let moved = self.incrs.len() - keep;
        let mut hist: Vec<AofFile> = self
            .incrs
            .drain(..moved)
            .map(|mut f| {
                f.kind = AofKind::History;
                f
            })
            .collect();
        hist.append(&mut self.history);
        self.history = hist;
    }

    /// Removes and returns the history entries (to delete those files, as
    /// `aofDelHistoryFiles` does, then persist the manifest).
    pub fn take_history(&mut self) -> Vec<AofFile> {
        std::mem::take(&mut self.history)
    }

    /// The legacy upgrade (`aofUpgradePrepare`): the old `appendonly.aof`
    /// becomes the base, `file <appendfilename> seq 1 type b` (history
    /// entries are kept; incrs are not touched, Redis only upgrades when
    /// there are none).
    pub fn set_legacy_base(&mut self, appendfilename: &str) {
        self.base = Some(AofFile::new(appendfilename, 1, AofKind::Base));
    }

    /// Writes this manifest into `aof_dir` atomically; see [`write_manifest`].
    pub fn persist(&self, aof_dir: &Path, appendfilename: &str) -> Result<(), AofError> {
        write_manifest(aof_dir, appendfilename, self)
    }
}

fn push_line(out: &mut Vec<u8>, f: &AofFile) {
    out.extend_from_slice(b"file ");
    if needs_repr(f.name.as_bytes()) {
        push_repr(out, f.name.as_bytes());
    } else {
        out.extend_from_slice(f.name.as_bytes());
    }
    out.extend_from_slice(format!(" seq {} type {}\n", f.seq, f.kind.as_char()).as_bytes());
}

/// Opens a new file for writing with mode 0644 (as Redis does), truncating.
pub(crate) fn create_0644(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o644);
    }
    o.open(path)
}

/// fsyncs a directory, so that renames and new entries in it are durable
/// (`fsyncFileDir`). A no-op where directories cannot be opened as files.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Writes `manifest` as `<aof_dir>/<appendfilename>.manifest` the way
/// Redis's `writeAofManifestFile` does: into
/// `temp-<appendfilename>.manifest`, fsync, rename over the manifest, fsync
/// the directory. Refuses (before touching anything) a manifest that
/// [`Manifest::validate`] rejects. On failure the temp file is removed.
pub fn write_manifest(
    aof_dir: &Path,
    appendfilename: &str,
    manifest: &Manifest,
) -> Result<(), AofError> {
    let final_path = aof_dir.join(manifest_file_name(appendfilename));
    manifest.validate().map_err(|e| {
        AofError::io(io::Error::new(io::ErrorKind::InvalidInput, e)).with_path(&final_path)
    })?;
    let tmp_path = aof_dir.join(temp_manifest_file_name(appendfilename));
    let bytes = manifest.to_bytes();
    let res = (|| -> io::Result<()> {
        let mut f = create_0644(&tmp_path)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp_path, &final_path)
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp_path);
        return Err(AofError::io(e).with_path(&tmp_path));
    }
    fsync_dir(aof_dir).map_err(|e| AofError::io(e).with_path(aof_dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_args_like_sds() {
        let s = |l: &str| split_args(l.as_bytes());
        let v = |items: &[&str]| Some(items.iter().map(|i| i.as_bytes().to_vec()).collect());
        assert_eq!(s("file a seq 1"), v(&["file", "a", "seq", "1"]));
        assert_eq!(s("  a\t b  "), v(&["a", "b"]));
        assert_eq!(s(r#""a b" c"#), v(&["a b", "c"]));
        assert_eq!(s(r#""a\x41\n\"" c"#), v(&["aA\n\"", "c"]));
        assert_eq!(s(r"'it\'s' x"), v(&["it's", "x"]));
        assert_eq!(s(r#"ab"c d"e"#), None); // closing quote not followed by a space
        assert_eq!(s(r#"ab"c d""#), v(&["abc d"]));
        assert_eq!(s(r#""unterminated"#), None);
        assert_eq!(s("'unterminated"), None);
        assert_eq!(s(""), v(&[]));
        assert_eq!(s(r#""\xzz""#), v(&["xzz"]));
    }

    #[test]
    fn atoll_like_c() {
        assert_eq!(atoll(b"12"), 12);
        assert_eq!(atoll(b" 12x"), 12);
        assert_eq!(atoll(b"-3"), -3);
        assert_eq!(atoll(b"+4"), 4);
        assert_eq!(atoll(b"x"), 0);
        assert_eq!(atoll(b"99999999999999999999999"), i64::MAX);
        assert_eq!(atoll(b"-99999999999999999999999"), i64::MIN);
    }

    #[test]
    fn repr_round_trips() {
        for name in [
            "plain.aof",
            "with space",
            "q\"uote",
            "tab\there",
            "apo'strophe",
            "nl\nx",
            "é",
            "\u{7f}",
        ] {
            let m = Manifest {
                base: Some(AofFile::new(name, 3, AofKind::Base)),
                incrs: vec![],
                history: vec![],
            };
            let bytes = m.to_bytes();
            assert_eq!(Manifest::parse(&bytes), Ok(m), "{name:?} -> {bytes:?}");
        }
    }
}
