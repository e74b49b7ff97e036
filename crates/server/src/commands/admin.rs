//! Administration: COMMAND, TIME, LASTSAVE, ROLE, DEBUG, SHUTDOWN, SLOWLOG, LATENCY,
//! MEMORY, MONITOR.

use super::{cmd, Call, ServerCommand};
use crate::session::Action;
use crate::shared::{unix_ms, unix_us, Shared};
use crate::table::Exec;
use redraft_engine::args::{int, is};
use redraft_engine::command::SYNTAX;
use redraft_engine::glob::glob_match;
use redraft_engine::{flags, flags::*, CmdResult, Error, Keys, Reply};
use std::time::Duration;

const NOS: u32 = NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[ServerCommand] = &[
    cmd(
        "command",
        -1,
        LOADING | STALE,
        Keys::None,
        "server",
        "2.8.13",
        "Returns detailed information about all commands.",
        command,
    )
    .with_subcommands(&[
        cmd(
            "count",
            2,
            LOADING | STALE,
            Keys::None,
            "server",
            "2.8.13",
            "Returns a count of commands.",
            command_count,
        ),
        cmd(
            "info",
            -2,
            LOADING | STALE,
            Keys::None,
            "server",
            "2.8.13",
            "Returns information about one, multiple or all commands.",
            command_info,
        ),
        cmd(
            "docs",
            -2,
            LOADING | STALE,
            Keys::None,
            "server",
            "7.0.0",
            "Returns documentary information about one, multiple or all commands.",
            command_docs,
        ),
        cmd(
            "list",
            -2,
            LOADING | STALE,
            Keys::None,
            "server",
            "7.0.0",
            "Returns a list of command names.",
            command_list,
        ),
        cmd(
            "getkeys",
            -4,
            LOADING | STALE,
            Keys::None,
            "server",
            "2.8.13",
            "Extracts the key names from an arbitrary command.",
            command_getkeys,
        ),
        cmd(
            "getkeysandflags",
            -4,
            LOADING | STALE,
            Keys::None,
            "server",
            "7.0.0",
            "Extracts the key names and access flags for an arbitrary command.",
            command_getkeys,
        ),
        cmd(
            "help",
            2,
            LOADING | STALE,
            Keys::None,
            "server",
            "5.0.0",
            "Returns helpful text about the different subcommands.",
            command_help,
        ),
    ]),
    cmd(
        "time",
        1,
        LOADING | STALE | FAST,
        Keys::None,
        "server",
        "2.6.0",
        "Returns the server time.",
        time,
    ),
    cmd(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        Keys::None,
        "server",
        "2.8.12",
        "Returns the replication role.",
        role,
    ),
    cmd(
        "debug",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        Keys::None,
        "server",
        "1.0.0",
        "A container for debugging commands.",
        debug,
    ),
    cmd(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        Keys::None,
        "server",
        "1.0.0",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        shutdown,
    ),
    cmd(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        Keys::None,
        "server",
        "1.0.0",
        "Listens for all requests received by the server in real-time.",
        monitor,
    ),
    cmd(
        "slowlog",
        -2,
        0,
        Keys::None,
        "server",
        "2.2.12",
        "A container for slow log commands.",
        slowlog_help,
    )
    .with_subcommands(&[
        cmd(
            "get",
            -2,
            ADMIN | LOADING | STALE,
            Keys::None,
            "server",
            "2.2.12",
            "Returns the slow log's entries.",
            slowlog_get,
        ),
        cmd(
            "len",
            2,
            ADMIN | LOADING | STALE,
            Keys::None,
            "server",
            "2.2.12",
            "Returns the number of entries in the slow log.",
            slowlog_len,
        ),
        cmd(
            "reset",
            2,
            ADMIN | LOADING | STALE,
            Keys::None,
            "server",
            "2.2.12",
            "Clears all entries from the slow log.",
            slowlog_reset,
        ),
        cmd(
            "help",
            2,
            LOADING | STALE,
            Keys::None,
            "server",
            "6.2.0",
            "Show helpful text about the different subcommands",
            slowlog_help,
        ),
    ]),
    cmd(
        "latency",
        -2,
        0,
        Keys::None,
        "server",
        "2.8.13",
        "A container for latency diagnostics commands.",
        latency_help,
    )
    .with_subcommands(&[
        cmd(
            "latest",
            2,
            ADMIN | NOS,
            Keys::None,
            "server",
            "2.8.13",
            "Returns the latest latency samples for all events.",
            latency_latest,
        ),
        cmd(
            "history",
            3,
            ADMIN | NOS,
            Keys::None,
            "server",
            "2.8.13",
            "Returns timestamp-latency samples for an event.",
            latency_history,
        ),
        cmd(
            "reset",
            -2,
            ADMIN | NOS,
            Keys::None,
            "server",
            "2.8.13",
            "Resets the latency data for one or more events.",
            latency_reset,
        ),
        cmd(
            "help",
            2,
            LOADING | STALE,
            Keys::None,
            "server",
            "2.8.13",
            "Returns helpful text about the different subcommands.",
            latency_help,
        ),
    ]),
    cmd(
        "memory",
        -2,
        0,
        Keys::None,
        "server",
        "4.0.0",
        "A container for memory diagnostics commands.",
        memory_help,
    )
    .with_subcommands(&[
        cmd(
            "usage",
            -3,
            READONLY,
            Keys::Range {
                first: 2,
                last: 2,
                step: 1,
            },
            "server",
            "4.0.0",
            "Estimates the memory usage of a key.",
            memory_usage,
        ),
        cmd(
            "help",
            2,
            LOADING | STALE,
            Keys::None,
            "server",
            "4.0.0",
            "Returns helpful text about the different subcommands.",
            memory_help,
        ),
    ]),
];

