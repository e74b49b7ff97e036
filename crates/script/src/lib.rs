//! Lua 5.1 scripting as Redis 7.0 embeds it: `EVAL`, `EVALSHA`, `EVAL_RO`,
//! `EVALSHA_RO` and `SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP`, run inside the engine's
//! apply (the design's rule): a script is atomic, sees the entry's frozen clock
//! (`TIME`), draws `math.random` from the entry's seed, and may touch keys it did not
//! declare. The script cache belongs to the engine, so `SCRIPT LOAD` and `EVAL`
//! (which arrive as entries) make a script known wherever the entry is applied.
//! Compiled functions are cached by SHA-1: re-running an EVAL body never recompiles.
//!
//! * [`sandbox`]: the Lua state, its libraries and the read-only globals.
//! * [`call`]: `redis.call` and `redis.pcall`.
//! * [`convert`]: replies to Lua values and back.
//! * [`libs`]: cjson, cmsgpack, bit and struct.
//!
//! From scripts, the server commands `INFO`, `DBSIZE`, `LASTSAVE`, `COMMAND`... are
//! refused as not allowed (Redis runs them); `SELECT`, `PING`, `ECHO`, `TIME` and
//! `PUBLISH` work. `SCRIPT DEBUG` (the Lua debugger) is not provided.

pub mod call;
pub mod convert;
pub mod libs;
pub mod sandbox;

use call::CallCtx;
use mlua::{Function, Value};
use redraft_engine::{Engine, Reply, ScriptCall, Scripting};
use sandbox::Sandbox;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";
pub const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
pub const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// An error a `redis.*` function raises: its text is the reply's (`ERR ...`), with no
/// position prepended.
#[derive(Debug)]
pub struct RedisError(pub String);

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RedisError {}

/// The text of a `RedisError` inside an mlua error, if that is what it is.
pub fn redis_error_text(e: &mlua::Error) -> Option<String> {
    match e {
        mlua::Error::ExternalError(x) => x.downcast_ref::<RedisError>().map(|r| r.0.clone()),
        mlua::Error::CallbackError { cause, .. } => redis_error_text(cause),
        mlua::Error::WithContext { cause, .. } => redis_error_text(cause),
        _ => None,
    }
}

/// The message of an mlua error without mlua's decorations.
pub fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(m) | mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        mlua::Error::WithContext { cause, .. } => error_text(cause),
        mlua::Error::BadArgument {
            pos, name, cause, ..
        } => format!(
            "bad argument #{pos} to '{}' ({})",
            name.as_deref().unwrap_or("?"),
            error_text(cause)
        ),
        mlua::Error::FromLuaConversionError { from, to, .. } => {
            format!("{from} expected, got {to}")
        }
        other => other.to_string(),
    }
}

pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

/// What the server sees of a running script, without the engine lock: whether one is
/// running (and since when), whether it wrote, and a kill request.
#[derive(Default)]
pub struct ScriptWatch {
    /// Unix ms when the running script started; 0 when none runs.
    started_ms: AtomicI64,
    wrote: AtomicBool,
    kill: AtomicBool,
    /// `on_long_run` already ran for the current script.
    announced: AtomicBool,
    long_run: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
}

/// After this long a running script is announced (`ScriptWatch::on_long_run`).
const LONG_RUN_MS: i64 = 20;

impl ScriptWatch {
    /// Milliseconds the current script has run, if one runs.
    pub fn running_for(&self, now_ms: i64) -> Option<i64> {
        match self.started_ms.load(Ordering::Acquire) {
            0 => None,
            t => Some(now_ms - t),
        }
    }

