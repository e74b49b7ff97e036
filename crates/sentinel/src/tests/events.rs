//! Events of view changes, in Redis's order and formats (see the sequences captured
//! from redis-sentinel 7.0.15 in `events.rs`).

use super::*;
use crate::{events, reset_events};

fn ev(list: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs(list)
}

/// The view after a leader change to 17002 in a new term: the old master 17001 is now
/// a replica (listed where Raft lists it, before 17003 here).
fn after_switch(old_master_reachable: bool) -> View {
    let mut v = sample();
    v.epoch = 1;
    v.master = Some(node(17002, R2_ID, 5, 900));
    let mut old = node(17001, MASTER_ID, 5, 900);
    if !old_master_reachable {
        old = down(old, 50);
    }
    v.replicas = vec![old, node(17003, R3_ID, 5, 900)];
    v
}

#[test]
fn no_change_no_events() {
    assert!(events(&sample(), &sample()).is_empty());
    // Timings alone are not events.
    let mut v = sample();
    v.replicas[0].last_ok_ping_ms = 99;
    v.replicas[0].offset = 5000;
    assert!(events(&sample(), &v).is_empty());
}

#[test]
fn graceful_leader_change() {
    let got = events(&sample(), &after_switch(true));
    assert_eq!(
        got,
        ev(&[
            ("+new-epoch", "1"),
            ("+try-failover", "master mymaster 127.0.0.1 17001"),
            ("+elected-leader", "master mymaster 127.0.0.1 17001"),
            (
                "-role-change",
                "slave 127.0.0.1:17002 127.0.0.1 17002 @ mymaster 127.0.0.1 17001 new reported role is master"
            ),
            (
                "+promoted-slave",
                "slave 127.0.0.1:17002 127.0.0.1 17002 @ mymaster 127.0.0.1 17001"
            ),
            ("+failover-end", "master mymaster 127.0.0.1 17001"),
            ("+switch-master", "mymaster 127.0.0.1 17001 127.0.0.1 17002"),
            (
                "+slave",
                "slave 127.0.0.1:17003 127.0.0.1 17003 @ mymaster 127.0.0.1 17002"
            ),
            (
                "+slave",
                "slave 127.0.0.1:17001 127.0.0.1 17001 @ mymaster 127.0.0.1 17002"
            ),
        ])
    );
    // Exactly one +switch-master, of exactly 5 tokens (go-redis splits on spaces).
    let sw: Vec<_> = got.iter().filter(|(c, _)| c == "+switch-master").collect();
    assert_eq!(sw.len(), 1);
    assert_eq!(sw[0].1.split(' ').count(), 5);
}

#[test]
fn crash_then_new_leader_in_one_step() {
    // As the failover leader of the captured run (kill -9 of the master).
    let got = events(&sample(), &after_switch(false));
    assert_eq!(
        got,
        ev(&[
            ("+sdown", "master mymaster 127.0.0.1 17001"),
            ("+odown", "master mymaster 127.0.0.1 17001 #quorum 2/2"),
            ("+new-epoch", "1"),
            ("+try-failover", "master mymaster 127.0.0.1 17001"),
            ("+elected-leader", "master mymaster 127.0.0.1 17001"),
            (
                "-role-change",
                "slave 127.0.0.1:17002 127.0.0.1 17002 @ mymaster 127.0.0.1 17001 new reported role is master"
            ),
            (
                "+promoted-slave",
                "slave 127.0.0.1:17002 127.0.0.1 17002 @ mymaster 127.0.0.1 17001"
            ),
            ("-odown", "master mymaster 127.0.0.1 17001"),
            ("+failover-end", "master mymaster 127.0.0.1 17001"),
            ("+switch-master", "mymaster 127.0.0.1 17001 127.0.0.1 17002"),
            (
                "+slave",
                "slave 127.0.0.1:17003 127.0.0.1 17003 @ mymaster 127.0.0.1 17002"
            ),
            (
                "+slave",
                "slave 127.0.0.1:17001 127.0.0.1 17001 @ mymaster 127.0.0.1 17002"
            ),
            (
                "+sdown",
                "slave 127.0.0.1:17001 127.0.0.1 17001 @ mymaster 127.0.0.1 17002"
            ),
        ])
    );
}

