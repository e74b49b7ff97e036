//! The one command table: the engine's data commands and the server's own commands,
//! merged at startup. It drives dispatch, arity and subcommand errors, the
//! write/read-only routing, `COMMAND`'s replies, and INFO commandstats.

use crate::commands::{ServerCommand, SERVER_FAMILIES};
use redraft_engine::{Command, EngineCommand, Keys};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

/// Where a command runs: in the engine (data, deterministic) or in the server
/// (connection and administration).
#[derive(Clone, Copy)]
pub enum Exec {
    Engine(&'static EngineCommand),
    Server(&'static ServerCommand),
}

macro_rules! field {
    ($self:ident, $f:ident) => {
        match $self {
            Exec::Engine(c) => c.$f,
            Exec::Server(c) => c.$f,
        }
    };
}

impl Exec {
    pub fn name(&self) -> &'static str {
        field!(self, name)
    }
    pub fn arity(&self) -> i32 {
        field!(self, arity)
    }
    pub fn flags(&self) -> u32 {
        field!(self, flags)
    }
    pub fn keys(&self) -> Keys {
        field!(self, keys)
    }
    pub fn group(&self) -> &'static str {
        field!(self, group)
    }
    pub fn summary(&self) -> &'static str {
        field!(self, summary)
    }
    pub fn since(&self) -> &'static str {
        field!(self, since)
    }
    pub fn arity_ok(&self, argc: usize) -> bool {
        match self {
            Exec::Engine(c) => c.arity_ok(argc),
            Exec::Server(c) => c.arity_ok(argc),
        }
    }
    pub fn has(&self, flag: u32) -> bool {
        self.flags() & flag != 0
    }
}

#[derive(Default)]
pub struct CmdStat {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

/// A command with its stats slot, and its subcommands (if a container).
pub struct Entry {
    pub exec: Exec,
    pub stat: usize,
    pub subs: Vec<(Exec, usize)>,
}

/// A resolved (sub)command.
#[derive(Clone, Copy)]
pub struct Resolved {
    pub exec: Exec,
    pub stat: usize,
    /// The container, for a subcommand.
    pub parent: Option<Exec>,
}

pub struct Table {
    map: HashMap<&'static [u8], Entry, foldhash::fast::RandomState>,
    /// Full names (`get`, `client|list`) by stats slot.
    pub names: Vec<String>,
    pub stats: Vec<CmdStat>,
}

fn subs_of<H>(c: &'static Command<H>, wrap: fn(&'static Command<H>) -> Exec) -> Vec<Exec> {
    c.subcommands.iter().map(wrap).collect()
}

impl Table {
    pub fn build() -> Table {
        let mut t = Table {
            map: HashMap::default(),
            names: vec![],
            stats: vec![],
        };
        let engine =
            redraft_engine::commands::all().map(|c| (Exec::Engine(c), subs_of(c, Exec::Engine)));
        let server = SERVER_FAMILIES
            .iter()
            .flat_map(|f| f.iter())
            .map(|c| (Exec::Server(c), subs_of(c, Exec::Server)));
        for (exec, subs) in engine.chain(server) {
            let stat = t.slot(exec.name().to_string());
            let subs = subs
                .into_iter()
                .map(|s| (s, t.slot(format!("{}|{}", exec.name(), s.name()))))
                .collect();
            t.map
                .insert(exec.name().as_bytes(), Entry { exec, stat, subs });
        }
        t
    }

    fn slot(&mut self, name: String) -> usize {
        self.names.push(name);
        self.stats.push(CmdStat::default());
        self.stats.len() - 1
    }

    /// Finds a top-level command by name, case-insensitively.
    pub fn get(&self, name: &[u8]) -> Option<&Entry> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.map.get(&*lower)
    }

    /// Resolves a command line to the (sub)command that will run, or Redis's error for
    /// an unknown command, unknown subcommand or wrong arity (with the stats slot to
    /// count the rejection against, when the command is known).
    pub fn resolve(&self, args: &[&[u8]]) -> Result<Resolved, (String, Option<usize>)> {
        let Some(e) = self.get(args[0]) else {
            return Err((unknown_command(args), None));
        };
        if e.subs.is_empty() || args.len() < 2 {
            if !e.exec.arity_ok(args.len()) {
                return Err((
                    format!(
                        "ERR wrong number of arguments for '{}' command",
                        e.exec.name()
                    ),
                    Some(e.stat),
                ));
            }
            return Ok(Resolved {
                exec: e.exec,
                stat: e.stat,
                parent: None,
            });
        }
        let Some((sub, stat)) = e
            .subs
            .iter()
            .find(|(s, _)| s.name().as_bytes().eq_ignore_ascii_case(args[1]))
        else {
            return Err((
                format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    trunc(args[1], 128),
                    String::from_utf8_lossy(args[0]).to_uppercase()
                ),
                Some(e.stat),
            ));
        };
        if !sub.arity_ok(args.len()) {
            return Err((
                format!(
                    "ERR wrong number of arguments for '{}|{}' command",
                    e.exec.name(),
                    sub.name()
                ),
                Some(*stat),
            ));
        }
        Ok(Resolved {
            exec: *sub,
            stat: *stat,
            parent: Some(e.exec),
        })
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.map.values()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

fn trunc(b: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned()
}

/// Redis's unknown-command error, quoting the first arguments.
pub fn unknown_command(args: &[&[u8]]) -> String {
    let mut quoted = String::new();
    for a in &args[1..] {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        quoted.push_str(&format!("'{}' ", trunc(a, room)));
    }
    format!(
        "ERR unknown command '{}', with args beginning with: {}",
        trunc(args[0], 128),
        quoted
    )
}
