//! The `cjson` library (Lua CJSON 2.1.0 as Redis ships it): `encode`, `decode`, `null`,
//! the configuration functions and `new`. Mirrors Redis's `deps/lua/src/lua_cjson.c`
//! (with `strbuf.c`/`fpconv.c` behind it): numbers printed with `%.14g`, the same string
//! escapes (`/` as `\/`, controls and DEL as `\u00XX`), the same array-or-object rule,
//! the same `strtod`-based number parsing and the same error texts, including the
//! points at which too-deep nesting fails (counted the way the C code uses Lua stack).

use std::sync::Arc as Rc;

/// A `Cell` that may cross threads (the Lua state is `Send`).
struct Cell<T>(std::sync::Mutex<T>);

impl<T: Copy> Cell<T> {
    fn new(v: T) -> Self {
        Cell(std::sync::Mutex::new(v))
    }
    fn get(&self) -> T {
        match self.0.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
    fn set(&self, v: T) {
        match self.0.lock() {
            Ok(mut g) => *g = v,
            Err(p) => *p.into_inner() = v,
        }
    }
}

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::{
    as_number, c_double_to_i32, exact_value, fmt_g, raise, typename, Args, FResult, Fail, Wrap,
    HARD_MAX_DEPTH, LUAI_MAXCSTACK,
};

#[derive(Clone, Copy)]
struct Config {
    sparse_convert: i32,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0 refuse, 1 allow, 2 encode as `null`.
    encode_invalid_numbers: i32,
    encode_number_precision: i32,
    encode_keep_buffer: i32,
    decode_invalid_numbers: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            decode_invalid_numbers: 1,
        }
    }
}

type Cfg = Rc<Cell<Config>>;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn one(v: Value) -> FResult<MultiValue> {
    Ok(MultiValue::from_vec(vec![v]))
}

// ===== configuration =====

/// `json_arg_init`: at most `n` arguments.
fn arg_init(a: &Args, n: usize) -> FResult<()> {
    if a.top() > n {
        return Err(a.argerror(n + 1, "found too many arguments"));
    }
    Ok(())
}

