//! The replicator: the one seam between the two shapes of the design. Every write is
//! wrapped into an entry `{db, time_ms, seed, commands}` and applied by the engine.
//! `Local` (standalone) applies at once; the Raft replicator (cluster mode) will propose
//! the entry and apply it on commit, on every node.
//!
//! `Local` also feeds the AOF (`crate::aof`): each applied command that changed data is
//! handed to the feed in Redis's propagation form. While the AOF records, a
//! multi-command entry is applied one command at a time (same semantics as
//! `Engine::apply_entry`: SELECT switches the database of the commands after it, no
//! command blocks) so that each command's effect can be seen.

use crate::aof::propagate::Probe;
use crate::aof::{Feed, Status};
use crate::commands::pubsub::{publish_message, PubSub};
use redraft_engine::scripting::is_script_command;
use redraft_engine::{Engine, EngineCommand, Reply, Rng, ScriptEnv};
use std::sync::Arc;

/// What a script reaches while this node applies an entry: PUBLISH delivers to this
/// node's subscribers, and each command the script runs is propagated to the AOF as
/// Redis propagates a script's effects.
/// Commands scripts ran (database, arguments), for MONITOR.
pub type ScriptCalls = Vec<(usize, Vec<Vec<u8>>)>;

struct LocalEnv<'a> {
    aof: &'a mut Feed,
    pubsub: &'a mut PubSub,
    probes: Vec<Probe>,
    time_ms: i64,
    /// The commands scripts run, kept for MONITOR when someone is watching.
    calls: Option<&'a mut ScriptCalls>,
}

impl<'a> LocalEnv<'a> {
    fn new(
        aof: &'a mut Feed,
        pubsub: &'a mut PubSub,
        time_ms: i64,
        calls: Option<&'a mut ScriptCalls>,
    ) -> Self {
        LocalEnv {
            aof,
            pubsub,
            probes: vec![],
            time_ms,
            calls,
        }
    }
}

impl ScriptEnv for LocalEnv<'_> {
    fn publish(&mut self, channel: &[u8], message: &[u8]) -> i64 {
        publish_message(self.pubsub, channel, message) as i64
    }

    fn before_command(&mut self, e: &Engine, c: &EngineCommand, db: usize, argv: &[&[u8]]) {
        if let Some(calls) = self.calls.as_mut() {
            calls.push((db, argv.iter().map(|a| a.to_vec()).collect()));
        }
        if self.aof.recording() {
            self.probes
                .push(Probe::before(e, c, db, self.time_ms, argv, 0));
        }
    }

    fn after_command(
        &mut self,
        e: &Engine,
        c: &EngineCommand,
        db: usize,
        argv: &[&[u8]],
        reply: &[u8],
    ) {
        if let Some(p) = self.probes.pop() {
            p.after(e, self.aof, c, db, argv, reply);
        }
    }
}

pub struct Replicator {
    seeds: Rng,
    /// The AOF side of the local replicator.
    pub aof: Feed,
    /// Set while a MONITOR client watches: the commands scripts run are kept in
    /// `script_calls` (database, arguments) for it.
    pub monitoring: bool,
    pub script_calls: ScriptCalls,
}

impl Default for Replicator {
    fn default() -> Self {
        Self::new(Arc::new(Status::default()))
    }
}

impl Replicator {
    pub fn new(aof: Arc<Status>) -> Self {
        let seed = crate::shared::unix_us() ^ ((std::process::id() as u64) << 40);
        Replicator {
            seeds: Rng::new(seed),
            aof: Feed::new(aof),
            monitoring: false,
            script_calls: vec![],
        }
    }

    /// Applies one write command as an entry stamped at `now` (never before the last
    /// applied entry) with a fresh random seed. True if the command would block.
    pub fn write(
        &mut self,
        engine: &mut Engine,
        pubsub: &mut PubSub,
        db: usize,
        now: i64,
        argv: &[&[u8]],
        reply: &mut Reply,
    ) -> bool {
        self.write_entry(engine, pubsub, db, now, &[argv], reply, true)
    }

