//! Cluster mode's path for a session's commands (`crate::cluster` is the node side).
//!
//! A batch's writes are gathered into one entry (`PendingWrites`): consecutive
//! pipelined writes share it, a MULTI/EXEC body is one, a blocking command is alone.
//! The entry is proposed under the core lock when the batch stops, and the session
//! waits for its apply result outside it. Reads run on the leader after the batch's
//! read barrier; on a follower only with `replica-read stale`. A blocking command that
//! finds nothing parks the client on the leader; when a key it waits on is written,
//! the client proposes its command again.

use crate::cluster::{Cluster, Pending};
use crate::session::{block_deadline, reject, wait_unblocked, PendingWrites, SessionState, Step};
use crate::shared::{unix_ms, Core, Shared};
use crate::table::{Exec, Resolved};
use crate::waiting::Blocked;
use redraft_engine::flags::BLOCKING;
use redraft_engine::Reply;
use redraft_raft::{Argv, Request};
use std::sync::atomic::Ordering;
use tokio::net::tcp::OwnedReadHalf;

/// A read on a follower without `replica-read stale`. READONLY, so that clients that
/// follow Sentinel (redis-client, ioredis) look for the leader again.
pub const READ_REFUSED: &str =
    "READONLY You can't read against a follower: reads go to the leader (or set replica-read stale)";

/// Routes a resolved data command in cluster mode: a write joins the batch's entry, a
/// read runs here only where it may. None: run it as usual.
#[allow(clippy::too_many_arguments)]
pub fn route(
    shared: &Shared,
    cl: &Cluster,
    core: &mut Core,
    sess: &mut SessionState,
    r: &Resolved,
    argv: &[&[u8]],
    out: &mut Reply,
    start: usize,
) -> Option<Step> {
    let write = match r.exec {
        Exec::Engine(c) => c.is_write(),
        // PUBLISH goes through the log, so that every node's subscribers get it, in
        // order.
        Exec::Server(_) => r.exec.name() == "publish" && r.parent.is_none(),
    };
    if !write && !matches!(r.exec, Exec::Engine(_)) {
        return None;
    }
    // A follower that forwards sends reads to the leader too (through the log, so
    // they are linearizable), unless it may serve them stale.
    let forwarded = !cl.is_leader() && cl.forward_writes && (write || !cl.replica_read_stale);
    if write || forwarded {
        if !cl.is_leader() && !forwarded {
            return Some(reject(shared, sess, out, start, cl.refusal()));
        }
        // WATCH: a write accepted now counts for the watchers of its keys at once,
        // before it applies (an EXEC checked in between must fail).
        if core.waiters.watched_keys() > 0 {
            for k in r.exec.keys().positions(argv) {
                if let Some(key) = argv.get(k) {
                    core.waiters.touch(sess.db, key);
                }
            }
        }
        let blocking = r.exec.flags() & BLOCKING != 0;
        let p = sess
            .pending
            .get_or_insert_with(|| PendingWrites::new(sess.db));
        p.push(argv);
        p.stats.push(r.stat);
        p.blocking = blocking;
        return Some(Step::Queued { flush: blocking });
    }
    if !cl.is_leader() && !cl.replica_read_stale {
        return Some(reject(shared, sess, out, start, READ_REFUSED));
    }
    if cl.is_leader() && !sess.read_ok {
        return Some(reject(shared, sess, out, start, crate::cluster::NOQUORUM));
    }
    None
}

/// An entry proposed for a session: what to do with its outcome.
pub struct Proposal {
    rx: Result<Submitted, &'static str>,
    writes: PendingWrites,
    resp3: bool,
}

/// Where an entry went: proposed here, or to be forwarded to the leader.
enum Submitted {
    Here(Pending),
    Forward(Request),
}

/// Proposes the batch's entry (the caller holds the core lock), or readies it for
/// forwarding.
pub fn propose(cl: &Cluster, core: &mut Core, p: PendingWrites, now: i64, out: &Reply) -> Proposal {
    let resp3 = out.resp3();
    let req = request(core, &p, now, resp3);
    let rx = if !cl.is_leader() && cl.forward_writes {
        Ok(Submitted::Forward(req))
    } else {
        cl.propose(req).map(Submitted::Here)
    };
    Proposal {
        rx,
        writes: p,
        resp3,
    }
}

fn request(core: &mut Core, p: &PendingWrites, now: i64, resp3: bool) -> Request {
    Request::Commands {
        db: p.db as u32,
        time_ms: core.engine.entry_time(now),
        seed: core.repl.read_seed(),
        resp3,
        may_block: p.blocking,
        commands: p.commands.clone(),
    }
}

