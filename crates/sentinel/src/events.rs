//! The pub/sub events of a view change, in the order and with the payloads Redis
//! Sentinel publishes (`sentinelEvent`): the channel is the event name, the message
//! its payload, `%@` being the instance details (`master <name> <ip> <port>`, or
//! `slave <ip:port> <ip> <port> @ <name> <master-ip> <master-port>`, or
//! `sentinel <runid> <ip> <port> @ ...`).
//!
//! Master (Raft leader) changes from A to B, as the failover leader of a real Sentinel
//! reports it (captured from redis-sentinel 7.0.15), keeping the events that mean
//! something under Raft:
//!
//! ```text
//! +sdown master mymaster A            only if A was up and is now unreachable
//! +odown master mymaster A #quorum q/q
//! +new-epoch <term>                   if the term rose
//! +try-failover master mymaster A     unless already sent when the failover began
//! +elected-leader master mymaster A
//! -role-change slave B @ mymaster A new reported role is master
//! +promoted-slave slave B @ mymaster A
//! -odown master mymaster A            if A was down
//! +failover-end master mymaster A
//! +switch-master mymaster <A-ip> <A-port> <B-ip> <B-port>
//! +slave slave R @ mymaster B         every replica of B, the old master last
//! +sdown slave R @ mymaster B         every unreachable one (A after a crash)
//! ```
//!
//! Sentinel's own election and reconfiguration steps (`+vote-for-leader`,
//! `+failover-state-*`, `+selected-slave`, `+slave-reconf-*`, `+config-update-from`)
//! are not invented: Raft does that work. Without a change of master:
//!
//! * master unreachable or leader lost: `+sdown master ...`, `+odown master ... #quorum
//!   q/q`; back (same address): `-sdown`, `-odown`.
//! * term rose: `+new-epoch <term>`; `failover_in_progress` set: `+try-failover`.
//!   (Cleared without a change of master: nothing, Redis has no neutral event for it.)
//! * replicas (by run id and address): new `+slave`, unreachable `+sdown slave`, back
//!   `-sdown slave`; sentinels (by run id): new `+sentinel`, moved
//!   `+sentinel-address-switch`, unreachable/back `+sdown`/`-sdown sentinel`.
//!
//! A master first learnt (no earlier leader known) produces no master event, as a
//! Sentinel only announces its monitored master with `+monitor` at startup.

use crate::view::{placeholder, Addr, Node, View};

type Events = Vec<(String, String)>;

fn push(ev: &mut Events, channel: &str, message: String) {
    ev.push((channel.to_string(), message));
}

fn same_node(a: &Node, b: &Node) -> bool {
    a.run_id == b.run_id && a.addr == b.addr
}

pub(crate) fn events(old: &View, new: &View) -> Events {
    let mut ev = Events::new();
    let old_master = old.shown_master().map(|m| m.addr.clone());
    let switch_to = match (&old_master, &new.master) {
        (Some(a), Some(b)) if *a != b.addr => Some((a.clone(), b.addr.clone())),
        _ => None,
    };
    match switch_to {
        Some((a, b)) => switch(&mut ev, old, new, &a, &b),
        None => {
            same_master(&mut ev, old, new, old_master.as_ref());
            if let Some(m) = new.shown_master() {
                replica_changes(&mut ev, old, new, &m.addr);
            }
        }
    }
    if let Some(m) = new.shown_master() {
        sentinel_changes(&mut ev, old, new, &m.addr);
    }
    ev
}

fn odown(view: &View, m: &Addr) -> String {
    format!(
        "{} #quorum {}/{}",
        view.master_details(m),
        view.quorum,
        view.quorum
    )
}

