//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Commands queued by MULTI run atomically at EXEC. When they are all data commands
//! (and SELECTs), the whole transaction is one entry through the replicator, as the
//! design requires; a transaction that also holds server commands (PING, CLIENT...) runs
//! command by command under the one core lock, which is atomic here too.

use super::{cmd, Call, ServerCommand};
use crate::session::run_command;
use crate::table::Exec;
use redraft_engine::{flags::*, CmdResult, Error, Keys};

const F: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub const COMMANDS: &[ServerCommand] = &[
    cmd(
        "multi",
        1,
        F | NO_MULTI,
        Keys::None,
        "transactions",
        "1.2.0",
        "Starts a transaction.",
        multi,
    ),
    cmd(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        Keys::None,
        "transactions",
        "1.2.0",
        "Executes all commands in a transaction.",
        exec,
    ),
    cmd(
        "discard",
        1,
        F,
        Keys::None,
        "transactions",
        "2.0.0",
        "Discards a transaction.",
        discard,
    ),
    cmd(
        "watch",
        -2,
        F | NO_MULTI,
        Keys::all(),
        "transactions",
        "2.2.0",
        "Monitors changes to keys to determine the execution of a transaction.",
        watch,
    ),
    cmd(
        "unwatch",
        1,
        F,
        Keys::None,
        "transactions",
        "2.2.0",
        "Forgets about watched keys of a transaction.",
        unwatch,
    ),
];

/// A transaction being queued.
#[derive(Default)]
pub struct Multi {
    pub queued: Vec<Vec<Vec<u8>>>,
    /// A command was refused while queueing: EXEC will abort.
    pub failed: bool,
}

fn multi(call: &mut Call) -> CmdResult {
    if call.sess.multi.is_some() {
        return Err(Error::new("ERR MULTI calls can not be nested"));
    }
    call.sess.multi = Some(Multi::default());
    call.sess.client.meta.lock().multi = 0;
    call.reply.ok();
    Ok(())
}

fn forget_watched(call: &mut Call) {
    let watched = std::mem::take(&mut call.sess.watched);
    call.core
        .waiters
        .unwatch_all(&mut call.core.engine, call.sess.client.id, &watched);
}

fn discard(call: &mut Call) -> CmdResult {
    if call.sess.multi.take().is_none() {
        return Err(Error::new("ERR DISCARD without MULTI"));
    }
    call.sess.client.meta.lock().multi = -1;
    forget_watched(call);
    call.reply.ok();
    Ok(())
}

fn watch(call: &mut Call) -> CmdResult {
    let id = call.sess.client.id;
    let db = call.sess.db;
    for key in &call.args[1..] {
        if call
            .sess
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && &k[..] == *key)
        {
            continue;
        }
        let live = call.core.engine.dbs[db].exists(key, call.now);
        call.core.waiters.watch(&mut call.core.engine, id, db, key);
        call.sess.watched.push((db, (*key).into(), live));
    }
    call.reply.ok();
    Ok(())
}

fn unwatch(call: &mut Call) -> CmdResult {
    forget_watched(call);
    call.reply.ok();
    Ok(())
}

fn exec(call: &mut Call) -> CmdResult {
    let Some(m) = call.sess.multi.take() else {
        return Err(Error::new("ERR EXEC without MULTI"));
    };
    call.sess.client.meta.lock().multi = -1;
    let id = call.sess.client.id;
    let now = call.now;
    // A watched key that was live at WATCH and has expired since counts as modified.
    let expired = call
        .sess
        .watched
        .iter()
        .any(|(db, k, live)| *live && !call.core.engine.dbs[*db].exists(k, now));
    let dirty = expired || call.core.waiters.dirty.contains(&id);
    forget_watched(call);
    if m.failed {
        return Err(Error::new(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if dirty {
        call.reply.null_array();
        return Ok(());
    }
    let resolved: Vec<Option<Exec>> = m
        .queued
        .iter()
        .map(|argv| {
            let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
            call.shared.table.resolve(&args).ok().map(|r| r.exec)
        })
        .collect();
    let is_select = |argv: &Vec<Vec<u8>>| argv[0].eq_ignore_ascii_case(b"select");
    let cluster = call.shared.cluster.get().is_some();
    let one_entry = m.queued.iter().zip(&resolved).all(|(argv, r)| {
        is_select(argv)
            || matches!(r, Some(Exec::Engine(_)))
            // In cluster mode PUBLISH is part of the entry.
            || (cluster && argv[0].eq_ignore_ascii_case(b"publish"))
    });
    let has_write = resolved
        .iter()
        .any(|r| matches!(r, Some(Exec::Engine(c)) if c.is_write()));
    if call.shared.cluster.get().is_some() && has_write {
        if !one_entry {
            return Err(Error::new(
                "ERR in cluster mode a transaction that writes may hold only data commands and SELECT",
            ));
        }
        // Proposed as one entry by the session; its replies come back as one array.
        let mut p = crate::session::PendingWrites::new(call.sess.db);
        p.exec = Some(m.queued.len());
        for argv in &m.queued {
            let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
            p.push(&args);
        }
        call.sess.pending = Some(p);
        select_after(call, &m.queued);
        for argv in &m.queued {
            count_call(call, argv);
        }
        return Ok(());
    }
    call.reply.array(m.queued.len());
    if one_entry && has_write {
        let argvs: Vec<Vec<&[u8]>> = m
            .queued
            .iter()
            .map(|a| a.iter().map(|x| &x[..]).collect())
            .collect();
        let cmds: Vec<&[&[u8]]> = argvs.iter().map(|a| &a[..]).collect();
        let core = &mut *call.core;
        core.repl.write_entry(
            &mut core.engine,
            &mut core.pubsub,
            call.sess.db,
            now,
            &cmds,
            call.reply,
            false,
        );
        core.after_write(now);
        select_after(call, &m.queued);
        for argv in &m.queued {
            count_call(call, argv);
        }
    } else {
        // What these commands propagate goes to the AOF as one MULTI/EXEC.
        call.core.repl.aof.begin_unit();
        for (argv, exec) in m.queued.iter().zip(resolved) {
            let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
            match exec {
                Some(exec) => {
                    run_command(
                        call.shared,
                        call.core,
                        call.sess,
                        exec,
                        &args,
                        now,
                        call.reply,
                        false,
                    );
                }
                None => call.reply.error("ERR unknown command"),
            }
            count_call(call, argv);
        }
        call.core.repl.aof.end_unit();
    }
    Ok(())
}

/// After a transaction applied as one entry: the session is in the database its last
/// valid SELECT chose.
fn select_after(call: &mut Call, queued: &[Vec<Vec<u8>>]) {
    let ndb = call.core.engine.dbs.len();
    for argv in queued {
        if argv.len() == 2 && argv[0].eq_ignore_ascii_case(b"select") {
            if let Some(i) =
                redraft_resp::parse_i64(&argv[1]).filter(|i| *i >= 0 && (*i as usize) < ndb)
            {
                call.sess.db = i as usize;
            }
        }
    }
    call.sess.client.meta.lock().db = call.sess.db;
}

fn count_call(call: &Call, argv: &[Vec<u8>]) {
    let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
    if let Ok(r) = call.shared.table.resolve(&args) {
        call.shared.table.stats[r.stat]
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}
