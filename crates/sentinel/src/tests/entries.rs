//! Instance entries against replies captured from redis-sentinel 7.0.15: field order,
//! bulk-string numbers, flat RESP2 arrays and RESP3 maps, flags and the conditional
//! fields of down instances, the no-master case.

use super::*;

/// `SENTINEL MASTER mymaster` from the real sentinel on 27001 (RESP2), with the two
/// timings Sentinel measures from its INFO polling (`info-refresh` 8972,
/// `role-reported-time` 8980) replaced by the view's `last_ok_ping_ms` (713).
const MASTER_RESP2: &[u8] = b"*40\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$5\r\n17001\r\n$5\r\nrunid\r\n$40\r\n1b1db8c3f82446d6739cb6e21ce02cd8ee0d1fc4\r\n$5\r\nflags\r\n$6\r\nmaster\r\n$21\r\nlink-pending-commands\r\n$1\r\n0\r\n$13\r\nlink-refcount\r\n$1\r\n1\r\n$14\r\nlast-ping-sent\r\n$1\r\n0\r\n$18\r\nlast-ok-ping-reply\r\n$3\r\n713\r\n$15\r\nlast-ping-reply\r\n$3\r\n713\r\n$23\r\ndown-after-milliseconds\r\n$4\r\n3000\r\n$12\r\ninfo-refresh\r\n$3\r\n713\r\n$13\r\nrole-reported\r\n$6\r\nmaster\r\n$18\r\nrole-reported-time\r\n$3\r\n713\r\n$12\r\nconfig-epoch\r\n$1\r\n0\r\n$10\r\nnum-slaves\r\n$1\r\n2\r\n$19\r\nnum-other-sentinels\r\n$1\r\n2\r\n$6\r\nquorum\r\n$1\r\n2\r\n$16\r\nfailover-timeout\r\n$5\r\n20000\r\n$14\r\nparallel-syncs\r\n$1\r\n1\r\n";

#[test]
fn master_entry_resp2_bytes() {
    let (a, buf) = raw(&sample(), "SENTINEL MASTER mymaster", Protocol::Resp2);
    assert_eq!(a, Action::None);
    assert_eq!(
        String::from_utf8_lossy(&buf),
        String::from_utf8_lossy(MASTER_RESP2)
    );
}

#[test]
fn master_entry_resp3_is_a_map_of_the_same_fields() {
    let v3 = run3(&sample(), "sentinel master mymaster");
    assert!(matches!(&v3, V::Map(kv) if kv.len() == 20));
    assert_eq!(v3.pairs(), decode(MASTER_RESP2).pairs());
    // The RESP3 header, then the same bulk strings.
    let (_, buf) = raw(&sample(), "sentinel master mymaster", Protocol::Resp3);
    assert_eq!(&buf[..5], b"%20\r\n");
    assert_eq!(&buf[5..], &MASTER_RESP2[5..]);
}

#[test]
fn masters_is_a_list_of_one_entry() {
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let v = run(&sample(), "SENTINEL MASTERS", p);
        assert_eq!(v.items().len(), 1);
        assert_eq!(v.items()[0].pairs(), decode(MASTER_RESP2).pairs());
    }
}

/// The replica entry as the real sentinel returns it (for 127.0.0.1:17003), timings
/// from the view.
fn replica_17003() -> Vec<(String, String)> {
    pairs(&[
        ("name", "127.0.0.1:17003"),
        ("ip", "127.0.0.1"),
        ("port", "17003"),
        ("runid", R3_ID),
        ("flags", "slave"),
        ("link-pending-commands", "0"),
        ("link-refcount", "1"),
        ("last-ping-sent", "0"),
        ("last-ok-ping-reply", "1042"),
        ("last-ping-reply", "1042"),
        ("down-after-milliseconds", "3000"),
        ("info-refresh", "1042"),
        ("role-reported", "slave"),
        ("role-reported-time", "1042"),
        ("master-link-down-time", "0"),
        ("master-link-status", "ok"),
        ("master-host", "127.0.0.1"),
        ("master-port", "17001"),
        ("slave-priority", "100"),
        ("slave-repl-offset", "827"),
        ("replica-announced", "1"),
    ])
}

