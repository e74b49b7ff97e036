//! The C libraries Redis links into its Lua interpreter (`cjson`, `cmsgpack`, `bit`,
//! `struct`), rewritten in Rust over mlua with Redis 7's behaviour: same results, same
//! byte-exact encodings, same error texts. Mirrors `deps/lua/src/lua_cjson.c`,
//! `lua_cmsgpack.c`, `lua_bit.c` and `lua_struct.c`; this file holds what they share:
//! `register`, and the plumbing that makes a Rust function behave like a Lua C function
//! (plain string errors, `luaL_check*` argument rules and messages, exact numbers).
//!
//! Why a Lua trampoline around every function: mlua raises a Rust error as a userdata
//! (`pcall` would see a `CallbackError`, not a string), while the C libraries raise plain
//! strings with `luaL_error`. Each function here returns `false, results...` on success
//! or `true, message` on failure, and a two-line Lua wrapper turns the latter into
//! `error(message, 3)`: the same string a C library would raise, including the position
//! `luaL_error` prefixes (that of the caller: `user_script:3: ...` when called from a
//! script, nothing when called from a C function such as `pcall`). The wrapper's call
//! to `check` is a tail call, so level 2 is that lost frame and level 3 the caller of the
//! library function. One difference remains: when a script tail-calls a library function
//! (`return cjson.decode(x)`), Lua drops the script's frame for the (Lua) wrapper, so the
//! error has no position where the C library would say `user_script:1: `.
//!
//! Why some functions take their arguments packed in a table: mlua turns every Lua number
//! that is within `f64::EPSILON` of an integer into `Value::Integer`, which loses `-0.0` and
//! tiny numbers such as `1e-20`. Functions that serialise numbers (`cjson.encode`,
//! `cmsgpack.pack`, `struct.pack`) get their arguments in a table so that an ambiguous `0`
//! can be read again exactly with `Table::raw_get::<f64>`.

mod bit;
mod cjson;
mod cmsgpack;
mod structlib;

use mlua::{Function, Lua, MultiValue, Table, Value};

/// Installs the global tables `cjson`, `cmsgpack`, `bit` and `struct`.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let w = Wrap::new(lua)?;
    let globals = lua.globals();
    globals.set("cjson", cjson::open(lua, &w)?)?;
    globals.set("cmsgpack", cmsgpack::open(lua, &w)?)?;
    globals.set("bit", bit::open(lua, &w)?)?;
    globals.set("struct", structlib::open(lua, &w)?)?;
    Ok(())
}

/// Lua 5.1's `LUAI_MAXCSTACK`: how many stack slots one C function may use. The C
/// libraries fail with their "too deep" errors when `lua_checkstack` hits it; the
/// rewrites count the slots the C code would hold to fail at the same point.
pub(crate) const LUAI_MAXCSTACK: usize = 8000;

/// A hard ceiling on table nesting for the rewrites, whatever the configuration says:
/// they recurse (about 1 KB of native stack per level in a debug build) and each level
/// holds a few mlua references (mlua has about 8000 in all under Lua 5.1). It equals
/// cjson's default `encode_max_depth`/`decode_max_depth`; the C libraries go deeper only
/// after a script raises those, or for cmsgpack.unpack (about 4000 levels).
pub(crate) const HARD_MAX_DEPTH: usize = 1000;

/// Why a library function stopped.
pub(crate) enum Fail {
    /// A Lua error whose value is this string (what `luaL_error` raises), prefixed with
    /// the caller's position.
    Raise(String),
    /// A Lua error raised by the VM on the C function's behalf (`luaG_runerror`, e.g.
    /// "table index is nil"): no position prefix.
    Bare(String),
    /// An error from mlua itself (out of memory and the like), passed on as is.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Self {
        Fail::Lua(e)
    }
}

pub(crate) type FResult<T> = Result<T, Fail>;

pub(crate) fn raise<T>(msg: impl Into<String>) -> FResult<T> {
    Err(Fail::Raise(msg.into()))
}

