//! `SENTINEL <subcommand>`: Redis 7.2's replies and error texts over the `View`
//! (arity and unknown subcommands are checked by the command table before this runs).
//!
//! The monitored master set is fixed (one group, `master_name`, whose master is the
//! Raft leader), so:
//!
//! * `MONITOR` validates its arguments as Redis does, answers `Duplicate master name.`
//!   for our own name, and refuses any other.
//! * `REMOVE` refuses; `SET` validates its options as Redis does and accepts only what
//!   changes nothing here (a value equal to the current one; `auth-pass`, `auth-user`,
//!   `rename-command`, `master-reboot-down-after-period`, which concern how Sentinel
//!   talks to data nodes), refusing anything else; scripts get Redis's
//!   `deny-scripts-reconfig` error.
//! * `CONFIG GET` reports the effective settings (`announce-ip`/`announce-port` are this
//!   sentinel's announced address, `announce-hostnames` is `yes` when that is not an IP
//!   literal). `CONFIG SET` (variadic, as 7.2) validates as Redis does and accepts
//!   `resolve-hostnames`, `sentinel-user` and `sentinel-pass`, which mean nothing here,
//!   and any parameter set to its current value; it refuses to change `announce-ip`,
//!   `announce-port`, `announce-hostnames` and `loglevel`, which belong to the node's
//!   configuration. Nothing is stored either way.
//! * `DEBUG <param> <value>` and `SIMULATE-FAILURE <flags>` are validated and accepted
//!   with no effect (Sentinel's timers and crash points do not exist here);
//!   `FLUSHCONFIG` is `+OK` (there is no sentinel config file).
//! * `FAILOVER` answers `+OK` with `Action::Failover` when a reachable replica exists;
//!   `-INPROG` while a failover runs or no leader is known (an election is under way);
//!   `-NOGOODSLAVE` otherwise.
//! * `RESET <pattern>` matches the name case-sensitively and returns `Action::Reset`.
//! * `IS-MASTER-DOWN-BY-ADDR` reports the master's down state; this sentinel never
//!   votes (Raft elects), so the leader is `*` at epoch 0.
//! * `INFO-CACHE` has no cached INFO text: each instance is `[age ms, null]`.

use crate::entries;
use crate::glob;
use crate::table::help;
use crate::{Action, View};
use redraft_resp::Reply;

fn is(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

const NO_SUCH_MASTER: &str = "ERR No such master with that name";

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Redis's `string2ll`: an optional `-`, digits, no leading zeros or spaces.
fn parse_i64(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty()
        || !digits.bytes().all(|c| c.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || s == "-0"
    {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn command(view: &View, argv: &[&[u8]], reply: &mut Reply) -> Action {
    // The table guarantees argv[1] exists and the arity fits.
    let sub = lossy(argv[1]).to_ascii_lowercase();
    let ours = |name: &[u8]| name == view.master_name.as_bytes();
    match sub.as_str() {
        "masters" => {
            reply.array(1);
            entries::write(reply, &entries::master(view));
        }
        "master" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else {
                entries::write(reply, &entries::master(view));
            }
        }
        "replicas" | "slaves" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else {
                reply.array(view.replicas.len());
                for r in &view.replicas {
                    entries::write(reply, &entries::replica(view, r));
                }
            }
        }
        "sentinels" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else {
                reply.array(view.sentinels.len());
                for p in &view.sentinels {
                    entries::write(reply, &entries::sentinel(view, p));
                }
            }
        }
        "get-master-addr-by-name" => match view.live_master() {
            Some(m) if ours(argv[2]) => {
                reply.array(2);
                reply.bulk(m.addr.ip.as_bytes());
                reply.bulk(m.addr.port.to_string().as_bytes());
            }
            // Unknown name, no leader, or a leader this node cannot reach: clients move
            // on to another sentinel (never an error: redis-rb 4 would abort).
            _ => reply.null_array(),
        },
        "ckquorum" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else {
                ckquorum(view, reply);
            }
        }
        "failover" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else if view.failover_in_progress || view.master.is_none() {
                reply.error("INPROG Failover already in progress");
            } else if !view.replicas.iter().any(|r| r.reachable) {
                reply.error("NOGOODSLAVE No suitable replica to promote");
            } else {
                reply.ok();
                return Action::Failover;
            }
        }
        "reset" => {
            let hit = glob::matches(argv[2], view.master_name.as_bytes(), false);
            reply.int(hit as i64);
            if hit {
                return Action::Reset;
            }
        }
        "myid" => reply.bulk(view.my_id.as_bytes()),
        "is-master-down-by-addr" => is_master_down(view, argv, reply),
        "info-cache" => info_cache(view, argv, reply),
        "simulate-failure" => simulate_failure(argv, reply),
        "debug" => debug(view, argv, reply),
        "pending-scripts" => reply.array(0),
        "flushconfig" => reply.ok(),
        "config" => config(view, argv, reply),
        "monitor" => monitor(view, argv, reply),
        "remove" => {
            if !ours(argv[2]) {
                reply.error(NO_SUCH_MASTER);
            } else {
                reply.error(&format!(
                    "ERR '{}' is this redraft cluster and cannot be removed",
                    view.master_name
                ));
            }
        }
        "set" => set(view, argv, reply),
        "help" => help(reply, &lossy(argv[0]).to_uppercase(), SENTINEL_HELP),
        // Unreachable: the command table resolved the subcommand.
        _ => reply.error(&format!(
            "ERR unknown subcommand '{}'. Try SENTINEL HELP.",
            lossy(argv[1])
        )),
    }
    Action::None
}