fn switch(ev: &mut Events, old: &View, new: &View, a: &Addr, b: &Addr) {
    let old_down = old.master_down();
    // A crashed between the two views: it is a member but unreachable.
    let a_down_now = !old_down && new.replicas.iter().any(|r| r.addr == *a && !r.reachable);
    if a_down_now {
        push(ev, "+sdown", new.master_details(a));
        push(ev, "+odown", odown(new, a));
    }
    if new.epoch > old.epoch {
        push(ev, "+new-epoch", new.epoch.to_string());
    }
    if !old.failover_in_progress {
        push(ev, "+try-failover", new.master_details(a));
    }
    push(ev, "+elected-leader", new.master_details(a));
    push(
        ev,
        "-role-change",
        format!("{} new reported role is master", new.slave_details(b, a)),
    );
    push(ev, "+promoted-slave", new.slave_details(b, a));
    if old_down || a_down_now {
        push(ev, "-odown", new.master_details(a));
    }
    push(ev, "+failover-end", new.master_details(a));
    push(
        ev,
        "+switch-master",
        format!(
            "{} {} {} {} {}",
            new.master_name, a.ip, a.port, b.ip, b.port
        ),
    );
    // Sentinel forgets its replicas on a switch and rediscovers them, the old master
    // last; down ones are flagged again after down-after-milliseconds.
    let (others, old_master): (Vec<&Node>, Vec<&Node>) =
        new.replicas.iter().partition(|r| r.addr != *a);
    let ordered: Vec<&Node> = others.into_iter().chain(old_master).collect();
    for r in &ordered {
        push(ev, "+slave", new.slave_details(&r.addr, b));
    }
    for r in ordered.iter().filter(|r| !r.reachable) {
        push(ev, "+sdown", new.slave_details(&r.addr, b));
    }
}

fn same_master(ev: &mut Events, old: &View, new: &View, old_master: Option<&Addr>) {
    let ph = placeholder();
    let m = new
        .shown_master()
        .map(|m| &m.addr)
        .or(old_master)
        .unwrap_or(&ph.addr);
    // Down and up events only for a master that was known before.
    let known = old_master.is_some();
    let (was_down, is_down) = (old.master_down(), new.master_down());
    if known && !was_down && is_down {
        push(ev, "+sdown", new.master_details(m));
        push(ev, "+odown", odown(new, m));
    }
    if new.epoch > old.epoch {
        push(ev, "+new-epoch", new.epoch.to_string());
    }
    if !old.failover_in_progress && new.failover_in_progress && (known || new.master.is_some()) {
        push(ev, "+try-failover", new.master_details(m));
    }
    if known && was_down && !is_down {
        push(ev, "-sdown", new.master_details(m));
        push(ev, "-odown", new.master_details(m));
    }
}

fn replica_changes(ev: &mut Events, old: &View, new: &View, m: &Addr) {
    for r in &new.replicas {
        match old.replicas.iter().find(|o| same_node(o, r)) {
            None => {
                push(ev, "+slave", new.slave_details(&r.addr, m));
                if !r.reachable {
                    push(ev, "+sdown", new.slave_details(&r.addr, m));
                }
            }
            Some(o) if o.reachable && !r.reachable => {
                push(ev, "+sdown", new.slave_details(&r.addr, m));
            }
            Some(o) if !o.reachable && r.reachable => {
                push(ev, "-sdown", new.slave_details(&r.addr, m));
            }
            Some(_) => {}
        }
    }
}

fn sentinel_changes(ev: &mut Events, old: &View, new: &View, m: &Addr) {
    for p in &new.sentinels {
        match old.sentinels.iter().find(|o| o.run_id == p.run_id) {
            None => {
                push(ev, "+sentinel", new.sentinel_details(p, m));
                if !p.reachable {
                    push(ev, "+sdown", new.sentinel_details(p, m));
                }
            }
            Some(o) => {
                if o.addr != p.addr {
                    push(
                        ev,
                        "+sentinel-address-switch",
                        format!(
                            "{} ip {} port {} for {}",
                            new.master_details(m),
                            p.addr.ip,
                            p.addr.port,
                            p.run_id
                        ),
                    );
                }
                if o.reachable && !p.reachable {
                    push(ev, "+sdown", new.sentinel_details(p, m));
                } else if !o.reachable && p.reachable {
                    push(ev, "-sdown", new.sentinel_details(p, m));
                }
            }
        }
    }
}

/// What a Sentinel publishes on `SENTINEL RESET` of the group: `+reset-master`, then
/// (as it rediscovers them) `+sentinel` for each peer and `+slave` for each replica.
pub(crate) fn reset_events(view: &View) -> Events {
    let ph = placeholder();
    let m = view.shown_master().map_or(&ph.addr, |m| &m.addr);
    let mut ev = Events::new();
    push(&mut ev, "+reset-master", view.master_details(m));
    for p in &view.sentinels {
        push(&mut ev, "+sentinel", view.sentinel_details(p, m));
    }
    for r in &view.replicas {
        push(&mut ev, "+slave", view.slave_details(&r.addr, m));
    }
    ev
}
