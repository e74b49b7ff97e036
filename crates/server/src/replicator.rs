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
use redraft_engine::{Engine, EngineCommand, Reply, Rng};
use std::sync::Arc;

pub struct Replicator {
    seeds: Rng,
    /// The AOF side of the local replicator.
    pub aof: Feed,
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
        }
    }

    /// Applies one write command as an entry stamped at `now` (never before the last
    /// applied entry) with a fresh random seed. True if the command would block.
    pub fn write(
        &mut self,
        engine: &mut Engine,
        db: usize,
        now: i64,
        argv: &[&[u8]],
        reply: &mut Reply,
    ) -> bool {
        self.write_entry(engine, db, now, &[argv], reply, true)
    }

    /// `write` for a command already resolved in the table (the local path skips a
    /// second lookup; the entry is the same).
    #[allow(clippy::too_many_arguments)]
    pub fn write_command(
        &mut self,
        engine: &mut Engine,
        cmd: &'static EngineCommand,
        db: usize,
        now: i64,
        argv: &[&[u8]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        let time_ms = engine.entry_time(now);
        let seed = self.seeds.next_u64();
        if !self.aof.recording() {
            return engine.apply_command(cmd, db, time_ms, seed, argv, reply, may_block);
        }
        self.aof.begin_solo_unit();
        let probe = Probe::before(engine, cmd, db, time_ms, argv, reply.buf.len());
        let blocked = engine.apply_command(cmd, db, time_ms, seed, argv, reply, may_block);
        probe.after(engine, &mut self.aof, cmd, db, argv, &reply.buf);
        self.aof.end_unit();
        blocked
    }

    /// Applies several commands as one entry (MULTI/EXEC), atomically.
    pub fn write_entry(
        &mut self,
        engine: &mut Engine,
        db: usize,
        now: i64,
        commands: &[&[&[u8]]],
        reply: &mut Reply,
        may_block: bool,
    ) -> bool {
        let time_ms = engine.entry_time(now);
        let seed = self.seeds.next_u64();
        if !self.aof.recording() {
            return engine.apply_entry(db, time_ms, seed, commands, reply, may_block);
        }
        if let [argv] = commands {
            if let Some(cmd) = argv
                .first()
                .and_then(|n| redraft_engine::commands::lookup(n))
            {
                self.aof.begin_solo_unit();
                let probe = Probe::before(engine, cmd, db, time_ms, argv, reply.buf.len());
                let blocked = engine.apply_entry(db, time_ms, seed, commands, reply, may_block);
                probe.after(engine, &mut self.aof, cmd, db, argv, &reply.buf);
                self.aof.end_unit();
                return blocked;
            }
        }
        self.aof.begin_unit();
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
            let cmd = redraft_engine::commands::lookup(name);
            let probe = cmd.map(|c| Probe::before(engine, c, db, time_ms, argv, reply.buf.len()));
            engine.apply_entry(db, time_ms, seed, &[argv], reply, false);
            if let (Some(p), Some(c)) = (probe, cmd) {
                p.after(engine, &mut self.aof, c, db, argv, &reply.buf);
            }
        }
        self.aof.end_unit();
        false
    }

    /// A seed for a read command that draws random numbers (RANDOMKEY...).
    pub fn read_seed(&mut self) -> u64 {
        self.seeds.next_u64()
    }
}