#[test]
fn leader_lost_then_new_leader() {
    let a = sample();
    // Step 1: the leader is lost (no leader known; the old one is unreachable).
    let mut b = sample();
    b.last_master = b.master.take().map(|m| down(m, 10));
    assert_eq!(
        events(&a, &b),
        ev(&[
            ("+sdown", "master mymaster 127.0.0.1 17001"),
            ("+odown", "master mymaster 127.0.0.1 17001 #quorum 2/2"),
        ])
    );
    // Step 2: an election is running (term 1, failover in progress).
    let mut c = b.clone();
    c.epoch = 1;
    c.failover_in_progress = true;
    assert_eq!(
        events(&b, &c),
        ev(&[
            ("+new-epoch", "1"),
            ("+try-failover", "master mymaster 127.0.0.1 17001"),
        ])
    );
    // Step 3: 17002 leads; the old master is down, already flagged.
    let d = after_switch(false);
    let got = events(&c, &d);
    let channels: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        channels,
        [
            "+elected-leader",
            "-role-change",
            "+promoted-slave",
            "-odown",
            "+failover-end",
            "+switch-master",
            "+slave",
            "+slave",
            "+sdown"
        ]
    );
    assert_eq!(got[5].1, "mymaster 127.0.0.1 17001 127.0.0.1 17002");
}

#[test]
fn same_leader_back_after_loss() {
    let a = sample();
    let mut b = sample();
    b.last_master = b.master.take();
    let mut c = sample();
    c.epoch = 2;
    let got = events(&b, &c);
    assert_eq!(
        got,
        ev(&[
            ("+new-epoch", "2"),
            ("-sdown", "master mymaster 127.0.0.1 17001"),
            ("-odown", "master mymaster 127.0.0.1 17001"),
        ])
    );
    assert!(!got.iter().any(|(c, _)| c == "+switch-master"));
    // And back to the first view: only the epoch differs, nothing else.
    assert_eq!(events(&a, &c), ev(&[("+new-epoch", "2")]));
}

#[test]
fn master_unreachable_and_back() {
    let a = sample();
    let mut b = sample();
    b.master = b.master.map(|m| down(m, 3000));
    assert_eq!(
        events(&a, &b),
        ev(&[
            ("+sdown", "master mymaster 127.0.0.1 17001"),
            ("+odown", "master mymaster 127.0.0.1 17001 #quorum 2/2"),
        ])
    );
    assert_eq!(
        events(&b, &a),
        ev(&[
            ("-sdown", "master mymaster 127.0.0.1 17001"),
            ("-odown", "master mymaster 127.0.0.1 17001"),
        ])
    );
}

#[test]
fn replica_unreachable_and_back() {
    let a = sample();
    let mut b = sample();
    b.replicas[0] = down(b.replicas[0].clone(), 3000);
    // As captured after kill -9 of the replica on 17003 and its restart.
    assert_eq!(
        events(&a, &b),
        ev(&[(
            "+sdown",
            "slave 127.0.0.1:17003 127.0.0.1 17003 @ mymaster 127.0.0.1 17001"
        )])
    );
    assert_eq!(
        events(&b, &a),
        ev(&[(
            "-sdown",
            "slave 127.0.0.1:17003 127.0.0.1 17003 @ mymaster 127.0.0.1 17001"
        )])
    );
}

