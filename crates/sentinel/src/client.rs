//! `CLIENT` on a Sentinel port: the subcommands that need no connection state are
//! answered here, the others are left to the caller.
//!
//! Left to the caller (`command` writes nothing for them once the arity is right):
//! `ID`, `INFO`, `LIST`, `KILL`, `SETNAME`, `GETNAME`, `SETINFO`, `REPLY`.
//!
//! Answered here, for a connection that never tracks keys and a port where nobody
//! blocks: `HELP` (the data port's text), `GETREDIR` (`-1`), `TRACKINGINFO` (`flags
//! [off]`, `redirect -1`, `prefixes []`), `CACHING` (Redis's not-in-tracking-mode
//! error), `TRACKING off` (`+OK`; `on` is refused), `NO-EVICT on|off` (`+OK`),
//! `UNBLOCK` (`:0`), `UNPAUSE` (`+OK`), `PAUSE` (validated, then refused: the caller
//! cannot pause the port's clients through a pure function).

use crate::table::help;
use redraft_resp::Reply;

/// Subcommands the caller answers (they read or change the connection).
pub(crate) const STATEFUL: [&str; 8] = [
    "id", "info", "list", "kill", "setname", "getname", "setinfo", "reply",
];

fn is(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

fn int(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Answers a well-formed (arity-checked) `CLIENT <sub> ...` that is not `STATEFUL`.
pub(crate) fn command(argv: &[&[u8]], reply: &mut Reply) {
    let sub = String::from_utf8_lossy(argv[1]).to_ascii_lowercase();
    match sub.as_str() {
        "help" => help(reply, "CLIENT", HELP),
        "getredir" => reply.int(-1),
        "trackinginfo" => {
            reply.map(3);
            reply.bulk(b"flags");
            reply.set(1);
            reply.bulk(b"off");
            reply.bulk(b"redirect");
            reply.int(-1);
            reply.bulk(b"prefixes");
            reply.array(0);
        }
        "caching" => reply.error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ),
        "tracking" => {
            if is(argv[2], "off") {
                reply.ok();
            } else if is(argv[2], "on") {
                reply.error("ERR CLIENT TRACKING is not supported on the Sentinel port");
            } else {
                reply.error("ERR syntax error");
            }
        }
        "no-evict" => {
            if is(argv[2], "on") || is(argv[2], "off") {
                reply.ok();
            } else {
                reply.error("ERR syntax error");
            }
        }
        "unblock" => {
            if int(argv[2]).is_none() {
                return reply.error("ERR value is not an integer or out of range");
            }
            match argv.get(3) {
                None => {}
                Some(r) if is(r, "timeout") || is(r, "error") => {}
                Some(_) => {
                    return reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
                }
            }
            if argv.len() > 4 {
                return reply.error("ERR syntax error");
            }
            // Nobody blocks on a Sentinel port.
            reply.int(0);
        }
        "unpause" => reply.ok(),
        "pause" => {
            if int(argv[2]).is_none_or(|t| t < 0) {
                return reply.error("ERR timeout is not an integer or out of range");
            }
            match argv.get(3) {
                None => {}
                Some(m) if is(m, "write") || is(m, "all") => {}
                Some(_) => return reply.error("ERR syntax error"),
            }
            reply.error("ERR CLIENT PAUSE is not supported on the Sentinel port");
        }
        // STATEFUL subcommands never reach here; the table knows no others.
        _ => {}
    }
}

/// The data port's `CLIENT HELP` lines (`crates/server` `client.rs`), plus the
/// tracking subcommands a Sentinel port also registers.
const HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
];