    /// `write` for a command already resolved in the table (the local path skips a
    /// second lookup; the entry is the same).
    #[allow(clippy::too_many_arguments)]
    pub fn write_command(
        &mut self,
        engine: &mut Engine,
        pubsub: &mut PubSub,
        cmd: &'static EngineCommand,
        db: usize,
        now: i64,
        argv: &[&[u8]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        let time_ms = engine.entry_time(now);
        let seed = self.seeds.next_u64();
        let script = is_script_command(cmd);
        if !self.aof.recording() && !script {
            return engine.apply_command(cmd, db, time_ms, seed, argv, reply, may_block);
        }
        let mut env = LocalEnv::new(
            &mut self.aof,
            pubsub,
            time_ms,
            self.monitoring.then_some(&mut self.script_calls),
        );
        if script {
            // A script is written as its effects (Redis 7): each command it ran, inside
            // MULTI/EXEC when more than one.
            env.aof.begin_unit();
            engine.apply_command_in(cmd, db, time_ms, seed, argv, reply, false, &mut env);
            env.aof.end_unit();
            return false;
        }
        env.aof.begin_solo_unit();
        let probe = Probe::before(engine, cmd, db, time_ms, argv, reply.buf.len());
        let blocked = engine.apply_command(cmd, db, time_ms, seed, argv, reply, may_block);
        probe.after(engine, env.aof, cmd, db, argv, &reply.buf);
        env.aof.end_unit();
        blocked
    }

    /// Applies several commands as one entry (MULTI/EXEC), atomically.
    #[allow(clippy::too_many_arguments)]
    pub fn write_entry(
        &mut self,
        engine: &mut Engine,
        pubsub: &mut PubSub,
        db: usize,
        now: i64,
        commands: &[&[&[u8]]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        if let [argv] = commands {
            if let Some(cmd) = argv
                .first()
                .and_then(|n| redraft_engine::commands::lookup(n))
            {
                return self.write_command(engine, pubsub, cmd, db, now, argv, reply, may_block);
            }
        }
        let time_ms = engine.entry_time(now);
        let seed = self.seeds.next_u64();
        let mut env = LocalEnv::new(
            &mut self.aof,
            pubsub,
            time_ms,
            self.monitoring.then_some(&mut self.script_calls),
        );
        if !env.aof.recording() {
            return engine.apply_entry_in(db, time_ms, seed, commands, reply, may_block, &mut env);
        }
        env.aof.begin_unit();
        let mut db = db;
        let mut seeds = Rng::new(seed);
        for argv in commands {
            let name = argv.first().copied().unwrap_or_default();
            if name.eq_ignore_ascii_case(b"select") && argv.len() == 2 {
                match redraft_resp::parse_i64(argv[1]) {
                    Some(i) if i >= 0 && (i as usize) < engine.dbs.len() => {
                        db = i as usize;
                        reply.ok();
                    }
                    Some(_) => reply.error(&redraft_engine::command::DB_INDEX.0),
                    None => reply.error(&redraft_engine::command::NOT_INTEGER.0),
                }
                continue;
            }
            let seed = seeds.next_u64();
            let cmd = redraft_engine::commands::lookup(name).filter(|c| !is_script_command(c));
            let probe = cmd.map(|c| Probe::before(engine, c, db, time_ms, argv, reply.buf.len()));
            engine.apply_entry_in(db, time_ms, seed, &[argv], reply, false, &mut env);
            if let (Some(p), Some(c)) = (probe, cmd) {
                p.after(engine, env.aof, c, db, argv, &reply.buf);
            }
        }
        env.aof.end_unit();
        false
    }

    /// A seed for a read command that draws random numbers (RANDOMKEY...).
    pub fn read_seed(&mut self) -> u64 {
        self.seeds.next_u64()
    }
}