    /// `SCRIPT KILL`: Err is the error reply.
    pub fn kill(&self) -> Result<(), &'static str> {
        if self.started_ms.load(Ordering::Acquire) == 0 {
            return Err(NOTBUSY);
        }
        if self.wrote.load(Ordering::Acquire) {
            return Err(UNKILLABLE);
        }
        self.kill.store(true, Ordering::Release);
        Ok(())
    }

    /// Stops the running script even if it wrote (`SHUTDOWN NOSAVE`).
    pub fn force_kill(&self) {
        if self.started_ms.load(Ordering::Acquire) != 0 {
            self.kill.store(true, Ordering::Release);
        }
    }

    /// Sets what runs once when a script has run for a while: the server makes sure
    /// the rest of the process keeps serving (other clients then get `-BUSY`).
    pub fn on_long_run(&self, f: Box<dyn Fn() + Send + Sync>) {
        let _ = self.long_run.set(f);
    }

    /// Checked by the interpreter every few thousand instructions: true when the
    /// script must stop (`SCRIPT KILL`).
    fn check(&self) -> bool {
        if !self.announced.load(Ordering::Relaxed)
            && self.running_for(unix_ms()).unwrap_or(0) >= LONG_RUN_MS
        {
            self.announced.store(true, Ordering::Relaxed);
            if let Some(f) = self.long_run.get() {
                f();
            }
        }
        self.kill.swap(false, Ordering::AcqRel)
    }

    fn note_write(&self) {
        self.wrote.store(true, Ordering::Release);
    }

    fn begin(&self) {
        self.wrote.store(false, Ordering::Release);
        self.kill.store(false, Ordering::Release);
        self.announced.store(false, Ordering::Relaxed);
        self.started_ms.store(unix_ms().max(1), Ordering::Release);
    }

    fn end(&self) {
        self.started_ms.store(0, Ordering::Release);
        self.kill.store(false, Ordering::Release);
    }
}

/// The process's one view of the running script.
pub fn watch() -> &'static Arc<ScriptWatch> {
    static WATCH: std::sync::OnceLock<Arc<ScriptWatch>> = std::sync::OnceLock::new();
    WATCH.get_or_init(Default::default)
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Installs the scripting host for every engine made from now on.
pub fn install() {
    redraft_engine::scripting::install(Box::new(|| {
        Box::new(Scripts::new(watch().clone())) as Box<dyn Scripting>
    }));
}

struct Script {
    func: Function,
    no_writes: bool,
    /// The source, for snapshots of the replicated state.
    body: Vec<u8>,
}

/// The host: one Lua state and the script cache.
pub struct Scripts {
    sandbox: Option<Sandbox>,
    cache: HashMap<String, Script>,
    body_bytes: usize,
    watch: Arc<ScriptWatch>,
}

/// Flags a `#!lua flags=...` first line declares.
fn shebang(body: &[u8]) -> Result<(bool, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((false, 0));
    }
    let end = body.iter().position(|&c| c == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let mut parts = line.split_whitespace();
    let engine = parts.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut no_writes = false;
    for p in parts {
        let Some(flags) = p.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {p}"));
        };
        for f in flags.split(',').filter(|f| !f.is_empty()) {
            match f {
                "no-writes" => no_writes = true,
                "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            }
        }
    }
    // The shebang line is blanked, not removed, so line numbers stay the script's.
    Ok((no_writes, end))
}