/// `CKQUORUM`: usable sentinels are this one plus every reachable peer; the quorum
/// must be reachable, and a majority of all sentinels to authorize a failover.
fn ckquorum(view: &View, reply: &mut Reply) {
    let usable = 1 + view.sentinels.iter().filter(|p| p.reachable).count();
    let voters = view.sentinels.len() + 1;
    let no_quorum = usable < view.quorum as usize;
    let no_auth = usable < voters / 2 + 1;
    if !no_quorum && !no_auth {
        reply.simple(&format!(
            "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
        ));
        return;
    }
    let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
    if no_quorum {
        e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
    }
    if no_auth {
        if no_quorum {
            e.push_str(". ");
        }
        e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
    }
    reply.error(&e);
}

/// `IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>` ->
/// `[down (0|1), leader runid or *, leader epoch]`.
fn is_master_down(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    let (Some(port), Some(_epoch)) = (parse_i64(argv[3]), parse_i64(argv[4])) else {
        return reply.error("ERR value is not an integer or out of range");
    };
    let is_ours = view
        .shown_master()
        .is_some_and(|m| m.addr.ip.as_bytes() == argv[2] && i64::from(m.addr.port) == port);
    reply.array(3);
    reply.int((is_ours && view.master_down()) as i64);
    reply.bulk(b"*");
    reply.int(0);
}

/// `INFO-CACHE <name> [<name> ...]` -> `[name, [[age, info|null], ...]]` for each
/// matching master, the master first, then its replicas.
fn info_cache(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    let wanted = argv[2..].contains(&view.master_name.as_bytes());
    if !wanted {
        return reply.array(0);
    }
    reply.array(2);
    reply.bulk(view.master_name.as_bytes());
    reply.array(1 + view.replicas.len());
    let ages = std::iter::once(view.shown_master().map_or(0, |m| m.last_ok_ping_ms))
        .chain(view.replicas.iter().map(|r| r.last_ok_ping_ms));
    for age in ages {
        reply.array(2);
        reply.int(age as i64);
        reply.null();
    }
}

fn simulate_failure(argv: &[&[u8]], reply: &mut Reply) {
    for a in &argv[2..] {
        if is(a, "crash-after-election") || is(a, "crash-after-promotion") {
            continue;
        }
        if is(a, "help") {
            reply.array(2);
            reply.bulk(b"crash-after-election");
            reply.bulk(b"crash-after-promotion");
            return;
        }
        return reply.error("ERR Unknown failure simulation specified");
    }
    reply.ok();
}

