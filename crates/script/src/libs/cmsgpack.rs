//! The `cmsgpack` library (lua-cmsgpack 0.4.0 as Redis ships it): `pack`, `unpack`,
//! `unpack_one`, `unpack_limit`. Mirrors Redis's `deps/lua/src/lua_cmsgpack.c`: the
//! same type choices when packing (integral numbers as the smallest int, others as
//! float32 when exact else float64; tables as arrays only when keyed 1..n; str8/16/32;
//! tables nested 16 deep become nil), the same numbers when unpacking (uint64 above 2^63
//! wraps negative), and the same errors.

use mlua::{Lua, MultiValue, Table, Value};

use super::{
    as_number, c_double_to_i32, exact_value, raise, Args, FResult, Fail, Wrap, HARD_MAX_DEPTH,
    LUAI_MAXCSTACK,
};

/// `LUACMSGPACK_MAX_NESTING`: a table at this level is packed as nil.
const MAX_NESTING: usize = 16;

/// The C code unpacks tables nested as deep as the Lua stack allows (about 4000
/// arrays); the recursion here stops at the shared hard limit instead.
const MSGPACK_MAX_DEPTH: usize = HARD_MAX_DEPTH;

// ===== packing =====

fn put_str_header(out: &mut Vec<u8>, len: usize) {
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn put_double(out: &mut Vec<u8>, d: f64) {
    let f = d as f32;
    if d == f as f64 {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

fn put_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn put_collection_header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn put_number(out: &mut Vec<u8>, n: f64) {
    // IS_INT64_EQUIVALENT: finite and (int64_t)n == n.
    if n.is_finite()
        && n.trunc() == n
        && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n)
    {
        put_int(out, n as i64);
    } else {
        put_double(out, n);
    }
}

/// `table_is_an_array`: every key a number that is an int (C `int`) >= 1, and the
/// largest equal to the count.
fn is_array(t: &Table) -> FResult<bool> {
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let Some(n) = as_number(&k) else {
            return Ok(false);
        };
        if n <= 0.0 || n.is_infinite() || c_double_to_i32(n) as f64 != n {
            return Ok(false);
        }
        max = max.max(n as i32);
        count = count.wrapping_add(1);
    }
    Ok(max == count)
}

fn pack_value(out: &mut Vec<u8>, v: &Value, level: usize) -> FResult<()> {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            put_str_header(out, b.len());
            out.extend_from_slice(&b);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(_) | Value::Integer(_) => put_number(out, as_number(v).unwrap_or(0.0)),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t)? {
                let len = t.raw_len();
                put_collection_header(out, len, 0x90, 0xdc, 0xdd);
                for j in 1..=len {
                    let k = Value::Integer(j as i64);
                    let v = exact_value(t, &k, t.raw_get(j)?)?;
                    pack_value(out, &v, level + 1)?;
                }
            } else {
                let mut n = 0usize;
                for pair in t.clone().pairs::<Value, Value>() {
                    pair?;
                    n += 1;
                }
                put_collection_header(out, n, 0x80, 0xde, 0xdf);
                for pair in t.clone().pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    let v = exact_value(t, &k, v)?;
                    pack_value(out, &k, level + 1)?;
                    pack_value(out, &v, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

fn pack(lua: &Lua, a: &Args) -> FResult<MultiValue> {
    if a.top() == 0 {
        return Err(a.argerror(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for i in 1..=a.top() {
        pack_value(&mut out, a.get(i), 0)?;
    }
    Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(&out)?,
    )]))
}

// ===== unpacking =====

enum DecErr {
    Eof,
    BadFmt,
    Fail(Fail),
}

impl From<mlua::Error> for DecErr {
    fn from(e: mlua::Error) -> Self {
        DecErr::Fail(Fail::Lua(e))
    }
}

struct Cursor<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

fn stack_overflow(what: &str) -> DecErr {
    DecErr::Fail(Fail::Raise(format!("stack overflow ({what})")))
}

impl Cursor<'_> {
    fn need(&self, n: usize) -> Result<(), DecErr> {
        if self.data.len() - self.pos < n {
            Err(DecErr::Eof)
        } else {
            Ok(())
        }
    }

    fn bytes<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.data[self.pos + off..self.pos + off + N]);
        b
    }

    fn str_at(&mut self, hdr: usize, len: usize) -> Result<Value, DecErr> {
        self.need(hdr + len)?;
        let s = self
            .lua
            .create_string(&self.data[self.pos + hdr..self.pos + hdr + len])?;
        self.pos += hdr + len;
        Ok(Value::String(s))
    }

    /// `mp_decode_to_lua_type`; `top` is the Lua stack height the C code would have.
    fn value(&mut self, top: usize) -> Result<Value, DecErr> {
        self.need(1)?;
        if top + 1 > LUAI_MAXCSTACK {
            return Err(stack_overflow(
                "too many return values at once; use unpack_one or unpack_limit instead.",
            ));
        }
        let b = self.data[self.pos];
        let num = |x: f64| Ok(Value::Number(x));
        match b {
            0xcc => {
                self.need(2)?;
                let v = self.data[self.pos + 1];
                self.pos += 2;
                num(v as f64)
            }
            0xd0 => {
                self.need(2)?;
                let v = self.data[self.pos + 1] as i8;
                self.pos += 2;
                num(v as f64)
            }
            0xcd => {
                self.need(3)?;
                let v = u16::from_be_bytes(self.bytes(1));
                self.pos += 3;
                num(v as f64)
            }
            0xd1 => {
                self.need(3)?;
                let v = i16::from_be_bytes(self.bytes(1));
                self.pos += 3;
                num(v as f64)
            }
            0xce => {
                self.need(5)?;
                let v = u32::from_be_bytes(self.bytes(1));
                self.pos += 5;
                num(v as f64)
            }
            0xd2 => {
                self.need(5)?;
                let v = i32::from_be_bytes(self.bytes(1));
                self.pos += 5;
                num(v as f64)
            }
            0xcf => {
                self.need(9)?;
                // lua_pushinteger of a uint64: wraps to a negative lua_Integer.
                let v = u64::from_be_bytes(self.bytes(1)) as i64;
                self.pos += 9;
                num(v as f64)
            }
            0xd3 => {
                self.need(9)?;
                let v = i64::from_be_bytes(self.bytes(1));
                self.pos += 9;
                num(v as f64)
            }
            0xc0 => {
                self.pos += 1;
                Ok(Value::Nil)
            }
            0xc3 | 0xc2 => {
                self.pos += 1;
                Ok(Value::Boolean(b == 0xc3))
            }
            0xca => {
                self.need(5)?;
                let v = f32::from_be_bytes(self.bytes(1));
                self.pos += 5;
                num(v as f64)
            }
            0xcb => {
                self.need(9)?;
                let v = f64::from_be_bytes(self.bytes(1));
                self.pos += 9;
                num(v)
            }
            0xd9 => {
                self.need(2)?;
                let l = self.data[self.pos + 1] as usize;
                self.str_at(2, l)
            }
            0xda => {
                self.need(3)?;
                let l = u16::from_be_bytes(self.bytes(1)) as usize;
                self.str_at(3, l)
            }
            0xdb => {
                self.need(5)?;
                let l = u32::from_be_bytes(self.bytes(1)) as usize;
                self.str_at(5, l)
            }
            0xdc | 0xde => {
                self.need(3)?;
                let l = u16::from_be_bytes(self.bytes(1)) as usize;
                self.pos += 3;
                self.collection(b == 0xde, l, top)
            }
            0xdd | 0xdf => {
                self.need(5)?;
                let l = u32::from_be_bytes(self.bytes(1)) as usize;
                self.pos += 5;
                self.collection(b == 0xdf, l, top)
            }
            _ if b & 0x80 == 0 => {
                self.pos += 1;
                num(b as f64)
            }
            _ if b & 0xe0 == 0xe0 => {
                self.pos += 1;
                num(b as i8 as f64)
            }
            _ if b & 0xe0 == 0xa0 => self.str_at(1, (b & 0x1f) as usize),
            _ if b & 0xf0 == 0x90 || b & 0xf0 == 0x80 => {
                self.pos += 1;
                self.collection(b & 0xf0 == 0x80, (b & 0xf) as usize, top)
            }
            _ => Err(DecErr::BadFmt),
        }
    }

    /// `mp_decode_to_lua_array` / `mp_decode_to_lua_hash`.
    fn collection(&mut self, map: bool, len: usize, top: usize) -> Result<Value, DecErr> {
        self.depth += 1;
        if !map && top + 2 > LUAI_MAXCSTACK {
            return Err(stack_overflow("in function mp_decode_to_lua_array"));
        }
        if self.depth > MSGPACK_MAX_DEPTH {
            // Where the C code would eventually run out of Lua stack.
            return Err(stack_overflow(
                "too many return values at once; use unpack_one or unpack_limit instead.",
            ));
        }
        let t = self.lua.create_table()?;
        if map {
            for _ in 0..len {
                let k = self.value(top + 1)?;
                let v = self.value(top + 2)?;
                match k {
                    Value::Nil => {
                        return Err(DecErr::Fail(Fail::Bare("table index is nil".into())))
                    }
                    Value::Number(n) if n.is_nan() => {
                        return Err(DecErr::Fail(Fail::Bare("table index is NaN".into())))
                    }
                    k => t.raw_set(k, v)?,
                }
            }
        } else {
            for i in 1..=len {
                let v = self.value(top + 2)?;
                t.raw_set(i as i64, v)?;
            }
        }
        self.depth -= 1;
        Ok(Value::Table(t))
    }
}

