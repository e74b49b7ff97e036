//! The replicator: the one seam between the two shapes of the design. Every write is
//! wrapped into an entry `{db, time_ms, seed, commands}` and applied by the engine.
//! `Local` (standalone) applies at once; the Raft replicator (cluster mode) will propose
//! the entry and apply it on commit, on every node.

use redraft_engine::{Engine, EngineCommand, Reply, Rng};

pub struct Replicator {
    seeds: Rng,
}

impl Default for Replicator {
    fn default() -> Self {
        Self::new()
    }
}

impl Replicator {
    pub fn new() -> Self {
        let seed = crate::shared::unix_us() ^ ((std::process::id() as u64) << 40);
        Replicator {
            seeds: Rng::new(seed),
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
        engine.apply_command(cmd, db, time_ms, seed, argv, reply, may_block)
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
        engine.apply_entry(db, time_ms, seed, commands, reply, may_block)
    }

    /// A seed for a read command that draws random numbers (RANDOMKEY...).
    pub fn read_seed(&mut self) -> u64 {
        self.seeds.next_u64()
    }
}