/// `json_integer_option`: set from argument `i` when given, return the setting.
fn integer_option(
    lua: &Lua,
    a: &Args,
    i: usize,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> FResult<Value> {
    if !a.is_none_or_nil(i) {
        // luaL_checkinteger's lua_Integer stored into a C int.
        let value = a.check_integer(lua, i)? as i32;
        if !(min <= value && value <= max) {
            // The C code names argument 1 whatever the option's position.
            return Err(a.argerror(1, &format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    Ok(Value::Number(*setting as f64))
}

/// `json_enum_option`; `options == None` means the boolean `off`/`on` pair.
fn enum_option(
    lua: &Lua,
    a: &Args,
    i: usize,
    setting: &mut i32,
    options: Option<&[&str]>,
) -> FResult<Value> {
    let opts: &[&str] = options.unwrap_or(&["off", "on"]);
    if !a.is_none_or_nil(i) {
        if let Value::Boolean(b) = a.get(i) {
            *setting = i32::from(*b);
        } else {
            // luaL_checkoption
            let name = a.check_bytes(lua, i)?;
            match opts.iter().position(|o| o.as_bytes() == name.as_slice()) {
                Some(p) => *setting = p as i32,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                    return Err(a.argerror(i, &msg));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        Ok(Value::Boolean(*setting == 1))
    } else {
        let name = opts.get(*setting as usize).copied().unwrap_or("");
        Ok(Value::String(lua.create_string(name)?))
    }
}

// ===== encoding =====

struct Encoder {
    cfg: Config,
    out: Vec<u8>,
}

fn escape(b: u8) -> Option<&'static [u8]> {
    Some(match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'/' => b"\\/",
        8 => b"\\b",
        9 => b"\\t",
        10 => b"\\n",
        12 => b"\\f",
        13 => b"\\r",
        _ => return None,
    })
}

impl Encoder {
    fn string(&mut self, s: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        for &b in s {
            if let Some(e) = escape(b) {
                self.out.extend_from_slice(e);
            } else if b < 0x20 || b == 0x7f {
                self.out.extend_from_slice(b"\\u00");
                self.out.push(HEX[(b >> 4) as usize]);
                self.out.push(HEX[(b & 15) as usize]);
            } else {
                self.out.push(b);
            }
        }
        self.out.push(b'"');
    }

    fn number(&mut self, n: f64) -> FResult<()> {
        let bad = n.is_nan() || n.is_infinite();
        match self.cfg.encode_invalid_numbers {
            0 if bad => return raise("Cannot serialise number: must not be NaN or Inf"),
            1 if n.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            0 | 1 => {}
            _ if bad => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let p = self.cfg.encode_number_precision.clamp(1, 14) as usize;
        self.out.extend_from_slice(fmt_g(n, p).as_bytes());
        Ok(())
    }

    /// `lua_array_length`: the array length, or `None` for an object.
    fn array_length(&self, t: &Table) -> FResult<Option<i32>> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in t.clone().pairs::<Value, Value>() {
            let (k, _) = pair?;
            match as_number(&k) {
                Some(k) if k != 0.0 && k.floor() == k && k >= 1.0 => {
                    if k > max as f64 {
                        max = c_double_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                }
                _ => return Ok(None),
            }
        }
        let c = &self.cfg;
        if c.sparse_ratio > 0 && max > items.wrapping_mul(c.sparse_ratio) && max > c.sparse_safe {
            if c.sparse_convert == 0 {
                return raise("Cannot serialise table: excessively sparse array");
            }
            return Ok(None);
        }
        Ok(Some(max))
    }

    /// `json_append_data` for `v`, which the C code would hold at Lua stack slot `top`.
    fn value(&mut self, v: &Value, depth: usize, top: usize) -> FResult<()> {
        match v {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Number(_) | Value::Integer(_) => self.number(as_number(v).unwrap_or(0.0))?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => {
                let depth = depth + 1;
                if depth > self.cfg.encode_max_depth.max(0) as usize
                    || top + 3 > LUAI_MAXCSTACK
                    || depth > HARD_MAX_DEPTH
                {
                    return raise(format!("Cannot serialise, excessive nesting ({depth})"));
                }
                match self.array_length(t)? {
                    Some(len) if len > 0 => self.array(t, len, depth, top)?,
                    _ => self.object(t, depth, top)?,
                }
            }
            other => {
                return raise(format!(
                    "Cannot serialise {}: type not supported",
                    typename(other)
                ))
            }
        }
        Ok(())
    }

    fn array(&mut self, t: &Table, len: i32, depth: usize, top: usize) -> FResult<()> {
        self.out.push(b'[');
        for i in 1..=len {
            if i > 1 {
                self.out.push(b',');
            }
            let k = Value::Integer(i as i64);
            let v = exact_value(t, &k, t.raw_get(i)?)?;
            self.value(&v, depth, top + 1)?;
        }
        self.out.push(b']');
        Ok(())
    }

    fn object(&mut self, t: &Table, depth: usize, top: usize) -> FResult<()> {
        self.out.push(b'{');
        let mut first = true;
        for pair in t.clone().pairs::<Value, Value>() {
            let (k, v) = pair?;
            if !first {
                self.out.push(b',');
            }
            first = false;
            match &k {
                Value::Number(_) | Value::Integer(_) => {
                    self.out.push(b'"');
                    self.number(as_number(&k).unwrap_or(0.0))?;
                    self.out.extend_from_slice(b"\":");
                }
                Value::String(s) => {
                    self.string(&s.as_bytes());
                    self.out.push(b':');
                }
                other => {
                    return raise(format!(
                        "Cannot serialise {}: table key must be a number or string",
                        typename(other)
                    ))
                }
            }
            let v = exact_value(t, &k, v)?;
            drop(k);
            self.value(&v, depth, top + 2)?;
        }
        self.out.push(b'}');
        Ok(())
    }
}

fn encode(lua: &Lua, cfg: &Cfg, a: &Args) -> FResult<MultiValue> {
    if a.top() != 1 {
        return Err(a.argerror(1, "expected 1 argument"));
    }
    let mut e = Encoder {
        cfg: cfg.get(),
        out: Vec::new(),
    };
    e.value(a.get(1), 0, 1)?;
    one(Value::String(lua.create_string(&e.out)?))
}

// ===== decoding =====

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    cfg: Config,
    depth: usize,
    /// The decoded text of the last string token.
    tmp: Vec<u8>,
}

fn hexval(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

impl Decoder<'_> {
    /// The byte at `i`; the C code reads a NUL-terminated string, so 0 past the end.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let mut v = 0;
        for j in 0..4 {
            v = (v << 4) | hexval(self.at(i + j))?;
        }
        Some(v)
    }

    /// `json_append_unicode_escape` with `pos` at the backslash of `\uXXXX`.
    fn unicode_escape(&mut self) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let t = &mut self.tmp;
        if cp <= 0x7F {
            t.push(cp as u8);
        } else if cp <= 0x7FF {
            t.extend_from_slice(&[(cp >> 6) as u8 | 0xC0, (cp & 0x3F) as u8 | 0x80]);
        } else if cp <= 0xFFFF {
            t.extend_from_slice(&[
                (cp >> 12) as u8 | 0xE0,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        } else {
            t.extend_from_slice(&[
                (cp >> 18) as u8 | 0xF0,
                ((cp >> 12) & 0x3F) as u8 | 0x80,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        }
        self.pos += len;
        Some(())
    }

    /// A string token; `pos` is at the opening quote. Returns the error token's kind and
    /// index on failure.
    fn string_token(&mut self) -> Result<(), (&'static str, usize)> {
        self.pos += 1;
        self.tmp.clear();
        loop {
            let ch = self.at(self.pos);
            match ch {
                b'"' => break,
                0 => return Err(("unexpected end of string", self.pos)),
                b'\\' => {
                    let c = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b't' => 9,
                        b'n' => 10,
                        b'f' => 12,
                        b'r' => 13,
                        b'u' => {
                            if self.unicode_escape().is_none() {
                                return Err(("invalid unicode escape code", self.pos));
                            }
                            continue;
                        }
                        _ => return Err(("invalid escape code", self.pos)),
                    };
                    self.tmp.push(c);
                    self.pos += 2;
                }
                _ => {
                    self.tmp.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Ok(())
    }

    /// `json_is_invalid_number`: forms `strtod` takes but strict JSON does not.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        // A signed char compare in C: bytes >= 0x80 are "<= '9'" too.
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let lower3 = [self.at(p), self.at(p + 1), self.at(p + 2)].map(|b| b.to_ascii_lowercase());
        &lower3 == b"inf" || &lower3 == b"nan"
    }

    /// Returns the next token and the index it starts at.
    fn next_token(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let ch = self.at(self.pos);
        let single = match ch {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        match ch {
            0 => (Tok::End, start),
            b'"' => match self.string_token() {
                Ok(()) => (Tok::Str, start),
                Err((e, at)) => (Tok::Error(e), at),
            },
            b'-' | b'0'..=b'9' => {
                if self.cfg.decode_invalid_numbers == 0 && self.is_invalid_number() {
                    return (Tok::Error("invalid number"), start);
                }
                self.number_token(start)
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let rest = &self.data[self.pos.min(self.data.len())..];
                if rest.starts_with(b"true") {
                    self.pos += 4;
                    (Tok::Bool(true), start)
                } else if rest.starts_with(b"false") {
                    self.pos += 5;
                    (Tok::Bool(false), start)
                } else if rest.starts_with(b"null") {
                    self.pos += 4;
                    (Tok::Null, start)
                } else if self.cfg.decode_invalid_numbers != 0 && self.is_invalid_number() {
                    self.number_token(start)
                } else {
                    (Tok::Error("invalid token"), start)
                }
            }
            _ => (Tok::Error("invalid token"), start),
        }
    }

    fn number_token(&mut self, start: usize) -> (Tok, usize) {
        match strtod(self.data, self.pos) {
            Some((n, used)) => {
                self.pos += used;
                (Tok::Num(n), start)
            }
            None => (Tok::Error("invalid number"), start),
        }
    }

    fn parse_error<T>(&self, expected: &str, tok: (Tok, usize)) -> FResult<T> {
        raise(format!(
            "Expected {expected} but found {} at character {}",
            tok.0.name(),
            tok.1 + 1
        ))
    }

    /// `json_decode_descend`: one level deeper, needing `slots` Lua stack slots above
    /// `top`.
    fn descend(&mut self, top: usize, slots: usize) -> FResult<()> {
        self.depth += 1;
        if self.depth <= self.cfg.decode_max_depth.max(0) as usize
            && top + slots <= LUAI_MAXCSTACK
            && self.depth <= HARD_MAX_DEPTH
        {
            return Ok(());
        }
        raise(format!(
            "Found too many nested data structures ({}) at character {}",
            self.depth, self.pos
        ))
    }

    /// `json_process_value` for `tok`; `top` is the Lua stack height the C code would
    /// have before pushing this value.
    fn value(&mut self, tok: (Tok, usize), top: usize) -> FResult<Value> {
        Ok(match tok.0 {
            Tok::Str => Value::String(self.lua.create_string(&self.tmp)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => null(),
            Tok::ObjBegin => Value::Table(self.object(top)?),
            Tok::ArrBegin => Value::Table(self.array(top)?),
            _ => return self.parse_error("value", tok),
        })
    }

    fn object(&mut self, top: usize) -> FResult<Table> {
        self.descend(top, 3)?;
        let t = self.lua.create_table()?;
        let mut tok = self.next_token();
        if tok.0 == Tok::ObjEnd {
            self.depth -= 1;
            return Ok(t);
        }
        loop {
            if tok.0 != Tok::Str {
                return self.parse_error("object key string", tok);
            }
            let key = self.lua.create_string(&self.tmp)?;
            let colon = self.next_token();
            if colon.0 != Tok::Colon {
                return self.parse_error("colon", colon);
            }
            let vtok = self.next_token();
            let v = self.value(vtok, top + 2)?;
            t.raw_set(key, v)?;
            tok = self.next_token();
            if tok.0 == Tok::ObjEnd {
                self.depth -= 1;
                return Ok(t);
            }
            if tok.0 != Tok::Comma {
                return self.parse_error("comma or object end", tok);
            }
            tok = self.next_token();
        }
    }

    fn array(&mut self, top: usize) -> FResult<Table> {
        self.descend(top, 2)?;
        let t = self.lua.create_table()?;
        let mut tok = self.next_token();
        if tok.0 == Tok::ArrEnd {
            self.depth -= 1;
            return Ok(t);
        }
        let mut i: i64 = 1;
        loop {
            let v = self.value(tok, top + 1)?;
            t.raw_set(i, v)?;
            i += 1;
            tok = self.next_token();
            if tok.0 == Tok::ArrEnd {
                self.depth -= 1;
                return Ok(t);
            }
            if tok.0 != Tok::Comma {
                return self.parse_error("comma or array end", tok);
            }
            tok = self.next_token();
        }
    }
}

fn decode(lua: &Lua, cfg: &Cfg, a: &Args) -> FResult<MultiValue> {
    if a.top() != 1 {
        return Err(a.argerror(1, "expected 1 argument"));
    }
    let data = a.check_bytes(lua, 1)?;
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return raise("JSON parser does not support UTF-16 or UTF-32");
    }
    let mut d = Decoder {
        lua,
        data: &data,
        pos: 0,
        cfg: cfg.get(),
        depth: 0,
        tmp: Vec::new(),
    };
    let tok = d.next_token();
    let v = d.value(tok, 1)?;
    let end = d.next_token();
    if end.0 != Tok::End {
        return d.parse_error("the end", end);
    }
    one(v)
}

/// C's `strtod` on the NUL-terminated text at `data[pos..]`: the value and how many bytes
/// it took, or `None` when no number starts there.
fn strtod(data: &[u8], pos: usize) -> Option<(f64, usize)> {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let lower_is = |i: usize, word: &[u8]| {
        word.iter()
            .enumerate()
            .all(|(j, w)| at(i + j).to_ascii_lowercase() == *w)
    };
    let mut i = pos;
    let mut neg = false;
    if at(i) == b'+' || at(i) == b'-' {
        neg = at(i) == b'-';
        i += 1;
    }
    let sign = |x: f64| if neg { -x } else { x };
    if lower_is(i, b"inf") {
        i += 3;
        if lower_is(i, b"inity") {
            i += 5;
        }
        return Some((sign(f64::INFINITY), i - pos));
    }
    if lower_is(i, b"nan") {
        i += 3;
        if at(i) == b'(' {
            let mut j = i + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                i = j + 1;
            }
        }
        return Some((sign(f64::NAN), i - pos));
    }
    if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' {
        if let Some((v, end)) = hex_float(data, i + 2) {
            return Some((sign(v), end - pos));
        }
    }
    // Decimal: digits [. digits] [e [sign] digits]
    let mut digits = String::new();
    let mut frac_len: i64 = 0;
    let mut ndigits = 0;
    while at(i).is_ascii_digit() {
        digits.push(at(i) as char);
        ndigits += 1;
        i += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        let mut fd = 0;
        while at(j).is_ascii_digit() {
            digits.push(at(j) as char);
            fd += 1;
            j += 1;
        }
        if ndigits + fd > 0 {
            i = j;
            frac_len = fd;
            ndigits += fd;
        }
    }
    if ndigits == 0 {
        return None;
    }
    let mut exp: i64 = 0;
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        let mut eneg = false;
        if at(j) == b'+' || at(j) == b'-' {
            eneg = at(j) == b'-';
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                exp = (exp * 10 + i64::from(at(j) - b'0')).min(1_000_000_000);
                j += 1;
            }
            if eneg {
                exp = -exp;
            }
            i = j;
        }
    }
    let text = format!("{digits}e{}", exp - frac_len);
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i - pos))
}

/// The hexadecimal part of `strtod` after `0x`: mantissa `[h*][.h*]` (at least one
/// digit) and optional `p[sign]digits`. Returns the value and the end index.
fn hex_float(data: &[u8], start: usize) -> Option<(f64, usize)> {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut i = start;
    let mut mant: u64 = 0;
    let mut sig = 0; // significant hex digits kept in `mant`
    let mut exp2: i64 = 0;
    let mut sticky = false;
    let mut ndigits = 0;
    let mut take = |d: u32, frac: bool, mant: &mut u64, sig: &mut i32, exp2: &mut i64| {
        if *mant == 0 && d == 0 {
            if frac {
                *exp2 -= 4;
            }
        } else if *sig < 15 {
            *mant = (*mant << 4) | u64::from(d);
            *sig += 1;
            if frac {
                *exp2 -= 4;
            }
        } else {
            if !frac {
                *exp2 += 4;
            }
            sticky |= d != 0;
        }
    };
    while let Some(d) = hexval(at(i)) {
        take(d, false, &mut mant, &mut sig, &mut exp2);
        ndigits += 1;
        i += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        let mut fd = 0;
        while let Some(d) = hexval(at(j)) {
            take(d, true, &mut mant, &mut sig, &mut exp2);
            fd += 1;
            j += 1;
        }
        if ndigits + fd > 0 {
            i = j;
            ndigits += fd;
        }
    }
    if ndigits == 0 {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let mut eneg = false;
        if at(j) == b'+' || at(j) == b'-' {
            eneg = at(j) == b'-';
            j += 1;
        }
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(1_000_000_000);
                j += 1;
            }
            exp2 += if eneg { -e } else { e };
            i = j;
        }
    }
    if sticky {
        mant |= 1;
    }
    Some((ldexp(mant as f64, exp2), i))
}

fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let big = 2f64.powi(1000);
    let small = 2f64.powi(-1000);
    while e > 1000 && x.is_finite() && x != 0.0 {
        x *= big;
        e -= 1000;
    }
    while e < -1000 && x != 0.0 {
        x *= small;
        e += 1000;
    }
    x * 2f64.powi(e.clamp(-1100, 1100) as i32)
}

