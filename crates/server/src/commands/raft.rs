//! `RAFT`: cluster administration on the client port. `STATUS` shows the Raft picture;
//! `ADDNODE`, `REMOVENODE` and `TRANSFER` change it. Changes take Raft rounds, so they
//! run after the batch, outside the core lock, and the client waits for the outcome.

use super::{cmd, Call, ServerCommand};
use crate::cluster::{parse_peers, Cluster};
use redraft_engine::flags::{ADMIN, LOADING, NOSCRIPT, NO_MULTI, STALE};
use redraft_engine::{CmdResult, Error, Keys};
use std::fmt::Write;
use std::sync::Arc;

pub static COMMANDS: &[ServerCommand] = &[cmd(
    "raft",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI,
    Keys::None,
    "server",
    "7.2.4",
    "Cluster mode: shows and changes the Raft membership and leadership.",
    raft,
)];

fn cluster(call: &Call) -> Result<Arc<Cluster>, Error> {
    call.shared
        .cluster
        .get()
        .cloned()
        .ok_or_else(|| Error::new("ERR This instance has cluster support disabled"))
}

fn is(a: &[u8], w: &str) -> bool {
    a.eq_ignore_ascii_case(w.as_bytes())
}

fn node_id(a: &[u8]) -> Result<u64, Error> {
    std::str::from_utf8(a)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::new("ERR node id must be a positive integer"))
}

fn raft(call: &mut Call) -> CmdResult {
    let sub = call.args[1];
    let n = call.args.len();
    if is(sub, "help") && n == 2 {
        super::help(
            call.reply,
            "RAFT",
            &[
                "STATUS",
                "    Show this node's Raft state, the leader and every member.",
                "ADDNODE <id> <host:port[@clusterport]>",
                "    Add a node: as a learner that catches up, then as a voter.",
                "REMOVENODE <id>",
                "    Remove a node from the cluster.",
                "TRANSFER [<id>]",
                "    Hand leadership to node <id>, or to the most up-to-date follower.",
            ],
        );
        return Ok(());
    }
    let cl = cluster(call)?;
    if is(sub, "status") && n == 2 {
        let v = cl.view();
        let mut o = String::new();
        let _ = writeln!(o, "node_id:{}", v.me);
        let _ = writeln!(o, "role:{}", if v.leading { "leader" } else { "follower" });
        let _ = writeln!(o, "raft_state:{}", v.state);
        let _ = writeln!(o, "term:{}", v.term);
        match &v.leader {
            Some((id, addr)) => {
                let _ = writeln!(o, "leader_id:{id}");
                let _ = writeln!(o, "leader_addr:{addr}");
            }
            None => {
                let _ = writeln!(o, "leader_id:none");
            }
        }
        let _ = writeln!(o, "last_log_index:{}", v.last_log);
        let _ = writeln!(o, "applied_index:{}", v.applied);
        let _ = writeln!(o, "snapshot_index:{}", v.snapshot);
        if let Some(ms) = v.millis_since_quorum_ack {
            let _ = writeln!(o, "millis_since_quorum_ack:{ms}");
        }
        for m in &v.members {
            let _ = write!(
                o,
                "member:{} addr={} cluster={} voter={}",
                m.id,
                m.member.addr,
                m.member.cluster,
                if m.voter { "yes" } else { "no" }
            );
            if let Some(x) = m.matched {
                let _ = write!(o, " matched={x}");
            }
            o.push('\n');
        }
        call.reply.verbatim(o.as_bytes());
        return Ok(());
    }
    if is(sub, "addnode") && n == 4 {
        let id = node_id(call.args[2])?;
        let spec = format!("{id}={}", String::from_utf8_lossy(call.args[3]));
        let member = parse_peers(&spec)
            .map_err(|e| Error::new(format!("ERR {e}")))?
            .remove(&id)
            .ok_or_else(|| Error::new("ERR bad address"))?;
        call.sess.deferred = Some(Box::pin(async move {
            cl.add_node(id, member).await.map(|()| None)
        }));
        return Ok(());
    }
    if is(sub, "removenode") && n == 3 {
        let id = node_id(call.args[2])?;
        call.sess.deferred = Some(Box::pin(
            async move { cl.remove_node(id).await.map(|()| None) },
        ));
        return Ok(());
    }
    if is(sub, "transfer") && (n == 2 || n == 3) {
        let to = match call.args.get(2) {
            Some(a) => Some(node_id(a)?),
            None => None,
        };
        call.sess.deferred = Some(Box::pin(async move {
            cl.transfer(to).await.map(|l| Some(format!("leader:{l}")))
        }));
        return Ok(());
    }
    Err(Error::new(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try RAFT HELP.",
        String::from_utf8_lossy(sub)
    )))
}