#[test]
fn new_replica_and_new_sentinel() {
    let a = sample();
    let mut b = sample();
    b.replicas.push(node(17004, "e".repeat(40).as_str(), 1, 1));
    b.sentinels.push(peer(27004, &"d".repeat(40), 1));
    let mut dead = peer(27005, &"c".repeat(40), 1);
    dead.reachable = false;
    b.sentinels.push(dead);
    assert_eq!(
        events(&a, &b),
        ev(&[
            (
                "+slave",
                "slave 127.0.0.1:17004 127.0.0.1 17004 @ mymaster 127.0.0.1 17001"
            ),
            (
                "+sentinel",
                &format!(
                    "sentinel {} 127.0.0.1 27004 @ mymaster 127.0.0.1 17001",
                    "d".repeat(40)
                )
            ),
            (
                "+sentinel",
                &format!(
                    "sentinel {} 127.0.0.1 27005 @ mymaster 127.0.0.1 17001",
                    "c".repeat(40)
                )
            ),
            (
                "+sdown",
                &format!(
                    "sentinel {} 127.0.0.1 27005 @ mymaster 127.0.0.1 17001",
                    "c".repeat(40)
                )
            ),
        ])
    );
    // A removed member produces nothing.
    assert!(events(&b, &a).is_empty());
}

#[test]
fn sentinel_down_up_and_moved() {
    let a = sample();
    let mut b = sample();
    b.sentinels[0].reachable = false;
    // As captured after kill -9 of the sentinel on 27002.
    assert_eq!(
        events(&a, &b),
        ev(&[(
            "+sdown",
            &format!("sentinel {S2_ID} 127.0.0.1 27002 @ mymaster 127.0.0.1 17001")
        )])
    );
    assert_eq!(
        events(&b, &a),
        ev(&[(
            "-sdown",
            &format!("sentinel {S2_ID} 127.0.0.1 27002 @ mymaster 127.0.0.1 17001")
        )])
    );
    let mut c = sample();
    c.sentinels[1].addr = Addr::new("10.0.0.3", 26379);
    assert_eq!(
        events(&a, &c),
        ev(&[(
            "+sentinel-address-switch",
            &format!("master mymaster 127.0.0.1 17001 ip 10.0.0.3 port 26379 for {S3_ID}")
        )])
    );
}

#[test]
fn requested_failover_then_switch() {
    let a = sample();
    let mut b = sample();
    b.failover_in_progress = true;
    assert_eq!(
        events(&a, &b),
        ev(&[("+try-failover", "master mymaster 127.0.0.1 17001")])
    );
    let mut c = after_switch(true);
    c.failover_in_progress = true;
    let got = events(&b, &c);
    assert_eq!(got[0], ("+new-epoch".to_string(), "1".to_string()));
    assert_eq!(got[1].0, "+elected-leader");
    assert!(!got.iter().any(|(c, _)| c == "+try-failover"));
    // Cleared after the switch: nothing more.
    let mut d = c.clone();
    d.failover_in_progress = false;
    assert!(events(&c, &d).is_empty());
}

#[test]
fn epoch_only() {
    let mut b = sample();
    b.epoch = 9;
    assert_eq!(events(&sample(), &b), ev(&[("+new-epoch", "9")]));
    // A lower epoch (never expected) is not announced.
    assert!(events(&b, &sample()).is_empty());
}

#[test]
fn first_leader_known_is_not_a_switch() {
    let mut a = sample();
    a.master = None;
    let got = events(&a, &sample());
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn reset() {
    assert_eq!(
        reset_events(&sample()),
        ev(&[
            ("+reset-master", "master mymaster 127.0.0.1 17001"),
            (
                "+sentinel",
                &format!("sentinel {S2_ID} 127.0.0.1 27002 @ mymaster 127.0.0.1 17001")
            ),
            (
                "+sentinel",
                &format!("sentinel {S3_ID} 127.0.0.1 27003 @ mymaster 127.0.0.1 17001")
            ),
            (
                "+slave",
                "slave 127.0.0.1:17003 127.0.0.1 17003 @ mymaster 127.0.0.1 17001"
            ),
            (
                "+slave",
                "slave 127.0.0.1:17002 127.0.0.1 17002 @ mymaster 127.0.0.1 17001"
            ),
        ])
    );
}
