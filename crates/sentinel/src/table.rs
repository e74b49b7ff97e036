//! The command table of a Sentinel port, as Redis 7.2 registers it in sentinel mode
//! (only commands flagged `SENTINEL`/`ONLY_SENTINEL`), and the `COMMAND` command over it.
//!
//! The entries (arity, flags, ACL categories, tips, summary, since, group) were taken
//! from a real `redis-sentinel` (7.0.15, `COMMAND` and `COMMAND DOCS`) plus 7.2's
//! `CLIENT SETINFO`. `ACL` is left out: redraft has no ACLs, so it is an unknown command
//! here as on the data port. `QUIT` is accepted by the dispatcher but, as in Redis 7.2,
//! is not a registered command. The table also drives argument checking: unknown
//! commands and subcommands and wrong arities get Redis's exact errors.
//!
//! `COMMAND` replies in the data port's shapes (`crates/server` `admin.rs`): INFO
//! entries of 10 elements (flags, categories and tips as sets, no key specs, nested
//! subcommand entries), DOCS maps of `summary`, `since`, `group` and `subcommands`.

use crate::glob;
use redraft_resp::Reply;

/// One command or subcommand.
pub(crate) struct Cmd {
    /// Lowercase name (the subcommand part only, for subcommands).
    pub name: &'static str,
    /// Redis arity: N exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: &'static [&'static str],
    pub acl: &'static [&'static str],
    pub tips: &'static [&'static str],
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub subs: &'static [Cmd],
}

impl Cmd {
    pub(crate) fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        if a >= 0 {
            argc == a as usize
        } else {
            argc >= a.unsigned_abs() as usize
        }
    }

    fn sub(&self, name: &[u8]) -> Option<&'static Cmd> {
        self.subs
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

pub(crate) fn lookup(name: &[u8]) -> Option<&'static Cmd> {
    COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// `container|sub` names a subcommand, as in `COMMAND INFO sentinel|masters`.
fn lookup_full(name: &[u8]) -> Option<(&'static Cmd, String)> {
    match name.iter().position(|&c| c == b'|') {
        Some(p) => {
            let top = lookup(&name[..p])?;
            let sub = top.sub(&name[p + 1..])?;
            Some((sub, format!("{}|{}", top.name, sub.name)))
        }
        None => lookup(name).map(|c| (c, c.name.to_string())),
    }
}

fn lossy_trunc(b: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned()
}

/// `ERR unknown command '<name>', with args beginning with: '<a1>' '<a2>' ` (each
/// argument quoted and followed by a space, at most 128 characters in all).
pub(crate) fn unknown_command(argv: &[&[u8]]) -> String {
    let mut quoted = String::new();
    for a in argv.iter().skip(1) {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        quoted.push_str(&format!("'{}' ", lossy_trunc(a, room)));
    }
    let name = argv.first().map_or(String::new(), |n| lossy_trunc(n, 128));
    format!("ERR unknown command '{name}', with args beginning with: {quoted}")
}

/// Resolves a command line against the table: the command (and subcommand) to run, or
/// Redis's error text for an unknown command or subcommand or a wrong arity.
pub(crate) fn resolve(argv: &[&[u8]]) -> Result<(&'static Cmd, Option<&'static Cmd>), String> {
    let Some(name) = argv.first() else {
        return Err(unknown_command(argv));
    };
    let Some(top) = lookup(name) else {
        return Err(unknown_command(argv));
    };
    if top.subs.is_empty() || argv.len() < 2 {
        if !top.arity_ok(argv.len()) {
            return Err(format!(
                "ERR wrong number of arguments for '{}' command",
                top.name
            ));
        }
        return Ok((top, None));
    }
    let Some(sub) = top.sub(argv[1]) else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            lossy_trunc(argv[1], 128),
            String::from_utf8_lossy(name).to_uppercase()
        ));
    };
    if !sub.arity_ok(argv.len()) {
        return Err(format!(
            "ERR wrong number of arguments for '{}|{}' command",
            top.name, sub.name
        ));
    }
    Ok((top, Some(sub)))
}

