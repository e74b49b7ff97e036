//! Request parsing: turns the bytes a client sent into commands (argument vectors),
//! with Redis's limits and Redis's exact protocol error texts.
//!
//! Two forms arrive on the same port, as in Redis's `processInputBuffer`:
//! multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline (`GET k\n`, typed into `nc`).
//! Parsing is incremental: a command split over many socket reads is resumed where it
//! stopped, so a 100k-argument `MSET` arriving in small pieces costs O(n), not O(n^2).
//! Arguments are returned as byte ranges into the caller's buffer, never copied; inline
//! arguments with quotes are unescaped in place (the unescaped form is never longer).

use std::ops::Range;

/// Redis's `PROTO_INLINE_MAX_SIZE`: the longest inline request or count line.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis's default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

/// Limits applied while parsing; `authenticated` false applies Redis's tighter
/// limits for clients that have not yet passed `AUTH`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bulk_len: u64,
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            authenticated: true,
        }
    }
}

/// A protocol error: the text follows `-ERR ` in the reply, and the connection closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn perr(msg: impl Into<String>) -> ProtocolError {
    ProtocolError(format!("Protocol error: {}", msg.into()))
}

/// Where a partly received multibulk command stands.
#[derive(Debug, Default)]
struct Multibulk {
    /// Arguments still expected.
    remaining: usize,
    /// Length of the bulk whose header was read, waiting for its payload.
    bulk_len: Option<usize>,
}

/// Incremental parser over a buffer that the caller appends to and consumes from the front.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Start of the next unparsed byte, relative to the buffer's front.
    pos: usize,
    /// Bytes at the front that belong to complete commands already returned.
    consumed: usize,
    mb: Option<Multibulk>,
    args: Vec<Range<usize>>,
}

/// The outcome of one `next` call.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete command; its arguments are in `RequestParser::args` (may be empty for
    /// a blank inline line or `*0`, which Redis skips).
    Command,
    /// More bytes are needed.
    Incomplete,
}

fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..]
        .iter()
        .position(|&b| b == b'\r')
        .map(|p| p + from)
}

/// Redis's `string2ll`: strict decimal, optional '-', no '+', no spaces, no leading zeros.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Arguments of the command last returned by `next` as `Parsed::Command`.
    pub fn args(&self) -> &[Range<usize>] {
        &self.args
    }

    /// Bytes at the front of the buffer taken by complete commands so far.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// True while a command has been started but not finished.
    pub fn in_progress(&self) -> bool {
        self.mb.is_some() || self.pos > self.consumed
    }

    /// The caller dropped the first `consumed()` bytes of its buffer.
    pub fn advance(&mut self) {
        let n = self.consumed;
        self.pos -= n;
        if self.mb.is_some() {
            // A partly received command: its arguments so far lie after the consumed bytes.
            for r in &mut self.args {
                r.start -= n;
                r.end -= n;
            }
        } else {
            self.args.clear();
        }
        self.consumed = 0;
    }

    /// Bytes the caller should make room for so the current bulk arrives in one piece.
    pub fn wanted(&self) -> usize {
        match &self.mb {
            Some(Multibulk {
                bulk_len: Some(n), ..
            }) => *n + 2,
            _ => 0,
        }
    }

    /// Parses the next command from `buf` (the whole buffer, front included).
    pub fn next(&mut self, buf: &mut [u8], limits: Limits) -> Result<Parsed, ProtocolError> {
        if self.mb.is_none() {
            self.args.clear();
            // Skip nothing: a new command starts at pos.
            if self.pos >= buf.len() {
                return Ok(Parsed::Incomplete);
            }
            if buf[self.pos] != b'*' {
                return self.inline(buf);
            }
            let Some(cr) = find_cr(buf, self.pos) else {
                if buf.len() - self.pos > INLINE_MAX_SIZE {
                    return Err(perr("too big mbulk count string"));
                }
                return Ok(Parsed::Incomplete);
            };
            if cr + 1 >= buf.len() {
                return Ok(Parsed::Incomplete);
            }
            let n = parse_i64(&buf[self.pos + 1..cr]);
            let n = match n {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(perr("invalid multibulk length")),
            };
            if !limits.authenticated && n > 10 {
                return Err(perr("unauthenticated multibulk length"));
            }
            self.pos = cr + 2;
            if n <= 0 {
                self.consumed = self.pos;
                return Ok(Parsed::Command);
            }
            self.args.reserve((n as usize).min(1024));
            self.mb = Some(Multibulk {
                remaining: n as usize,
                bulk_len: None,
            });
        }
        loop {
            let Some(mb) = self.mb.as_mut() else {
                return Ok(Parsed::Incomplete);
            };
            if mb.remaining == 0 {
                self.mb = None;
                self.consumed = self.pos;
                return Ok(Parsed::Command);
            }
            let len = match mb.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find_cr(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX_SIZE {
                            return Err(perr("too big bulk count string"));
                        }
                        return Ok(Parsed::Incomplete);
                    };
                    if cr + 1 >= buf.len() {
                        return Ok(Parsed::Incomplete);
                    }
                    if buf[self.pos] != b'$' {
                        return Err(perr(format!(
                            "expected '$', got '{}'",
                            buf[self.pos] as char
                        )));
                    }
                    let len = match parse_i64(&buf[self.pos + 1..cr]) {
                        Some(l) if l >= 0 && (l as u64) <= limits.max_bulk_len => l as usize,
                        _ => return Err(perr("invalid bulk length")),
                    };
                    if !limits.authenticated && len > 16384 {
                        return Err(perr("unauthenticated bulk length"));
                    }
                    self.pos = cr + 2;
                    mb.bulk_len = Some(len);
                    len
                }
            };
            if buf.len() - self.pos < len + 2 {
                return Ok(Parsed::Incomplete);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            mb.bulk_len = None;
            mb.remaining -= 1;
        }
    }

    fn inline(&mut self, buf: &mut [u8]) -> Result<Parsed, ProtocolError> {
        let start = self.pos;
        // Redis looks for the newline with strchr(): a NUL byte before it hides it, and
        // the request then waits for more input like any incomplete line.
        let nl = buf[start..]
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .filter(|&p| buf[start + p] == b'\n');
        let Some(nl) = nl else {
            if buf.len() - start > INLINE_MAX_SIZE {
                return Err(perr("too big inline request"));
            }
            return Ok(Parsed::Incomplete);
        };
        let nl = start + nl;
        let mut end = nl;
        if end > start && buf[end - 1] == b'\r' {
            end -= 1;
        }
        split_args(&mut buf[..end], start, &mut self.args)
            .ok_or_else(|| perr("unbalanced quotes in request"))?;
        self.pos = nl + 1;
        self.consumed = self.pos;
        Ok(Parsed::Command)
    }
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|v| v as u8)
}