// ---- COMMAND ----

fn acl_categories(e: &Exec) -> Vec<String> {
    let f = e.flags();
    let mut v = vec![];
    let cat = match e.group() {
        "generic" => Some("keyspace"),
        "sorted-set" => Some("sortedset"),
        "server" => None,
        g => Some(g),
    };
    if f & WRITE != 0 {
        v.push("@write".to_string());
    }
    if f & READONLY != 0 {
        v.push("@read".to_string());
    }
    if let Some(c) = cat {
        v.push(format!("@{c}"));
    }
    if f & ADMIN != 0 {
        v.push("@admin".to_string());
        v.push("@dangerous".to_string());
    }
    if f & PUBSUB != 0 {
        v.push("@pubsub".to_string());
    }
    if f & BLOCKING != 0 {
        v.push("@blocking".to_string());
    }
    v.push(if f & FAST != 0 { "@fast" } else { "@slow" }.to_string());
    v
}

fn movable(e: &Exec) -> bool {
    matches!(e.keys(), Keys::Keynum { .. } | Keys::Custom(_))
}

fn command_entry(r: &mut Reply, e: &Exec, full_name: &str, subs: &[Exec]) {
    r.array(10);
    r.bulk(full_name.as_bytes());
    r.int(e.arity() as i64);
    let mut fl: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(b, _)| e.flags() & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if movable(e) {
        fl.push("movablekeys");
    }
    r.set(fl.len());
    for f in fl {
        r.simple(f);
    }
    let (first, last, step) = match e.keys() {
        Keys::Range { first, last, step } => (first, last, step),
        _ => (0, 0, 0),
    };
    r.int(first as i64);
    r.int(last as i64);
    r.int(step as i64);
    let cats = acl_categories(e);
    r.set(cats.len());
    for c in cats {
        r.simple(&c);
    }
    r.set(0);
    key_specs(r, e);
    r.array(subs.len());
    for s in subs {
        command_entry(r, s, &format!("{}|{}", full_name, s.name()), &[]);
    }
}

