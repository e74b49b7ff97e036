//! The `bit` library (LuaBitOp 1.0.2) as Redis ships it: 32-bit bitwise operations on
//! Lua numbers. Mirrors Redis's `deps/lua/src/lua_bit.c`.
//!
//! Every argument is normalised the LuaBitOp way: add 2^52+2^51 to the double and keep
//! the low 32 bits of its representation (so 0xffffffff becomes -1, 2^32+1 becomes 1,
//! fractions round to nearest-even); results are signed 32-bit numbers.

use mlua::{Lua, MultiValue, Table, Value};

use super::{Args, FResult, Wrap};

/// `barg`: the normalised 32 bits of argument `i`.
fn barg(lua: &Lua, a: &Args, i: usize) -> FResult<u32> {
    let n = a.to_number(lua, i)?;
    let b = ((n.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() & 0xffff_ffff) as u32;
    if b == 0 && n.is_none() {
        return Err(a.typeerror(i, "number"));
    }
    Ok(b)
}

fn ret(b: u32) -> FResult<MultiValue> {
    Ok(MultiValue::from_vec(vec![Value::Number(b as i32 as f64)]))
}

fn tohex(lua: &Lua, a: &Args) -> FResult<MultiValue> {
    let mut b = barg(lua, a, 1)?;
    let mut n: i32 = if a.is_none(2) {
        8
    } else {
        barg(lua, a, 2)? as i32
    };
    let digits: &[u8; 16] = if n < 0 {
        n = n.wrapping_neg();
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    // n == i32::MIN stays negative: C would ask for a string of ~2^64 bytes and fail
    // allocating it; return the empty string instead.
    let n = n.clamp(0, 8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(&buf[..n])?,
    )]))
}