/// Waits for a proposal's outcome and writes its replies to `out` (a blocked command
/// parks first). False if the connection must close.
pub async fn finish(
    shared: &Shared,
    cl: &Cluster,
    sess: &mut SessionState,
    rd: &mut OwnedReadHalf,
    buf: &mut Vec<u8>,
    prop: Proposal,
    out: &mut Reply,
) -> bool {
    let outcome: Result<redraft_raft::Response, String> = match prop.rx {
        Ok(Submitted::Here(rx)) => cl.outcome(rx).await.map_err(String::from),
        Ok(Submitted::Forward(req)) => cl.forward(req).await,
        Err(e) => Err(e.to_string()),
    };
    let w = prop.writes;
    match outcome {
        Ok(resp) if resp.blocked => {
            if let Some(cmd) = w.commands.first() {
                return block(shared, cl, sess, rd, buf, w.db, cmd, prop.resp3, out).await;
            }
        }
        Ok(resp) => {
            if let Some(n) = w.exec {
                out.array(n);
            }
            out.buf.extend_from_slice(&resp.reply);
        }
        Err(e) => {
            let n = if w.exec.is_some() {
                1
            } else {
                w.commands.len()
            };
            for _ in 0..n {
                let at = out.buf.len();
                out.error(&e);
                shared.count_error(&out.buf[at..]);
            }
        }
    }
    for s in &w.stats {
        shared.table.stats[*s].calls.fetch_add(1, Ordering::Relaxed);
        shared
            .stats
            .commands_processed
            .fetch_add(1, Ordering::Relaxed);
    }
    true
}

/// A blocking command that found nothing: parks the client on the leader and, each
/// time a key it waits on is written, proposes it again, until it is served, times
/// out, or is unblocked (CLIENT UNBLOCK, loss of leadership).
#[allow(clippy::too_many_arguments)]
async fn block(
    shared: &Shared,
    cl: &Cluster,
    sess: &mut SessionState,
    rd: &mut OwnedReadHalf,
    buf: &mut Vec<u8>,
    db: usize,
    cmd: &Argv,
    resp3: bool,
    out: &mut Reply,
) -> bool {
    let argv: Vec<&[u8]> = cmd.iter().map(|a| &a[..]).collect();
    let now = unix_ms();
    let deadline = block_deadline(&argv, now);
    let keys: Vec<Box<[u8]>> = {
        let k = redraft_engine::commands::list::blocking_keys(&argv);
        let k = if k.is_empty() {
            shared
                .table
                .resolve(&argv)
                .map(|r| r.exec.keys().positions(&argv))
                .unwrap_or_default()
        } else {
            k
        };
        k.iter()
            .filter_map(|&i| argv.get(i))
            .map(|k| Box::<[u8]>::from(*k))
            .collect()
    };
    let proto = out.proto;
    let mut flushed = out.buf.len();
    loop {
        // Park, unless a key is already there (written between the apply and now).
        let ready = {
            let mut core = shared.core.lock();
            let core = &mut *core;
            let ready = keys
                .iter()
                .any(|k| core.engine.dbs[db].exists(k, unix_ms()));
            if !ready {
                core.waiters.block(
                    &mut core.engine,
                    Blocked {
                        client: sess.client.clone(),
                        db,
                        argv: argv.iter().map(|a| a.to_vec()).collect(),
                        keys: keys.clone(),
                        proto,
                    },
                );
            }
            ready
        };
        if !ready {
            if flushed < out.buf.len() {
                crate::session::flush_out(shared, sess, out);
                flushed = 0;
            }
            if !wait_unblocked(shared, sess, rd, buf, deadline, proto).await {
                return false;
            }
            // Still parked: woken because a key was written. Otherwise it was answered
            // meanwhile (timeout, CLIENT UNBLOCK, loss of leadership).
            let mut core = shared.core.lock();
            let core = &mut *core;
            if core
                .waiters
                .unblock(&mut core.engine, sess.client.id)
                .is_none()
            {
                return true;
            }
        }
        if deadline.is_some_and(|d| d <= std::time::Instant::now()) {
            out.buf
                .extend_from_slice(&crate::waiting::timeout_reply(proto));
            return true;
        }
        let req = {
            let mut core = shared.core.lock();
            let mut p = PendingWrites::new(db);
            p.blocking = true;
            p.commands.push(cmd.clone());
            request(&mut core, &p, unix_ms(), resp3)
        };
        let outcome = cl.submit(req).await;
        match outcome {
            Ok(r) if r.blocked => continue,
            Ok(r) => {
                out.buf.extend_from_slice(&r.reply);
                return true;
            }
            Err(e) => {
                out.error(&e);
                return true;
            }
        }
    }
}