fn key_specs(r: &mut Reply, e: &Exec) {
    let access: &[&str] = if e.has(WRITE) {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    let (begin, find): (i64, Option<(i64, i64, i64, bool)>) = match e.keys() {
        Keys::None | Keys::Custom(_) => {
            r.array(0);
            return;
        }
        Keys::Range { first, last, step } => {
            let lastkey = if last < 0 {
                last as i64
            } else {
                (last - first) as i64
            };
            (first as i64, Some((lastkey, step as i64, 0, false)))
        }
        Keys::Keynum {
            numkeys,
            first,
            step,
        } => (
            numkeys as i64,
            Some((0, (first - numkeys) as i64, step as i64, true)),
        ),
    };
    r.array(1);
    r.map(3);
    r.bulk(b"flags");
    r.set(access.len());
    for a in access {
        r.simple(a);
    }
    r.bulk(b"begin_search");
    r.map(2);
    r.bulk(b"type");
    r.bulk(b"index");
    r.bulk(b"spec");
    r.map(1);
    r.bulk(b"index");
    r.int(begin);
    r.bulk(b"find_keys");
    r.map(2);
    r.bulk(b"type");
    let Some((a, b, c, keynum)) = find else {
        return;
    };
    if keynum {
        r.bulk(b"keynum");
        r.bulk(b"spec");
        r.map(3);
        r.bulk(b"keynumidx");
        r.int(a);
        r.bulk(b"firstkey");
        r.int(b);
        r.bulk(b"keystep");
        r.int(c);
    } else {
        r.bulk(b"range");
        r.bulk(b"spec");
        r.map(3);
        r.bulk(b"lastkey");
        r.int(a);
        r.bulk(b"keystep");
        r.int(b);
        r.bulk(b"limit");
        r.int(c);
    }
}

fn entry_of(shared: &Shared, name: &[u8]) -> Option<(Exec, Vec<Exec>, String)> {
    // "container|sub" names a subcommand.
    if let Some(p) = name.iter().position(|&c| c == b'|') {
        let e = shared.table.get(&name[..p])?;
        let (s, _) = e
            .subs
            .iter()
            .find(|(s, _)| s.name().as_bytes().eq_ignore_ascii_case(&name[p + 1..]))?;
        return Some((*s, vec![], format!("{}|{}", e.exec.name(), s.name())));
    }
    let e = shared.table.get(name)?;
    Some((
        e.exec,
        e.subs.iter().map(|(s, _)| *s).collect(),
        e.exec.name().to_string(),
    ))
}

fn command(call: &mut Call) -> CmdResult {
    let entries: Vec<_> = call.shared.table.entries().collect();
    call.reply.array(entries.len());
    for e in entries {
        let subs: Vec<Exec> = e.subs.iter().map(|(s, _)| *s).collect();
        command_entry(call.reply, &e.exec, e.exec.name(), &subs);
    }
    Ok(())
}

fn command_count(call: &mut Call) -> CmdResult {
    call.reply.int(call.shared.table.len() as i64);
    Ok(())
}

fn command_info(call: &mut Call) -> CmdResult {
    if call.args.len() == 2 {
        return command(call);
    }
    call.reply.array(call.args.len() - 2);
    for name in &call.args[2..] {
        match entry_of(call.shared, name) {
            Some((e, subs, full)) => command_entry(call.reply, &e, &full, &subs),
            None => call.reply.null(),
        }
    }
    Ok(())
}

fn doc_entry(r: &mut Reply, e: &Exec, subs: &[Exec], full: &str) {
    r.map(if subs.is_empty() { 3 } else { 4 });
    r.bulk(b"summary");
    r.bulk(e.summary().as_bytes());
    r.bulk(b"since");
    r.bulk(e.since().as_bytes());
    r.bulk(b"group");
    r.bulk(e.group().as_bytes());
    if !subs.is_empty() {
        r.bulk(b"subcommands");
        r.map(subs.len());
        for s in subs {
            let n = format!("{}|{}", full, s.name());
            r.bulk(n.as_bytes());
            doc_entry(r, s, &[], &n);
        }
    }
}

fn command_docs(call: &mut Call) -> CmdResult {
    let mut found = vec![];
    if call.args.len() == 2 {
        for e in call.shared.table.entries() {
            found.push((
                e.exec,
                e.subs.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
                e.exec.name().to_string(),
            ));
        }
    } else {
        for name in &call.args[2..] {
            if let Some(x) = entry_of(call.shared, name) {
                found.push(x);
            }
        }
    }
    call.reply.map(found.len());
    for (e, subs, full) in found {
        call.reply.bulk(full.as_bytes());
        doc_entry(call.reply, &e, &subs, &full);
    }
    Ok(())
}

fn command_list(call: &mut Call) -> CmdResult {
    let mut names: Vec<String> = vec![];
    let filter = match call.args.len() {
        2 => None,
        5 if is(call.args[2], "filterby") => Some((call.args[3], call.args[4])),
        _ => return Err(SYNTAX),
    };
    for e in call.shared.table.entries() {
        let all = std::iter::once((e.exec, e.exec.name().to_string())).chain(
            e.subs
                .iter()
                .map(|(s, _)| (*s, format!("{}|{}", e.exec.name(), s.name()))),
        );
        for (x, n) in all {
            let keep = match filter {
                None => true,
                Some((k, v)) if is(k, "pattern") => glob_match(v, n.as_bytes(), true),
                Some((k, v)) if is(k, "aclcat") => {
                    let want = format!("@{}", String::from_utf8_lossy(v).to_ascii_lowercase());
                    acl_categories(&x).contains(&want)
                }
                Some((k, _)) if is(k, "module") => false,
                Some(_) => return Err(SYNTAX),
            };
            if keep {
                names.push(n);
            }
        }
    }
    call.reply.bulks(names.iter());
    Ok(())
}

fn command_getkeys(call: &mut Call) -> CmdResult {
    let with_flags = is(call.args[1], "getkeysandflags");
    let args = &call.args[2..];
    let Some(e) = call.shared.table.get(args[0]) else {
        return Err(Error::new("ERR Invalid command specified"));
    };
    let mut exec = e.exec;
    if !e.subs.is_empty() && args.len() >= 2 {
        if let Some((s, _)) = e
            .subs
            .iter()
            .find(|(s, _)| s.name().as_bytes().eq_ignore_ascii_case(args[1]))
        {
            exec = *s;
        }
    }
    if !exec.arity_ok(args.len()) {
        return Err(Error::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = exec.keys().positions(args);
    if keys.is_empty() {
        return Err(Error::new("ERR The command has no key arguments"));
    }
    call.reply.array(keys.len());
    for k in keys {
        if with_flags {
            call.reply.array(2);
            call.reply.bulk(args[k]);
            let f: &[&str] = if exec.has(WRITE) {
                &["RW", "update"]
            } else {
                &["RO", "access"]
            };
            call.reply.set(f.len());
            for x in f {
                call.reply.simple(x);
            }
        } else {
            call.reply.bulk(args[k]);
        }
    }
    Ok(())
}

fn command_help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "COMMAND",
        &[
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
        ],
    );
    Ok(())
}

// ---- small server commands ----

fn time(call: &mut Call) -> CmdResult {
    let us = unix_us();
    call.reply.array(2);
    call.reply.bulk((us / 1_000_000).to_string().as_bytes());
    call.reply.bulk((us % 1_000_000).to_string().as_bytes());
    Ok(())
}

fn role(call: &mut Call) -> CmdResult {
    if let Some(cl) = call.shared.cluster.get() {
        // The Raft picture in Redis's shape: the leader is the master, offsets are
        // log indexes.
        let v = cl.view();
        let r = &mut *call.reply;
        if v.leading {
            let followers: Vec<_> = v.members.iter().filter(|m| m.id != v.me).collect();
            r.array(3);
            r.bulk(b"master");
            r.int(v.applied as i64);
            r.array(followers.len());
            for m in followers {
                let (host, port) = crate::cluster::host_port(&m.member.addr);
                r.array(3);
                r.bulk(host.as_bytes());
                r.bulk(port.to_string().as_bytes());
                r.bulk(m.matched.unwrap_or(0).to_string().as_bytes());
            }
        } else {
            let (host, port, state) = match &v.leader {
                Some((id, addr)) if *id != v.me => {
                    let (h, p) = crate::cluster::host_port(addr);
                    (h.to_string(), p as i64, "connected")
                }
                _ => ("?".to_string(), 0, "connect"),
            };
            r.array(5);
            r.bulk(b"slave");
            r.bulk(host.as_bytes());
            r.int(port);
            r.bulk(state.as_bytes());
            r.int(v.applied as i64);
        }
        return Ok(());
    }
    call.reply.array(3);
    call.reply.bulk(b"master");
    call.reply.int(0);
    call.reply.array(0);
    Ok(())
}

fn debug(call: &mut Call) -> CmdResult {
    let mode = call.shared.settings().debug_command.clone();
    if mode == "no" || (mode == "local" && !call.sess.local) {
        return Err(Error::new("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    let sub = call.args[1];
    let n = call.args.len();
    if is(sub, "help") {
        super::help(
            call.reply,
            "DEBUG",
            &[
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
                "RELOAD",
                "    Save the RDB on disk and reload it back to memory.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        );
    } else if is(sub, "sleep") && n == 3 {
        let secs = redraft_engine::args::float(call.args[2])?;
        // As in Redis the whole server stops: the core lock is held while sleeping.
        std::thread::sleep(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)));
        call.reply.ok();
    } else if is(sub, "digest") && n == 2 {
        call.reply.simple(&dataset_digest(&call.core.engine));
    } else if is(sub, "reload") && n == 2 {
        if call.shared.loading.active() {
            // Saving now would write the empty stand-in over the file being loaded.
            return Err(Error::new(crate::loading::LOADING_ERR));
        }
        crate::rdb::save(call.shared, call.core)
            .map_err(|e| Error::err(format!("Error trying to save the DB: {e}")))?;
        for db in call.core.engine.dbs.iter_mut() {
            db.clear();
        }
        crate::rdb::load(call.shared, &mut call.core.engine)
            .map_err(|e| Error::err(format!("Error trying to load the RDB dump: {e}")))?;
        tracing::info!("DB reloaded by DEBUG RELOAD");
        call.reply.ok();
    } else if is(sub, "set-active-expire") && n == 3 {
        let on = int(call.args[2])? != 0;
        call.shared
            .active_expire
            .store(on, std::sync::atomic::Ordering::Relaxed);
        call.reply.ok();
    } else {
        return Err(Error::err(format!(
            "Unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            call.arg_str(1)
        )));
    }
    Ok(())
}

fn shutdown(call: &mut Call) -> CmdResult {
    let mut save = None;
    let mut force = false;
    for a in &call.args[1..] {
        if is(a, "nosave") {
            save = Some(false);
        } else if is(a, "save") {
            save = Some(true);
        } else if is(a, "now") {
        } else if is(a, "force") {
            force = true;
        } else if is(a, "abort") {
            return Err(Error::new("ERR No shutdown in progress."));
        } else {
            return Err(SYNTAX);
        }
    }
    // With the AOF on, what is buffered is written and fsynced (Redis's
    // `prepareForShutdown`); a rewrite in progress is stopped.
    if crate::aof::shutdown(call.shared, call.core, force).is_err() {
        return Err(Error::new("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    // Never save a dataset that is still loading (Redis forces NOSAVE then).
    let save = !call.shared.loading.active()
        && save.unwrap_or_else(|| !crate::rdb::save_points(call.shared).is_empty());
    if save {
        call.shared
            .rdb
            .abort
            .store(true, std::sync::atomic::Ordering::SeqCst);
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if crate::rdb::save(call.shared, call.core).is_err() && !force {
            tracing::warn!("Error trying to save the DB, can't exit.");
            return Err(Error::new("ERR Errors trying to SHUTDOWN. Check logs."));
        }
    }
    tracing::info!("User requested shutdown...");
    call.sess.action = Some(Action::Shutdown);
    Ok(())
}

fn monitor(call: &mut Call) -> CmdResult {
    if !call.sess.monitor {
        call.sess.monitor = true;
        call.sess.client.meta.lock().monitor = true;
        call.shared
            .monitors
            .lock()
            .push((call.sess.client.id, call.sess.client.clone()));
        call.shared
            .monitor_count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    call.reply.ok();
    Ok(())
}

/// Stops feeding a client that leaves MONITOR mode (RESET or disconnect).
pub fn remove_monitor(shared: &Shared, id: u64) {
    let mut m = shared.monitors.lock();
    let before = m.len();
    m.retain(|(i, _)| *i != id);
    shared
        .monitor_count
        .fetch_sub(before - m.len(), std::sync::atomic::Ordering::Relaxed);
}

/// Redis's `sdscatrepr`: a quoted, escaped argument.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{:02x}", c).as_bytes()),
        }
    }
    out.push(b'"');
}

/// One MONITOR line for a command, as Redis formats it.
pub fn monitor_line(db: usize, addr: &str, args: &[&[u8]]) -> Vec<u8> {
    let us = unix_us();
    let mut out = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        db,
        addr
    )
    .into_bytes();
    for a in args {
        out.push(b' ');
        repr(&mut out, a);
    }
    out.extend_from_slice(b"\r\n");
    out
}

// ---- SLOWLOG ----

fn slowlog_help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

fn slowlog_get(call: &mut Call) -> CmdResult {
    let count = match call.args.len() {
        2 => 10,
        3 => {
            let n = int(call.args[2])
                .map_err(|_| Error::new("ERR count should be greater than or equal to -1"))?;
            if n < -1 {
                return Err(Error::new(
                    "ERR count should be greater than or equal to -1",
                ));
            }
            if n == -1 {
                usize::MAX
            } else {
                n as usize
            }
        }
        _ => return Err(SYNTAX),
    };
    let log = call.shared.slowlog.lock();
    let n = log.entries.len().min(count);
    call.reply.array(n);
    for e in log.entries.iter().take(n) {
        call.reply.array(6);
        call.reply.int(e.id as i64);
        call.reply.int(e.time as i64);
        call.reply.int(e.micros as i64);
        call.reply.bulks(e.args.iter());
        call.reply.bulk(e.addr.as_bytes());
        call.reply.bulk(e.name.as_bytes());
    }
    Ok(())
}

fn slowlog_len(call: &mut Call) -> CmdResult {
    call.reply
        .int(call.shared.slowlog.lock().entries.len() as i64);
    Ok(())
}

fn slowlog_reset(call: &mut Call) -> CmdResult {
    call.shared.slowlog.lock().entries.clear();
    call.reply.ok();
    Ok(())
}

/// Adds a command to the slow log if it ran longer than `slowlog-log-slower-than`.
pub fn slowlog_push(shared: &Shared, micros: u64, args: &[&[u8]], addr: &str, name: &str) {
    let s = shared.settings();
    if s.slowlog_slower_than < 0 || (micros as i64) < s.slowlog_slower_than {
        return;
    }
    const MAX_ARGC: usize = 32;
    const MAX_STRING: usize = 128;
    let mut kept: Vec<Vec<u8>> = vec![];
    for (i, a) in args.iter().enumerate() {
        if i == MAX_ARGC - 1 && args.len() > MAX_ARGC {
            kept.push(format!("... ({} more arguments)", args.len() - MAX_ARGC + 1).into_bytes());
            break;
        }
        if a.len() > MAX_STRING {
            let mut v = a[..MAX_STRING].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            kept.push(v);
        } else {
            kept.push(a.to_vec());
        }
    }
    let mut log = shared.slowlog.lock();
    let id = log.next_id;
    log.next_id += 1;
    log.entries.push_front(crate::shared::SlowEntry {
        id,
        time: (unix_ms() / 1000) as u64,
        micros,
        args: kept,
        addr: addr.to_string(),
        name: name.to_string(),
    });
    while log.entries.len() > s.slowlog_max_len {
        log.entries.pop_back();
    }
}

// ---- LATENCY ----

fn latency_help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "LATENCY",
        &[
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
        ],
    );
    Ok(())
}

fn latency_latest(call: &mut Call) -> CmdResult {
    let l = call.shared.latency.lock();
    call.reply.array(l.len());
    for (name, s) in l.iter() {
        let (t, ms) = s.samples.back().copied().unwrap_or((0, 0));
        call.reply.array(4);
        call.reply.bulk(name.as_bytes());
        call.reply.int(t as i64);
        call.reply.int(ms as i64);
        call.reply.int(s.max as i64);
    }
    Ok(())
}

fn latency_history(call: &mut Call) -> CmdResult {
    let l = call.shared.latency.lock();
    let name = String::from_utf8_lossy(call.args[2]);
    match l.get(name.as_ref()) {
        None => call.reply.array(0),
        Some(s) => {
            call.reply.array(s.samples.len());
            for (t, ms) in &s.samples {
                call.reply.array(2);
                call.reply.int(*t as i64);
                call.reply.int(*ms as i64);
            }
        }
    }
    Ok(())
}

fn latency_reset(call: &mut Call) -> CmdResult {
    let mut l = call.shared.latency.lock();
    let n = if call.args.len() == 2 {
        let n = l.len();
        l.clear();
        n
    } else {
        let mut n = 0;
        for a in &call.args[2..] {
            if l.remove(String::from_utf8_lossy(a).as_ref()).is_some() {
                n += 1;
            }
        }
        n
    };
    call.reply.int(n as i64);
    Ok(())
}

// ---- MEMORY ----

fn memory_help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "MEMORY",
        &[
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

fn memory_usage(call: &mut Call) -> CmdResult {
    match call.args.len() {
        3 => {}
        5 if is(call.args[3], "samples") => {
            int(call.args[4])?;
        }
        _ => return Err(SYNTAX),
    }
    let db = &call.core.engine.dbs[call.sess.db];
    let key = call.args[2];
    match db.peek(key, call.now) {
        None => call.reply.null(),
        Some(o) => {
            // Key bytes, value bytes, the table entry (hash, key box, object) and the
            // index slot, rounded as the allocator rounds small blocks.
            let round = |n: usize| if n == 0 { 0 } else { n.next_multiple_of(16) };
            let entry = 8 + 16 + std::mem::size_of::<redraft_engine::Object>() + 8;
            let ttl = if db.expire_of(key).is_some() {
                entry + round(key.len())
            } else {
                0
            };
            call.reply
                .int((round(key.len()) + round(o.value.heap_size()) + entry + ttl) as i64);
        }
    }
    Ok(())
}

/// `DEBUG DIGEST`: 40 hex characters that depend on every key, value (in its DUMP
/// form, so also on the order hashes and sets iterate in), deadline and database, and
/// not on the order keys are stored in. All zeros for an empty dataset, as in Redis.
/// Two nodes of a cluster that applied the same log have the same digest.
pub fn dataset_digest(engine: &redraft_engine::Engine) -> String {
    use redraft_engine::codec::ValueCodec;
    let mut total = [0u8; 20];
    for (i, db) in engine.dbs.iter().enumerate() {
        for (k, o) in db.keys.iter() {
            let mut h = sha1_smol::Sha1::new();
            h.update(&(i as u64).to_le_bytes());
            h.update(&(k.len() as u64).to_le_bytes());
            h.update(k);
            h.update(&crate::rdb::Codec.dump(&o.value));
            h.update(&db.expires.get(k).copied().unwrap_or(-1).to_le_bytes());
            for (t, b) in total.iter_mut().zip(h.digest().bytes()) {
                *t ^= b;
            }
        }
    }
    total.iter().map(|b| format!("{b:02x}")).collect()
}
