//! The `struct` library (Roberto Ierusalimschy's lua_struct 0.2 as patched in Redis):
//! `pack`, `unpack`, `size` over the format letters `> < ! x b B h H l L T i I<n> c<n> s
//! f d` and spaces. Mirrors Redis's `deps/lua/src/lua_struct.c` on x86-64 Linux: native
//! order little-endian, `long`/`size_t` 8 bytes, `int` 4, default maximum alignment 8,
//! integers carried as 64-bit `long`, the same error texts.

use mlua::{Lua, MultiValue, Table, Value};

use super::{c_double_to_i64, raise, Args, FResult, Fail, Wrap};

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A format string read the way the C code walks its `const char *`.
struct Fmt<'a> {
    s: &'a [u8],
    i: usize,
}

impl Fmt<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(0)
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        if c == 0 {
            return None;
        }
        self.i += 1;
        Some(c)
    }

    /// `getnum`, with Redis's overflow check.
    fn num(&mut self, df: usize) -> FResult<usize> {
        if !self.peek().is_ascii_digit() {
            return Ok(df);
        }
        let mut a: i32 = 0;
        while self.peek().is_ascii_digit() {
            let d = i32::from(self.peek() - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return raise("integral size overflow");
            }
            a = a * 10 + d;
            self.i += 1;
        }
        Ok(a as usize)
    }
}

/// `optsize`.
fn optsize(opt: u8, f: &mut Fmt) -> FResult<usize> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => f.num(1)?,
        b'i' | b'I' => {
            let sz = f.num(4)?;
            if sz > MAXINTSIZE {
                return raise(format!(
                    "integral size {sz} is larger than limit of {MAXINTSIZE}"
                ));
            }
            sz
        }
        _ => 0,
    })
}

/// `gettoalign`: padding before an item of `size` at offset `len`.
fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// `controloptions`.
fn controloptions(a: &Args, opt: u8, f: &mut Fmt, h: &mut Header) -> FResult<()> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let n = f.num(MAXALIGN)?;
            if !n.is_power_of_two() {
                return raise(format!("alignment {n} is not a power of 2"));
            }
            h.align = n;
        }
        _ => {
            let msg = format!("invalid format option '{}'", opt as char);
            return Err(a.argerror(1, &msg));
        }
    }
    Ok(())
}

/// C's `(unsigned long)n` for a non-negative double on x86-64.
fn double_to_u64(n: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if n < TWO63 {
        c_double_to_i64(n) as u64
    } else {
        (c_double_to_i64(n - TWO63) as u64) ^ (1 << 63)
    }
}

fn put_bytes(out: &mut Vec<u8>, mut b: Vec<u8>, little: bool) {
    if !little {
        b.reverse();
    }
    out.extend_from_slice(&b);
}