#[test]
fn replica_entries() {
    for line in ["SENTINEL REPLICAS mymaster", "sentinel slaves mymaster"] {
        let v2 = run2(&sample(), line);
        let v3 = run3(&sample(), line);
        assert_eq!(v2.items().len(), 2);
        assert!(matches!(&v2.items()[0], V::Array(f) if f.len() == 42));
        assert!(matches!(&v3.items()[0], V::Map(f) if f.len() == 21));
        assert_eq!(v2.items()[0].pairs(), replica_17003());
        assert_eq!(v3.items()[0].pairs(), replica_17003());
        assert_eq!(v3.items()[1].pairs()[0].1, "127.0.0.1:17002");
    }
}

#[test]
fn unreachable_replica_is_sdown_and_disconnected() {
    let mut v = sample();
    v.replicas[0] = down(v.replicas[0].clone(), 1570);
    let e = run3(&v, "sentinel replicas mymaster").items()[0].pairs();
    let names: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
    // As captured: s-down-time right after last-ping-reply, 22 fields.
    assert_eq!(names.len(), 22);
    assert_eq!(
        &names[4..12],
        &[
            "flags",
            "link-pending-commands",
            "link-refcount",
            "last-ping-sent",
            "last-ok-ping-reply",
            "last-ping-reply",
            "s-down-time",
            "down-after-milliseconds"
        ]
    );
    let get = |k: &str| e.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("flags"), Some("s_down,slave,disconnected"));
    assert_eq!(get("s-down-time"), Some("1570"));
    assert_eq!(get("last-ping-sent"), Some("1570"));
    assert_eq!(get("last-ok-ping-reply"), Some("1670"));
    assert_eq!(get("master-link-status"), Some("err"));
    assert_eq!(get("master-link-down-time"), Some("1570"));
}

fn sentinel_27002() -> Vec<(String, String)> {
    pairs(&[
        ("name", S2_ID),
        ("ip", "127.0.0.1"),
        ("port", "27002"),
        ("runid", S2_ID),
        ("flags", "sentinel"),
        ("link-pending-commands", "0"),
        ("link-refcount", "1"),
        ("last-ping-sent", "0"),
        ("last-ok-ping-reply", "250"),
        ("last-ping-reply", "250"),
        ("down-after-milliseconds", "3000"),
        ("last-hello-message", "250"),
        ("voted-leader", "?"),
        ("voted-leader-epoch", "0"),
    ])
}

#[test]
fn sentinel_entries() {
    let v2 = run2(&sample(), "SENTINEL SENTINELS mymaster");
    let v3 = run3(&sample(), "SENTINEL SENTINELS mymaster");
    assert!(matches!(&v2.items()[0], V::Array(f) if f.len() == 28));
    assert!(matches!(&v3.items()[0], V::Map(f) if f.len() == 14));
    assert_eq!(v2.items()[0].pairs(), sentinel_27002());
    assert_eq!(v3.items()[0].pairs(), sentinel_27002());
    assert_eq!(v3.items()[1].pairs()[0].1, S3_ID);
}

#[test]
fn unreachable_sentinel() {
    let mut v = sample();
    v.sentinels[0].reachable = false;
    v.sentinels[0].last_ok_ping_ms = 4666;
    let e = run2(&v, "sentinel sentinels mymaster").items()[0].pairs();
    assert_eq!(e.len(), 15);
    assert_eq!(
        e[4],
        ("flags".into(), "s_down,sentinel,disconnected".into())
    );
    assert_eq!(e[10], ("s-down-time".into(), "4666".into()));
    assert_eq!(e[11].0, "down-after-milliseconds");
}

