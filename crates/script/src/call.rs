//! `redis.call` / `redis.pcall`: one command from a script, checked as Redis's
//! `scriptCall` checks it (unknown, not allowed from scripts, arity, writes from a
//! read-only script), run through the engine like any command of the entry, and its
//! reply handed back as a Lua value.

use crate::convert::{arg_bytes, reply_to_lua};
use crate::sandbox::RunState;
use crate::ScriptWatch;
use mlua::{Lua, MultiValue, Value};
use redraft_engine::flags::{BLOCKING, MAY_REPLICATE, NOSCRIPT, WRITE};
use redraft_engine::{Engine, Protocol, Reply, Rng, ScriptEnv};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Redis commands that live in the server rather than the engine: a script calling
/// one is told it is not allowed (Redis allows a few of them, see the crate docs).
pub const SERVER_COMMANDS: &[&str] = &[
    "acl",
    "auth",
    "bgrewriteaof",
    "bgsave",
    "client",
    "command",
    "config",
    "dbsize",
    "debug",
    "discard",
    "exec",
    "failover",
    "flushall",
    "flushdb",
    "hello",
    "info",
    "lastsave",
    "latency",
    "memory",
    "module",
    "monitor",
    "multi",
    "psubscribe",
    "psync",
    "pubsub",
    "punsubscribe",
    "quit",
    "readonly",
    "readwrite",
    "replconf",
    "replicaof",
    "reset",
    "role",
    "save",
    "shutdown",
    "slaveof",
    "slowlog",
    "ssubscribe",
    "subscribe",
    "swapdb",
    "sync",
    "unsubscribe",
    "unwatch",
    "wait",
    "watch",
    "lolwut",
    "function",
    "fcall",
    "fcall_ro",
];

/// `redis.call` (raises a command's error) and `redis.pcall` (returns it as a table),
/// made once per interpreter.
pub fn register(lua: &Lua, redis: &mlua::Table, run: &Arc<RunState>) -> mlua::Result<()> {
    let r1 = run.clone();
    let r2 = run.clone();
    redis.raw_set(
        "call",
        lua.create_function(move |lua, args: MultiValue| {
            let (v, failed) = with_ctx(lua, &r1, args)?;
            if failed {
                let msg = match &v {
                    Value::Table(t) => t.raw_get::<String>("err").unwrap_or_default(),
                    _ => String::new(),
                };
                return Err(crate::sandbox::redis_error(&msg));
            }
            Ok(v)
        })?,
    )?;
    redis.raw_set(
        "pcall",
        lua.create_function(move |lua, args: MultiValue| Ok(with_ctx(lua, &r2, args)?.0))?,
    )
}

/// Runs one command in the context of the running script.
fn with_ctx(lua: &Lua, run: &RunState, args: MultiValue) -> mlua::Result<(Value, bool)> {
    let addr = run.ctx.load(Ordering::Acquire);
    if addr == 0 {
        return Err(crate::sandbox::redis_error(
            "ERR redis.call is only available while a script runs",
        ));
    }
    // SAFETY: `Scripts::eval` stores the address of its live `CallCtx` in
    // `RunState::ctx` right before the protected call that runs the script and clears
    // it right after, without touching the context in between; a zero address is
    // refused above. Lua calls this function only from inside that call, on the same
    // thread (the interpreter belongs to the engine, used under the core lock), and
    // nothing reached from here calls back into Lua (scripts cannot run EVAL), so this
    // is the only reference to the context while it is used. The lifetimes inside the
    // context outlive the call, and no reference obtained here escapes it.
    let ctx = unsafe { &mut *(addr as *mut CallCtx<'_>) };
    ctx.call(lua, args, run.resp3())
}

/// What one run of a script works on.
pub struct CallCtx<'a> {
    pub engine: &'a mut Engine,
    pub env: &'a mut dyn ScriptEnv,
    pub rng: &'a mut Rng,
    pub db: usize,
    pub now: i64,
    /// EVAL_RO, EVALSHA_RO or a `no-writes` script.
    pub read_only: bool,
    pub watch: &'a ScriptWatch,
    pub scratch: Reply,
}

fn err(lua: &Lua, msg: &str) -> mlua::Result<(Value, bool)> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok((Value::Table(t), true))
}