/// `DEBUG`: without arguments the timing parameters (a map); with pairs, validated
/// (positive integers) and accepted with no effect.
fn debug(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    const PARAMS: [&str; 13] = [
        "info-period",
        "ping-period",
        "ask-period",
        "publish-period",
        "default-down-after",
        "default-failover-timeout",
        "tilt-trigger",
        "tilt-period",
        "slave-reconf-timeout",
        "min-link-reconnect-period",
        "election-timeout",
        "script-max-runtime",
        "script-retry-delay",
    ];
    if argv.len() == 2 {
        let values: [u64; 13] = [
            10000,
            1000,
            1000,
            2000,
            view.down_after_ms,
            view.failover_timeout_ms,
            2000,
            30000,
            10000,
            15000,
            10000,
            60000,
            30000,
        ];
        reply.map(PARAMS.len());
        for (p, v) in PARAMS.iter().zip(values) {
            reply.bulk(p.to_ascii_uppercase().as_bytes());
            reply.bulk(v.to_string().as_bytes());
        }
        return;
    }
    let mut j = 2;
    while j < argv.len() {
        let option = argv[j];
        let known = PARAMS.iter().any(|p| is(option, p));
        if !known || j + 1 >= argv.len() {
            return reply.error(&format!(
                "ERR Unknown option or number of arguments for SENTINEL DEBUG '{}'",
                lossy(option)
            ));
        }
        let value = argv[j + 1];
        if parse_i64(value).is_none_or(|v| v <= 0) {
            return reply.error(&format!(
                "ERR Invalid argument '{}' for SENTINEL DEBUG '{}'",
                lossy(value),
                lossy(option)
            ));
        }
        j += 2;
    }
    reply.ok();
}

