//! Instance entries: the replies of `SENTINEL MASTER(S)`, `REPLICAS`/`SLAVES` and
//! `SENTINELS`, field for field as Redis's `addReplySentinelRedisInstance` writes them.
//!
//! Every value is a bulk string, numbers included (`$4 6379`, never `:6379`); an entry
//! is a RESP3 map, or a flat `[k1, v1, k2, v2, ...]` array in RESP2 (redis-client and
//! redis-py 8 index RESP3 entries as hashes). Field order, as Redis 7.2:
//!
//! ```text
//! all       name ip port runid flags link-pending-commands link-refcount
//!           [failover-state] last-ping-sent last-ok-ping-reply last-ping-reply
//!           [s-down-time] [o-down-time] down-after-milliseconds
//! master    info-refresh role-reported role-reported-time config-epoch num-slaves
//!           num-other-sentinels quorum failover-timeout parallel-syncs
//! replica   info-refresh role-reported role-reported-time master-link-down-time
//!           master-link-status master-host master-port slave-priority
//!           slave-repl-offset replica-announced
//! sentinel  last-hello-message voted-leader voted-leader-epoch
//! ```
//!
//! Values come from the `View`: flags `s_down,o_down` on the master when it is
//! unreachable or no leader is known, `s_down` and `disconnected` on any unreachable
//! instance, `failover_in_progress` (with `failover-state wait_promotion`) while a
//! leadership transfer runs. Timings Sentinel measures itself are mapped onto what Raft
//! knows: every "since last reply" field is `last_ok_ping_ms`, `last-ping-sent` and the
//! down times are `down_since_ms`. There are no pending commands, no INFO polling and
//! no Sentinel votes, so `link-pending-commands` is 0, `voted-leader` is `?`.

use crate::view::{placeholder, Node, SentinelPeer, View};
use redraft_resp::Reply;