pub(crate) fn open(lua: &Lua, w: &Wrap) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "tobit",
        w.func(lua, "tobit", |lua, a| ret(barg(lua, &a, 1)?))?,
    )?;
    t.set(
        "bnot",
        w.func(lua, "bnot", |lua, a| ret(!barg(lua, &a, 1)?))?,
    )?;
    type Op = fn(u32, u32) -> u32;
    let folds: [(&'static str, Op); 3] = [
        ("band", |x, y| x & y),
        ("bor", |x, y| x | y),
        ("bxor", |x, y| x ^ y),
    ];
    for (name, op) in folds {
        t.set(
            name,
            w.func(lua, name, move |lua, a| {
                let mut b = barg(lua, &a, 1)?;
                // C folds from the last argument down to the second.
                for i in (2..=a.top()).rev() {
                    b = op(b, barg(lua, &a, i)?);
                }
                ret(b)
            })?,
        )?;
    }
    let shifts: [(&'static str, Op); 5] = [
        ("lshift", |b, n| b << n),
        ("rshift", |b, n| b >> n),
        ("arshift", |b, n| ((b as i32) >> n) as u32),
        ("rol", |b, n| b.rotate_left(n)),
        ("ror", |b, n| b.rotate_right(n)),
    ];
    for (name, op) in shifts {
        t.set(
            name,
            w.func(lua, name, move |lua, a| {
                let b = barg(lua, &a, 1)?;
                let n = barg(lua, &a, 2)? & 31;
                ret(op(b, n))
            })?,
        )?;
    }
    t.set(
        "bswap",
        w.func(lua, "bswap", |lua, a| ret(barg(lua, &a, 1)?.swap_bytes()))?,
    )?;
    t.set("tohex", w.func(lua, "tohex", |lua, a| tohex(lua, &a))?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::check_all;

    #[test]
    fn bit_matches_redis() {
        check_all(CASES);
    }

    /// Expected values from `EVAL` on redis-server 7.0.15.
    #[rustfmt::skip]
    const CASES: &[(&str, &str)] = &[
        // BEGIN GENERATED CASES
            (r#"bit.tobit(0xffffffff)"#, r#"2|boolean:true|-1"#),
            (r#"bit.tobit(0xffffffff + 1)"#, r#"2|boolean:true|0"#),
            (r#"bit.tobit(2^40 + 5)"#, r#"2|boolean:true|5"#),
            (r#"bit.tobit(-1)"#, r#"2|boolean:true|-1"#),
            (r#"bit.tobit(1.5)"#, r#"2|boolean:true|2"#),
            (r#"bit.tobit(2.5)"#, r#"2|boolean:true|2"#),
            (r#"bit.tobit(-2.5)"#, r#"2|boolean:true|-2"#),
            (r#"bit.tobit(0/0)"#, r#"2|boolean:true|0"#),
            (r#"bit.tobit(1/0)"#, r#"2|boolean:true|0"#),
            (r#"bit.tobit("12")"#, r#"2|boolean:true|12"#),
            (r#"bit.tobit("0x10")"#, r#"2|boolean:true|16"#),
            (r#"bit.tobit("abc")"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tobit' (number expected, got string)""#),
            (r#"bit.tobit()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tobit' (number expected, got no value)""#),
            (r#"bit.tobit(nil)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tobit' (number expected, got nil)""#),
            (r#"bit.tobit({})"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tobit' (number expected, got table)""#),
            (r#"bit.tobit(true)"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tobit' (number expected, got boolean)""#),
            (r#"bit.tohex(-1)"#, r#"2|boolean:true|"ffffffff""#),
            (r#"bit.tohex(255, -4)"#, r#"2|boolean:true|"00FF""#),
            (r#"bit.tohex(255, 4)"#, r#"2|boolean:true|"00ff""#),
            (r#"bit.tohex(255)"#, r#"2|boolean:true|"000000ff""#),
            (r#"bit.tohex(0x12345678, 2)"#, r#"2|boolean:true|"78""#),
            (r#"bit.tohex(0x12345678, 10)"#, r#"2|boolean:true|"12345678""#),
            (r#"bit.tohex(0x12345678, -10)"#, r#"2|boolean:true|"12345678""#),
            (r#"bit.tohex(0x12345678, 0)"#, r#"2|boolean:true|"""#),
            (r#"bit.tohex(1, nil)"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'tohex' (number expected, got nil)""#),
            (r#"bit.tohex("x")"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'tohex' (number expected, got string)""#),
            (r#"bit.bnot(0)"#, r#"2|boolean:true|-1"#),
            (r#"bit.bnot(5)"#, r#"2|boolean:true|-6"#),
            (r#"bit.band(0xff, 0x0f)"#, r#"2|boolean:true|15"#),
            (r#"bit.band(0xff)"#, r#"2|boolean:true|255"#),
            (r#"bit.band(0xff, 0x0f, 0x3)"#, r#"2|boolean:true|3"#),
            (r#"bit.band()"#, r#"2|boolean:false|"user_script:31: bad argument #1 to 'band' (number expected, got no value)""#),
            (r#"bit.band(1, "a")"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'band' (number expected, got string)""#),
            (r#"bit.bor(1, 2, 4, 8)"#, r#"2|boolean:true|15"#),
            (r#"bit.bxor(0xff, 0x0f)"#, r#"2|boolean:true|240"#),
            (r#"bit.bxor(1, 2, 3)"#, r#"2|boolean:true|0"#),
            (r#"bit.lshift(1, 31)"#, r#"2|boolean:true|-2147483648"#),
            (r#"bit.lshift(1, 32)"#, r#"2|boolean:true|1"#),
            (r#"bit.lshift(1, 33)"#, r#"2|boolean:true|2"#),
            (r#"bit.lshift(1, -1)"#, r#"2|boolean:true|-2147483648"#),
            (r#"bit.rshift(-1, 28)"#, r#"2|boolean:true|15"#),
            (r#"bit.rshift(0x80000000, 31)"#, r#"2|boolean:true|1"#),
            (r#"bit.arshift(-256, 4)"#, r#"2|boolean:true|-16"#),
            (r#"bit.arshift(0x80000000, 31)"#, r#"2|boolean:true|-1"#),
            (r#"bit.rol(0x12345678, 12)"#, r#"2|boolean:true|1164411171"#),
            (r#"bit.rol(0x12345678, 0)"#, r#"2|boolean:true|305419896"#),
            (r#"bit.ror(0x12345678, 12)"#, r#"2|boolean:true|1736516421"#),
            (r#"bit.ror(1, 1)"#, r#"2|boolean:true|-2147483648"#),
            (r#"bit.bswap(0x12345678)"#, r#"2|boolean:true|2018915346"#),
            (r#"bit.bswap(-1)"#, r#"2|boolean:true|-1"#),
            (r#"bit.lshift(1)"#, r#"2|boolean:false|"user_script:31: bad argument #2 to 'lshift' (number expected, got no value)""#),
            (r#"bit.tobit(4294967296 * 3 + 7)"#, r#"2|boolean:true|7"#),
            (r#"bit.tobit(-4294967297)"#, r#"2|boolean:true|-1"#),
            (r#"bit.tobit(1e300)"#, r#"2|boolean:true|-2013235812"#),
            (r#"bit.tobit(2^53 + 3)"#, r#"2|boolean:true|2"#),
            (r#"bit.tobit(0.49999999999999994)"#, r#"2|boolean:true|0"#),
        // END GENERATED CASES
    ];
}