impl Scripts {
    pub fn new(watch: Arc<ScriptWatch>) -> Scripts {
        let sandbox = match Sandbox::new(watch.clone()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "the Lua interpreter could not be set up");
                None
            }
        };
        Scripts {
            sandbox,
            cache: HashMap::new(),
            body_bytes: 0,
            watch,
        }
    }

    /// Compiles and caches a body (or finds it cached); returns its SHA-1.
    fn load(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.cache.contains_key(&sha) {
            return Ok(sha);
        }
        let sb = self
            .sandbox
            .as_ref()
            .ok_or("ERR the Lua interpreter is not available")?;
        let (no_writes, skip) = shebang(body)?;
        let mut src = body.to_vec();
        src[..skip].fill(b' ');
        let func = sb
            .lua
            .load(&src[..])
            .set_name("@user_script")
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling script (new function): {}",
                    error_text(&e)
                )
            })?;
        self.body_bytes += body.len();
        self.cache.insert(
            sha.clone(),
            Script {
                func,
                no_writes,
                body: body.to_vec(),
            },
        );
        Ok(sha)
    }

    fn eval(&mut self, engine: &mut Engine, call: ScriptCall<'_>, by_sha: bool, ro: bool) {
        let args = call.args;
        let reply = call.reply;
        let Some(nkeys) = redraft_resp::parse_i64(args[2]) else {
            return reply.error("ERR value is not an integer or out of range");
        };
        if nkeys < 0 {
            return reply.error("ERR Number of keys can't be negative");
        }
        if nkeys as usize > args.len() - 3 {
            return reply.error("ERR Number of keys can't be greater than number of args");
        }
        let sha = if by_sha {
            let sha = String::from_utf8_lossy(args[1]).to_ascii_lowercase();
            if !self.cache.contains_key(&sha) {
                return reply.error(NOSCRIPT);
            }
            sha
        } else {
            match self.load(args[1]) {
                Ok(sha) => sha,
                Err(e) => return reply.error(&e),
            }
        };
        let (Some(sb), Some(script)) = (self.sandbox.as_ref(), self.cache.get(&sha)) else {
            return reply.error(NOSCRIPT);
        };
        let split = 3 + nkeys as usize;
        let set_list = |name: &str, items: &[&[u8]]| -> mlua::Result<()> {
            let t = sb.lua.create_table_with_capacity(items.len(), 0)?;
            for (i, a) in items.iter().enumerate() {
                t.raw_set(i + 1, sb.lua.create_string(a)?)?;
            }
            sb.backing.raw_set(name, t)
        };
        if let Err(e) =
            set_list("KEYS", &args[3..split]).and_then(|_| set_list("ARGV", &args[split..]))
        {
            return reply.error(&format!("ERR {}", error_text(&e)));
        }
        let rng = call.rng;
        sb.run.resp3.store(false, Ordering::Relaxed);
        sb.run.reseed(rng.next_u64());
        let mut ctx = CallCtx {
            engine,
            env: call.env,
            rng,
            db: call.db,
            now: call.now,
            read_only: ro || script.no_writes,
            watch: &self.watch,
            scratch: Reply::default(),
        };
        self.watch.begin();
        // `redis.call` finds the context at this address while the script runs (see
        // `call::with_ctx`); nothing touches `ctx` until the address is cleared.
        let addr = &mut ctx as *mut CallCtx<'_> as usize;
        sb.run.ctx.store(addr, Ordering::Release);
        let out = sb
            .xpcall
            .call::<mlua::MultiValue>((script.func.clone(), sb.handler.clone()));
        sb.run.ctx.store(0, Ordering::Release);
        drop(ctx);
        self.watch.end();
        let result = out.map(|out| {
            let mut out = out.into_iter();
            let ok = matches!(out.next(), Some(Value::Boolean(true)));
            let v = out.next().unwrap_or(Value::Nil);
            let resp3 = sb.run.resp3();
            if ok {
                convert::lua_to_reply(&v, reply, resp3);
            } else {
                error_reply(&v, &sha, reply);
            }
        });
        if let Err(e) = result {
            reply.error(&format!("ERR {}", error_text(&e)));
        }
    }

    fn script(&mut self, call: ScriptCall<'_>) {
        let args = call.args;
        let reply = call.reply;
        match call.name {
            "load" => match self.load(args[2]) {
                Ok(sha) => reply.bulk(sha.as_bytes()),
                Err(e) => reply.error(&e),
            },
            "exists" => {
                reply.array(args.len() - 2);
                for a in &args[2..] {
                    let sha = String::from_utf8_lossy(a).to_ascii_lowercase();
                    reply.int(self.cache.contains_key(&sha) as i64);
                }
            }
            "flush" => {
                if args.len() > 3
                    || (args.len() == 3
                        && !args[2].eq_ignore_ascii_case(b"sync")
                        && !args[2].eq_ignore_ascii_case(b"async"))
                {
                    return reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
                }
                // A fresh interpreter, as Redis does: the memory of old scripts goes too.
                self.cache.clear();
                self.body_bytes = 0;
                self.sandbox = None;
                self.sandbox = Sandbox::new(self.watch.clone()).ok();
                reply.ok();
            }
            "kill" => match self.watch.kill() {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(e),
            },
            _ => {
                let lines = [
                    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "EXISTS <sha1> [<sha1> ...]",
                    "    Return information about the existence of the scripts in the script cache.",
                    "FLUSH [ASYNC|SYNC]",
                    "    Flush the Lua scripts cache. Very dangerous on replicas.",
                    "    When called without the optional mode argument, the behavior is determined by the",
                    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                    "    * ASYNC: Asynchronously flush the scripts cache.",
                    "    * SYNC: Synchronously flush the scripts cache.",
                    "KILL",
                    "    Kill the currently executing Lua script.",
                    "LOAD <script>",
                    "    Load a script into the scripts cache without executing it.",
                    "HELP",
                    "    Prints this help.",
                ];
                reply.array(lines.len());
                for l in lines {
                    reply.simple(l);
                }
            }
        }
    }
}