fn field(e: &[(String, String)], k: &str) -> Option<String> {
    e.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

#[test]
fn unreachable_master_is_sdown_odown() {
    let mut v = sample();
    v.master = v.master.map(|m| down(m, 543));
    let e = run3(&v, "sentinel master mymaster").pairs();
    assert_eq!(e.len(), 22);
    assert_eq!(
        field(&e, "flags").as_deref(),
        Some("s_down,o_down,master,disconnected")
    );
    let names: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        &names[9..13],
        &[
            "last-ping-reply",
            "s-down-time",
            "o-down-time",
            "down-after-milliseconds"
        ]
    );
    assert_eq!(field(&e, "s-down-time").as_deref(), Some("543"));
    // Replicas lose their link.
    let r = run3(&v, "sentinel replicas mymaster").items()[0].pairs();
    assert_eq!(field(&r, "master-link-status").as_deref(), Some("err"));
    assert_eq!(field(&r, "master-link-down-time").as_deref(), Some("543"));
    assert_eq!(field(&r, "master-host").as_deref(), Some("127.0.0.1"));
}

#[test]
fn no_master_shows_the_last_one_down() {
    let mut v = sample();
    v.last_master = v.master.take();
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let e = run(&v, "SENTINEL MASTER mymaster", p).pairs();
        assert_eq!(field(&e, "ip").as_deref(), Some("127.0.0.1"));
        assert_eq!(field(&e, "port").as_deref(), Some("17001"));
        assert_eq!(field(&e, "flags").as_deref(), Some("s_down,o_down,master"));
        assert!(field(&e, "s-down-time").is_some());
        assert!(field(&e, "o-down-time").is_some());
        let listed = run(&v, "SENTINEL MASTERS", p).items()[0].pairs();
        assert_eq!(listed, e);
    }
    let r = run3(&v, "sentinel replicas mymaster").items()[0].pairs();
    assert_eq!(field(&r, "master-link-status").as_deref(), Some("err"));
    assert_eq!(field(&r, "master-host").as_deref(), Some("?"));
    assert_eq!(field(&r, "master-port").as_deref(), Some("0"));
}

#[test]
fn no_master_ever_known_shows_a_placeholder() {
    let mut v = sample();
    v.master = None;
    let e = run2(&v, "SENTINEL MASTER mymaster").pairs();
    assert_eq!(field(&e, "name").as_deref(), Some("mymaster"));
    assert_eq!(field(&e, "ip").as_deref(), Some("?"));
    assert_eq!(field(&e, "port").as_deref(), Some("0"));
    assert_eq!(field(&e, "runid").as_deref(), Some(""));
    assert_eq!(
        field(&e, "flags").as_deref(),
        Some("s_down,o_down,master,disconnected")
    );
    // redis-py parses these as integers.
    for k in [
        "port",
        "num-other-sentinels",
        "num-slaves",
        "quorum",
        "config-epoch",
    ] {
        assert!(
            field(&e, k).is_some_and(|x| x.parse::<i64>().is_ok()),
            "{k}"
        );
    }
}

#[test]
fn failover_in_progress_flag_and_state() {
    let mut v = sample();
    v.failover_in_progress = true;
    v.epoch = 7;
    let e = run3(&v, "sentinel master mymaster").pairs();
    assert_eq!(
        field(&e, "flags").as_deref(),
        Some("master,failover_in_progress")
    );
    assert_eq!(e[7], ("failover-state".into(), "wait_promotion".into()));
    assert_eq!(e[8].0, "last-ping-sent");
    assert_eq!(field(&e, "config-epoch").as_deref(), Some("7"));
}

#[test]
fn ipv6_replica_name_is_bracketed() {
    let mut v = sample();
    v.replicas = vec![Node {
        addr: Addr::new("::1", 6380),
        ..node(0, R3_ID, 1, 1)
    }];
    let e = run2(&v, "sentinel replicas mymaster").items()[0].pairs();
    assert_eq!(e[0].1, "[::1]:6380");
    assert_eq!(e[1].1, "::1");
}

#[test]
fn unknown_master_name() {
    let v = sample();
    for sub in [
        "master",
        "replicas",
        "slaves",
        "sentinels",
        "ckquorum",
        "failover",
    ] {
        assert_eq!(
            err(&v, &format!("sentinel {sub} nope")),
            "ERR No such master with that name"
        );
    }
    // Names are case-sensitive.
    assert_eq!(
        err(&v, "sentinel master MYMASTER"),
        "ERR No such master with that name"
    );
}
