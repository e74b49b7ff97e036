//! Conversions between Redis replies and Lua values, as Redis's `script_lua.c` does
//! them: a command's reply (RESP2 or RESP3, per `redis.setresp`) becomes a Lua value
//! for `redis.call`; the script's result becomes the client's reply; Lua arguments
//! become command arguments.

use mlua::{Lua, Table, Value};
use redraft_resp::Reply;

/// Nesting beyond this in a script's result is answered as Redis answers a Lua stack
/// overflow (and keeps a self-referencing table from recursing forever).
const MAX_DEPTH: usize = 200;

/// The text of a number as Redis passes it to a command (`%.17g`, the engine's
/// formatter; a NaN keeps its sign as C's printf shows it).
pub fn fmt_g17(x: f64) -> String {
    if x.is_nan() && x.is_sign_negative() {
        return "-nan".into();
    }
    redraft_engine::commands::zset::format_17g(x)
}

/// One Lua argument of `redis.call` as a command argument: strings as they are,
/// numbers as `%.17g`; anything else is refused (None).
pub fn arg_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        // Below 10^17 `%.17g` of an integer is its decimal digits.
        Value::Integer(i) if i.unsigned_abs() < 100_000_000_000_000_000 => {
            Some(i.to_string().into_bytes())
        }
        Value::Integer(i) => Some(fmt_g17(*i as f64).into_bytes()),
        Value::Number(n) => Some(fmt_g17(*n).into_bytes()),
        _ => None,
    }
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let rel = buf.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    buf.get(start..start + rel)
}

fn num(b: &[u8]) -> i64 {
    redraft_resp::parse_i64(b).unwrap_or(0)
}

fn single(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

/// Parses one reply at `pos` into the Lua value Redis gives scripts. The second value
/// is true for an error reply.
pub fn reply_to_lua(lua: &Lua, buf: &[u8], pos: &mut usize) -> mlua::Result<(Value, bool)> {
    let Some(&kind) = buf.get(*pos) else {
        return Ok((Value::Nil, false));
    };
    *pos += 1;
    let text = line(buf, pos).unwrap_or_default();
    let v = match kind {
        b'+' => single(lua, "ok", lua.create_string(text)?)?,
        b'-' => return Ok((single(lua, "err", lua.create_string(text)?)?, true)),
        b':' => Value::Integer(num(text)),
        b'$' | b'=' => {
            let n = num(text);
            if n < 0 {
                Value::Boolean(false)
            } else {
                let start = *pos;
                let end = (start + n as usize).min(buf.len());
                *pos = end + 2;
                let data = &buf[start..end];
                if kind == b'=' {
                    let (fmt, s) = if data.len() >= 4 {
                        (&data[..3], &data[4..])
                    } else {
                        (&b""[..], data)
                    };
                    let t = lua.create_table()?;
                    t.raw_set("format", lua.create_string(fmt)?)?;
                    t.raw_set("string", lua.create_string(s)?)?;
                    single(lua, "verbatim_string", t)?
                } else {
                    Value::String(lua.create_string(data)?)
                }
            }
        }
        b'*' | b'>' => {
            let n = num(text);
            if n < 0 {
                Value::Boolean(false)
            } else {
                let t = lua.create_table_with_capacity(n as usize, 0)?;
                for i in 1..=n {
                    let (v, _) = reply_to_lua(lua, buf, pos)?;
                    t.raw_set(i, v)?;
                }
                Value::Table(t)
            }
        }
        b'%' => {
            let t = lua.create_table()?;
            for _ in 0..num(text) {
                let (k, _) = reply_to_lua(lua, buf, pos)?;
                let (v, _) = reply_to_lua(lua, buf, pos)?;
                if k != Value::Nil {
                    t.raw_set(k, v)?;
                }
            }
            single(lua, "map", t)?
        }
        b'~' => {
            let t = lua.create_table()?;
            for _ in 0..num(text) {
                let (k, _) = reply_to_lua(lua, buf, pos)?;
                if k != Value::Nil {
                    t.raw_set(k, true)?;
                }
            }
            single(lua, "set", t)?
        }
        b',' => {
            let s = std::str::from_utf8(text).unwrap_or("0");
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => s.parse().unwrap_or(0.0),
            };
            single(lua, "double", d)?
        }
        b'#' => Value::Boolean(text == b"t"),
        b'_' => Value::Nil,
        b'(' => single(lua, "big_number", lua.create_string(text)?)?,
        b'|' => {
            // Attributes carry no value for the script: skip them and read what follows.
            for _ in 0..num(text) * 2 {
                reply_to_lua(lua, buf, pos)?;
            }
            return reply_to_lua(lua, buf, pos);
        }
        _ => Value::Nil,
    };
    Ok((v, false))
}

