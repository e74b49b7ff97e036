//! The engine: the keyspace, the data types and every data command. This is the
//! deterministic state machine of the design: no I/O, no clock, no threads. Writes
//! arrive as entries `{db, time_ms, seed, commands}` and `Engine::apply` runs them; every
//! node that applies the same entries in the same order reaches the same state. Reads run
//! through `Engine::run` with the caller's clock and never mutate data.

pub mod args;
pub mod codec;
pub mod command;
pub mod commands;
pub mod db;
pub mod dict;
pub mod glob;
pub mod object;
pub mod rng;
pub mod scripting;
#[cfg(test)]
mod testutil;
pub mod zset;

pub use command::{cmd, flags, CmdResult, Command, Ctx, EngineCommand, Error, Handler, Keys};
pub use db::Db;
pub use object::{Object, StreamBlob, Value};
pub use redraft_resp::{Protocol, Reply};
pub use rng::Rng;
pub use scripting::{NoEnv, ScriptCall, ScriptEnv, Scripting};

/// Number of databases (`databases` directive; Redis's default).
pub const DEFAULT_DATABASES: usize = 16;

/// A write, as replicated: the database it starts in, the leader's clock, the random
/// seed, and the commands (argument vectors) applied atomically in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub db: usize,
    pub time_ms: i64,
    pub seed: u64,
    pub commands: Vec<Vec<Vec<u8>>>,
}

pub struct Engine {
    pub dbs: Vec<Db>,
    /// Modifications since start (Redis's `server.dirty` before save resets it).
    pub dirty: u64,
    /// Time of the last applied entry: entries never go back in time.
    pub last_time: i64,
    /// `proto-max-bulk-len`: the largest string a command may build.
    pub max_string: usize,
    /// The Lua interpreter and its script cache (part of the replicated state: EVAL
    /// and SCRIPT LOAD arrive as entries). None when no factory was installed.
    pub scripting: Option<Box<dyn Scripting>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(DEFAULT_DATABASES)
    }
}

impl Engine {
    pub fn new(databases: usize) -> Self {
        Engine {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            dirty: 0,
            last_time: 0,
            max_string: 512 * 1024 * 1024,
            scripting: scripting::make(),
        }
    }

    /// The time to stamp on a new entry: the caller's clock, but never earlier than the
    /// last applied entry (so a leader change never moves time backwards).
    pub fn entry_time(&self, now_ms: i64) -> i64 {
        now_ms.max(self.last_time)
    }

    /// Applies one entry. `reply` receives the replies of its commands in order.
    /// An entry of one blocking command that finds nothing to do changes nothing, writes
    /// no reply and returns true (the caller parks the client); in a multi-command entry
    /// blocking commands behave as if timed out, as inside Redis's MULTI.
    pub fn apply(
        &mut self,
        db: usize,
        time_ms: i64,
        seed: u64,
        commands: &[&[&[u8]]],
        reply: &mut Reply,
    ) -> bool {
        self.apply_entry(db, time_ms, seed, commands, reply, commands.len() == 1)
    }

    /// `apply` with explicit control of blocking. `SELECT` inside an entry (a MULTI that
    /// switches databases) changes the database of the commands after it.
    pub fn apply_entry(
        &mut self,
        db: usize,
        time_ms: i64,
        seed: u64,
        commands: &[&[&[u8]]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        self.apply_entry_in(db, time_ms, seed, commands, reply, may_block, &mut NoEnv)
    }

    /// `apply_entry` with the environment scripts in the entry reach.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_entry_in(
        &mut self,
        mut db: usize,
        time_ms: i64,
        seed: u64,
        commands: &[&[&[u8]]],
        reply: &mut Reply,
        may_block: bool,
        env: &mut dyn ScriptEnv,
    ) -> bool {
        self.last_time = self.last_time.max(time_ms);
        let mut rng = Rng::new(seed);
        let mut blocked = false;
        for argv in commands {
            let name = argv.first().copied().unwrap_or_default();
            if name.eq_ignore_ascii_case(b"select") && argv.len() == 2 {
                match redraft_resp::parse_i64(argv[1]) {
                    Some(i) if i >= 0 && (i as usize) < self.dbs.len() => {
                        db = i as usize;
                        reply.ok();
                    }
                    Some(_) => reply.error(&command::DB_INDEX.0),
                    None => reply.error(&command::NOT_INTEGER.0),
                }
                continue;
            }
            match commands::lookup(name) {
                Some(c) => {
                    blocked |= self.exec(c, db, time_ms, &mut rng, argv, reply, may_block, env)
                }
                None => reply.error("ERR unknown command in replicated entry"),
            }
        }
        blocked
    }