/// An entry's fields, in order, before encoding.
pub(crate) type Fields = Vec<(&'static str, String)>;

pub(crate) fn write(reply: &mut Reply, fields: &Fields) {
    reply.map(fields.len());
    for (k, v) in fields {
        reply.bulk(k.as_bytes());
        reply.bulk(v.as_bytes());
    }
}

/// Flags in Sentinel's order (`s_down,o_down,master,slave,sentinel,disconnected,
/// master_down,failover_in_progress,...`).
fn flags(s_down: bool, o_down: bool, role: &str, disconnected: bool, failover: bool) -> String {
    let mut f: Vec<&str> = Vec::with_capacity(5);
    if s_down {
        f.push("s_down");
    }
    if o_down {
        f.push("o_down");
    }
    f.push(role);
    if disconnected {
        f.push("disconnected");
    }
    if failover {
        f.push("failover_in_progress");
    }
    f.join(",")
}

/// The master's entry: the leader, or (flagged down) the last known leader, or a
/// placeholder at `?:0` when no leader was ever known.
pub(crate) fn master(view: &View) -> Fields {
    let ph;
    let m: &Node = match view.shown_master() {
        Some(m) => m,
        None => {
            ph = placeholder();
            &ph
        }
    };
    let known = view.shown_master().is_some();
    let down = view.master_down();
    let disconnected = !known || !m.reachable;
    let mut f: Fields = vec![
        ("name", view.master_name.clone()),
        ("ip", m.addr.ip.clone()),
        ("port", m.addr.port.to_string()),
        ("runid", m.run_id.clone()),
        (
            "flags",
            flags(
                down,
                down,
                "master",
                disconnected,
                view.failover_in_progress,
            ),
        ),
        ("link-pending-commands", "0".into()),
        ("link-refcount", "1".into()),
    ];
    if view.failover_in_progress {
        f.push(("failover-state", "wait_promotion".into()));
    }
    common_pings(&mut f, m.reachable, m.down_since_ms, m.last_ok_ping_ms);
    if down {
        f.push(("s-down-time", m.down_since_ms.to_string()));
        f.push(("o-down-time", m.down_since_ms.to_string()));
    }
    f.push(("down-after-milliseconds", view.down_after_ms.to_string()));
    f.push(("info-refresh", m.last_ok_ping_ms.to_string()));
    f.push(("role-reported", "master".into()));
    f.push(("role-reported-time", m.last_ok_ping_ms.to_string()));
    f.push(("config-epoch", view.epoch.to_string()));
    f.push(("num-slaves", view.replicas.len().to_string()));
    f.push(("num-other-sentinels", view.sentinels.len().to_string()));
    f.push(("quorum", view.quorum.to_string()));
    f.push(("failover-timeout", view.failover_timeout_ms.to_string()));
    f.push(("parallel-syncs", view.parallel_syncs.to_string()));
    f
}

fn common_pings(f: &mut Fields, reachable: bool, down_ms: u64, last_ok_ms: u64) {
    // last-ping-sent: how long the unanswered PING has been pending (0: none).
    let pending = if reachable { 0 } else { down_ms };
    f.push(("last-ping-sent", pending.to_string()));
    f.push(("last-ok-ping-reply", last_ok_ms.to_string()));
    f.push(("last-ping-reply", last_ok_ms.to_string()));
}

/// A replica's entry. Its link to the master is `ok` while both it and a reachable
/// leader are up; `master-host` is `?` (port 0) while no leader is known.
pub(crate) fn replica(view: &View, r: &Node) -> Fields {
    let mut f: Fields = vec![
        ("name", r.addr.name()),
        ("ip", r.addr.ip.clone()),
        ("port", r.addr.port.to_string()),
        ("runid", r.run_id.clone()),
        (
            "flags",
            flags(!r.reachable, false, "slave", !r.reachable, false),
        ),
        ("link-pending-commands", "0".into()),
        ("link-refcount", "1".into()),
    ];
    common_pings(&mut f, r.reachable, r.down_since_ms, r.last_ok_ping_ms);
    if !r.reachable {
        f.push(("s-down-time", r.down_since_ms.to_string()));
    }
    f.push(("down-after-milliseconds", view.down_after_ms.to_string()));
    f.push(("info-refresh", r.last_ok_ping_ms.to_string()));
    f.push(("role-reported", "slave".into()));
    f.push(("role-reported-time", r.last_ok_ping_ms.to_string()));
    let live = view.live_master();
    let link_ok = r.reachable && live.is_some();
    let link_down = if link_ok {
        0
    } else if !r.reachable {
        r.down_since_ms
    } else {
        view.shown_master().map_or(0, |m| m.down_since_ms)
    };
    f.push(("master-link-down-time", link_down.to_string()));
    f.push((
        "master-link-status",
        if link_ok { "ok" } else { "err" }.into(),
    ));
    let (host, port) = match &view.master {
        Some(m) => (m.addr.ip.clone(), m.addr.port),
        None => ("?".to_string(), 0),
    };
    f.push(("master-host", host));
    f.push(("master-port", port.to_string()));
    f.push(("slave-priority", "100".into()));
    f.push(("slave-repl-offset", r.offset.to_string()));
    f.push(("replica-announced", "1".into()));
    f
}

/// A peer sentinel's entry, keyed (`name`) by its run id as Sentinel keys them.
pub(crate) fn sentinel(view: &View, p: &SentinelPeer) -> Fields {
    let mut f: Fields = vec![
        ("name", p.run_id.clone()),
        ("ip", p.addr.ip.clone()),
        ("port", p.addr.port.to_string()),
        ("runid", p.run_id.clone()),
        (
            "flags",
            flags(!p.reachable, false, "sentinel", !p.reachable, false),
        ),
        ("link-pending-commands", "0".into()),
        ("link-refcount", "1".into()),
    ];
    common_pings(&mut f, p.reachable, p.last_ok_ping_ms, p.last_ok_ping_ms);
    if !p.reachable {
        f.push(("s-down-time", p.last_ok_ping_ms.to_string()));
    }
    f.push(("down-after-milliseconds", view.down_after_ms.to_string()));
    f.push(("last-hello-message", p.last_ok_ping_ms.to_string()));
    f.push(("voted-leader", "?".into()));
    f.push(("voted-leader-epoch", "0".into()));
    f
}