/// The reply for a script that raised an error: the error's text, then where it was
/// raised (`... script: <sha>, on @user_script:<line>.`).
fn error_reply(v: &Value, sha: &str, reply: &mut Reply) {
    let Value::Table(t) = v else {
        return reply.error("ERR Error running script (unknown error)");
    };
    let msg = match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => s.to_string_lossy(),
        Ok(Value::Integer(i)) => i.to_string(),
        Ok(Value::Number(n)) => convert::fmt_g17(n),
        _ => "ERR unknown error".to_string(),
    };
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    match (source, line) {
        (Some(src), Some(line)) => reply.error(&format!("{msg} script: {sha}, on {src}:{line}.")),
        _ => reply.error(&msg),
    }
}

impl Scripting for Scripts {
    fn command(&mut self, engine: &mut Engine, call: ScriptCall<'_>) {
        match call.name {
            "eval" => self.eval(engine, call, false, false),
            "evalsha" => self.eval(engine, call, true, false),
            "eval_ro" => self.eval(engine, call, false, true),
            "evalsha_ro" => self.eval(engine, call, true, true),
            _ => self.script(call),
        }
    }

    fn bodies(&self) -> Vec<Vec<u8>> {
        self.cache.values().map(|s| s.body.clone()).collect()
    }

    fn stats(&self) -> (usize, usize, usize) {
        let mem = self.sandbox.as_ref().map_or(0, |s| s.lua.used_memory());
        (mem, self.cache.len(), self.body_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redraft_engine::{NoEnv, Protocol};

    fn eval(e: &mut Engine, body: &str) -> Vec<u8> {
        let mut reply = Reply::new(Protocol::Resp2);
        let c = redraft_engine::commands::lookup(b"eval").unwrap();
        e.apply_command_in(
            c,
            0,
            1000,
            1,
            &[b"eval", body.as_bytes(), b"0"],
            &mut reply,
            false,
            &mut NoEnv,
        );
        reply.buf
    }

    #[test]
    fn kill_stops_a_running_script() {
        install();
        let mut e = Engine::new(1);
        let w = watch().clone();
        let t = std::thread::spawn(move || {
            while w.running_for(unix_ms()).is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            w.kill()
        });
        let out = eval(&mut e, "while true do end");
        assert_eq!(t.join().unwrap(), Ok(()));
        assert!(
            String::from_utf8_lossy(&out).starts_with("-ERR Script killed by user"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
}