    /// Applies an entry of one command already looked up (the standalone write path).
    #[allow(clippy::too_many_arguments)]
    pub fn apply_command(
        &mut self,
        c: &EngineCommand,
        db: usize,
        time_ms: i64,
        seed: u64,
        argv: &[&[u8]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        self.apply_command_in(c, db, time_ms, seed, argv, reply, may_block, &mut NoEnv)
    }

    /// `apply_command` with the environment a script reaches.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_command_in(
        &mut self,
        c: &EngineCommand,
        db: usize,
        time_ms: i64,
        seed: u64,
        argv: &[&[u8]],
        reply: &mut Reply,
        may_block: bool,
        env: &mut dyn ScriptEnv,
    ) -> bool {
        self.last_time = self.last_time.max(time_ms);
        let mut rng = Rng::new(seed);
        self.exec(c, db, time_ms, &mut rng, argv, reply, may_block, env)
    }

    /// Runs one command (read or write) at time `now`.
    pub fn run(
        &mut self,
        c: &EngineCommand,
        db: usize,
        now: i64,
        seed: u64,
        args: &[&[u8]],
        reply: &mut Reply,
    ) {
        let mut rng = Rng::new(seed);
        self.exec(c, db, now, &mut rng, args, reply, false, &mut NoEnv);
    }

    /// Runs one command for a script (`redis.call`): checked like any command, never
    /// blocking, observed by the environment (the AOF sees each command a script runs).
    #[allow(clippy::too_many_arguments)]
    pub fn call_from_script(
        &mut self,
        c: &EngineCommand,
        db: usize,
        now: i64,
        rng: &mut Rng,
        args: &[&[u8]],
        reply: &mut Reply,
        env: &mut dyn ScriptEnv,
    ) {
        env.before_command(self, c, db, args);
        let start = reply.buf.len();
        self.exec(c, db, now, rng, args, reply, false, env);
        env.after_command(self, c, db, args, &reply.buf[start..]);
    }

    #[allow(clippy::too_many_arguments)]
    fn exec(
        &mut self,
        c: &EngineCommand,
        db: usize,
        now: i64,
        rng: &mut Rng,
        args: &[&[u8]],
        reply: &mut Reply,
        may_block: bool,
        env: &mut dyn ScriptEnv,
    ) -> bool {
        let mut c = c;
        if !c.subcommands.is_empty() && args.len() >= 2 {
            match c.subcommand(args[1]) {
                Some(s) => c = s,
                None => {
                    reply.error(&commands::unknown_subcommand(args));
                    return false;
                }
            }
        }
        if !c.arity_ok(args.len()) {
            reply.error(&commands::wrong_arity(args));
            return false;
        }
        let db = db.min(self.dbs.len() - 1);
        if scripting::is_script_command(c) {
            let Some(mut host) = self.scripting.take() else {
                reply.error("ERR scripting is not available in this build");
                return false;
            };
            let call = ScriptCall {
                name: c.name,
                args,
                db,
                now,
                rng,
                reply,
                env,
            };
            host.command(self, call);
            self.scripting = Some(host);
            return false;
        }
        let mut ctx = Ctx {
            dbs: &mut self.dbs,
            db,
            now,
            rng,
            args,
            reply,
            dirty: &mut self.dirty,
            max_string: self.max_string,
            may_block,
            would_block: false,
        };
        if let Err(e) = (c.handler)(&mut ctx) {
            ctx.reply.error(&e.0);
        }
        ctx.would_block
    }

    /// Keys across all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }
}