/// Text of a status or error with CR and LF turned into spaces, as Redis does.
fn clean(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

fn str_field(t: &Table, key: &str) -> Option<mlua::String> {
    match t.raw_get::<Value>(key) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Writes a script's result as the client's reply (`luaReplyToRedisReply`).
/// `script_resp3` is the protocol the script chose with `redis.setresp`: it decides
/// how booleans are answered.
pub fn lua_to_reply(v: &Value, reply: &mut Reply, script_resp3: bool) {
    write_value(v, reply, script_resp3, 0)
}

fn write_value(v: &Value, reply: &mut Reply, resp3: bool, depth: usize) {
    if depth > MAX_DEPTH {
        reply.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => reply.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if resp3 {
                reply.bool(*b)
            } else if *b {
                reply.int(1)
            } else {
                reply.null()
            }
        }
        Value::Integer(i) => reply.int(*i),
        Value::Number(n) => reply.int(truncate(*n)),
        Value::Table(t) => write_table(t, reply, resp3, depth),
        _ => reply.null(),
    }
}

/// C's `(long long)` conversion of a double, saturating instead of undefined.
fn truncate(n: f64) -> i64 {
    if n.is_nan() {
        i64::MIN
    } else {
        n as i64
    }
}

fn write_table(t: &Table, reply: &mut Reply, resp3: bool, depth: usize) {
    if let Some(e) = str_field(t, "err") {
        reply.error(&clean(&e.as_bytes()));
        return;
    }
    if let Some(ok) = str_field(t, "ok") {
        reply.simple(&clean(&ok.as_bytes()));
        return;
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => return reply.double(d),
        Ok(Value::Integer(i)) => return reply.double(i as f64),
        _ => {}
    }
    if let Some(b) = str_field(t, "big_number") {
        let text = clean(&b.as_bytes());
        if reply.resp3() {
            reply.raw(format!("({text}\r\n").as_bytes());
        } else {
            reply.bulk(text.as_bytes());
        }
        return;
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(|p| p.ok()).collect();
        reply.map(pairs.len());
        for (k, v) in &pairs {
            write_value(k, reply, resp3, depth + 1);
            write_value(v, reply, resp3, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|p| p.0))
            .collect();
        reply.set(keys.len());
        for k in &keys {
            write_value(k, reply, resp3, depth + 1);
        }
        return;
    }
    if let Ok(Value::Table(vs)) = t.raw_get::<Value>("verbatim_string") {
        if let (Some(fmt), Some(s)) = (str_field(&vs, "format"), str_field(&vs, "string")) {
            let s = s.as_bytes();
            if reply.resp3() {
                let fmt = fmt.as_bytes();
                let mut head = format!("={}\r\n", s.len() + 4).into_bytes();
                head.extend_from_slice(&fmt[..fmt.len().min(3)]);
                head.push(b':');
                head.extend_from_slice(&s);
                head.extend_from_slice(b"\r\n");
                reply.raw(&head);
            } else {
                reply.bulk(&s);
            }
            return;
        }
    }
    let mut items = vec![];
    let mut i = 1;
    while let Ok(v) = t.raw_get::<Value>(i) {
        if v == Value::Nil {
            break;
        }
        items.push(v);
        i += 1;
    }
    reply.array(items.len());
    for v in &items {
        write_value(v, reply, resp3, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_c() {
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1e17), "1e+17");
        assert_eq!(fmt_g17(123456789012.0), "123456789012");
        assert_eq!(fmt_g17(-0.0), "-0");
        assert_eq!(fmt_g17(f64::INFINITY), "inf");
        assert_eq!(fmt_g17(0.0001), "0.0001");
        assert_eq!(fmt_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(fmt_g17(3.0), "3");
        assert_eq!(fmt_g17(-2.5e-7), "-2.4999999999999999e-07");
    }

    #[test]
    fn replies_become_lua_values() {
        let lua = Lua::new();
        let buf = b"*3\r\n:1\r\n$-1\r\n+OK\r\n";
        let mut pos = 0;
        let (v, err) = reply_to_lua(&lua, buf, &mut pos).unwrap();
        assert!(!err);
        let t = v.as_table().unwrap();
        assert_eq!(t.raw_get::<i64>(1).unwrap(), 1);
        assert_eq!(t.raw_get::<Value>(2).unwrap(), Value::Boolean(false));
        let ok: Table = t.raw_get(3).unwrap();
        assert_eq!(ok.raw_get::<String>("ok").unwrap(), "OK");
        assert_eq!(pos, buf.len());
    }
}