/// Redis's `sdssplitargs`, unescaping in place: arguments are written back into `buf`
/// starting where they were read, and their ranges pushed to `out`.
/// Returns None on unbalanced quotes.
fn split_args(buf: &mut [u8], start: usize, out: &mut Vec<Range<usize>>) -> Option<()> {
    // Redis splits a C string: the line ends at its first NUL byte.
    let n = buf[start..]
        .iter()
        .position(|&b| b == 0)
        .map_or(buf.len(), |p| start + p);
    let mut i = start;
    loop {
        while i < n && buf[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(());
        }
        let arg_start = i;
        let mut w = i;
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                if buf[i] == b'\\'
                    && i + 3 < n
                    && buf[i + 1] == b'x'
                    && hex_val(buf[i + 2]).is_some()
                    && hex_val(buf[i + 3]).is_some()
                {
                    buf[w] = hex_val(buf[i + 2])? * 16 + hex_val(buf[i + 3])?;
                    i += 4;
                } else if buf[i] == b'\\' && i + 1 < n {
                    buf[w] = match buf[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    };
                    i += 2;
                } else if buf[i] == b'"' {
                    // The closing quote must be followed by a space or the end.
                    if i + 1 < n && !buf[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    buf[w] = buf[i];
                    i += 1;
                }
                w += 1;
            } else if in_sq {
                if i >= n {
                    return None;
                }
                if buf[i] == b'\\' && i + 1 < n && buf[i + 1] == b'\'' {
                    buf[w] = b'\'';
                    i += 2;
                } else if buf[i] == b'\'' {
                    if i + 1 < n && !buf[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    buf[w] = buf[i];
                    i += 1;
                }
                w += 1;
            } else {
                if i >= n {
                    break;
                }
                match buf[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        break;
                    }
                    b'"' => {
                        in_dq = true;
                        i += 1;
                    }
                    b'\'' => {
                        in_sq = true;
                        i += 1;
                    }
                    c => {
                        buf[w] = c;
                        w += 1;
                        i += 1;
                    }
                }
            }
        }
        out.push(arg_start..w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut buf = input.to_vec();
        let mut p = RequestParser::new();
        let mut cmds = vec![];
        while let Parsed::Command = p.next(&mut buf, Limits::default())? {
            cmds.push(p.args().iter().map(|r| buf[r.clone()].to_vec()).collect());
        }
        Ok(cmds)
    }

    #[test]
    fn multibulk_and_inline() {
        let c = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n").unwrap();
        assert_eq!(c[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(c[1], vec![b"PING".to_vec()]);
        assert_eq!(c[2], vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]);
    }

    #[test]
    fn inline_escapes() {
        let c = parse_all(b"set k \"a\\x41\\n\" 'it\\'s'\r\n").unwrap();
        assert_eq!(c[0][2], b"aA\n".to_vec());
        assert_eq!(c[0][3], b"it's".to_vec());
        assert_eq!(
            parse_all(b"set k \"abc\n").unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            parse_all(b"set k \"abc\"x\n").unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn incremental() {
        let full = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut p = RequestParser::new();
        let mut buf = vec![];
        for (i, b) in full.iter().enumerate() {
            buf.push(*b);
            let r = p.next(&mut buf, Limits::default()).unwrap();
            if i + 1 < full.len() {
                assert_eq!(r, Parsed::Incomplete, "at {i}");
            } else {
                assert_eq!(r, Parsed::Command);
            }
        }
        assert_eq!(&buf[p.args()[2].clone()], b"value");
    }

    #[test]
    fn advance_after_complete_and_partial_commands() {
        let mut buf = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\n".to_vec();
        let mut p = RequestParser::new();
        assert_eq!(
            p.next(&mut buf, Limits::default()).unwrap(),
            Parsed::Command
        );
        assert_eq!(
            p.next(&mut buf, Limits::default()).unwrap(),
            Parsed::Incomplete
        );
        let n = p.consumed();
        buf.drain(..n);
        p.advance();
        buf.extend_from_slice(b"k\r\n");
        assert_eq!(
            p.next(&mut buf, Limits::default()).unwrap(),
            Parsed::Command
        );
        assert_eq!(&buf[p.args()[1].clone()], b"k");
        let n = p.consumed();
        buf.drain(..n);
        p.advance();
        assert!(buf.is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_all(b"*x\r\n").unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n+x\r\n").unwrap_err().0,
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        let big = vec![b'a'; INLINE_MAX_SIZE + 10];
        assert_eq!(
            parse_all(&big).unwrap_err().0,
            "Protocol error: too big inline request"
        );
        let lim = Limits {
            max_bulk_len: 10,
            authenticated: true,
        };
        let mut buf = b"*1\r\n$11\r\n".to_vec();
        assert_eq!(
            RequestParser::new().next(&mut buf, lim).unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
    }

    #[test]
    fn integers() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
    }

    /// Random inputs, split at random points: the parser never panics, and parsing a
    /// stream in pieces gives exactly what parsing it whole gives.
    #[test]
    fn random_inputs_and_splits() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let atoms: &[&[u8]] = &[
            b"*",
            b"$",
            b"\r\n",
            b"\n",
            b"1",
            b"2",
            b"3",
            b"-1",
            b"0",
            b"abc",
            b"\"",
            b"'",
            b" ",
            b"\\x4",
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
            b"PING\r\n",
            b"99999999999",
        ];
        for _ in 0..3000 {
            let mut input = vec![];
            for _ in 0..rnd(12) {
                input.extend_from_slice(atoms[rnd(atoms.len() as u64) as usize]);
                if rnd(5) == 0 {
                    input.push(rnd(256) as u8);
                }
            }
            let whole = parse_all(&input);
            // Feed the same bytes in random pieces, consuming as the session does.
            let mut p = RequestParser::new();
            let mut buf: Vec<u8> = vec![];
            let mut pieces: Vec<Vec<Vec<u8>>> = vec![];
            let mut err = None;
            let mut fed = 0;
            'outer: while fed < input.len() {
                let n = (1 + rnd(8) as usize).min(input.len() - fed);
                buf.extend_from_slice(&input[fed..fed + n]);
                fed += n;
                loop {
                    match p.next(&mut buf, Limits::default()) {
                        Ok(Parsed::Command) => {
                            pieces.push(p.args().iter().map(|r| buf[r.clone()].to_vec()).collect())
                        }
                        Ok(Parsed::Incomplete) => break,
                        Err(e) => {
                            err = Some(e);
                            break 'outer;
                        }
                    }
                }
                let c = p.consumed();
                buf.drain(..c);
                p.advance();
            }
            match (whole, err) {
                (Ok(cmds), None) => assert_eq!(cmds, pieces, "input {:?}", input),
                (Err(a), Some(b)) => assert_eq!(a, b, "input {:?}", input),
                (a, b) => panic!("whole {a:?} vs pieces {b:?} for {input:?}"),
            }
        }
    }
}
