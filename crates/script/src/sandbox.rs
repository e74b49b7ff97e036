//! The Lua state scripts run in, set up as Redis 7.0 sets up its own: the base
//! library without `print`, `dofile`, `loadfile`, `getfenv`/`setfenv`; `string`,
//! `table`, `math`, `cjson`, `cmsgpack`, `bit`, `struct` and the `redis` table; globals
//! and library tables read-only ("Attempt to modify a readonly table"), unknown
//! globals an error ("Script attempted to access nonexistent global variable"), and
//! `pcall` unwrapping Redis error tables as Redis's own `pcall` does.
//!
//! Read-only tables are proxies (Lua 5.1 has no read-only flag): the real globals
//! table is emptied and given a metatable whose `__index` is the table holding the
//! globals, so code loaded by `loadstring` sees the same protected environment.

use crate::{RedisError, ScriptWatch};
use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Table, Value, VmState};
use redraft_engine::Rng;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The version scripts see (`redis.REDIS_VERSION`), the one INFO reports.
pub const REDIS_VERSION: &str = "7.2.4";
const REDIS_VERSION_NUM: i64 = 0x07_02_04;

/// Instructions between two checks for `SCRIPT KILL`.
const HOOK_EVERY: u32 = 10_000;

/// Per-run state the library functions share with the host (atomics: the functions
/// must be `Send`, and reading them costs less than mlua's app data).
pub struct RunState {
    /// `redis.setresp(3)` was called.
    pub resp3: AtomicBool,
    /// `math.random`'s generator, seeded from the entry's seed for each run.
    pub rng: Mutex<Rng>,
    /// Address of the running script's `call::CallCtx`; 0 when no script runs.
    pub ctx: AtomicUsize,
}

impl RunState {
    pub fn resp3(&self) -> bool {
        self.resp3.load(Ordering::Relaxed)
    }

    pub fn reseed(&self, seed: u64) {
        match self.rng.lock() {
            Ok(mut g) => *g = Rng::new(seed),
            Err(p) => *p.into_inner() = Rng::new(seed),
        }
    }

    fn next_f64(&self) -> f64 {
        match self.rng.lock() {
            Ok(mut g) => g.next_f64(),
            Err(p) => p.into_inner().next_f64(),
        }
    }
}

pub struct Sandbox {
    pub lua: Lua,
    pub run: Arc<RunState>,
    /// Where the globals live (`KEYS`, `ARGV` are set here for each run).
    pub backing: Table,
    /// The real `redis` table: each run sets its `call` and `pcall` there.
    pub redis: Table,
    pub xpcall: Function,
    pub handler: Function,
}

const BOOTSTRAP: &str = r#"
local G, backing, errmsg, libs, protected, guarded_rawset, guarded_setmetatable = ...
local type, rawget, error, tostring, pairs = type, rawget, error, tostring, pairs
local real_pcall, real_setmetatable = pcall, setmetatable
local function readonly() error("Attempt to modify a readonly table", 2) end
local hidden = {}

for _, name in ipairs({"assert", "collectgarbage", "error", "gcinfo", "getmetatable",
    "ipairs", "load", "loadstring", "next", "pairs", "rawequal", "rawget", "select",
    "tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION"}) do
  backing[name] = G[name]
end