/// The global parameters of `SENTINEL CONFIG`, with their current values.
fn config_values(view: &View) -> [(&'static str, String); 7] {
    let hostnames = view.my_addr.ip.parse::<std::net::IpAddr>().is_err();
    [
        ("resolve-hostnames", "no".into()),
        (
            "announce-hostnames",
            if hostnames { "yes" } else { "no" }.into(),
        ),
        ("announce-ip", view.my_addr.ip.clone()),
        ("announce-port", view.my_addr.port.to_string()),
        ("sentinel-user", String::new()),
        ("sentinel-pass", String::new()),
        ("loglevel", "notice".into()),
    ]
}

fn config(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    let op = argv[2];
    if is(op, "get") && argv.len() >= 4 {
        let values = config_values(view);
        let hits: Vec<&(&str, String)> = values
            .iter()
            .filter(|(name, _)| {
                argv[3..]
                    .iter()
                    .any(|pat| glob::matches(pat, name.as_bytes(), true))
            })
            .collect();
        reply.map(hits.len());
        for (k, v) in hits {
            reply.bulk(k.as_bytes());
            reply.bulk(v.as_bytes());
        }
    } else if is(op, "set") && argv.len() >= 5 {
        config_set(view, argv, reply);
    } else {
        reply.error("ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...] / SET <param> <value> [<param> <value> ...] are supported.");
    }
}

fn config_set(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    let values = config_values(view);
    let mut refused: Option<String> = None;
    let mut j = 3;
    while j < argv.len() {
        let option = argv[j];
        let Some((name, current)) = values
            .iter()
            .find(|(n, _)| is(option, n))
            .filter(|_| j + 1 < argv.len())
        else {
            return reply.error(&format!(
                "ERR Invalid argument '{}' to SENTINEL CONFIG SET",
                lossy(option)
            ));
        };
        let value = argv[j + 1];
        let valid = match *name {
            "resolve-hostnames" | "announce-hostnames" => is(value, "yes") || is(value, "no"),
            "announce-port" => parse_i64(value).is_some_and(|p| (0..=65535).contains(&p)),
            "loglevel" => ["debug", "verbose", "notice", "warning", "nothing"]
                .iter()
                .any(|l| is(value, l)),
            _ => true,
        };
        if !valid {
            return reply.error(&format!(
                "ERR Invalid value '{}' to SENTINEL CONFIG SET '{}'",
                lossy(value),
                lossy(option)
            ));
        }
        let same = if *name == "announce-port" || *name == "announce-ip" {
            value == current.as_bytes()
        } else {
            is(value, current)
        };
        let meaningless = matches!(
            *name,
            "resolve-hostnames" | "sentinel-user" | "sentinel-pass"
        );
        if !same && !meaningless && refused.is_none() {
            refused = Some(name.to_string());
        }
        j += 2;
    }
    match refused {
        Some(name) => reply.error(&format!(
            "ERR SENTINEL CONFIG SET '{name}' is not supported by redraft: set it in the node's configuration"
        )),
        None => reply.ok(),
    }
}

/// `MONITOR <name> <ip> <port> <quorum>`: Redis's checks, in Redis's order, then a
/// refusal (the master set is fixed).
fn monitor(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    let Some(quorum) = parse_i64(argv[5]) else {
        return reply.error("ERR Invalid quorum");
    };
    let Some(port) = parse_i64(argv[4]) else {
        return reply.error("ERR Invalid port");
    };
    if quorum <= 0 {
        return reply.error("ERR Quorum must be 1 or greater.");
    }
    if lossy(argv[3]).parse::<std::net::IpAddr>().is_err() {
        return reply.error("ERR Invalid IP address or hostname specified");
    }
    if !(0..=65535).contains(&port) {
        return reply.error("ERR Invalid port number.");
    }
    if argv[2] == view.master_name.as_bytes() {
        return reply.error("ERR Duplicate master name.");
    }
    reply.error(&format!(
        "ERR redraft's Sentinel monitors only its own cluster ('{}'); SENTINEL MONITOR is not supported",
        view.master_name
    ));
}

/// `SET <name> <option> <value> [...]`: Redis's option checks, then accepted only if
/// nothing would change (see the module header).
fn set(view: &View, argv: &[&[u8]], reply: &mut Reply) {
    if argv[2] != view.master_name.as_bytes() {
        return reply.error(NO_SUCH_MASTER);
    }
    let mut refused: Option<String> = None;
    let mut j = 3;
    while j < argv.len() {
        let option = argv[j];
        let more = argv.len() - 1 - j;
        let unknown = || {
            format!(
                "ERR Unknown option or number of arguments for SENTINEL SET '{}'",
                lossy(option)
            )
        };
        let invalid = |v: &[u8]| {
            format!(
                "ERR Invalid argument '{}' for SENTINEL SET '{}'",
                lossy(v),
                lossy(option)
            )
        };
        // (current value, if it matters here; smallest valid value)
        let numeric: Option<(Option<u64>, i64)> = if is(option, "down-after-milliseconds") {
            Some((Some(view.down_after_ms), 1))
        } else if is(option, "failover-timeout") {
            Some((Some(view.failover_timeout_ms), 1))
        } else if is(option, "parallel-syncs") {
            Some((Some(view.parallel_syncs.into()), 1))
        } else if is(option, "quorum") {
            Some((Some(view.quorum.into()), 1))
        } else if is(option, "master-reboot-down-after-period") {
            // Concerns reboot detection: no effect here.
            Some((None, 0))
        } else {
            None
        };
        if let Some((current, min)) = numeric {
            if more < 1 {
                return reply.error(&unknown());
            }
            let v = argv[j + 1];
            let Some(n) = parse_i64(v).filter(|n| *n >= min) else {
                return reply.error(&invalid(v));
            };
            if current.is_some_and(|c| c != n as u64) && refused.is_none() {
                refused = Some(lossy(option).to_ascii_lowercase());
            }
            j += 2;
        } else if is(option, "notification-script") || is(option, "client-reconfig-script") {
            if more < 1 {
                return reply.error(&unknown());
            }
            return reply.error("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration");
        } else if is(option, "auth-pass") || is(option, "auth-user") {
            if more < 1 {
                return reply.error(&unknown());
            }
            j += 2;
        } else if is(option, "rename-command") {
            if more < 2 {
                return reply.error(&unknown());
            }
            j += 3;
        } else {
            return reply.error(&unknown());
        }
    }
    match refused {
        Some(opt) => reply.error(&format!(
            "ERR SENTINEL SET '{opt}' is not supported by redraft: it follows the cluster's configuration"
        )),
        None => reply.ok(),
    }
}

/// Redis 7.2's `SENTINEL HELP` lines (the title and `HELP` are added by `help`).
const SENTINEL_HELP: &[&str] = &[
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET param value [param value ...]",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param> [param param param ...]",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
];
