//! CONFIG GET / SET / RESETSTAT / REWRITE.

use super::{cmd, Call, ServerCommand};
use crate::config::{param, validate, PARAMS};
use redraft_engine::glob::glob_match;
use redraft_engine::{flags::*, CmdResult, Error, Keys};
use std::sync::atomic::Ordering;

const F: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[ServerCommand] = &[cmd(
    "config",
    -2,
    0,
    Keys::None,
    "server",
    "2.0.0",
    "A container for server configuration commands.",
    help,
)
.with_subcommands(&[
    cmd(
        "get",
        -3,
        F,
        Keys::None,
        "server",
        "2.0.0",
        "Returns the effective values of configuration parameters.",
        get,
    ),
    cmd(
        "set",
        -4,
        F,
        Keys::None,
        "server",
        "2.0.0",
        "Sets configuration parameters in-flight.",
        set,
    ),
    cmd(
        "resetstat",
        2,
        F,
        Keys::None,
        "server",
        "2.0.0",
        "Resets the server's statistics.",
        resetstat,
    ),
    cmd(
        "rewrite",
        2,
        F,
        Keys::None,
        "server",
        "2.8.0",
        "Persists the effective configuration to file.",
        rewrite,
    ),
    cmd(
        "help",
        2,
        LOADING | STALE,
        Keys::None,
        "server",
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        help,
    ),
])];

fn help(call: &mut Call) -> CmdResult {
    super::help(
        call.reply,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

fn get(call: &mut Call) -> CmdResult {
    let cfg = call.shared.config.read();
    let mut out: Vec<(&str, String)> = vec![];
    for pat in &call.args[2..] {
        for p in PARAMS {
            for name in std::iter::once(p.name).chain(p.alias) {
                if glob_match(pat, name.as_bytes(), true) && !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, cfg.get(p.name).to_string()));
                }
            }
        }
    }
    drop(cfg);
    call.reply.map(out.len());
    for (n, v) in out {
        call.reply.bulk(n.as_bytes());
        call.reply.bulk(v.as_bytes());
    }
    Ok(())
}

/// CONFIG SET name value [name value ...]: all or nothing, as Redis 7.
fn set(call: &mut Call) -> CmdResult {
    if !call.args.len().is_multiple_of(2) {
        return Err(Error::new(
            "ERR wrong number of arguments for 'config|set' command",
        ));
    }
    let mut changes = vec![];
    for pair in call.args[2..].chunks(2) {
        let name = String::from_utf8_lossy(pair[0]).into_owned();
        let value = String::from_utf8_lossy(pair[1]).into_owned();
        let Some(p) = param(&name) else {
            return Err(Error::err(format!(
                "Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if changes
            .iter()
            .any(|(q, _): &(&crate::config::Param, String)| q.name == p.name)
        {
            return Err(Error::err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
            )));
        }
        if !p.mutable {
            return Err(Error::err(format!("CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config")));
        }
        let v = validate(p, &value)
            .and_then(|v| check_supported(p.name, &v).map(|_| v))
            .map_err(|m| {
                Error::err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - {m}"
                ))
            })?;
        changes.push((p, v));
    }
    let aof_was = call.shared.config.read().get("appendonly") == "yes";
    let aof_to = changes
        .iter()
        .find(|(p, _)| p.name == "appendonly")
        .map(|(_, v)| v == "yes");
    let previous: Vec<(&'static str, String)> = {
        let cfg = call.shared.config.read();
        changes
            .iter()
            .map(|(p, _)| (p.name, cfg.get(p.name).to_string()))
            .collect()
    };
    {
        let mut cfg = call.shared.config.write();
        for (p, v) in changes {
            if p.name == "client-output-buffer-limit" {
                let mut first = true;
                let args: Vec<String> = v.split_whitespace().map(String::from).collect();
                cfg.apply_directive(p.name, &args, &mut first)
                    .map_err(|m| {
                        Error::err(format!(
                            "CONFIG SET failed (possibly related to argument '{}') - {m}",
                            p.name
                        ))
                    })?;
            } else {
                cfg.values.insert(p.name, v);
            }
        }
    }
    call.shared.refresh_settings(call.core);
    if let Some(on) = aof_to.filter(|on| *on != aof_was) {
        if crate::aof::set_enabled(call.shared, call.core, on).is_err() {
            // All or nothing: the other values of this CONFIG SET are undone too.
            let mut cfg = call.shared.config.write();
            for (name, v) in previous {
                cfg.values.insert(name, v);
            }
            drop(cfg);
            call.shared.refresh_settings(call.core);
            return Err(Error::new("ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs."));
        }
    }
    crate::logging::apply_level(&call.shared.config.read());
    call.reply.ok();
    Ok(())
}

/// Values the configuration syntax allows but this build cannot honour are refused
/// rather than silently ignored.
pub fn check_supported(name: &str, value: &str) -> Result<(), String> {
    match (name, value) {
        ("appendfilename", v)
            if v.is_empty() || v == "." || v == ".." || v.contains(['/', '\\']) =>
        {
            Err("appendfilename can't be a path, just a filename".into())
        }
        ("appenddirname", v)
            if v.is_empty() || v == "." || v == ".." || v.contains(['/', '\\']) =>
        {
            Err("appenddirname can't be a path, just a dirname".into())
        }
        ("daemonize", "yes") => {
            Err("redraft does not daemonize; run it under your service manager".into())
        }
        ("dbfilename", v) if v.contains('/') || v.is_empty() => {
            Err("dbfilename can't be a path, just a filename".into())
        }
        _ => Ok(()),
    }
}

fn resetstat(call: &mut Call) -> CmdResult {
    let s = &call.shared.stats;
    for c in [
        &s.connections_received,
        &s.rejected_connections,
        &s.commands_processed,
        &s.net_input_bytes,
        &s.net_output_bytes,
        &s.evicted_keys,
        &s.error_replies,
        &s.unexpected_error_replies,
        &s.reads_processed,
        &s.writes_processed,
        &s.expire_cycle_ms,
        &s.query_buffer_disconnections,
    ] {
        c.store(0, Ordering::Relaxed);
    }
    s.peak_memory
        .store(crate::alloc::used_memory(), Ordering::Relaxed);
    for c in &call.shared.table.stats {
        c.calls.store(0, Ordering::Relaxed);
        c.usec.store(0, Ordering::Relaxed);
        c.rejected.store(0, Ordering::Relaxed);
        c.failed.store(0, Ordering::Relaxed);
    }
    call.shared.errorstats.lock().clear();
    for db in &mut call.core.engine.dbs {
        db.hits = 0;
        db.misses = 0;
        db.expired_keys = 0;
    }
    call.reply.ok();
    Ok(())
}

fn rewrite(call: &mut Call) -> CmdResult {
    let cfg = call.shared.config.read().clone();
    cfg.rewrite().map_err(Error::new)?;
    tracing::info!("CONFIG REWRITE executed with success");
    call.reply.ok();
    Ok(())
}