local function fix(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == "table" then
    local m = rawget(e, "err")
    if type(m) == "string" or type(m) == "number" then return false, m end
  elseif type(e) == "userdata" then
    return false, errmsg(e)
  end
  return false, e
end
backing.pcall = function(...) return fix(real_pcall(...)) end
backing.rawset = guarded_rawset
backing.setmetatable = guarded_setmetatable

local real_of = {}
for name, real in pairs(libs) do
  local proxy = real_setmetatable({}, {__index = real, __newindex = readonly, __metatable = hidden})
  protected[proxy] = true
  real_of[proxy] = real
  backing[name] = proxy
end
local real_next = next
-- Iterating a read-only table iterates what it shows.
backing.pairs = function(t)
  local r = real_of[t]
  if r ~= nil then return real_next, r, nil end
  return pairs(t)
end
backing.next = function(t, k)
  local r = real_of[t]
  if r ~= nil then return real_next(r, k) end
  return real_next(t, k)
end

local names = {}
for k in pairs(G) do names[#names + 1] = k end
for _, k in ipairs(names) do G[k] = nil end
backing._G = G
real_of[G] = backing
real_setmetatable(backing, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
real_setmetatable(G, {__index = backing, __newindex = readonly, __metatable = hidden})
protected[G] = true
"#;

pub fn redis_error(msg: &str) -> mlua::Error {
    mlua::Error::external(RedisError(msg.to_string()))
}

/// Installs the static functions and constants of the `redis` table.
fn redis_table(lua: &Lua, run: &Arc<RunState>) -> mlua::Result<Table> {
    let r = lua.create_table()?;
    r.set(
        "sha1hex",
        lua.create_function(|_, args: mlua::Variadic<Value>| {
            if args.len() != 1 {
                return Err(redis_error("ERR wrong number of arguments"));
            }
            let data = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                v @ (Value::Integer(_) | Value::Number(_)) => {
                    crate::convert::arg_bytes(v).unwrap_or_default()
                }
                _ => vec![],
            };
            Ok(crate::sha1_hex(&data))
        })?,
    )?;
    r.set(
        "error_reply",
        lua.create_function(|lua, args: mlua::Variadic<Value>| {
            let Some(Value::String(s)) = args.first().filter(|_| args.len() == 1) else {
                let t = lua.create_table()?;
                t.set("err", "ERR wrong number or type of arguments")?;
                return Ok(t);
            };
            let s = s.to_string_lossy();
            let msg = match s.strip_prefix('-') {
                Some(rest) => match rest.split_once(' ') {
                    Some((code, m)) => format!("{code} {m}"),
                    None => format!("ERR {rest}"),
                },
                None => match s.split_once(' ') {
                    Some((code, m)) => format!("{code} {m}"),
                    None => format!("ERR {s}"),
                },
            };
            let t = lua.create_table()?;
            t.set("err", msg.trim_end_matches(['\r', '\n']))?;
            Ok(t)
        })?,
    )?;
    r.set(
        "status_reply",
        lua.create_function(|lua, args: mlua::Variadic<Value>| {
            let t = lua.create_table()?;
            let Some(Value::String(s)) = args.first().filter(|_| args.len() == 1) else {
                t.set("err", "ERR wrong number or type of arguments")?;
                return Ok(t);
            };
            t.set("ok", s.clone())?;
            Ok(t)
        })?,
    )?;
    r.set(
        "log",
        lua.create_function(|_, args: mlua::Variadic<Value>| {
            if args.len() < 2 {
                return Err(redis_error(
                    "ERR redis.log() requires two arguments or more.",
                ));
            }
            let level = match &args[0] {
                Value::Integer(i) => *i,
                Value::Number(n) => *n as i64,
                _ => {
                    return Err(redis_error(
                        "ERR First argument must be a number (log level).",
                    ))
                }
            };
            if !(0..=3).contains(&level) {
                return Err(redis_error("ERR Invalid debug level."));
            }
            let msg: Vec<String> = args[1..]
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.to_string_lossy(),
                    v => crate::convert::arg_bytes(v)
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default(),
                })
                .collect();
            let msg = msg.join(" ");
            match level {
                0 | 1 => tracing::debug!(target: "script", "{msg}"),
                2 => tracing::info!(target: "script", "{msg}"),
                _ => tracing::warn!(target: "script", "{msg}"),
            }
            Ok(())
        })?,
    )?;
    let run = run.clone();
    r.set(
        "setresp",
        lua.create_function(move |_, args: mlua::Variadic<Value>| {
            if args.len() != 1 {
                return Err(redis_error("ERR redis.setresp() requires one argument."));
            }
            let v = match &args[0] {
                Value::Integer(i) => *i,
                Value::Number(n) => *n as i64,
                _ => 0,
            };
            if v != 2 && v != 3 {
                return Err(redis_error("ERR RESP version must be 2 or 3."));
            }
            run.resp3.store(v == 3, Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    r.set(
        "set_repl",
        lua.create_function(|_, args: mlua::Variadic<Value>| {
            if args.len() != 1 {
                return Err(redis_error("ERR redis.set_repl() requires one argument."));
            }
            match &args[0] {
                Value::Integer(0..=3) => Ok(()),
                _ => Err(redis_error(
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                )),
            }
        })?,
    )?;
    r.set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    r.set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    r.set(
        "debug",
        lua.create_function(|_, _: mlua::Variadic<Value>| Ok(()))?,
    )?;
    r.set(
        "acl_check_cmd",
        lua.create_function(|_, args: mlua::Variadic<Value>| {
            let Some(Value::String(name)) = args.first() else {
                return Err(redis_error(
                    "ERR Please specify at least one argument for this redis lib call",
                ));
            };
            if redraft_engine::commands::lookup(&name.as_bytes()).is_none()
                && !crate::call::SERVER_COMMANDS
                    .contains(&name.to_string_lossy().to_lowercase().as_str())
            {
                return Err(redis_error(
                    "ERR Invalid command passed to redis.acl_check_cmd()",
                ));
            }
            Ok(true)
        })?,
    )?;
    for (k, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        r.set(k, v)?;
    }
    r.set("REDIS_VERSION", REDIS_VERSION)?;
    r.set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    Ok(r)
}

/// `math.random` and `math.randomseed` over the run's generator (Lua 5.1's rules).
fn install_random(lua: &Lua, math: &Table, run: &Arc<RunState>) -> mlua::Result<()> {
    let r1 = run.clone();
    math.set(
        "random",
        lua.create_function(move |_, args: mlua::Variadic<f64>| {
            let r = r1.next_f64();
            match args.len() {
                0 => Ok(Value::Number(r)),
                1 => {
                    let u = args[0].floor();
                    if u < 1.0 {
                        return Err(mlua::Error::runtime(
                            "bad argument #1 to 'random' (interval is empty)",
                        ));
                    }
                    Ok(Value::Number((r * u).floor() + 1.0))
                }
                2 => {
                    let (l, u) = (args[0].floor(), args[1].floor());
                    if l > u {
                        return Err(mlua::Error::runtime(
                            "bad argument #2 to 'random' (interval is empty)",
                        ));
                    }
                    Ok(Value::Number((r * (u - l + 1.0)).floor() + l))
                }
                _ => Err(mlua::Error::runtime("wrong number of arguments")),
            }
        })?,
    )?;
    let run = run.clone();
    math.set(
        "randomseed",
        lua.create_function(move |_, seed: f64| {
            run.reseed(seed as i64 as u64);
            Ok(())
        })?,
    )?;
    Ok(())
}

/// The script's view of an error raised while it ran (the `xpcall` message handler):
/// a table `{err=..., source=..., line=...}` as Redis's `__redis__err__handler` builds.
fn handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let mut frame = None;
    for level in 1..64 {
        let Some(d) = lua.inspect_stack(level) else {
            break;
        };
        let s = d.source();
        if s.what == "C" {
            continue;
        }
        let source = s.source.map(|c| c.into_owned()).unwrap_or_default();
        // Frames of this crate's own Lua glue are not the script's.
        if source.starts_with('=') {
            continue;
        }
        frame = Some((source, d.curr_line()));
        break;
    }
    let where_ = |frame: &Option<(String, i32)>| match frame {
        Some((src, line)) => format!("{}:{line}: ", src.strip_prefix('@').unwrap_or(src)),
        None => String::new(),
    };
    let t = match err {
        Value::Table(t) => t,
        other => {
            let msg = match &other {
                Value::String(s) => format!("ERR {}", s.to_string_lossy()),
                Value::Error(e) => match crate::redis_error_text(e) {
                    Some(m) => m,
                    None => format!("ERR {}{}", where_(&frame), crate::error_text(e)),
                },
                Value::Nil => "ERR nil".into(),
                Value::Boolean(b) => format!("ERR {b}"),
                v => format!("ERR {}", v.type_name()),
            };
            let t = lua.create_table()?;
            t.raw_set("err", msg)?;
            t
        }
    };
    if let Some((src, line)) = frame {
        t.raw_set("source", src)?;
        t.raw_set("line", line)?;
    }
    Ok(t)
}

impl Sandbox {
    pub fn new(watch: Arc<ScriptWatch>) -> mlua::Result<Sandbox> {
        let lua = Lua::new_with(
            StdLib::STRING | StdLib::TABLE | StdLib::MATH,
            LuaOptions::default(),
        )?;
        let g = lua.globals();
        crate::libs::register(&lua)?;
        let libs = lua.create_table()?;
        for name in [
            "string",
            "table",
            "math",
            "coroutine",
            "bit",
            "struct",
            "cjson",
            "cmsgpack",
        ] {
            if let Ok(Value::Table(t)) = g.raw_get::<Value>(name) {
                libs.raw_set(name, t)?;
            }
        }
        let math: Table = g.raw_get("math")?;
        let run = Arc::new(RunState {
            resp3: AtomicBool::new(false),
            rng: Mutex::new(Rng::new(0)),
            ctx: AtomicUsize::new(0),
        });
        install_random(&lua, &math, &run)?;
        let redis = redis_table(&lua, &run)?;
        crate::call::register(&lua, &redis, &run)?;
        libs.raw_set("redis", redis.clone())?;
        let backing = lua.create_table()?;
        let xpcall: Function = g.raw_get("xpcall")?;
        // `rawset` and `setmetatable` refuse the read-only tables. They are Rust (C)
        // functions, as Redis's are, so a tail call to them keeps the script's frame for
        // the error's position.
        let protected = lua.create_table()?;
        let p = protected.clone();
        let rawset = lua.create_function(move |_, (t, k, v): (Table, Value, Value)| {
            if p.raw_get::<bool>(t.clone()).unwrap_or(false) {
                return Err(redis_error("ERR Attempt to modify a readonly table"));
            }
            t.raw_set(k, v.clone())?;
            Ok(t)
        })?;
        let p = protected.clone();
        let real_setmetatable: Function = g.raw_get("setmetatable")?;
        let setmetatable = lua.create_function(move |_, args: mlua::MultiValue| {
            if let Some(Value::Table(t)) = args.front() {
                if p.raw_get::<bool>(t.clone()).unwrap_or(false) {
                    return Err(redis_error("ERR Attempt to modify a readonly table"));
                }
            }
            real_setmetatable.call::<mlua::MultiValue>(args)
        })?;
        let errmsg = lua.create_function(|_, e: Value| {
            Ok(match &e {
                Value::Error(e) => {
                    crate::redis_error_text(e).unwrap_or_else(|| crate::error_text(e))
                }
                _ => String::new(),
            })
        })?;
        lua.load(BOOTSTRAP).set_name("=redraft").call::<()>((
            g,
            backing.clone(),
            errmsg,
            libs,
            protected,
            rawset,
            setmetatable,
        ))?;
        let handler = lua.create_function(handler)?;
        lua.set_hook(
            HookTriggers {
                every_nth_instruction: Some(HOOK_EVERY),
                ..Default::default()
            },
            move |_, _| {
                if watch.check() {
                    return Err(redis_error(crate::KILLED));
                }
                Ok(VmState::Continue)
            },
        );
        Ok(Sandbox {
            lua,
            run,
            backing,
            redis,
            xpcall,
            handler,
        })
    }
}
