//! The command table's shape: one `Command` per command (and per subcommand), carrying
//! what drives dispatch, arity errors, write/read-only routing and `COMMAND`'s replies.
//! The engine's data commands and the server's connection/admin commands use the same
//! type with their own handler signatures, and the server merges both into one table.

use crate::db::Db;
use crate::rng::Rng;
use redraft_resp::Reply;
use std::borrow::Cow;

/// Command flags, named as `COMMAND INFO` prints them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    /// Not a Redis flag (never printed): applied as a replicated entry although not
    /// flagged `write` (EVAL, EVALSHA, SCRIPT LOAD and FLUSH change the script cache
    /// or may write through the script).
    pub const ENTRY: u32 = 1 << 17;

    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MULTI, "no_multi"),
        (ALLOW_BUSY, "allow_busy"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
    ];
}

/// Where a command's key arguments are.
#[derive(Clone, Copy, Debug)]
pub enum Keys {
    None,
    /// Keys from `first` to `last` (negative counts from the end) every `step`.
    Range {
        first: i32,
        last: i32,
        step: i32,
    },
    /// The argument at `numkeys` gives how many keys follow from `first`, every `step`.
    Keynum {
        numkeys: i32,
        first: i32,
        step: i32,
    },
    /// Keys found by a function (SORT's `STORE`, for example).
    Custom(fn(&[&[u8]]) -> Vec<usize>),
}

impl Keys {
    pub const fn one() -> Keys {
        Keys::Range {
            first: 1,
            last: 1,
            step: 1,
        }
    }
    pub const fn all() -> Keys {
        Keys::Range {
            first: 1,
            last: -1,
            step: 1,
        }
    }

    /// Positions of the key arguments in `args` (args\[0\] is the command name).
    pub fn positions(&self, args: &[&[u8]]) -> Vec<usize> {
        let n = args.len() as i32;
        match *self {
            Keys::None => vec![],
            Keys::Range { first, last, step } => {
                let last = if last < 0 { n + last } else { last.min(n - 1) };
                let mut v = vec![];
                let mut i = first;
                while i <= last && i < n {
                    v.push(i as usize);
                    i += step.max(1);
                }
                v
            }
            Keys::Keynum {
                numkeys,
                first,
                step,
            } => {
                let Some(k) = args
                    .get(numkeys as usize)
                    .and_then(|a| redraft_resp::parse_i64(a))
                else {
                    return vec![];
                };
                let mut v = vec![];
                for j in 0..k.max(0) as i32 {
                    let p = first + j * step.max(1);
                    if p >= n {
                        break;
                    }
                    v.push(p as usize);
                }
                v
            }
            Keys::Custom(f) => f(args),
        }
    }
}

/// One command (or subcommand) of the table. `H` is the handler type: the engine's
/// `Handler` for data commands, the server's own for connection and admin commands.
pub struct Command<H: 'static> {
    /// Lower-case name; for a subcommand, its own word (`list` of `client|list`).
    pub name: &'static str,
    /// Redis's arity: N exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: u32,
    pub keys: Keys,
    /// Redis's command group (`string`, `generic`, `server`, ...).
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    pub handler: H,
    pub subcommands: &'static [Command<H>],
}

impl<H> Command<H> {
    /// True for commands applied as replicated entries (writes, and the scripting
    /// commands that may write or change the script cache).
    pub fn is_write(&self) -> bool {
        self.flags & (flags::WRITE | flags::ENTRY) != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        (self.arity >= 0 && argc == self.arity) || (self.arity < 0 && argc >= -self.arity)
    }

    /// Finds a subcommand by (case-insensitive) name.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static Command<H>> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Shorthand for table entries.
#[allow(clippy::too_many_arguments)]
pub const fn cmd<H>(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: Keys,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    handler: H,
) -> Command<H> {
    Command {
        name,
        arity,
        flags,
        keys,
        group,
        summary,
        since,
        handler,
        subcommands: &[],
    }
}

impl<H> Command<H> {
    pub const fn with_subcommands(mut self, subs: &'static [Command<H>]) -> Self {
        self.subcommands = subs;
        self
    }
}

/// An error reply, full text including its code (`ERR ...`, `WRONGTYPE ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(pub Cow<'static, str>);

impl Error {
    pub fn new(msg: impl Into<Cow<'static, str>>) -> Self {
        Error(msg.into())
    }
    /// `ERR <msg>`
    pub fn err(msg: impl std::fmt::Display) -> Self {
        Error(Cow::Owned(format!("ERR {msg}")))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const fn e(s: &'static str) -> Error {
    Error(Cow::Borrowed(s))
}

pub const SYNTAX: Error = e("ERR syntax error");
pub const WRONGTYPE: Error = e("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const NOT_INTEGER: Error = e("ERR value is not an integer or out of range");
pub const NOT_FLOAT: Error = e("ERR value is not a valid float");
pub const NO_SUCH_KEY: Error = e("ERR no such key");
pub const OVERFLOW: Error = e("ERR increment or decrement would overflow");
pub const DB_INDEX: Error = e("ERR DB index is out of range");
pub const STRING_TOO_LONG: Error =
    e("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
pub const BIT_OFFSET: Error = e("ERR bit offset is not an integer or out of range");
pub const TIMEOUT_NEGATIVE: Error = e("ERR timeout is negative");

pub type CmdResult = Result<(), Error>;

/// Everything a data command may touch. `now` is the entry's time during apply, the
/// session's clock for reads; `rng` is seeded from the entry. Nothing else: no I/O,
/// no clock, no threads.
pub struct Ctx<'a> {
    pub dbs: &'a mut [Db],
    pub db: usize,
    pub now: i64,
    pub rng: &'a mut Rng,
    pub args: &'a [&'a [u8]],
    pub reply: &'a mut Reply,
    /// Modifications made (Redis's `server.dirty`): save points, INFO, AOF rewrite.
    pub dirty: &'a mut u64,
    /// Largest string a command may build (`proto-max-bulk-len`).
    pub max_string: usize,
    /// A blocking command (BLPOP...) may block: it runs alone, not inside MULTI or a
    /// script. When false, a blocking command that finds nothing replies as on timeout.
    pub may_block: bool,
    /// Set by a blocking command that found nothing and wrote no reply: the server then
    /// parks the client on the command's keys and retries when one of them is signaled.
    pub would_block: bool,
}

impl<'a> Ctx<'a> {
    pub fn arg(&self, i: usize) -> &'a [u8] {
        self.args[i]
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.dbs[self.db]
    }

    /// Raises a keyspace event on the current database (see `Db::notify`).
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        self.dbs[self.db].notify(class, event, key);
    }
}

/// The engine's handler type.
pub type Handler = fn(&mut Ctx) -> CmdResult;
pub type EngineCommand = Command<Handler>;