impl CallCtx<'_> {
    /// Runs one command; returns its reply as a Lua value and whether it is an error.
    pub fn call(
        &mut self,
        lua: &Lua,
        args: MultiValue,
        resp3: bool,
    ) -> mlua::Result<(Value, bool)> {
        if args.is_empty() {
            return err(
                lua,
                "ERR Please specify at least one argument for this redis lib call",
            );
        }
        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(args.len());
        for a in args.iter() {
            match arg_bytes(a) {
                Some(b) => argv.push(b),
                None => {
                    return err(
                        lua,
                        "ERR Lua redis lib command arguments must be strings or integers",
                    )
                }
            }
        }
        let argv: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
        let proto = if resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        self.scratch.buf.clear();
        self.scratch.proto = proto;
        let local = ["select", "ping", "echo", "time", "publish"]
            .into_iter()
            .find(|n| argv[0].eq_ignore_ascii_case(n.as_bytes()));
        match local {
            Some(name) => {
                if let Some(e) = self.server_command(name, &argv) {
                    return err(lua, &e);
                }
            }
            None => {
                let Some(c) = redraft_engine::commands::lookup(argv[0]) else {
                    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
                    if SERVER_COMMANDS.contains(&name.as_str()) {
                        return err(lua, "ERR This Redis command is not allowed from script");
                    }
                    return err(lua, "ERR Unknown Redis command called from script");
                };
                let mut c = c;
                if !c.subcommands.is_empty() && argv.len() >= 2 {
                    if let Some(s) = c.subcommand(argv[1]) {
                        c = s;
                    }
                }
                if c.flags & (NOSCRIPT | BLOCKING) != 0 {
                    return err(lua, "ERR This Redis command is not allowed from script");
                }
                if !c.arity_ok(argv.len()) {
                    return err(
                        lua,
                        "ERR Wrong number of args calling Redis command from script",
                    );
                }
                let writes = c.flags & (WRITE | MAY_REPLICATE) != 0;
                if writes && self.read_only {
                    return err(
                        lua,
                        "ERR Write commands are not allowed from read-only scripts.",
                    );
                }
                if writes {
                    self.watch.note_write();
                }
                self.engine.call_from_script(
                    c,
                    self.db,
                    self.now,
                    self.rng,
                    &argv,
                    &mut self.scratch,
                    self.env,
                );
            }
        }
        let mut pos = 0;
        reply_to_lua(lua, &self.scratch.buf, &mut pos)
    }

    /// The server commands a script may run; Some(error text) when refused.
    fn server_command(&mut self, name: &str, argv: &[&[u8]]) -> Option<String> {
        let arity_err =
            || Some("ERR Wrong number of args calling Redis command from script".into());
        let r = &mut self.scratch;
        match name {
            "select" => {
                if argv.len() != 2 {
                    return arity_err();
                }
                match redraft_resp::parse_i64(argv[1]) {
                    Some(i) if i >= 0 && (i as usize) < self.engine.dbs.len() => {
                        self.db = i as usize;
                        r.ok();
                    }
                    Some(_) => return Some("ERR DB index is out of range".into()),
                    None => return Some("ERR value is not an integer or out of range".into()),
                }
            }
            "ping" => match argv.len() {
                1 => r.simple("PONG"),
                2 => r.bulk(argv[1]),
                _ => return arity_err(),
            },
            "echo" => {
                if argv.len() != 2 {
                    return arity_err();
                }
                r.bulk(argv[1]);
            }
            "time" => {
                if argv.len() != 1 {
                    return arity_err();
                }
                // The entry's clock: every node running the script sees the same time.
                r.array(2);
                r.bulk_int(self.now.div_euclid(1000));
                r.bulk_int(self.now.rem_euclid(1000) * 1000);
            }
            "publish" => {
                if argv.len() != 3 {
                    return arity_err();
                }
                if self.read_only {
                    return Some(
                        "ERR Write commands are not allowed from read-only scripts.".into(),
                    );
                }
                let n = self.env.publish(argv[1], argv[2]);
                r.int(n);
            }
            _ => return Some("ERR Unknown Redis command called from script".into()),
        }
        None
    }
}