// ===== module =====

fn make(lua: &Lua, w: &Rc<Wrap>) -> mlua::Result<Table> {
    let cfg: Cfg = Rc::new(Cell::new(Config::default()));
    let t = lua.create_table()?;

    let c = cfg.clone();
    t.set(
        "encode",
        w.func_exact(lua, "encode", move |lua, a| encode(lua, &c, &a))?,
    )?;
    let c = cfg.clone();
    t.set(
        "decode",
        w.func(lua, "decode", move |lua, a| decode(lua, &c, &a))?,
    )?;

    let c = cfg.clone();
    t.set(
        "encode_sparse_array",
        w.func(lua, "encode_sparse_array", move |lua, a| {
            arg_init(&a, 3)?;
            let mut k = c.get();
            let r1 = enum_option(lua, &a, 1, &mut k.sparse_convert, None);
            let r1 = keep(&c, k, r1)?;
            let r2 = integer_option(lua, &a, 2, &mut k.sparse_ratio, 0, i32::MAX);
            let r2 = keep(&c, k, r2)?;
            let r3 = integer_option(lua, &a, 3, &mut k.sparse_safe, 0, i32::MAX);
            let r3 = keep(&c, k, r3)?;
            Ok(MultiValue::from_vec(vec![r1, r2, r3]))
        })?,
    )?;

    type Field = fn(&mut Config) -> &mut i32;
    let ints: [(&'static str, Field, i32); 3] = [
        ("encode_max_depth", |k| &mut k.encode_max_depth, i32::MAX),
        ("decode_max_depth", |k| &mut k.decode_max_depth, i32::MAX),
        (
            "encode_number_precision",
            |k| &mut k.encode_number_precision,
            14,
        ),
    ];
    for (name, field, max) in ints {
        let c = cfg.clone();
        t.set(
            name,
            w.func(lua, name, move |lua, a| {
                arg_init(&a, 1)?;
                let mut k = c.get();
                let r = integer_option(lua, &a, 1, field(&mut k), 1, max);
                one(keep(&c, k, r)?)
            })?,
        )?;
    }

    type Enum = (&'static str, Field, Option<&'static [&'static str]>);
    let enums: [Enum; 3] = [
        ("encode_keep_buffer", |k| &mut k.encode_keep_buffer, None),
        (
            "encode_invalid_numbers",
            |k| &mut k.encode_invalid_numbers,
            Some(&["off", "on", "null"]),
        ),
        (
            "decode_invalid_numbers",
            |k| &mut k.decode_invalid_numbers,
            None,
        ),
    ];
    for (name, field, options) in enums {
        let c = cfg.clone();
        t.set(
            name,
            w.func(lua, name, move |lua, a| {
                arg_init(&a, 1)?;
                let mut k = c.get();
                let r = enum_option(lua, &a, 1, field(&mut k), options);
                one(keep(&c, k, r)?)
            })?,
        )?;
    }

    let w2 = w.clone();
    t.set(
        "new",
        w.func(lua, "new", move |lua, _a| {
            one(Value::Table(make(lua, &w2).map_err(Fail::Lua)?))
        })?,
    )?;

    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// Stores the configuration as the C code leaves it: an option processed before a
/// failing one stays set.
fn keep(c: &Cfg, k: Config, r: FResult<Value>) -> FResult<Value> {
    c.set(k);
    r
}

pub(crate) fn open(lua: &Lua, w: &Wrap) -> mlua::Result<Table> {
    make(lua, &Rc::new(w.clone()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::check_all;

    #[test]
    fn cjson_matches_redis() {
        check_all(CASES);
    }

    /// Expected values from `EVAL` on redis-server 7.0.15.
    #[rustfmt::skip]
    const CASES: &[(&str, &str)] = &[
        // BEGIN GENERATED CASES
            (r#"cjson.encode({1,2,3})"#, r#"2|boolean:true|"[1,2,3]""#),
            (r#"cjson.encode({})"#, r#"2|boolean:true|"{}""#),
            (r#"cjson.encode({a=1})"#, r#"2|boolean:true|"{"a":1}""#),
            (r#"cjson.encode({a={b={c="d"}}})"#, r#"2|boolean:true|"{"a":{"b":{"c":"d"}}}""#),
            (r#"cjson.encode("hello")"#, r#"2|boolean:true|""hello"""#),
            (r#"cjson.encode("a/b\"c\\d\n\t\r\b\f\1\31\127 é")"#, r#"2|boolean:true|""a\/b\"c\\d\n\t\r\b\f\u0001\u001f\u007f \xc3\xa9"""#),
            (r#"cjson.encode(1)"#, r#"2|boolean:true|"1""#),
            (r#"cjson.encode(-0.0)"#, r#"2|boolean:true|"-0""#),
            (r#"cjson.encode(0.1)"#, r#"2|boolean:true|"0.1""#),
            (r#"cjson.encode(1/3)"#, r#"2|boolean:true|"0.33333333333333""#),
            (r#"cjson.encode(123456789012345)"#, r#"2|boolean:true|"1.2345678901234e+14""#),
            (r#"cjson.encode(12345678901234)"#, r#"2|boolean:true|"12345678901234""#),
            (r#"cjson.encode(1e15)"#, r#"2|boolean:true|"1e+15""#),
            (r#"cjson.encode(1e-5)"#, r#"2|boolean:true|"1e-05""#),
            (r#"cjson.encode(1e-20)"#, r#"2|boolean:true|"1e-20""#),
            (r#"cjson.encode(-1.5e300)"#, r#"2|boolean:true|"-1.5e+300""#),
            (r#"cjson.encode(2^53)"#, r#"2|boolean:true|"9.007199254741e+15""#),
            (r#"cjson.encode(3.14159)"#, r#"2|boolean:true|"3.14159""#),
            (r#"cjson.encode(true)"#, r#"2|boolean:true|"true""#),
            (r#"cjson.encode(false)"#, r#"2|boolean:true|"false""#),
            (r#"cjson.encode(nil)"#, r#"2|boolean:true|"null""#),
            (r#"cjson.encode(cjson.null)"#, r#"2|boolean:true|"null""#),
            (r#"cjson.encode({cjson.null, 1})"#, r#"2|boolean:true|"[null,1]""#),
            (r#"cjson.encode(1/0)"#, r#"2|boolean:false|"user_script:31: Cannot serialise number: must not be NaN or Inf""#),
            (r#"cjson.encode(-1/0)"#, r#"2|boolean:false|"user_script:31: Cannot serialise number: must not be NaN or Inf""#),
            (r#"cjson.encode(0/0)"#, r#"2|boolean:false|"user_script:31: Cannot serialise number: must not be NaN or Inf""#),
            (r#"cjson.encode({1/0})"#, r#"2|boolean:false|"user_script:31: Cannot serialise number: must not be NaN or Inf""#),
            (r#"cjson.encode(type)"#, r#"2|boolean:false|"user_script:31: Cannot serialise function: type not supported""#),
            (r#"cjson.encode({f=type})"#, r#"2|boolean:false|"user_script:31: Cannot serialise function: type not supported""#),
            (r#"cjson.encode(coroutine.create(function() end))"#, r#"2|boolean:false|"user_script:31: Cannot serialise thread: type not supported""#),
            (r#"cjson.encode()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode' (expected 1 argument)""#),
            (r#"cjson.encode(1, 2)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode' (expected 1 argument)""#),
            (r#"cjson.encode({[1]=1, [2]=2, [4]=4})"#, r#"2|boolean:true|"[1,2,null,4]""#),
            (r#"cjson.encode({[1]=1, [20]=2})"#, r#"2|boolean:false|"user_script:31: Cannot serialise table: excessively sparse array""#),
            (r#"cjson.encode({[11]=1})"#, r#"2|boolean:false|"user_script:31: Cannot serialise table: excessively sparse array""#),
            (r#"cjson.encode({[10]=1})"#, r#"2|boolean:true|"[null,null,null,null,null,null,null,null,null,1]""#),
            (r#"cjson.encode({[1.5]=1})"#, r#"2|boolean:true|"{"1.5":1}""#),
            (r#"cjson.encode({[0]=1})"#, r#"2|boolean:true|"{"0":1}""#),
            (r#"cjson.encode({[-1]=1})"#, r#"2|boolean:true|"{"-1":1}""#),
            (r#"cjson.encode({[1]=1, a=2})"#, r#"2|boolean:true|"{"1":1,"a":2}""#),
            (r#"cjson.encode({[true]=1})"#, r#"2|boolean:false|"user_script:31: Cannot serialise boolean: table key must be a number or string""#),
            (r#"cjson.encode({[{}]=1})"#, r#"2|boolean:false|"user_script:31: Cannot serialise table: table key must be a number or string""#),
            (r#"cjson.encode({{}, {{}}, {a={}}})"#, r#"2|boolean:true|"[{},[{}],{"a":{}}]""#),
            (r#"cjson.encode({1, "two", {three=3}, false})"#, r#"2|boolean:true|"[1,"two",{"three":3},false]""#),
            (r#"cjson.encode({["a\"b"]=1})"#, r#"2|boolean:true|"{"a\"b":1}""#),
            (r#"cjson.encode({[1.5]="x", [2]="y"})"#, r#"2|boolean:true|"{"1.5":"x","2":"y"}""#),
            (r#"cjson.encode({name="worker", args={1,2,"x"}, retry=true, jid="abc123", created_at=1700000000.123456})"#, r#"2|boolean:true|"{"name":"worker","args":[1,2,"x"],"jid":"abc123","created_at":1700000000.1235,"retry":true}""#),
            (r#"cjson.encode({"x", nil, "z"})"#, r#"2|boolean:true|"["x",null,"z"]""#),
            (r#"cjson.decode('[1,2,3]')"#, r#"2|boolean:true|{1=1,2=2,3=3}"#),
            (r#"cjson.decode('{"a":1,"b":[true,false,null],"c":{"d":"e"}}')"#, r#"2|boolean:true|{s:a=1,s:b={1=boolean:true,2=boolean:false,3=ud:userdata: (nil)},s:c={s:d="e"}}"#),
            (r#"cjson.decode('[]')"#, r#"2|boolean:true|{}"#),
            (r#"cjson.decode('{}')"#, r#"2|boolean:true|{}"#),
            (r#"cjson.decode('"\\u00e9\\u4e2d\\ud83d\\ude00"')"#, r#"2|boolean:true|"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80""#),
            (r#"cjson.decode('"\\ud83d"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid unicode escape code at character 2""#),
            (r#"cjson.decode('"\\ude00\\ud83d"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid unicode escape code at character 2""#),
            (r#"cjson.decode('"\\ud83d\\u0041"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid unicode escape code at character 2""#),
            (r#"cjson.decode('"\\u12"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid unicode escape code at character 2""#),
            (r#"cjson.decode('"\\x"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid escape code at character 2""#),
            (r#"cjson.decode('"abc')"#, r#"2|boolean:false|"user_script:31: Expected value but found unexpected end of string at character 5""#),
            (r#"cjson.decode('"a\\/b\\"c\\\\d\\n\\t\\r\\b\\f"')"#, r#"2|boolean:true|"a/b"c\d\x0a\x09\x0d\x08\x0c""#),
            (r#"cjson.decode('null')"#, r#"2|boolean:true|ud:userdata: (nil)"#),
            (r#"cjson.decode('null') == cjson.null"#, r#"2|boolean:true|boolean:true"#),
            (r#"cjson.decode('true')"#, r#"2|boolean:true|boolean:true"#),
            (r#"cjson.decode('false')"#, r#"2|boolean:true|boolean:false"#),
            (r#"cjson.decode('tru')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"cjson.decode('truex')"#, r#"2|boolean:false|"user_script:31: Expected the end but found invalid token at character 5""#),
            (r#"cjson.decode('')"#, r#"2|boolean:false|"user_script:31: Expected value but found T_END at character 1""#),
            (r#"cjson.decode('   ')"#, r#"2|boolean:false|"user_script:31: Expected value but found T_END at character 4""#),
            (r#"cjson.decode('x')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"cjson.decode('[1,2')"#, r#"2|boolean:false|"user_script:31: Expected comma or array end but found T_END at character 5""#),
            (r#"cjson.decode('[1 2]')"#, r#"2|boolean:false|"user_script:31: Expected comma or array end but found T_NUMBER at character 4""#),
            (r#"cjson.decode('{"a" 1}')"#, r#"2|boolean:false|"user_script:31: Expected colon but found T_NUMBER at character 6""#),
            (r#"cjson.decode('{"a":1,}')"#, r#"2|boolean:false|"user_script:31: Expected object key string but found T_OBJ_END at character 8""#),
            (r#"cjson.decode('{1:2}')"#, r#"2|boolean:false|"user_script:31: Expected object key string but found T_NUMBER at character 2""#),
            (r#"cjson.decode('[1,]')"#, r#"2|boolean:false|"user_script:31: Expected value but found T_ARR_END at character 4""#),
            (r#"cjson.decode('[1]]')"#, r#"2|boolean:false|"user_script:31: Expected the end but found T_ARR_END at character 4""#),
            (r#"cjson.decode('1 2')"#, r#"2|boolean:false|"user_script:31: Expected the end but found T_NUMBER at character 3""#),
            (r#"cjson.decode('-')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 1""#),
            (r#"cjson.decode('-1.5e3')"#, r#"2|boolean:true|-1500"#),
            (r#"cjson.decode('1e400')"#, r#"2|boolean:true|inf"#),
            (r#"cjson.decode('-1e400')"#, r#"2|boolean:true|-inf"#),
            (r#"cjson.decode('1e-400')"#, r#"2|boolean:true|0"#),
            (r#"cjson.decode('0.1')"#, r#"2|boolean:true|0.10000000000000001"#),
            (r#"cjson.decode('123456789012345678901234567890')"#, r#"2|boolean:true|1.2345678901234568e+29"#),
            (r#"cjson.decode('0x1F')"#, r#"2|boolean:true|31"#),
            (r#"cjson.decode('0x')"#, r#"2|boolean:false|"user_script:31: Expected the end but found invalid token at character 2""#),
            (r#"cjson.decode('0x1.8p1')"#, r#"2|boolean:true|3"#),
            (r#"cjson.decode('+5')"#, r#"2|boolean:true|5"#),
            (r#"cjson.decode('01')"#, r#"2|boolean:true|1"#),
            (r#"cjson.decode('1.')"#, r#"2|boolean:true|1"#),
            (r#"cjson.decode('.5')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"cjson.decode('1e')"#, r#"2|boolean:false|"user_script:31: Expected the end but found invalid token at character 2""#),
            (r#"cjson.decode('1e+')"#, r#"2|boolean:false|"user_script:31: Expected the end but found invalid token at character 2""#),
            (r#"cjson.decode('Infinity')"#, r#"2|boolean:true|inf"#),
            (r#"cjson.decode('-Infinity')"#, r#"2|boolean:true|-inf"#),
            (r#"cjson.decode('inf')"#, r#"2|boolean:true|inf"#),
            (r#"cjson.decode('nan')"#, r#"2|boolean:true|nan"#),
            (r#"cjson.decode('NaN')"#, r#"2|boolean:true|nan"#),
            (r#"cjson.decode('-nan')"#, r#"2|boolean:true|-nan"#),
            (r#"cjson.decode('[nan]')"#, r#"2|boolean:true|{1=nan}"#),
            (r#"cjson.decode('nul')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"cjson.decode('i')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"cjson.decode('[1]\0garbage')"#, r#"2|boolean:true|{1=1}"#),
            (r#"cjson.decode('\0[1]')"#, r#"2|boolean:false|"user_script:31: JSON parser does not support UTF-16 or UTF-32""#),
            (r#"cjson.decode('a\0')"#, r#"2|boolean:false|"user_script:31: JSON parser does not support UTF-16 or UTF-32""#),
            (r#"cjson.decode(123)"#, r#"2|boolean:true|123"#),
            (r#"cjson.decode(nil)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'decode' (string expected, got nil)""#),
            (r#"cjson.decode()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'decode' (expected 1 argument)""#),
            (r#"cjson.decode('1', '2')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'decode' (expected 1 argument)""#),
            (r#"cjson.decode({})"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'decode' (string expected, got table)""#),
            (r#"cjson.decode('"\\u0000"')"#, r#"2|boolean:true|"\x00""#),
            (r#"cjson.decode('{"a":1,"a":2}')"#, r#"2|boolean:true|{s:a=2}"#),
            (r#"cjson.decode('[' .. string.rep('[', 998) .. string.rep(']', 999))"#, r#"2|boolean:true|{1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={...}}}}}}}}}}}}}}}}}}}}}}"#),
            (r#"cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))"#, r#"2|boolean:true|{1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={...}}}}}}}}}}}}}}}}}}}}}}"#),
            (r#"cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"#, r#"2|boolean:false|"user_script:31: Found too many nested data structures (1001) at character 1001""#),
            (r#"cjson.decode(string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))"#, r#"2|boolean:false|"user_script:31: Found too many nested data structures (1001) at character 5001""#),
            (r#"cjson.encode_max_depth()"#, r#"2|boolean:true|1000"#),
            (r#"cjson.decode_max_depth()"#, r#"2|boolean:true|1000"#),
            (r#"cjson.encode_number_precision()"#, r#"2|boolean:true|14"#),
            (r#"cjson.encode_keep_buffer()"#, r#"2|boolean:true|boolean:true"#),
            (r#"cjson.encode_invalid_numbers()"#, r#"2|boolean:true|boolean:false"#),
            (r#"cjson.decode_invalid_numbers()"#, r#"2|boolean:true|boolean:true"#),
            (r#"cjson.encode_sparse_array()"#, r#"4|boolean:true|boolean:false|2|10"#),
            (r#"cjson.encode_sparse_array(true)"#, r#"4|boolean:true|boolean:true|2|10"#),
            (r#"cjson.encode_sparse_array(true, 3, 5)"#, r#"4|boolean:true|boolean:true|3|5"#),
            (r#"cjson.encode_sparse_array('on')"#, r#"4|boolean:true|boolean:true|2|10"#),
            (r#"cjson.encode_sparse_array('yes')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode_sparse_array' (invalid option 'yes')""#),
            (r#"cjson.encode_sparse_array(false, -1)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)""#),
            (r#"cjson.encode_sparse_array(false, 'x')"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'encode_sparse_array' (number expected, got string)""#),
            (r#"cjson.encode_sparse_array(1, 2, 3, 4)"#, r#"2|boolean:false|"user_script:31: bad argument #4 to 'encode_sparse_array' (found too many arguments)""#),
            (r#"cjson.encode_max_depth(0)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)""#),
            (r#"cjson.encode_max_depth(5, 6)"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'encode_max_depth' (found too many arguments)""#),
            (r#"cjson.encode_number_precision(15)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)""#),
            (r#"cjson.encode_number_precision(3) and cjson.encode(3.14159)"#, r#"2|boolean:true|"3.14""#),
            (r#"cjson.encode_invalid_numbers('null') and cjson.encode({1/0, 0/0})"#, r#"2|boolean:true|"[null,null]""#),
            (r#"cjson.encode_invalid_numbers(true) and cjson.encode({1/0, -1/0, 0/0})"#, r#"2|boolean:true|"[inf,-inf,nan]""#),
            (r#"cjson.encode_invalid_numbers('maybe')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'encode_invalid_numbers' (invalid option 'maybe')""#),
            (r#"cjson.decode_invalid_numbers(false)"#, r#"2|boolean:true|boolean:false"#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('0x10')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 1""#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('Infinity')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('+1')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid token at character 1""#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('01')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 1""#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('-0')"#, r#"2|boolean:true|-0"#),
            (r#"(cjson.decode_invalid_numbers(false) or true) and cjson.decode('-inf')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 1""#),
            (r#"cjson.encode_sparse_array(true) and cjson.encode({[1]=1, [20]=2})"#, r#"2|boolean:true|"{"1":1,"20":2}""#),
            (r#"select(2, cjson.encode_sparse_array(false, 0)) and cjson.encode({[1]=1, [20]=2})"#, r#"2|boolean:true|"[1,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,2]""#),
            (r#"cjson.encode_max_depth(2) and cjson.encode({{1}})"#, r#"2|boolean:true|"[[1]]""#),
            (r#"cjson.encode_max_depth(2) and cjson.encode({{{1}}})"#, r#"2|boolean:false|"user_script:31: Cannot serialise, excessive nesting (3)""#),
            (r#"cjson.decode_max_depth(2) and cjson.decode('[[1]]')"#, r#"2|boolean:true|{1={1=1}}"#),
            (r#"cjson.decode_max_depth(2) and cjson.decode('[[[1]]]')"#, r#"2|boolean:false|"user_script:31: Found too many nested data structures (3) at character 3""#),
            (r#"cjson.decode_max_depth(2) and cjson.decode('{"a":{"b":{"c":1}}}')"#, r#"2|boolean:false|"user_script:31: Found too many nested data structures (3) at character 11""#),
            (r#"cjson.encode_keep_buffer(false)"#, r#"2|boolean:true|boolean:false"#),
            (r#"(cjson.encode_keep_buffer(false) or true) and cjson.encode({1})"#, r#"2|boolean:true|"[1]""#),
            (r#"cjson.encode_keep_buffer('off')"#, r#"2|boolean:true|boolean:false"#),
            (r#"cjson._NAME .. ' ' .. cjson._VERSION"#, r#"2|boolean:true|"cjson 2.1.0""#),
            (r#"type(cjson.new)"#, r#"2|boolean:true|"function""#),
            (r#"cjson.new().encode({1})"#, r#"2|boolean:true|"[1]""#),
            (r#"cjson.new().encode_max_depth()"#, r#"2|boolean:true|1000"#),
            (r#"tostring(cjson.null)"#, r#"2|boolean:true|"userdata: (nil)""#),
            (r#"(function() local t = {} for i = 1, 1001 do t = {t} end local s = cjson.encode(t) return s end)()"#, r#"2|boolean:false|"user_script:31: Cannot serialise, excessive nesting (1001)""#),
            (r#"(function() local t = {} local r = t for i = 1, 999 do local n = {} t[1] = n t = n end local s = cjson.encode(r) return #s end)()"#, r#"2|boolean:true|2000"#),
            (r#"(function() local t = {} t.a = t local s = cjson.encode(t) return s end)()"#, r#"2|boolean:false|"user_script:31: Cannot serialise, excessive nesting (1001)""#),
            (r#"cjson.decode(cjson.encode({a={1,2,{b="c"}}, d="e"}))"#, r#"2|boolean:true|{s:a={1=1,2=2,3={s:b="c"}},s:d="e"}"#),
            (r#"cjson.decode('  [ 1 , 2 ]  ')"#, r#"2|boolean:true|{1=1,2=2}"#),
            (r#"cjson.decode('\t\r\n{ "k" : "v" }\n')"#, r#"2|boolean:true|{s:k="v"}"#),
            (r#"cjson.decode('[1e2, 1E2, 1.5E-2, -0, 0]')"#, r#"2|boolean:true|{1=100,2=100,3=0.014999999999999999,4=-0,5=0}"#),
            (r#"cjson.decode('"\255\254"')"#, r#"2|boolean:true|"\xff\xfe""#),
            (r#"cjson.decode('[-]')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 2""#),
            (r#"cjson.decode('[--1]')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid number at character 2""#),
            (r#"cjson.decode('{"a":1 "b":2}')"#, r#"2|boolean:false|"user_script:31: Expected comma or object end but found T_STRING at character 8""#),
            (r#"cjson.decode('"\\uD834\\uDD1E"')"#, r#"2|boolean:true|"\xf0\x9d\x84\x9e""#),
            (r#"cjson.decode('"\\u00"')"#, r#"2|boolean:false|"user_script:31: Expected value but found invalid unicode escape code at character 2""#),
            (r#"cjson.encode(cjson.decode('"\\u2028"'))"#, r#"2|boolean:true|""\xe2\x80\xa8"""#),
            (r#"cjson.encode({[1]=1,[2]=2,[3]=3,[5]=5})"#, r#"2|boolean:true|"[1,2,3,null,5]""#),
            (r#"cjson.encode({[2^31]=1})"#, r#"2|boolean:true|"{"2147483648":1}""#),
            (r#"cjson.encode({[2^40]=1})"#, r#"2|boolean:true|"{"1099511627776":1}""#),
            (r#"cjson.encode({[1]="a", [1e300]="b"})"#, r#"2|boolean:true|"{"1":"a","1e+300":"b"}""#),
        // END GENERATED CASES
    ];
}