/// `mp_unpack_full`.
fn unpack_full(lua: &Lua, a: &Args, limit: i64, offset: i64) -> FResult<MultiValue> {
    let s = a.check_bytes(lua, 1)?;
    let len = s.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return raise(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        ));
    } else if offset as u64 > len as u64 {
        return raise(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        ));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut c = Cursor {
        lua,
        data: &s,
        pos: offset as usize,
        depth: 0,
    };
    let mut out = Vec::new();
    while c.pos < len && (out.len() as i64) < limit {
        match c.value(1 + out.len()) {
            Ok(v) => out.push(v),
            Err(DecErr::Eof) => return raise("Missing bytes in input."),
            Err(DecErr::BadFmt) => return raise("Bad data format in input."),
            Err(DecErr::Fail(f)) => return Err(f),
        }
    }
    if !decode_all {
        let next = if c.pos == len { -1.0 } else { c.pos as f64 };
        out.insert(0, Value::Number(next));
    }
    Ok(MultiValue::from_vec(out))
}

pub(crate) fn open(lua: &Lua, w: &Wrap) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", w.func_exact(lua, "pack", |lua, a| pack(lua, &a))?)?;
    t.set(
        "unpack",
        w.func(lua, "unpack", |lua, a| unpack_full(lua, &a, 0, 0))?,
    )?;
    t.set(
        "unpack_one",
        w.func(lua, "unpack_one", |lua, a| {
            let offset = a.opt_integer(lua, 2, 0)?;
            unpack_full(lua, &a, 1, offset)
        })?,
    )?;
    t.set(
        "unpack_limit",
        w.func(lua, "unpack_limit", |lua, a| {
            let limit = a.check_integer(lua, 2)?;
            let offset = a.opt_integer(lua, 3, 0)?;
            unpack_full(lua, &a, limit, offset)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::check_all;

    #[test]
    fn cmsgpack_matches_redis() {
        check_all(CASES);
    }

    /// Expected values from `EVAL` on redis-server 7.0.15.
    #[rustfmt::skip]
    const CASES: &[(&str, &str)] = &[
        // BEGIN GENERATED CASES
            (r#"hex(cmsgpack.pack(0))"#, r#"2|boolean:true|"00""#),
            (r#"hex(cmsgpack.pack(1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296))"#, r#"2|boolean:true|"017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000""#),
            (r#"hex(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649))"#, r#"2|boolean:true|"ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff""#),
            (r#"hex(cmsgpack.pack(2^53, -2^53, 2^63, -2^63, 2^64))"#, r#"2|boolean:true|"cf0020000000000000d3ffe0000000000000ca5f000000d38000000000000000ca5f800000""#),
            (r#"hex(cmsgpack.pack(0.5, 1.5, 0.1, -0.0, 1e-20, 3.14159))"#, r#"2|boolean:true|"ca3f000000ca3fc00000cb3fb999999999999a00cb3bc79ca10c924223cb400921f9f01b866e""#),
            (r#"hex(cmsgpack.pack(1/0, -1/0, 0/0))"#, r#"2|boolean:true|"ca7f800000caff800000cbfff8000000000000""#),
            (r#"hex(cmsgpack.pack(true, false, nil))"#, r#"2|boolean:true|"c3c2c0""#),
            (r#"hex(cmsgpack.pack("", "a", string.rep("x", 31), string.rep("x", 32)))"#, r#"2|boolean:true|"a0a161bf78787878787878787878787878787878787878787878787878787878787878d9207878787878787878787878787878787878787878787878787878787878787878""#),
            (r#"hex(cmsgpack.pack(string.rep("x", 255))):sub(1, 8)"#, r#"2|boolean:true|"d9ff7878""#),
            (r#"hex(cmsgpack.pack(string.rep("x", 256))):sub(1, 8)"#, r#"2|boolean:true|"da010078""#),
            (r#"hex(cmsgpack.pack(string.rep("x", 65536))):sub(1, 12)"#, r#"2|boolean:true|"db0001000078""#),
            (r#"hex(cmsgpack.pack({}))"#, r#"2|boolean:true|"90""#),
            (r#"hex(cmsgpack.pack({1, 2, 3}))"#, r#"2|boolean:true|"93010203""#),
            (r#"hex(cmsgpack.pack({a=1}))"#, r#"2|boolean:true|"81a16101""#),
            (r#"hex(cmsgpack.pack({1, 2, nil, 4}))"#, r#"2|boolean:true|"83010102020404""#),
            (r#"hex(cmsgpack.pack({[1]=1, [3]=3}))"#, r#"2|boolean:true|"8201010303""#),
            (r#"hex(cmsgpack.pack({[2]=2}))"#, r#"2|boolean:true|"810202""#),
            (r#"hex(cmsgpack.pack({[1.5]=1}))"#, r#"2|boolean:true|"81ca3fc0000001""#),
            (r#"hex(cmsgpack.pack({[0]=1}))"#, r#"2|boolean:true|"810001""#),
            (r#"hex(cmsgpack.pack({["1"]=1}))"#, r#"2|boolean:true|"81a13101""#),
            (r#"hex(cmsgpack.pack({1, a=2}))"#, r#"2|boolean:true|"820101a16102""#),
            (r#"hex(cmsgpack.pack({{}, {{}}, {x={}}}))"#, r#"2|boolean:true|"9390919081a17890""#),
            (r#"hex(cmsgpack.pack(cjson.null, type))"#, r#"2|boolean:true|"c0c0""#),
            (r#"hex(cmsgpack.pack({a={b={c={1,2,3}}}}))"#, r#"2|boolean:true|"81a16181a16281a16393010203""#),
            (r#"hex(cmsgpack.pack(string.rep("a", 16)))"#, r#"2|boolean:true|"b061616161616161616161616161616161""#),
            (r#"(function() local t = {} for i = 1, 20 do t = {t} end local s = cmsgpack.pack(t) return hex(s) end)()"#, r#"2|boolean:true|"91919191919191919191919191919191c0""#),
            (r#"(function() local t = {} t[1] = t local s = cmsgpack.pack(t) return hex(s) end)()"#, r#"2|boolean:true|"91919191919191919191919191919191c0""#),
            (r#"(function() local t = {} for i = 1, 16 do t[i] = i end local s = cmsgpack.pack(t) return hex(s) end)()"#, r#"2|boolean:true|"dc00100102030405060708090a0b0c0d0e0f10""#),
            (r#"(function() local t = {} for i = 1, 70000 do t[i] = i % 100 end local s = cmsgpack.pack(t) return hex(s:sub(1, 8)) end)()"#, r#"2|boolean:true|"dd00011170010203""#),
            (r#"(function() local t = {} for i = 1, 20 do t['k'..i] = i end local s = cmsgpack.pack(t) return hex(s:sub(1, 3)) .. #s end)()"#, r#"2|boolean:true|"de001494""#),
            (r#"cmsgpack.pack()"#, r#"2|boolean:false|"user_script:31: bad argument #0 to 'pack' (MessagePack pack needs input.)""#),
            (r#"cmsgpack.unpack(cmsgpack.pack(1, "two", {3, 4}, {five=5}, true, false, 0.5, -7))"#, r#"9|boolean:true|1|"two"|{1=3,2=4}|{s:five=5}|boolean:true|boolean:false|0.5|-7"#),
            (r#"cmsgpack.unpack(cmsgpack.pack(nil))"#, r#"2|boolean:true|nil"#),
            (r#"cmsgpack.unpack("")"#, r#"1|boolean:true"#),
            (r#"select('#', cmsgpack.unpack(""))"#, r#"2|boolean:true|0"#),
            (r#"cmsgpack.unpack("\1\2\3")"#, r#"4|boolean:true|1|2|3"#),
            (r#"cmsgpack.unpack("\205")"#, r#"2|boolean:false|"user_script:31: Missing bytes in input.""#),
            (r#"cmsgpack.unpack("\193")"#, r#"2|boolean:false|"user_script:31: Bad data format in input.""#),
            (r#"cmsgpack.unpack("\196\1a")"#, r#"2|boolean:false|"user_script:31: Bad data format in input.""#),
            (r#"cmsgpack.unpack("\146\1")"#, r#"2|boolean:false|"user_script:31: Missing bytes in input.""#),
            (r#"cmsgpack.unpack("\129\192\1")"#, r#"2|boolean:false|"table index is nil""#),
            (r#"cmsgpack.unpack("\129\1\192")"#, r#"2|boolean:true|{}"#),
            (r#"cmsgpack.unpack("\129\203\127\248\0\0\0\0\0\0\1")"#, r#"2|boolean:false|"table index is NaN""#),
            (r#"cmsgpack.unpack("\207\255\255\255\255\255\255\255\255")"#, r#"2|boolean:true|-1"#),
            (r#"cmsgpack.unpack("\207\128\0\0\0\0\0\0\0")"#, r#"2|boolean:true|-9.2233720368547758e+18"#),
            (r#"cmsgpack.unpack("\211\255\255\255\255\255\255\255\254")"#, r#"2|boolean:true|-2"#),
            (r#"cmsgpack.unpack("\202\63\192\0\0")"#, r#"2|boolean:true|1.5"#),
            (r#"cmsgpack.unpack("\203\63\185\153\153\153\153\153\154")"#, r#"2|boolean:true|0.10000000000000001"#),
            (r#"cmsgpack.unpack("\217\3abc")"#, r#"2|boolean:true|"abc""#),
            (r#"cmsgpack.unpack("\218\0\3abc")"#, r#"2|boolean:true|"abc""#),
            (r#"cmsgpack.unpack("\219\0\0\0\3abc")"#, r#"2|boolean:true|"abc""#),
            (r#"cmsgpack.unpack("\219\0\0\0\9abc")"#, r#"2|boolean:false|"user_script:31: Missing bytes in input.""#),
            (r#"cmsgpack.unpack("\220\0\2\1\2")"#, r#"2|boolean:true|{1=1,2=2}"#),
            (r#"cmsgpack.unpack("\221\0\0\0\2\1\2")"#, r#"2|boolean:true|{1=1,2=2}"#),
            (r#"cmsgpack.unpack("\222\0\1\161k\2")"#, r#"2|boolean:true|{s:k=2}"#),
            (r#"cmsgpack.unpack("\223\0\0\0\1\161k\2")"#, r#"2|boolean:true|{s:k=2}"#),
            (r#"cmsgpack.unpack("\224\255\208\128\209\128\0\210\128\0\0\0")"#, r#"6|boolean:true|-32|-1|-128|-32768|-2147483648"#),
            (r#"cmsgpack.unpack("\204\200\205\1\0\206\0\1\0\0")"#, r#"4|boolean:true|200|256|65536"#),
            (r#"cmsgpack.unpack("\147\192\1\192")"#, r#"2|boolean:true|{2=1}"#),
            (r#"cmsgpack.unpack(123)"#, r#"4|boolean:true|49|50|51"#),
            (r#"cmsgpack.unpack()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'unpack' (string expected, got no value)""#),
            (r#"cmsgpack.unpack({})"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'unpack' (string expected, got table)""#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))"#, r#"3|boolean:true|1|1"#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)"#, r#"3|boolean:true|2|2"#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)"#, r#"3|boolean:true|-1|3"#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)"#, r#"2|boolean:true|-1"#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)"#, r#"2|boolean:false|"user_script:31: Start offset 4 greater than input length 3.""#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)"#, r#"2|boolean:false|"user_script:31: Invalid request to unpack with offset of -1 and limit of 3.""#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), "x")"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack_one' (number expected, got string)""#),
            (r#"cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), nil)"#, r#"3|boolean:true|1|1"#),
            (r#"cmsgpack.unpack_one("\205", 0)"#, r#"2|boolean:false|"user_script:31: Missing bytes in input.""#),
            (r#"cmsgpack.unpack_one(nil)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'unpack_one' (string expected, got nil)""#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)"#, r#"4|boolean:true|2|1|2"#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)"#, r#"4|boolean:true|-1|2|3"#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)"#, r#"5|boolean:true|-1|1|2|3"#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)"#, r#"4|boolean:true|1|2|3"#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)"#, r#"2|boolean:true|1"#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)"#, r#"2|boolean:false|"user_script:31: Invalid request to unpack with offset of 0 and limit of 3.""#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack_limit' (number expected, got no value)""#),
            (r#"cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1.7)"#, r#"3|boolean:true|1|1"#),
            (r#"cmsgpack._NAME .. '|' .. cmsgpack._VERSION .. '|' .. cmsgpack._COPYRIGHT .. '|' .. cmsgpack._DESCRIPTION"#, r#"2|boolean:true|"cmsgpack|lua-cmsgpack 0.4.0|Copyright (C) 2012, Salvatore Sanfilippo|MessagePack C implementation for Lua""#),
            (r#"cmsgpack.unpack(cmsgpack.pack({name="w", args={1,2,"x"}, retry=true, at=1700000000.5}))"#, r#"2|boolean:true|{s:args={1=1,2=2,3="x"},s:at=1700000000.5,s:name="w",s:retry=boolean:true}"#),
            (r#"cmsgpack.unpack(string.rep("\145", 900) .. "\1")"#, r#"2|boolean:true|{1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={...}}}}}}}}}}}}}}}}}}}}}}"#),
            (r#"select('#', cmsgpack.unpack(string.rep("\1", 7900)))"#, r#"2|boolean:true|7900"#),
        // END GENERATED CASES
    ];
}
