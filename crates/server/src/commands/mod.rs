//! The server's own commands (connection, clients, configuration, administration), one
//! file per family as Redis groups them. They run with access to the session and the
//! shared state; data commands live in the engine.

pub mod admin;
pub mod client;
pub mod config;
pub mod connection;
pub mod info;
pub mod multi;
pub mod persistence;
pub mod pubsub;
pub mod raft;

use crate::session::SessionState;
use crate::shared::{Core, Shared};
use redraft_engine::{CmdResult, Command, Reply};

/// Everything a server command may use.
pub struct Call<'a> {
    pub shared: &'a Shared,
    pub core: &'a mut Core,
    pub sess: &'a mut SessionState,
    pub args: &'a [&'a [u8]],
    pub reply: &'a mut Reply,
    pub now: i64,
}

impl Call<'_> {
    pub fn arg_str(&self, i: usize) -> String {
        String::from_utf8_lossy(self.args[i]).into_owned()
    }
}

pub type ServerHandler = fn(&mut Call) -> CmdResult;
pub type ServerCommand = Command<ServerHandler>;

/// A server table entry (the engine's `cmd` with the server's handler type).
#[allow(clippy::too_many_arguments)]
pub const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: redraft_engine::Keys,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: ServerHandler,
) -> ServerCommand {
    redraft_engine::cmd(name, arity, flags, keys, group, since, summary, handler)
}

pub static SERVER_FAMILIES: &[&[ServerCommand]] = &[
    connection::COMMANDS,
    client::COMMANDS,
    config::COMMANDS,
    admin::COMMANDS,
    info::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    persistence::COMMANDS,
    raft::COMMANDS,
];

/// Replies to `X HELP` with Redis's layout: a header line and the given lines.
pub fn help(reply: &mut Reply, container: &str, lines: &[&str]) {
    reply.array(lines.len() + 3);
    reply.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        reply.simple(l);
    }
    reply.simple("HELP");
    reply.simple("    Print this help.");
}