fn is(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// `COMMAND [COUNT | LIST [FILTERBY ...] | INFO [name ...] | DOCS [name ...] |
/// GETKEYS ... | GETKEYSANDFLAGS ... | HELP]`, arity already checked.
pub(crate) fn command(argv: &[&[u8]], reply: &mut Reply) {
    let Some(sub) = argv.get(1) else {
        reply.array(COMMANDS.len());
        for c in COMMANDS {
            info_entry(reply, c, c.name);
        }
        return;
    };
    if is(sub, "count") {
        reply.int(COMMANDS.len() as i64);
    } else if is(sub, "list") {
        list(argv, reply);
    } else if is(sub, "info") {
        if argv.len() == 2 {
            return command(&argv[..1], reply);
        }
        reply.array(argv.len() - 2);
        for name in &argv[2..] {
            match lookup_full(name) {
                Some((c, full)) => info_entry(reply, c, &full),
                None => reply.null(),
            }
        }
    } else if is(sub, "docs") {
        let found: Vec<(&Cmd, String)> = if argv.len() == 2 {
            COMMANDS.iter().map(|c| (c, c.name.to_string())).collect()
        } else {
            argv[2..].iter().filter_map(|n| lookup_full(n)).collect()
        };
        reply.map(found.len());
        for (c, full) in found {
            reply.bulk(full.as_bytes());
            doc_entry(reply, c, &full);
        }
    } else if is(sub, "getkeys") || is(sub, "getkeysandflags") {
        let target = &argv[2..];
        let Some(top) = target.first().and_then(|n| lookup(n)) else {
            return reply.error("ERR Invalid command specified");
        };
        let cmd = match target.get(1) {
            Some(s) if !top.subs.is_empty() => top.sub(s).unwrap_or(top),
            _ => top,
        };
        if !cmd.arity_ok(target.len()) {
            return reply.error("ERR Invalid number of arguments specified for command");
        }
        // No command of a Sentinel port takes keys.
        reply.error("ERR The command has no key arguments");
    } else if is(sub, "help") {
        help(reply, "COMMAND", COMMAND_HELP);
    }
}

fn list(argv: &[&[u8]], reply: &mut Reply) {
    enum Filter<'a> {
        All,
        Pattern(&'a [u8]),
        AclCat(String),
        Module,
    }
    let filter = match argv.len() {
        2 => Filter::All,
        5 if is(argv[2], "filterby") => {
            if is(argv[3], "pattern") {
                Filter::Pattern(argv[4])
            } else if is(argv[3], "aclcat") {
                Filter::AclCat(format!(
                    "@{}",
                    String::from_utf8_lossy(argv[4]).to_ascii_lowercase()
                ))
            } else if is(argv[3], "module") {
                Filter::Module
            } else {
                return reply.error("ERR syntax error");
            }
        }
        _ => return reply.error("ERR syntax error"),
    };
    let mut names = Vec::new();
    for c in COMMANDS {
        let all = std::iter::once((c, c.name.to_string()))
            .chain(c.subs.iter().map(|s| (s, format!("{}|{}", c.name, s.name))));
        for (x, n) in all {
            let keep = match &filter {
                Filter::All => true,
                Filter::Pattern(p) => glob::matches(p, n.as_bytes(), true),
                Filter::AclCat(cat) => x.acl.contains(&cat.as_str()),
                Filter::Module => false,
            };
            if keep {
                names.push(n);
            }
        }
    }
    reply.bulks(names.iter());
}

fn info_entry(reply: &mut Reply, c: &Cmd, full: &str) {
    reply.array(10);
    reply.bulk(full.as_bytes());
    reply.int(c.arity as i64);
    reply.set(c.flags.len());
    for f in c.flags {
        reply.simple(f);
    }
    reply.int(0);
    reply.int(0);
    reply.int(0);
    reply.set(c.acl.len());
    for a in c.acl {
        reply.simple(a);
    }
    reply.set(c.tips.len());
    for t in c.tips {
        reply.bulk(t.as_bytes());
    }
    reply.set(0); // key specs
    if c.subs.is_empty() {
        reply.set(0);
    } else {
        reply.array(c.subs.len());
        for s in c.subs {
            info_entry(reply, s, &format!("{full}|{}", s.name));
        }
    }
}

fn doc_entry(reply: &mut Reply, c: &Cmd, full: &str) {
    reply.map(if c.subs.is_empty() { 3 } else { 4 });
    reply.bulk(b"summary");
    reply.bulk(c.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(c.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(c.group.as_bytes());
    if !c.subs.is_empty() {
        reply.bulk(b"subcommands");
        reply.map(c.subs.len());
        for s in c.subs {
            let n = format!("{full}|{}", s.name);
            reply.bulk(n.as_bytes());
            doc_entry(reply, s, &n);
        }
    }
}

/// Redis's `addReplyHelp` layout: a title line, the lines, and `HELP` last.
pub(crate) fn help(reply: &mut Reply, container: &str, lines: &[&str]) {
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

const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

/// The commands of a Sentinel port, sorted by name (subcommands too).
pub(crate) static COMMANDS: &[Cmd] = &[
    Cmd {
        name: "auth",
        arity: -2,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl: &["@fast", "@connection"],
        tips: &[],
        summary: "Authenticate to the server",
        since: "1.0.0",
        group: "connection",
        subs: &[],
    },
    Cmd {
        name: "client",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        tips: &[],
        summary: "A container for client connection commands",
        since: "2.4.0",
        group: "connection",
        subs: &[
            Cmd {
                name: "caching",
                arity: 3,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Instruct the server about tracking or not keys in the next request",
                since: "6.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "getname",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Get the current connection name",
                since: "2.6.9",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "getredir",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Get tracking notifications redirection client ID if any",
                since: "6.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "help",
                arity: 2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Show helpful text about the different subcommands",
                since: "5.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "id",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Returns the client ID for the current connection",
                since: "5.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "info",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &["nondeterministic_output"],
                summary: "Returns information about the current client connection.",
                since: "6.2.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "kill",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &[],
                summary: "Kill the connection of a client",
                since: "2.4.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "list",
                arity: -2,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &["nondeterministic_output"],
                summary: "Get the list of client connections",
                since: "2.4.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "no-evict",
                arity: 3,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &[],
                summary: "Set client eviction mode for the current connection",
                since: "7.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "pause",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &[],
                summary: "Stop processing commands from clients for some time",
                since: "2.9.50",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "reply",
                arity: 3,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Instruct the server whether to reply to commands",
                since: "3.2.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "setinfo",
                arity: -4,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Set client or connection specific info",
                since: "7.2.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "setname",
                arity: 3,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Set the current connection name",
                since: "2.6.9",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "tracking",
                arity: -3,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Enable or disable server assisted client side caching support",
                since: "6.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "trackinginfo",
                arity: 2,
                flags: &["noscript", "loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Return information about server assisted client side caching for the current connection",
                since: "6.2.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "unblock",
                arity: -3,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &[],
                summary: "Unblock a client blocked in a blocking command from a different connection",
                since: "5.0.0",
                group: "connection",
                subs: &[],
            },
            Cmd {
                name: "unpause",
                arity: 2,
                flags: &["admin", "noscript", "loading", "stale"],
                acl: &["@admin", "@slow", "@dangerous", "@connection"],
                tips: &[],
                summary: "Resume processing of clients that were paused",
                since: "6.2.0",
                group: "connection",
                subs: &[],
            },
        ],
    },
    Cmd {
        name: "command",
        arity: -1,
        flags: &["loading", "stale"],
        acl: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        summary: "Get array of Redis command details",
        since: "2.8.13",
        group: "server",
        subs: &[
            Cmd {
                name: "count",
                arity: 2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Get total number of Redis commands",
                since: "2.8.13",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "docs",
                arity: -2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &["nondeterministic_output_order"],
                summary: "Get array of specific Redis command documentation",
                since: "7.0.0",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "getkeys",
                arity: -4,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Extract keys given a full Redis command",
                since: "2.8.13",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "getkeysandflags",
                arity: -4,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Extract keys and access flags given a full Redis command",
                since: "7.0.0",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "help",
                arity: 2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &[],
                summary: "Show helpful text about the different subcommands",
                since: "5.0.0",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "info",
                arity: -2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &["nondeterministic_output_order"],
                summary: "Get array of specific Redis command details, or all when no argument is given.",
                since: "2.8.13",
                group: "server",
                subs: &[],
            },
            Cmd {
                name: "list",
                arity: -2,
                flags: &["loading", "stale"],
                acl: &["@slow", "@connection"],
                tips: &["nondeterministic_output_order"],
                summary: "Get an array of Redis command names",
                since: "7.0.0",
                group: "server",
                subs: &[],
            },
        ],
    },
    Cmd {
        name: "hello",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl: &["@fast", "@connection"],
        tips: &[],
        summary: "Handshake with Redis",
        since: "6.0.0",
        group: "connection",
        subs: &[],
    },
    Cmd {
        name: "info",
        arity: -1,
        flags: &["loading", "stale"],
        acl: &["@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        summary: "Get information and statistics about the server",
        since: "1.0.0",
        group: "server",
        subs: &[],
    },
    Cmd {
        name: "ping",
        arity: -1,
        flags: &["fast"],
        acl: &["@fast", "@connection"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Ping the server",
        since: "1.0.0",
        group: "connection",
        subs: &[],
    },
    Cmd {
        name: "psubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        tips: &[],
        summary: "Listen for messages published to channels matching the given patterns",
        since: "2.0.0",
        group: "pubsub",
        subs: &[],
    },
    Cmd {
        name: "publish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast"],
        acl: &["@pubsub", "@fast"],
        tips: &[],
        summary: "Post a message to a channel",
        since: "2.0.0",
        group: "pubsub",
        subs: &[],
    },
    Cmd {
        name: "punsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        tips: &[],
        summary: "Stop listening for messages posted to channels matching the given patterns",
        since: "2.0.0",
        group: "pubsub",
        subs: &[],
    },
    Cmd {
        name: "role",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast"],
        acl: &["@admin", "@fast", "@dangerous"],
        tips: &[],
        summary: "Return the role of the instance in the context of replication",
        since: "2.8.12",
        group: "server",
        subs: &[],
    },
    Cmd {
        name: "sentinel",
        arity: -2,
        flags: &["admin"],
        acl: &["@admin", "@slow", "@dangerous"],
        tips: &[],
        summary: "A container for Sentinel commands",
        since: "2.8.4",
        group: "sentinel",
        subs: &[
            Cmd {
                name: "ckquorum",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Check for a Sentinel quorum",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "config",
                arity: -3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Configure Sentinel",
                since: "6.2.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "debug",
                arity: -2,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "List or update the current configurable parameters",
                since: "7.0.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "failover",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Force a failover",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "flushconfig",
                arity: 2,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Rewrite configuration file",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "get-master-addr-by-name",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Get port and address of a master",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "help",
                arity: 2,
                flags: &["loading", "stale"],
                acl: &["@slow"],
                tips: &[],
                summary: "Show helpful text about the different subcommands",
                since: "6.2.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "info-cache",
                arity: -3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Get cached INFO from the instances in the deployment",
                since: "3.2.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "is-master-down-by-addr",
                arity: 6,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Check if a master is down",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "master",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Shows the state of a master",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "masters",
                arity: 2,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "List the monitored masters",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "monitor",
                arity: 6,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Start monitoring",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "myid",
                arity: 2,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Get the Sentinel instance ID",
                since: "6.2.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "pending-scripts",
                arity: 2,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Get information about pending scripts",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "remove",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Stop monitoring",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "replicas",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "List the monitored replicas",
                since: "5.0.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "reset",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Reset masters by name pattern",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "sentinels",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "List the Sentinel instances",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "set",
                arity: -5,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Change the configuration of a monitored master",
                since: "2.8.4",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "simulate-failure",
                arity: -3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "Simulate failover scenarios",
                since: "3.2.0",
                group: "sentinel",
                subs: &[],
            },
            Cmd {
                name: "slaves",
                arity: 3,
                flags: &["admin"],
                acl: &["@admin", "@slow", "@dangerous"],
                tips: &[],
                summary: "List the monitored slaves",
                since: "2.8.0",
                group: "sentinel",
                subs: &[],
            },
        ],
    },
    Cmd {
        name: "shutdown",
        arity: -1,
        flags: &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
        acl: &["@admin", "@slow", "@dangerous"],
        tips: &[],
        summary: "Synchronously save the dataset to disk and then shut down the server",
        since: "1.0.0",
        group: "server",
        subs: &[],
    },
    Cmd {
        name: "subscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        tips: &[],
        summary: "Listen for messages published to the given channels",
        since: "2.0.0",
        group: "pubsub",
        subs: &[],
    },
    Cmd {
        name: "unsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl: &["@pubsub", "@slow"],
        tips: &[],
        summary: "Stop listening for messages posted to the given channels",
        since: "2.0.0",
        group: "pubsub",
        subs: &[],
    },
];
