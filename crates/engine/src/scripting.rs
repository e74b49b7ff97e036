//! The seam to the Lua interpreter. Scripts run inside apply like any other command
//! (the design's rule), but the interpreter lives in the `script` crate: the server
//! installs a factory at startup and every `Engine` gets its own host. While a script
//! runs, the host is taken out of the engine and given the engine back, so that
//! `redis.call` runs commands through `Engine::call_from_script`.
//!
//! What a script reaches outside the keyspace (PUBLISH, the AOF's view of each command
//! it runs) goes through a `ScriptEnv` the caller of apply provides.

use crate::command::EngineCommand;
use crate::rng::Rng;
use crate::Engine;
use redraft_resp::Reply;
use std::sync::OnceLock;

/// One scripting command to run: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO or a SCRIPT
/// subcommand (`name` is the table's name: `eval`, `load`, `flush`, `exists`...).
pub struct ScriptCall<'a> {
    pub name: &'static str,
    pub args: &'a [&'a [u8]],
    pub db: usize,
    pub now: i64,
    pub rng: &'a mut Rng,
    pub reply: &'a mut Reply,
    pub env: &'a mut dyn ScriptEnv,
}

/// The interpreter side, implemented by the `script` crate.
pub trait Scripting: Send {
    fn command(&mut self, engine: &mut Engine, call: ScriptCall<'_>);
    /// (memory used by the interpreter, number of cached scripts, bytes of their bodies).
    fn stats(&self) -> (usize, usize, usize);
    /// The cached scripts' sources (a Raft snapshot carries them).
    fn bodies(&self) -> Vec<Vec<u8>> {
        vec![]
    }
}

/// What a script may reach outside the engine, provided by whoever applies the entry.
pub trait ScriptEnv: Send {
    /// PUBLISH from a script: delivers and returns the number of receivers.
    fn publish(&mut self, _channel: &[u8], _message: &[u8]) -> i64 {
        0
    }
    /// A command a script is about to run (the AOF notes what it needs).
    fn before_command(&mut self, _e: &Engine, _c: &EngineCommand, _db: usize, _argv: &[&[u8]]) {}
    /// The same command after it ran, with its reply.
    fn after_command(
        &mut self,
        _e: &Engine,
        _c: &EngineCommand,
        _db: usize,
        _argv: &[&[u8]],
        _reply: &[u8],
    ) {
    }
}

/// No environment: scripts publish to nobody and nothing observes their commands.
pub struct NoEnv;
impl ScriptEnv for NoEnv {}

type Factory = Box<dyn Fn() -> Box<dyn Scripting> + Send + Sync>;
static FACTORY: OnceLock<Factory> = OnceLock::new();

/// Installs the interpreter factory (once, at startup, before engines are made).
pub fn install(factory: Factory) {
    let _ = FACTORY.set(factory);
}

pub(crate) fn make() -> Option<Box<dyn Scripting>> {
    FACTORY.get().map(|f| f())
}

/// True for the commands the scripting host runs.
pub fn is_script_command(c: &EngineCommand) -> bool {
    c.group == "scripting"
}