/// Builds Lua-visible functions from Rust ones through the trampolines described above.
#[derive(Clone)]
pub(crate) struct Wrap {
    plain: Function,
    packed: Function,
}

const TRAMPOLINES: &str = r#"
local error, select = error, select
local function check(failed, ...)
  if failed then
    local msg, bare = ...
    error(msg, bare and 0 or 3)
  end
  return ...
end
local function plain(impl)
  return function(...) return check(impl(...)) end
end
local function packed(impl)
  return function(...) return check(impl(select('#', ...), {...})) end
end
return plain, packed
"#;

impl Wrap {
    fn new(lua: &Lua) -> mlua::Result<Self> {
        let (plain, packed) = lua
            .load(TRAMPOLINES)
            .set_name("=redis_libs")
            .eval::<(Function, Function)>()?;
        Ok(Wrap { plain, packed })
    }

    /// A function whose arguments arrive as mlua converted them (use when numbers are
    /// only read as numbers to compute with, never serialised exactly).
    pub(crate) fn func<F>(&self, lua: &Lua, name: &'static str, f: F) -> mlua::Result<Function>
    where
        F: Fn(&Lua, Args) -> FResult<MultiValue> + Send + 'static,
    {
        let imp = lua.create_function(move |lua, mv: MultiValue| {
            let vals: Vec<Value> = mv.into_iter().map(normalise).collect();
            finish(lua, f(lua, Args { vals, name }))
        })?;
        self.plain.call::<Function>(imp)
    }

    /// A function whose numeric arguments are read exactly (see the module docs).
    pub(crate) fn func_exact<F>(
        &self,
        lua: &Lua,
        name: &'static str,
        f: F,
    ) -> mlua::Result<Function>
    where
        F: Fn(&Lua, Args) -> FResult<MultiValue> + Send + 'static,
    {
        let imp = lua.create_function(move |lua, (n, t): (usize, Table)| {
            let mut vals = Vec::with_capacity(n);
            for i in 1..=n {
                let v: Value = t.raw_get(i)?;
                vals.push(exact_value(&t, &Value::Integer(i as i64), v)?);
            }
            finish(lua, f(lua, Args { vals, name }))
        })?;
        self.packed.call::<Function>(imp)
    }
}

fn finish(lua: &Lua, r: FResult<MultiValue>) -> mlua::Result<MultiValue> {
    match r {
        Ok(mut mv) => {
            mv.push_front(Value::Boolean(false));
            Ok(mv)
        }
        Err(Fail::Raise(msg)) => {
            let mut mv = MultiValue::with_capacity(2);
            mv.push_back(Value::Boolean(true));
            mv.push_back(Value::String(lua.create_string(msg)?));
            Ok(mv)
        }
        Err(Fail::Bare(msg)) => {
            let mut mv = MultiValue::with_capacity(3);
            mv.push_back(Value::Boolean(true));
            mv.push_back(Value::String(lua.create_string(msg)?));
            mv.push_back(Value::Boolean(true));
            Ok(mv)
        }
        Err(Fail::Lua(e)) => Err(e),
    }
}

/// Every Lua 5.1 number is a double; keep them all as `Value::Number`.
fn normalise(v: Value) -> Value {
    match v {
        Value::Integer(i) => Value::Number(i as f64),
        v => v,
    }
}

/// `v` read from `t[k]`, with its number made exact: mlua reports `-0.0` and numbers
/// smaller than `f64::EPSILON` as `Integer(0)`; read those again as `f64`.
pub(crate) fn exact_value(t: &Table, k: &Value, v: Value) -> mlua::Result<Value> {
    Ok(match v {
        Value::Integer(0) => Value::Number(t.raw_get::<f64>(k.clone()).unwrap_or(0.0)),
        Value::Integer(i) => Value::Number(i as f64),
        v => v,
    })
}

/// The number in a value that is a Lua number (`lua_type == LUA_TNUMBER`).
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Lua 5.1's `lua_typename` for a value.
pub(crate) fn typename(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// C's `(long)d` on x86-64: truncation, and the "integer indefinite" value
/// (`i64::MIN`) for NaN and anything out of range.
pub(crate) fn c_double_to_i64(d: f64) -> i64 {
    if d.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(int)d` on x86-64 (see [`c_double_to_i64`]).
pub(crate) fn c_double_to_i32(d: f64) -> i32 {
    if d.is_nan() || d >= 2_147_483_648.0 || d <= -2_147_483_649.0 {
        i32::MIN
    } else {
        d as i32
    }
}

/// The arguments of one call, numbers as `Value::Number`, with `luaL_check*` helpers that
/// fail with the messages `lauxlib` produces.
pub(crate) struct Args {
    vals: Vec<Value>,
    name: &'static str,
}

impl Args {
    /// `lua_gettop`.
    pub(crate) fn top(&self) -> usize {
        self.vals.len()
    }

    /// Argument `i` (1-based); `Nil` when absent.
    pub(crate) fn get(&self, i: usize) -> &Value {
        self.vals.get(i.wrapping_sub(1)).unwrap_or(&Value::Nil)
    }

    pub(crate) fn is_none(&self, i: usize) -> bool {
        i == 0 || i > self.vals.len()
    }

    pub(crate) fn is_none_or_nil(&self, i: usize) -> bool {
        self.is_none(i) || matches!(self.get(i), Value::Nil)
    }

    /// `luaL_typename`.
    pub(crate) fn typename(&self, i: usize) -> &'static str {
        if self.is_none(i) {
            "no value"
        } else {
            typename(self.get(i))
        }
    }

    /// `luaL_argerror`.
    pub(crate) fn argerror(&self, i: usize, msg: &str) -> Fail {
        Fail::Raise(format!("bad argument #{i} to '{}' ({msg})", self.name))
    }

    /// `luaL_typerror`.
    pub(crate) fn typeerror(&self, i: usize, tname: &str) -> Fail {
        self.argerror(i, &format!("{tname} expected, got {}", self.typename(i)))
    }

    /// `lua_tonumber`: numbers, and strings Lua can convert.
    pub(crate) fn to_number(&self, lua: &Lua, i: usize) -> FResult<Option<f64>> {
        Ok(match self.get(i) {
            Value::Number(n) => Some(*n),
            Value::Integer(n) => Some(*n as f64),
            Value::String(s) => lua.coerce_number(Value::String(s.clone()))?,
            _ => None,
        })
    }

    /// `luaL_checknumber`.
    pub(crate) fn check_number(&self, lua: &Lua, i: usize) -> FResult<f64> {
        match self.to_number(lua, i)? {
            Some(n) => Ok(n),
            None => Err(self.typeerror(i, "number")),
        }
    }

    /// `luaL_checkinteger` (64-bit `lua_Integer`).
    pub(crate) fn check_integer(&self, lua: &Lua, i: usize) -> FResult<i64> {
        Ok(c_double_to_i64(self.check_number(lua, i)?))
    }

    /// `luaL_optinteger`.
    pub(crate) fn opt_integer(&self, lua: &Lua, i: usize, def: i64) -> FResult<i64> {
        if self.is_none_or_nil(i) {
            Ok(def)
        } else {
            self.check_integer(lua, i)
        }
    }

    /// `luaL_checklstring`: strings, and numbers converted as Lua does (`%.14g`).
    pub(crate) fn check_bytes(&self, lua: &Lua, i: usize) -> FResult<Vec<u8>> {
        match self.get(i) {
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            v @ (Value::Number(_) | Value::Integer(_)) => match lua.coerce_string(v.clone())? {
                Some(s) => Ok(s.as_bytes().to_vec()),
                None => Err(self.typeerror(i, "string")),
            },
            _ => Err(self.typeerror(i, "string")),
        }
    }
}

/// C's `printf("%.*g", prec, x)` as glibc prints it.
pub(crate) fn fmt_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = prec.max(1);
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let a = x.abs();
    if a == 0.0 {
        return format!("{sign}0");
    }
    // Round to p significant digits first: the exponent decides the style.
    let e_repr = format!("{:.*e}", p - 1, a);
    let (mant, exp) = match e_repr.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (e_repr.clone(), 0),
    };
    if exp < -4 || exp >= p as i32 {
        let mant = strip_zeros(&mant);
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let fixed = format!("{:.*}", decimals, a);
        format!("{sign}{}", strip_zeros(&fixed))
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Runs Lua expressions on a fresh state with the libraries registered. The expected
    //! strings in the test tables were produced by running the same expressions, with the
    //! same prelude, through `EVAL` on Debian's redis-server 7.0.15.

    /// Helpers every case may use: `hex(s)`, and `show(...)` which renders values
    /// deterministically (tables with sorted keys, numbers with `%.17g`).
    pub(crate) const PRELUDE: &str = r#"
local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end
local function esc(s) return (string.gsub(s, '[^%w%p ]', function(c) return string.format('\\x%02x', string.byte(c)) end)) end
local dump
local function key(k) if type(k) == 'string' then return 's:'..esc(k) end return dump(k) end
dump = function(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == 'string' then return '"'..esc(v)..'"'
  elseif t == 'number' then return string.format('%.17g', v)
  elseif t == 'table' then
    if depth > 20 then return '{...}' end
    local ks = {}
    for k in pairs(v) do ks[#ks+1] = k end
    table.sort(ks, function(a, b) return key(a) < key(b) end)
    local o = {}
    for _, k in ipairs(ks) do o[#o+1] = key(k)..'='..dump(v[k], depth + 1) end
    return '{'..table.concat(o, ',')..'}'
  elseif t == 'userdata' then return 'ud:'..tostring(v)
  else return t..(t == 'boolean' and (':'..tostring(v)) or '') end
end
local function pass(...) return ... end
local function show(...)
  local n = select('#', ...)
  local a = {...}
  local o = {}
  for i = 1, n do o[i] = dump(a[i]) end
  return n..'|'..table.concat(o, '|')
end
"#;

    /// The chunk for one case: the prelude, then `show(pcall(...))` of a function running
    /// `EXPR` in a non-tail position (see the module docs on tail calls).
    pub(crate) fn chunk(expr: &str) -> String {
        format!("{PRELUDE}\nreturn show(pcall(function() return pass({expr}) end))")
    }

    /// Evaluates one case on a fresh state.
    pub(crate) fn run(expr: &str) -> String {
        let lua = mlua::Lua::new();
        super::register(&lua).expect("register");
        match lua
            .load(chunk(expr))
            .set_name("@user_script")
            .eval::<mlua::String>()
        {
            Ok(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Err(e) => format!("<rust error: {e}>"),
        }
    }

    /// Runs every `(expr, expected)` pair and reports all mismatches at once.
    pub(crate) fn check_all(cases: &[(&str, &str)]) {
        let mut bad = Vec::new();
        for (expr, want) in cases {
            let got = run(expr);
            if got != *want {
                bad.push(format!("expr: {expr}\n want: {want}\n  got: {got}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} mismatches:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_g_matches_printf() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100.0, "100"),
            (1e14, "1e+14"),
            (123456789012345.0, "1.2345678901234e+14"),
            (12345678901234.0, "12345678901234"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e100, "1e+100"),
            (1.0 / 3.0, "0.33333333333333"),
            (-2.5e-7, "-2.5e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::MAX, "1.7976931348623e+308"),
            (99999999999999.5, "1e+14"),
        ];
        for (x, want) in cases {
            assert_eq!(fmt_g(*x, 14), *want, "{x}");
        }
        assert_eq!(fmt_g(1.23456, 3), "1.23");
        assert_eq!(fmt_g(1234.0, 1), "1e+03");
    }

    #[test]
    fn registers_four_tables() {
        let got = testutil::run("type(cjson)..type(cmsgpack)..type(bit)..type(struct)");
        assert_eq!(got, "2|boolean:true|\"tabletabletabletable\"");
    }

    #[test]
    fn errors_are_plain_strings() {
        let got = testutil::run("select(2, pcall(cjson.decode, '{'))");
        assert_eq!(
            got,
            "2|boolean:true|\"Expected object key string but found T_END at character 2\""
        );
    }
}