fn pack(lua: &Lua, a: Args) -> FResult<MultiValue> {
    let fmt_bytes = a.check_bytes(lua, 1)?;
    // The C code pushes a nil right after the arguments, so a missing first value
    // argument is reported as "got nil".
    let mut a = a;
    a.vals.push(Value::Nil);
    let a = &a;
    let mut f = Fmt {
        s: &fmt_bytes,
        i: 0,
    };
    let mut h = Header::default();
    let mut arg = 2;
    let mut total: usize = 0;
    let mut out = Vec::new();
    while let Some(opt) = f.next() {
        let mut size = optsize(opt, &mut f)?;
        let toalign = gettoalign(total, &h, opt, size);
        total = total.wrapping_add(toalign);
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = a.check_number(lua, arg)?;
                arg += 1;
                let mut value = if n < 0.0 {
                    c_double_to_i64(n) as u64
                } else {
                    double_to_u64(n)
                };
                let mut buf = vec![0u8; size];
                for slot in buf.iter_mut() {
                    *slot = (value & 0xff) as u8;
                    value = value.checked_shr(8).unwrap_or(0);
                }
                put_bytes(&mut out, buf, h.little);
            }
            b'x' => out.push(0),
            b'f' => {
                let v = a.check_number(lua, arg)? as f32;
                arg += 1;
                put_bytes(&mut out, v.to_le_bytes().to_vec(), h.little);
            }
            b'd' => {
                let v = a.check_number(lua, arg)?;
                arg += 1;
                put_bytes(&mut out, v.to_le_bytes().to_vec(), h.little);
            }
            b'c' | b's' => {
                let s = a.check_bytes(lua, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // The C code checks after moving to the next argument.
                    return Err(a.argerror(arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => controloptions(a, opt, &mut f, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(&out)?,
    )]))
}

/// `getinteger`.
fn getinteger(b: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |byte: u8| l = (l << 8) | u64::from(byte);
    if little {
        b.iter().rev().for_each(|&x| push(x));
    } else {
        b.iter().for_each(|&x| push(x));
    }
    if !signed {
        return l as f64;
    }
    // C shifts by (size*8 - 1); x86 masks the count to 6 bits.
    let mask = u64::MAX.wrapping_shl((b.len() * 8).wrapping_sub(1) as u32);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn unpack(lua: &Lua, a: &Args) -> FResult<MultiValue> {
    let fmt_bytes = a.check_bytes(lua, 1)?;
    let data = a.check_bytes(lua, 2)?;
    let ld = data.len();
    // A size_t in C: only 0 is refused; negative offsets wrap and fail the length check.
    let start = a.opt_integer(lua, 3, 1)? as usize;
    if start == 0 {
        return Err(a.argerror(3, "offset must be 1 or greater"));
    }
    let mut pos = start - 1;
    let mut f = Fmt {
        s: &fmt_bytes,
        i: 0,
    };
    let mut h = Header::default();
    let mut out: Vec<Value> = Vec::new();
    while let Some(opt) = f.next() {
        let mut size = optsize(opt, &mut f)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if pos.checked_add(size).is_none_or(|end| end > ld) {
            return Err(a.argerror(2, "data string too short"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let v = getinteger(&data[pos..pos + size], h.little, opt.is_ascii_lowercase());
                out.push(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let v = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push(Value::Number(v as f64));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let v = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push(Value::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let prev = match out.last() {
                        Some(v @ (Value::Number(_) | Value::String(_))) => {
                            lua.coerce_number(v.clone()).map_err(Fail::Lua)?
                        }
                        _ => None,
                    };
                    let Some(n) = prev else {
                        return raise("format 'c0' needs a previous size");
                    };
                    out.pop();
                    size = c_double_to_i64(n) as usize;
                    if !(size <= ld && pos <= ld - size) {
                        return Err(a.argerror(2, "data string too short"));
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return raise("unfinished string in data");
                };
                size = e + 1;
                out.push(Value::String(lua.create_string(&data[pos..pos + e])?));
            }
            _ => controloptions(a, opt, &mut f, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push(Value::Number(pos.wrapping_add(1) as f64));
    Ok(MultiValue::from_vec(out))
}

fn size(lua: &Lua, a: &Args) -> FResult<MultiValue> {
    let fmt_bytes = a.check_bytes(lua, 1)?;
    let mut f = Fmt {
        s: &fmt_bytes,
        i: 0,
    };
    let mut h = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = f.next() {
        let size = optsize(opt, &mut f)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if opt == b's' {
            return Err(a.argerror(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(a.argerror(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            controloptions(a, opt, &mut f, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(MultiValue::from_vec(vec![Value::Number(pos as f64)]))
}

pub(crate) fn open(lua: &Lua, w: &Wrap) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", w.func_exact(lua, "pack", pack)?)?;
    t.set("unpack", w.func(lua, "unpack", |lua, a| unpack(lua, &a))?)?;
    t.set("size", w.func(lua, "size", |lua, a| size(lua, &a))?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::check_all;

    #[test]
    fn struct_matches_redis() {
        check_all(CASES);
    }

    /// Expected values from `EVAL` on redis-server 7.0.15.
    #[rustfmt::skip]
    const CASES: &[(&str, &str)] = &[
        // BEGIN GENERATED CASES
            (r#"hex(struct.pack('b', -1))"#, r#"2|boolean:true|"ff""#),
            (r#"hex(struct.pack('B', 255))"#, r#"2|boolean:true|"ff""#),
            (r#"hex(struct.pack('>h', 0x1234))"#, r#"2|boolean:true|"1234""#),
            (r#"hex(struct.pack('<h', 0x1234))"#, r#"2|boolean:true|"3412""#),
            (r#"hex(struct.pack('H', 65535))"#, r#"2|boolean:true|"ffff""#),
            (r#"hex(struct.pack('>i', -2))"#, r#"2|boolean:true|"fffffffe""#),
            (r#"hex(struct.pack('I', 4294967295))"#, r#"2|boolean:true|"ffffffff""#),
            (r#"hex(struct.pack('l', -1))"#, r#"2|boolean:true|"ffffffffffffffff""#),
            (r#"hex(struct.pack('>L', 2^63))"#, r#"2|boolean:true|"8000000000000000""#),
            (r#"hex(struct.pack('L', 2^64))"#, r#"2|boolean:true|"0000000000000000""#),
            (r#"hex(struct.pack('T', 5))"#, r#"2|boolean:true|"0500000000000000""#),
            (r#"hex(struct.pack('>I3', 0x123456))"#, r#"2|boolean:true|"123456""#),
            (r#"hex(struct.pack('<i16', -1))"#, r#"2|boolean:true|"ffffffffffffffff0000000000000000""#),
            (r#"hex(struct.pack('>i16', -1))"#, r#"2|boolean:true|"0000000000000000ffffffffffffffff""#),
            (r#"hex(struct.pack('i33', 1))"#, r#"2|boolean:false|"user_script:31: integral size 33 is larger than limit of 32""#),
            (r#"hex(struct.pack('i99999999999', 1))"#, r#"2|boolean:false|"user_script:31: integral size overflow""#),
            (r#"hex(struct.pack('f', 1.5))"#, r#"2|boolean:true|"0000c03f""#),
            (r#"hex(struct.pack('>d', -0.0))"#, r#"2|boolean:true|"8000000000000000""#),
            (r#"hex(struct.pack('d', 1e-20))"#, r#"2|boolean:true|"2342920ca19cc73b""#),
            (r#"hex(struct.pack('>f', 0.1))"#, r#"2|boolean:true|"3dcccccd""#),
            (r#"hex(struct.pack('c5', 'hello world'))"#, r#"2|boolean:true|"68656c6c6f""#),
            (r#"hex(struct.pack('c0', 'hello'))"#, r#"2|boolean:true|"68656c6c6f""#),
            (r#"hex(struct.pack('c', 'hello'))"#, r#"2|boolean:true|"68""#),
            (r#"hex(struct.pack('c5', 'hi'))"#, r#"2|boolean:false|"user_script:31: bad argument #3 to 'pack' (string too short)""#),
            (r#"hex(struct.pack('s', 'hi'))"#, r#"2|boolean:true|"686900""#),
            (r#"hex(struct.pack('s', 'a\0b'))"#, r#"2|boolean:true|"61006200""#),
            (r#"hex(struct.pack('x'))"#, r#"2|boolean:true|"00""#),
            (r#"hex(struct.pack('bxh', 1, 2))"#, r#"2|boolean:true|"01000200""#),
            (r#"hex(struct.pack('!bh', 1, 2))"#, r#"2|boolean:true|"01000200""#),
            (r#"hex(struct.pack('!4 b i', 1, 2))"#, r#"2|boolean:true|"0100000002000000""#),
            (r#"hex(struct.pack('!b d', 1, 2))"#, r#"2|boolean:true|"01000000000000000000000000000040""#),
            (r#"hex(struct.pack('!2bd', 1, 2))"#, r#"2|boolean:true|"01000000000000000040""#),
            (r#"hex(struct.pack('!3b', 1))"#, r#"2|boolean:false|"user_script:31: alignment 3 is not a power of 2""#),
            (r#"hex(struct.pack('z', 1))"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'pack' (invalid format option 'z')""#),
            (r#"hex(struct.pack('>b<h', 1, 2))"#, r#"2|boolean:true|"010200""#),
            (r#"hex(struct.pack('b', 1.7))"#, r#"2|boolean:true|"01""#),
            (r#"hex(struct.pack('b', -1.7))"#, r#"2|boolean:true|"ff""#),
            (r#"hex(struct.pack('b', '12'))"#, r#"2|boolean:true|"0c""#),
            (r#"hex(struct.pack('b'))"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'pack' (number expected, got nil)""#),
            (r#"hex(struct.pack('b', 'x'))"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'pack' (number expected, got string)""#),
            (r#"hex(struct.pack('s', 1))"#, r#"2|boolean:true|"3100""#),
            (r#"hex(struct.pack('bb', 1))"#, r#"2|boolean:false|"user_script:31: bad argument #3 to 'pack' (number expected, got nil)""#),
            (r#"struct.pack()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'pack' (string expected, got no value)""#),
            (r#"struct.pack(nil)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'pack' (string expected, got nil)""#),
            (r#"struct.unpack('b', '\255')"#, r#"3|boolean:true|-1|2"#),
            (r#"struct.unpack('B', '\255')"#, r#"3|boolean:true|255|2"#),
            (r#"struct.unpack('>h', '\1\2')"#, r#"3|boolean:true|258|3"#),
            (r#"struct.unpack('<H', '\255\255')"#, r#"3|boolean:true|65535|3"#),
            (r#"struct.unpack('i', '\255\255\255\255')"#, r#"3|boolean:true|-1|5"#),
            (r#"struct.unpack('I', '\255\255\255\255')"#, r#"3|boolean:true|4294967295|5"#),
            (r#"struct.unpack('l', '\255\255\255\255\255\255\255\255')"#, r#"3|boolean:true|-1|9"#),
            (r#"struct.unpack('L', '\255\255\255\255\255\255\255\255')"#, r#"3|boolean:true|1.8446744073709552e+19|9"#),
            (r#"struct.unpack('<i3', '\255\255\255')"#, r#"3|boolean:true|-1|4"#),
            (r#"struct.unpack('>I3', '\1\2\3')"#, r#"3|boolean:true|66051|4"#),
            (r#"struct.unpack('<i16', string.rep('\255', 16))"#, r#"3|boolean:true|-1|17"#),
            (r#"struct.unpack('>I16', string.rep('\1', 16))"#, r#"3|boolean:true|72340172838076672|17"#),
            (r#"struct.unpack('f', struct.pack('f', 1.5))"#, r#"3|boolean:true|1.5|5"#),
            (r#"struct.unpack('>d', struct.pack('>d', 3.14))"#, r#"3|boolean:true|3.1400000000000001|9"#),
            (r#"struct.unpack('c3', 'abcdef')"#, r#"3|boolean:true|"abc"|4"#),
            (r#"struct.unpack('c3c2', 'abcdef')"#, r#"4|boolean:true|"abc"|"de"|6"#),
            (r#"struct.unpack('bc0', '\3abcdef')"#, r#"3|boolean:true|"abc"|5"#),
            (r#"struct.unpack('c0', 'abc')"#, r#"2|boolean:false|"user_script:31: format 'c0' needs a previous size""#),
            (r#"struct.unpack('bc0', '\9abc')"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (data string too short)""#),
            (r#"struct.unpack('s', 'ab\0cd')"#, r#"3|boolean:true|"ab"|4"#),
            (r#"struct.unpack('ss', 'ab\0cd\0')"#, r#"4|boolean:true|"ab"|"cd"|7"#),
            (r#"struct.unpack('s', 'abc')"#, r#"2|boolean:false|"user_script:31: unfinished string in data""#),
            (r#"struct.unpack('b', '')"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (data string too short)""#),
            (r#"struct.unpack('bb', '\1')"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (data string too short)""#),
            (r#"struct.unpack('b', '\1\2\3', 2)"#, r#"3|boolean:true|2|3"#),
            (r#"struct.unpack('b', '\1\2\3', 3)"#, r#"3|boolean:true|3|4"#),
            (r#"struct.unpack('b', '\1\2\3', 4)"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (data string too short)""#),
            (r#"struct.unpack('b', '\1\2\3', 0)"#, r#"2|boolean:false|"user_script:31: bad argument #3 to 'unpack' (offset must be 1 or greater)""#),
            (r#"struct.unpack('b', '\1\2\3', -1)"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (data string too short)""#),
            (r#"struct.unpack('x', 'a')"#, r#"2|boolean:true|2"#),
            (r#"struct.unpack('!bi', '\1\0\0\0\2\0\0\0')"#, r#"4|boolean:true|1|2|9"#),
            (r#"struct.unpack('z', 'a')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'unpack' (invalid format option 'z')""#),
            (r#"struct.unpack('!3b', 'a')"#, r#"2|boolean:false|"user_script:31: alignment 3 is not a power of 2""#),
            (r#"struct.unpack('b')"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'unpack' (string expected, got no value)""#),
            (r#"struct.unpack(nil, 'a')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'unpack' (string expected, got nil)""#),
            (r#"struct.unpack('i33', 'a')"#, r#"2|boolean:false|"user_script:31: integral size 33 is larger than limit of 32""#),
            (r#"struct.size('bhi')"#, r#"2|boolean:true|7"#),
            (r#"struct.size('!bhi')"#, r#"2|boolean:true|8"#),
            (r#"struct.size('!bd')"#, r#"2|boolean:true|16"#),
            (r#"struct.size('c10')"#, r#"2|boolean:true|10"#),
            (r#"struct.size('i7')"#, r#"2|boolean:true|7"#),
            (r#"struct.size('s')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'size' (option 's' has no fixed size)""#),
            (r#"struct.size('c0')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'size' (option 'c0' has no fixed size)""#),
            (r#"struct.size('z')"#, r#"2|boolean:true|0"#),
            (r#"struct.size('?')"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'size' (invalid format option '?')""#),
            (r#"struct.size('!3')"#, r#"2|boolean:false|"user_script:31: alignment 3 is not a power of 2""#),
            (r#"struct.size('bxxd')"#, r#"2|boolean:true|11"#),
            (r#"struct.size('i33')"#, r#"2|boolean:false|"user_script:31: integral size 33 is larger than limit of 32""#),
            (r#"struct.size('i2147483648')"#, r#"2|boolean:false|"user_script:31: integral size overflow""#),
            (r#"struct.size()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'size' (string expected, got no value)""#),
            (r#"struct.unpack('>I2', struct.pack('>I2', 513))"#, r#"3|boolean:true|513|3"#),
            (r#"struct.unpack('<d', struct.pack('<d', -1e300))"#, r#"3|boolean:true|-1.0000000000000001e+300|9"#),
        // END GENERATED CASES
    ];
}
