//! The command dispatcher of a Sentinel port: argument checking against the command
//! table, the connection-level commands (`PING`, `ROLE`, `INFO`, `COMMAND`, `PUBLISH`,
//! `SHUTDOWN`, `QUIT`), the pub/sub commands (returned as `Action`s), and `SENTINEL`
//! (in `sentinel.rs`).
//!
//! What the caller must do itself, because it needs connection or server state:
//!
//! * `AUTH`, `HELLO`, and `CLIENT ID|INFO|LIST|KILL|SETNAME|GETNAME|SETINFO|REPLY`
//!   with a valid arity: `caller_handles(argv)` is true for exactly these, and for
//!   them `command` writes nothing and returns `Action::None`. Every other `CLIENT`
//!   line (errors, `HELP`, the tracking subcommands, ...) is answered here
//!   (`client.rs`). `HELLO` on a Sentinel port answers a map of 6 fields, `server
//!   redis`, `version`, `proto`, `id`, `mode sentinel`, `modules []`, with no `role`
//!   (`HELLO` 2|3, `AUTH`, `SETNAME` as on the data port).
//! * Requiring `AUTH` first (`-NOAUTH Authentication required.`) when a password is set.
//! * The subscribed state. `SUBSCRIBE`/`PSUBSCRIBE`/`UNSUBSCRIBE`/`PUNSUBSCRIBE` are
//!   returned as `Action`s carrying the channels or patterns (empty: all, for the
//!   unsubscribes); the caller updates the subscriptions and writes one confirmation
//!   per channel. While a RESP2 connection is subscribed, the caller rejects every
//!   other command but `PING`/`QUIT` (`ERR Can't execute '<cmd>': only (P|S)SUBSCRIBE /
//!   (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`) and answers
//!   `PING` with `subscribed_ping` (go-redis pings its `+switch-master` subscription
//!   every 3 s and reconnects without an answer).
//! * Publishing `events` to subscribers (`message`/`pmessage`, RESP3 pushes).
//! * `Action::Failover` (a Raft leadership transfer to an up-to-date voter),
//!   `Action::Reset` (publish `reset_events`), `Action::Close` (close after the reply).

use crate::{client, info, sentinel, table, Action, View};
use redraft_resp::Reply;

fn is(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Whether the caller must answer this command line itself (it reads or changes the
/// connection): `AUTH`, `HELLO`, and `CLIENT ID|INFO|LIST|KILL|SETNAME|GETNAME|
/// SETINFO|REPLY` with a valid arity. `command` writes nothing for exactly these.
pub fn caller_handles(argv: &[&[u8]]) -> bool {
    let Some(name) = argv.first() else {
        return false;
    };
    if is(name, "auth") || is(name, "hello") {
        return true;
    }
    is(name, "client")
        && matches!(table::resolve(argv), Ok((_, Some(sub))) if client::STATEFUL.contains(&sub.name))
}

/// `PING [message]` on a subscribed RESP2 connection: `*2 $4 pong $<message>`
/// (RESP3 connections get the ordinary `+PONG` from `command`).
pub fn subscribed_ping(argv: &[&[u8]], reply: &mut Reply) {
    if argv.len() > 2 {
        return reply.error("ERR wrong number of arguments for 'ping' command");
    }
    if reply.resp3() {
        return match argv.get(1) {
            Some(m) => reply.bulk(m),
            None => reply.simple("PONG"),
        };
    }
    reply.array(2);
    reply.bulk(b"pong");
    reply.bulk(argv.get(1).copied().unwrap_or_default());
}

fn args(argv: &[&[u8]]) -> Vec<Vec<u8>> {
    argv.iter().skip(1).map(|a| a.to_vec()).collect()
}

pub(crate) fn command(view: &View, argv: &[&[u8]], reply: &mut Reply) -> Action {
    let Some(&name) = argv.first() else {
        reply.error(&table::unknown_command(argv));
        return Action::None;
    };
    if caller_handles(argv) {
        return Action::None;
    }
    // Not a registered command of a 7.2 Sentinel, but harmless and still sent by some
    // clients on close.
    if is(name, "quit") {
        reply.ok();
        return Action::Close;
    }
    let (cmd, sub) = match table::resolve(argv) {
        Ok(c) => c,
        Err(e) => {
            reply.error(&e);
            return Action::None;
        }
    };
    match cmd.name {
        "ping" => match argv.len() {
            1 => reply.simple("PONG"),
            2 => reply.bulk(argv[1]),
            _ => reply.error("ERR wrong number of arguments for 'ping' command"),
        },
        "role" => {
            reply.array(2);
            reply.bulk(b"sentinel");
            reply.array(1);
            reply.bulk(view.master_name.as_bytes());
        }
        "info" => {
            let sections: Vec<String> = argv[1..]
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            let sections: Vec<&str> = sections.iter().map(|s| s.as_str()).collect();
            // A bulk string even in RESP3 (Sentinel's INFO is not verbatim text).
            reply.bulk(info::render(view, &sections, &info::InfoStats::default()).as_bytes());
        }
        "command" => table::command(argv, reply),
        "client" if sub.is_some() => client::command(argv, reply),
        "sentinel" => return sentinel::command(view, argv, reply),
        "publish" => {
            // Peers' hello messages are accepted and ignored: membership comes from Raft.
            if argv[1] == b"__sentinel__:hello" {
                reply.int(1);
            } else {
                reply.error("ERR Only HELLO messages are accepted by Sentinel instances.");
            }
        }
        "shutdown" => reply.error(
            "ERR SHUTDOWN is not allowed on the Sentinel port: the Sentinel endpoint is part of a redraft node, stop the node itself",
        ),
        "subscribe" => return Action::Subscribe(args(argv)),
        "psubscribe" => return Action::PSubscribe(args(argv)),
        "unsubscribe" => return Action::Unsubscribe(args(argv)),
        "punsubscribe" => return Action::PUnsubscribe(args(argv)),
        // AUTH and HELLO are the caller's (handled above); CLIENT without a
        // subcommand failed its arity check.
        _ => {}
    }
    Action::None
}
