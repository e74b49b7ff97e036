//! Every command of the Sentinel port in RESP2 and RESP3: replies and error texts as
//! captured from redis-sentinel 7.0.15 (7.2 texts where they differ), and the actions.

use super::*;
use crate::{caller_handles, subscribed_ping};

fn both(view: &View, line: &str) -> (Vec<u8>, Vec<u8>) {
    (
        raw(view, line, Protocol::Resp2).1,
        raw(view, line, Protocol::Resp3).1,
    )
}

#[test]
fn ping() {
    let v = sample();
    assert_eq!(
        both(&v, "PING"),
        (b"+PONG\r\n".to_vec(), b"+PONG\r\n".to_vec())
    );
    assert_eq!(raw(&v, "ping hi", Protocol::Resp2).1, b"$2\r\nhi\r\n");
    assert_eq!(
        err(&v, "ping a b"),
        "ERR wrong number of arguments for 'ping' command"
    );
}

#[test]
fn subscribed_ping_shapes() {
    let mut r = Reply::new(Protocol::Resp2);
    subscribed_ping(&[b"ping"], &mut r);
    assert_eq!(r.buf, b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    let mut r = Reply::new(Protocol::Resp2);
    subscribed_ping(&[b"PING", b"x"], &mut r);
    assert_eq!(r.buf, b"*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    let mut r = Reply::new(Protocol::Resp3);
    subscribed_ping(&[b"ping"], &mut r);
    assert_eq!(r.buf, b"+PONG\r\n");
}

#[test]
fn role() {
    let want = b"*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n".to_vec();
    assert_eq!(both(&sample(), "ROLE"), (want.clone(), want));
    assert_eq!(
        err(&sample(), "role x"),
        "ERR wrong number of arguments for 'role' command"
    );
}

#[test]
fn get_master_addr_by_name() {
    let v = sample();
    let want = b"*2\r\n$9\r\n127.0.0.1\r\n$5\r\n17001\r\n".to_vec();
    assert_eq!(
        both(&v, "SENTINEL get-master-addr-by-name mymaster"),
        (want.clone(), want.clone())
    );
    // Clients send every case of the subcommand.
    assert_eq!(
        raw(
            &v,
            "sentinel GET-MASTER-ADDR-BY-NAME mymaster",
            Protocol::Resp2
        )
        .1,
        want
    );
    // Unknown name: a null array, never an error.
    assert_eq!(
        both(&v, "sentinel get-master-addr-by-name nope"),
        (b"*-1\r\n".to_vec(), b"_\r\n".to_vec())
    );
    assert_eq!(
        err(&v, "sentinel get-master-addr-by-name"),
        "ERR wrong number of arguments for 'sentinel|get-master-addr-by-name' command"
    );
}

#[test]
fn get_master_addr_without_a_live_leader_is_null() {
    let mut v = sample();
    v.last_master = v.master.take();
    assert_eq!(
        both(&v, "sentinel get-master-addr-by-name mymaster"),
        (b"*-1\r\n".to_vec(), b"_\r\n".to_vec())
    );
    let mut v = sample();
    v.master = v.master.map(|m| down(m, 10));
    assert_eq!(
        raw(
            &v,
            "sentinel get-master-addr-by-name mymaster",
            Protocol::Resp2
        )
        .1,
        b"*-1\r\n"
    );
}

#[test]
fn ckquorum() {
    let mut v = sample();
    let want = "OK 3 usable Sentinels. Quorum and failover authorization can be reached";
    assert_eq!(
        run2(&v, "SENTINEL CKQUORUM mymaster"),
        V::Simple(want.into())
    );
    assert_eq!(
        run3(&v, "sentinel ckquorum mymaster"),
        V::Simple(want.into())
    );
    v.sentinels[0].reachable = false;
    assert_eq!(
        run2(&v, "sentinel ckquorum mymaster"),
        V::Simple("OK 2 usable Sentinels. Quorum and failover authorization can be reached".into())
    );
    v.sentinels[1].reachable = false;
    // As captured with two of three sentinels killed.
    assert_eq!(
        err(&v, "sentinel ckquorum mymaster"),
        "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover"
    );
    // Quorum above the majority: only the quorum part.
    let mut v = sample();
    v.quorum = 3;
    v.sentinels[0].reachable = false;
    assert_eq!(
        err(&v, "sentinel ckquorum mymaster"),
        "NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
    );
}

#[test]
fn failover() {
    let v = sample();
    let (a, buf) = raw(&v, "SENTINEL FAILOVER mymaster", Protocol::Resp3);
    assert_eq!((a, buf), (Action::Failover, b"+OK\r\n".to_vec()));
    let mut busy = sample();
    busy.failover_in_progress = true;
    let (a, buf) = raw(&busy, "sentinel failover mymaster", Protocol::Resp2);
    assert_eq!(a, Action::None);
    assert_eq!(buf, b"-INPROG Failover already in progress\r\n");
    let mut leaderless = sample();
    leaderless.last_master = leaderless.master.take();
    assert_eq!(
        err(&leaderless, "sentinel failover mymaster"),
        "INPROG Failover already in progress"
    );
    let mut alone = sample();
    alone.replicas = vec![down(alone.replicas[0].clone(), 5)];
    let (a, buf) = raw(&alone, "sentinel failover mymaster", Protocol::Resp2);
    assert_eq!(a, Action::None);
    assert_eq!(buf, b"-NOGOODSLAVE No suitable replica to promote\r\n");
    alone.replicas.clear();
    assert_eq!(
        err(&alone, "sentinel failover mymaster"),
        "NOGOODSLAVE No suitable replica to promote"
    );
    let (a, _) = raw(&v, "sentinel failover nope", Protocol::Resp2);
    assert_eq!(a, Action::None);
}

#[test]
fn reset() {
    let v = sample();
    for pat in ["mymaster", "*", "my*", "m?master", "[lm]ymaster"] {
        let (a, buf) = raw(&v, &format!("SENTINEL RESET {pat}"), Protocol::Resp3);
        assert_eq!((a, buf), (Action::Reset, b":1\r\n".to_vec()), "{pat}");
    }
    for pat in ["nope", "MY*", "mymaster2"] {
        let (a, buf) = raw(&v, &format!("sentinel reset {pat}"), Protocol::Resp2);
        assert_eq!((a, buf), (Action::None, b":0\r\n".to_vec()), "{pat}");
    }
    assert_eq!(
        err(&v, "sentinel reset"),
        "ERR wrong number of arguments for 'sentinel|reset' command"
    );
}

#[test]
fn myid() {
    let want = format!("$40\r\n{MY_ID}\r\n").into_bytes();
    assert_eq!(both(&sample(), "SENTINEL MYID"), (want.clone(), want));
}

#[test]
fn config_get() {
    let v = sample();
    let all = [
        ("resolve-hostnames", "no"),
        ("announce-hostnames", "no"),
        ("announce-ip", "127.0.0.1"),
        ("announce-port", "27001"),
        ("sentinel-user", ""),
        ("sentinel-pass", ""),
        ("loglevel", "notice"),
    ];
    let v2 = run2(&v, "SENTINEL CONFIG GET *");
    assert!(matches!(&v2, V::Array(a) if a.len() == 14));
    assert_eq!(v2.pairs(), pairs(&all));
    let v3 = run3(&v, "sentinel config get *");
    assert!(matches!(&v3, V::Map(m) if m.len() == 7));
    assert_eq!(v3.pairs(), pairs(&all));
    assert_eq!(
        run3(&v, "sentinel config get ANNOUNCE-*").pairs(),
        pairs(&all[1..4])
    );
    // 7.2: several parameters, no duplicates.
    assert_eq!(
        run3(&v, "sentinel config get loglevel announce-ip loglevel").pairs(),
        pairs(&[("announce-ip", "127.0.0.1"), ("loglevel", "notice")])
    );
    assert_eq!(run3(&v, "sentinel config get nope"), V::Map(vec![]));
    assert_eq!(run2(&v, "sentinel config get nope"), V::Array(vec![]));
    let mut h = sample();
    h.my_addr = Addr::new("sentinel-1.example", 26379);
    assert_eq!(
        run3(&h, "sentinel config get announce-hostnames").pairs(),
        pairs(&[("announce-hostnames", "yes")])
    );
}

#[test]
fn config_set() {
    let v = sample();
    for ok in [
        "sentinel config set resolve-hostnames yes",
        "sentinel config set sentinel-user u sentinel-pass p",
        "sentinel config set announce-port 27001",
        "sentinel config set announce-ip 127.0.0.1 loglevel NOTICE",
        "sentinel CONFIG SET announce-hostnames no",
    ] {
        assert_eq!(raw(&v, ok, Protocol::Resp2).1, b"+OK\r\n", "{ok}");
    }
    assert_eq!(
        err(&v, "sentinel config set bogus 1"),
        "ERR Invalid argument 'bogus' to SENTINEL CONFIG SET"
    );
    assert_eq!(
        err(&v, "sentinel config set announce-ip 1.2.3.4 announce-port"),
        "ERR Invalid argument 'announce-port' to SENTINEL CONFIG SET"
    );
    assert_eq!(
        err(&v, "sentinel config set announce-port abc"),
        "ERR Invalid value 'abc' to SENTINEL CONFIG SET 'announce-port'"
    );
    assert_eq!(
        err(&v, "sentinel config set announce-port 70000"),
        "ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'"
    );
    assert_eq!(
        err(&v, "sentinel config set resolve-hostnames maybe"),
        "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"
    );
    assert_eq!(
        err(&v, "sentinel config set loglevel loud"),
        "ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'"
    );
    assert_eq!(
        err(&v, "sentinel config set announce-ip 10.0.0.9"),
        "ERR SENTINEL CONFIG SET 'announce-ip' is not supported by redraft: set it in the node's configuration"
    );
    assert_eq!(
        err(&v, "sentinel config set resolve-hostnames no loglevel debug"),
        "ERR SENTINEL CONFIG SET 'loglevel' is not supported by redraft: set it in the node's configuration"
    );
    let only = "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...] / SET <param> <value> [<param> <value> ...] are supported.";
    assert_eq!(err(&v, "sentinel config foo"), only);
    assert_eq!(err(&v, "sentinel config set announce-ip"), only);
    assert_eq!(err(&v, "sentinel config del x"), only);
    assert_eq!(
        err(&v, "sentinel config"),
        "ERR wrong number of arguments for 'sentinel|config' command"
    );
}

#[test]
fn info_cache() {
    let v = sample();
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let r = run(&v, "SENTINEL INFO-CACHE mymaster", p);
        let null = if p == Protocol::Resp3 {
            V::Null
        } else {
            V::NullBulk
        };
        assert_eq!(
            r,
            V::Array(vec![
                V::bulk("mymaster"),
                V::Array(vec![
                    V::Array(vec![V::Int(713), null.clone()]),
                    V::Array(vec![V::Int(1042), null.clone()]),
                    V::Array(vec![V::Int(1042), null]),
                ]),
            ])
        );
        assert_eq!(
            run(&v, "sentinel info-cache mymaster mymaster", p)
                .items()
                .len(),
            2
        );
        assert_eq!(run(&v, "sentinel info-cache nope", p), V::Array(vec![]));
    }
    assert_eq!(
        err(&v, "sentinel info-cache"),
        "ERR wrong number of arguments for 'sentinel|info-cache' command"
    );
}

#[test]
fn is_master_down_by_addr() {
    let v = sample();
    let up = b"*3\r\n:0\r\n$1\r\n*\r\n:0\r\n".to_vec();
    assert_eq!(
        both(&v, "SENTINEL is-master-down-by-addr 127.0.0.1 17001 0 *"),
        (up.clone(), up.clone())
    );
    // This sentinel never votes: no leader whatever runid is asked.
    assert_eq!(
        raw(
            &v,
            "sentinel is-master-down-by-addr 127.0.0.1 17001 5 abcd",
            Protocol::Resp2
        )
        .1,
        up
    );
    let mut d = sample();
    d.master = d.master.map(|m| down(m, 9));
    assert_eq!(
        raw(
            &d,
            "sentinel is-master-down-by-addr 127.0.0.1 17001 3 *",
            Protocol::Resp3
        )
        .1,
        b"*3\r\n:1\r\n$1\r\n*\r\n:0\r\n"
    );
    // Another address is not our master.
    assert_eq!(
        raw(
            &d,
            "sentinel is-master-down-by-addr 127.0.0.1 1 3 *",
            Protocol::Resp3
        )
        .1,
        b"*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"
    );
    for bad in [
        "sentinel is-master-down-by-addr 127.0.0.1 17001 x *",
        "sentinel is-master-down-by-addr 127.0.0.1 abc 0 *",
    ] {
        assert_eq!(err(&v, bad), "ERR value is not an integer or out of range");
    }
    assert_eq!(
        err(&v, "sentinel is-master-down-by-addr 127.0.0.1 17001 0"),
        "ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command"
    );
}

#[test]
fn simulate_failure() {
    let v = sample();
    let help = V::Array(vec![
        V::bulk("crash-after-election"),
        V::bulk("crash-after-promotion"),
    ]);
    assert_eq!(run2(&v, "SENTINEL SIMULATE-FAILURE HELP"), help);
    assert_eq!(run3(&v, "sentinel simulate-failure help"), help);
    assert_eq!(
        run2(
            &v,
            "sentinel simulate-failure crash-after-election CRASH-AFTER-PROMOTION"
        ),
        V::Simple("OK".into())
    );
    assert_eq!(
        err(&v, "sentinel simulate-failure bogus"),
        "ERR Unknown failure simulation specified"
    );
    assert_eq!(
        err(&v, "sentinel simulate-failure"),
        "ERR wrong number of arguments for 'sentinel|simulate-failure' command"
    );
}

#[test]
fn debug() {
    let v = sample();
    let want = pairs(&[
        ("INFO-PERIOD", "10000"),
        ("PING-PERIOD", "1000"),
        ("ASK-PERIOD", "1000"),
        ("PUBLISH-PERIOD", "2000"),
        ("DEFAULT-DOWN-AFTER", "3000"),
        ("DEFAULT-FAILOVER-TIMEOUT", "20000"),
        ("TILT-TRIGGER", "2000"),
        ("TILT-PERIOD", "30000"),
        ("SLAVE-RECONF-TIMEOUT", "10000"),
        ("MIN-LINK-RECONNECT-PERIOD", "15000"),
        ("ELECTION-TIMEOUT", "10000"),
        ("SCRIPT-MAX-RUNTIME", "60000"),
        ("SCRIPT-RETRY-DELAY", "30000"),
    ]);
    let v2 = run2(&v, "SENTINEL DEBUG");
    assert!(matches!(&v2, V::Array(a) if a.len() == 26));
    assert_eq!(v2.pairs(), want);
    let v3 = run3(&v, "sentinel debug");
    assert!(matches!(&v3, V::Map(m) if m.len() == 13));
    assert_eq!(v3.pairs(), want);
    assert_eq!(
        run2(&v, "sentinel debug ping-period 1000 INFO-PERIOD 5"),
        V::Simple("OK".into())
    );
    assert_eq!(
        err(&v, "sentinel debug bogus 1"),
        "ERR Unknown option or number of arguments for SENTINEL DEBUG 'bogus'"
    );
    assert_eq!(
        err(&v, "sentinel debug ping-period"),
        "ERR Unknown option or number of arguments for SENTINEL DEBUG 'ping-period'"
    );
    assert_eq!(
        err(&v, "sentinel debug ping-period 0"),
        "ERR Invalid argument '0' for SENTINEL DEBUG 'ping-period'"
    );
}

#[test]
fn pending_scripts_and_flushconfig() {
    let v = sample();
    assert_eq!(
        both(&v, "SENTINEL PENDING-SCRIPTS"),
        (b"*0\r\n".to_vec(), b"*0\r\n".to_vec())
    );
    assert_eq!(
        both(&v, "sentinel flushconfig"),
        (b"+OK\r\n".to_vec(), b"+OK\r\n".to_vec())
    );
}

#[test]
fn help() {
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let h = run(&sample(), "SENTINEL HELP", p);
        let lines: Vec<&str> = h.items().iter().map(V::text).collect();
        assert!(h.items().iter().all(|l| matches!(l, V::Simple(_))));
        assert_eq!(lines.len(), 49);
        assert_eq!(
            lines[0],
            "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        );
        assert_eq!(lines[1], "CKQUORUM <master-name>");
        assert_eq!(lines[5], "CONFIG SET param value [param value ...]");
        assert_eq!(lines[46], "    Simulate a Sentinel crash.");
        assert_eq!(&lines[47..], &["HELP", "    Print this help."]);
    }
    assert_eq!(
        err(&sample(), "sentinel help x"),
        "ERR wrong number of arguments for 'sentinel|help' command"
    );
}

#[test]
fn monitor_remove_set() {
    let v = sample();
    assert_eq!(
        err(&v, "sentinel monitor mymaster 127.0.0.1 17001 2"),
        "ERR Duplicate master name."
    );
    assert_eq!(
        err(&v, "sentinel monitor other 127.0.0.1 17001 0"),
        "ERR Quorum must be 1 or greater."
    );
    assert_eq!(
        err(&v, "sentinel monitor other 127.0.0.1 17001 x"),
        "ERR Invalid quorum"
    );
    assert_eq!(
        err(&v, "sentinel monitor x 127.0.0.1 abc 1"),
        "ERR Invalid port"
    );
    assert_eq!(
        err(&v, "sentinel monitor x 127.0.0.1 99999 1"),
        "ERR Invalid port number."
    );
    assert_eq!(
        err(&v, "sentinel monitor other 999.1.1.1 17001 1"),
        "ERR Invalid IP address or hostname specified"
    );
    assert_eq!(
        err(&v, "sentinel monitor other 127.0.0.1 17001"),
        "ERR wrong number of arguments for 'sentinel|monitor' command"
    );
    assert!(err(&v, "sentinel monitor other 127.0.0.1 17001 1")
        .starts_with("ERR redraft's Sentinel monitors only its own cluster ('mymaster')"));

    assert_eq!(
        err(&v, "sentinel remove nope"),
        "ERR No such master with that name"
    );
    assert_eq!(
        err(&v, "sentinel remove mymaster"),
        "ERR 'mymaster' is this redraft cluster and cannot be removed"
    );

    assert_eq!(
        err(&v, "sentinel set nope quorum 2"),
        "ERR No such master with that name"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster bogus 2"),
        "ERR Unknown option or number of arguments for SENTINEL SET 'bogus'"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster quorum x"),
        "ERR Invalid argument 'x' for SENTINEL SET 'quorum'"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster quorum 0"),
        "ERR Invalid argument '0' for SENTINEL SET 'quorum'"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster quorum"),
        "ERR wrong number of arguments for 'sentinel|set' command"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster quorum 2 parallel-syncs"),
        "ERR Unknown option or number of arguments for SENTINEL SET 'parallel-syncs'"
    );
    assert!(err(&v, "sentinel set mymaster notification-script /x.sh")
        .starts_with("ERR Reconfiguration of scripts path is denied"));
    // Nothing changes: accepted.
    for ok in [
        "sentinel set mymaster quorum 2",
        "sentinel set mymaster down-after-milliseconds 3000 failover-timeout 20000 parallel-syncs 1",
        "sentinel set mymaster auth-pass secret auth-user u",
        "sentinel set mymaster rename-command CONFIG XCONFIG",
        "sentinel set mymaster master-reboot-down-after-period 0",
    ] {
        assert_eq!(run2(&v, ok), V::Simple("OK".into()), "{ok}");
    }
    assert_eq!(
        err(&v, "sentinel set mymaster quorum 3"),
        "ERR SENTINEL SET 'quorum' is not supported by redraft: it follows the cluster's configuration"
    );
    assert_eq!(
        err(&v, "sentinel set mymaster DOWN-AFTER-MILLISECONDS 5000"),
        "ERR SENTINEL SET 'down-after-milliseconds' is not supported by redraft: it follows the cluster's configuration"
    );
}

#[test]
fn sentinel_errors() {
    let v = sample();
    assert_eq!(
        err(&v, "sentinel foo"),
        "ERR unknown subcommand 'foo'. Try SENTINEL HELP."
    );
    assert_eq!(
        err(&v, "Sentinel instances mymaster"),
        "ERR unknown subcommand 'instances'. Try SENTINEL HELP."
    );
    assert_eq!(
        err(&v, "sentinel masters x"),
        "ERR wrong number of arguments for 'sentinel|masters' command"
    );
    assert_eq!(
        err(&v, "sentinel master"),
        "ERR wrong number of arguments for 'sentinel|master' command"
    );
    let (a, buf) = raw(&v, "sentinel", Protocol::Resp2);
    assert_eq!(a, Action::None);
    assert_eq!(
        buf,
        b"-ERR wrong number of arguments for 'sentinel' command\r\n"
    );
}

#[test]
fn info_is_a_bulk_string_in_both_protocols() {
    let v = sample();
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let (_, buf) = raw(&v, "INFO", p);
        assert_eq!(buf[0], b'$');
        let text = decode(&buf).text().to_string();
        assert!(text.starts_with("# Server\r\n"));
        assert!(text.contains("\r\n# Sentinel\r\nsentinel_masters:1\r\n"));
        let s = run(&v, "info SENTINEL", p);
        assert!(s.text().starts_with("# Sentinel\r\n"));
        assert_eq!(run(&v, "info memory", p), V::bulk(""));
    }
}

#[test]
fn command_command() {
    let v = sample();
    assert_eq!(run2(&v, "COMMAND COUNT"), V::Int(14));
    assert_eq!(run3(&v, "command count"), V::Int(14));
    let all = run2(&v, "COMMAND");
    assert_eq!(all.items().len(), 14);
    let list = run2(&v, "command list");
    let names: Vec<&str> = list.items().iter().map(V::text).collect();
    for n in [
        "sentinel",
        "sentinel|get-master-addr-by-name",
        "ping",
        "client|setinfo",
        "hello",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    assert!(!names.iter().any(|n| n.starts_with("acl")));
    let pubsub = run2(&v, "command list filterby aclcat pubsub");
    let mut ps: Vec<&str> = pubsub.items().iter().map(V::text).collect();
    ps.sort();
    assert_eq!(
        ps,
        [
            "psubscribe",
            "publish",
            "punsubscribe",
            "subscribe",
            "unsubscribe"
        ]
    );
    assert_eq!(
        run2(&v, "command list filterby pattern s*").items().len(),
        24
    );
    assert_eq!(run2(&v, "command list filterby module x"), V::Array(vec![]));
    assert_eq!(err(&v, "command list foo"), "ERR syntax error");

    // COMMAND INFO, as the real sentinel (RESP3 sets for flags, categories, tips).
    let info = run3(&v, "command info nope ping");
    assert_eq!(info.items()[0], V::Null);
    assert_eq!(
        info.items()[1],
        V::Array(vec![
            V::bulk("ping"),
            V::Int(-1),
            V::Set(vec![V::Simple("fast".into())]),
            V::Int(0),
            V::Int(0),
            V::Int(0),
            V::Set(vec![
                V::Simple("@fast".into()),
                V::Simple("@connection".into())
            ]),
            V::Set(vec![
                V::bulk("request_policy:all_shards"),
                V::bulk("response_policy:all_succeeded")
            ]),
            V::Set(vec![]),
            V::Set(vec![]),
        ])
    );
    assert_eq!(run2(&v, "command info nope").items()[0], V::NullBulk);
    let sentinel = run2(&v, "command info sentinel");
    let e = sentinel.items()[0].items();
    assert_eq!(e[0], V::bulk("sentinel"));
    assert_eq!(e[1], V::Int(-2));
    assert_eq!(e[9].items().len(), 21);
    assert_eq!(e[9].items()[0].items()[0], V::bulk("sentinel|ckquorum"));
    let sub = run2(&v, "command info sentinel|slaves");
    assert_eq!(sub.items()[0].items()[0], V::bulk("sentinel|slaves"));
    assert_eq!(sub.items()[0].items()[1], V::Int(3));

    let docs = run3(&v, "command docs sentinel|myid nope");
    assert_eq!(
        docs,
        V::Map(vec![(
            V::bulk("sentinel|myid"),
            V::Map(vec![
                (V::bulk("summary"), V::bulk("Get the Sentinel instance ID")),
                (V::bulk("since"), V::bulk("6.2.0")),
                (V::bulk("group"), V::bulk("sentinel")),
            ])
        )])
    );
    assert!(matches!(run3(&v, "command docs"), V::Map(m) if m.len() == 14));
    assert_eq!(run3(&v, "command docs nope"), V::Map(vec![]));

    assert_eq!(
        err(&v, "command getkeys sentinel masters"),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        err(&v, "command getkeys get foo"),
        "ERR Invalid command specified"
    );
    assert_eq!(
        err(&v, "command getkeys sentinel masters x"),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        err(&v, "command getkeys ping"),
        "ERR wrong number of arguments for 'command|getkeys' command"
    );
    assert_eq!(
        err(&v, "command count x"),
        "ERR wrong number of arguments for 'command|count' command"
    );
    assert_eq!(
        err(&v, "command foo"),
        "ERR unknown subcommand 'foo'. Try COMMAND HELP."
    );
    let help = run2(&v, "command help");
    assert_eq!(help.items().len(), 21);
    assert_eq!(
        help.items()[0].text(),
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
}

#[test]
fn shutdown_publish_quit() {
    let v = sample();
    assert!(err(&v, "SHUTDOWN").starts_with("ERR SHUTDOWN is not allowed on the Sentinel port"));
    assert!(err(&v, "shutdown nosave").starts_with("ERR SHUTDOWN is not allowed"));
    assert_eq!(run2(&v, "publish __sentinel__:hello x"), V::Int(1));
    assert_eq!(
        err(&v, "publish foo bar"),
        "ERR Only HELLO messages are accepted by Sentinel instances."
    );
    assert_eq!(
        err(&v, "publish foo"),
        "ERR wrong number of arguments for 'publish' command"
    );
    let (a, buf) = raw(&v, "QUIT", Protocol::Resp2);
    assert_eq!((a, buf), (Action::Close, b"+OK\r\n".to_vec()));
}

#[test]
fn unknown_commands() {
    let v = sample();
    assert_eq!(
        err(&v, "get foo bar"),
        "ERR unknown command 'get', with args beginning with: 'foo' 'bar' "
    );
    assert_eq!(
        err(&v, "SELECT 0"),
        "ERR unknown command 'SELECT', with args beginning with: '0' "
    );
    assert_eq!(
        err(&v, "sentinelx"),
        "ERR unknown command 'sentinelx', with args beginning with: "
    );
    assert_eq!(
        err(&v, "acl whoami"),
        "ERR unknown command 'acl', with args beginning with: 'whoami' "
    );
    // As captured: the quoted arguments stop once 128 characters are reached.
    let long = format!("get {} {} c", "a".repeat(150), "b".repeat(10));
    assert_eq!(
        err(&v, &long),
        format!(
            "ERR unknown command 'get', with args beginning with: '{}' ",
            "a".repeat(128)
        )
    );
    let mut r = Reply::new(Protocol::Resp2);
    assert_eq!(crate::command(&v, &[], &mut r), Action::None);
    assert!(r.buf.starts_with(b"-ERR unknown command ''"));
}

#[test]
fn pubsub_actions() {
    let v = sample();
    let ch = |s: &[&str]| s.iter().map(|c| c.as_bytes().to_vec()).collect::<Vec<_>>();
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let cases = [
            (
                "SUBSCRIBE +switch-master +sdown",
                Action::Subscribe(ch(&["+switch-master", "+sdown"])),
            ),
            ("psubscribe *", Action::PSubscribe(ch(&["*"]))),
            ("unsubscribe", Action::Unsubscribe(vec![])),
            ("unsubscribe +sdown", Action::Unsubscribe(ch(&["+sdown"]))),
            ("punsubscribe", Action::PUnsubscribe(vec![])),
            ("PUNSUBSCRIBE *", Action::PUnsubscribe(ch(&["*"]))),
        ];
        for (line, want) in cases {
            let (a, buf) = raw(&v, line, p);
            assert_eq!(a, want, "{line}");
            assert!(buf.is_empty(), "{line}: the caller writes confirmations");
        }
    }
    let (a, buf) = raw(&v, "subscribe", Protocol::Resp2);
    assert_eq!(a, Action::None);
    assert_eq!(
        buf,
        b"-ERR wrong number of arguments for 'subscribe' command\r\n"
    );
}

#[test]
fn caller_handled_commands_write_nothing() {
    let v = sample();
    for line in [
        "AUTH pass",
        "auth user pass",
        "HELLO 3",
        "hello 3 AUTH default pw SETNAME x",
        "CLIENT SETNAME x",
        "client getname",
        "client setinfo lib-name redis-py",
        "client id",
        "client info",
        "client list",
        "client list type pubsub",
        "client kill type normal",
        "client reply off",
    ] {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        assert!(caller_handles(&argv), "{line}");
        for p in [Protocol::Resp2, Protocol::Resp3] {
            let (a, buf) = raw(&v, line, p);
            assert_eq!(a, Action::None, "{line}");
            assert!(buf.is_empty(), "{line}");
        }
    }
    for line in [
        "sentinel masters",
        "ping",
        "client",
        "client setname",
        "client help",
        "client foo",
    ] {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        assert!(!caller_handles(&argv), "{line}");
        assert!(!raw(&v, line, Protocol::Resp2).1.is_empty(), "{line}");
    }
    assert!(!caller_handles(&[]));
}

#[test]
fn client_without_state() {
    let v = sample();
    assert_eq!(
        err(&v, "client"),
        "ERR wrong number of arguments for 'client' command"
    );
    assert_eq!(
        err(&v, "client setname"),
        "ERR wrong number of arguments for 'client|setname' command"
    );
    assert_eq!(
        err(&v, "CLIENT foo"),
        "ERR unknown subcommand 'foo'. Try CLIENT HELP."
    );
    let h = run2(&v, "client help");
    assert_eq!(
        h.items()[0].text(),
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(h.items().last().map(V::text), Some("    Print this help."));
    assert_eq!(run2(&v, "client getredir"), V::Int(-1));
    assert_eq!(
        run3(&v, "client trackinginfo"),
        V::Map(vec![
            (V::bulk("flags"), V::Set(vec![V::bulk("off")])),
            (V::bulk("redirect"), V::Int(-1)),
            (V::bulk("prefixes"), V::Array(vec![])),
        ])
    );
    assert_eq!(
        run2(&v, "client trackinginfo"),
        V::Array(vec![
            V::bulk("flags"),
            V::Array(vec![V::bulk("off")]),
            V::bulk("redirect"),
            V::Int(-1),
            V::bulk("prefixes"),
            V::Array(vec![]),
        ])
    );
    assert!(err(&v, "client caching yes").starts_with("ERR CLIENT CACHING can be called only"));
    assert_eq!(run2(&v, "client tracking off"), V::Simple("OK".into()));
    assert!(err(&v, "client tracking on").contains("not supported"));
    assert_eq!(run2(&v, "client no-evict ON"), V::Simple("OK".into()));
    assert_eq!(err(&v, "client no-evict x"), "ERR syntax error");
    assert_eq!(run2(&v, "client unblock 7"), V::Int(0));
    assert_eq!(run2(&v, "client unblock 7 error"), V::Int(0));
    assert_eq!(
        err(&v, "client unblock x"),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&v, "client unblock 7 later"),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(run2(&v, "client unpause"), V::Simple("OK".into()));
    assert_eq!(
        err(&v, "client pause x"),
        "ERR timeout is not an integer or out of range"
    );
    assert!(err(&v, "client pause 100 write").contains("not supported"));
}

/// Every command and subcommand with 0 to 5 assorted arguments, in both protocols and
/// against the ordinary, leaderless and lonely views: never a panic, and exactly one
/// well-formed reply unless the caller answers (`caller_handles`) or writes the
/// pub/sub confirmations.
#[test]
fn every_line_gets_exactly_one_reply() {
    let tokens: [&[u8]; 9] = [
        b"mymaster",
        b"*",
        b"0",
        b"-1",
        b"x",
        b"",
        b"127.0.0.1",
        b"17001",
        b"\xff\r\n",
    ];
    let mut leaderless = sample();
    leaderless.last_master = leaderless.master.take();
    let mut lonely = sample();
    lonely.master = None;
    lonely.replicas.clear();
    lonely.sentinels.clear();
    let views = [sample(), leaderless, lonely];
    let mut heads: Vec<Vec<&[u8]>> = vec![vec![b"nosuch"], vec![b"quit"]];
    for c in crate::table::COMMANDS {
        heads.push(vec![c.name.as_bytes()]);
        for s in c.subs {
            heads.push(vec![c.name.as_bytes(), s.name.as_bytes()]);
        }
    }
    let mut lines = 0;
    for head in &heads {
        for n in 0..=5usize {
            // A few argument combinations per length.
            for k in 0..tokens.len() {
                let mut argv = head.clone();
                argv.extend((0..n).map(|i| tokens[(k + i * 2) % tokens.len()]));
                for v in &views {
                    for p in [Protocol::Resp2, Protocol::Resp3] {
                        let mut r = Reply::new(p);
                        let a = crate::command(v, &argv, &mut r);
                        lines += 1;
                        let pubsub = matches!(
                            a,
                            Action::Subscribe(_)
                                | Action::PSubscribe(_)
                                | Action::Unsubscribe(_)
                                | Action::PUnsubscribe(_)
                        );
                        if caller_handles(&argv) || pubsub {
                            assert!(r.buf.is_empty(), "{argv:?}");
                        } else {
                            assert!(!r.buf.is_empty(), "no reply to {argv:?}");
                            decode_lossy(&r.buf);
                        }
                    }
                }
            }
        }
    }
    assert!(lines > 10_000);
}

/// Checks that `buf` is exactly one RESP value (bulk payloads may be any bytes).
fn decode_lossy(buf: &[u8]) {
    fn value(b: &[u8], i: &mut usize) {
        let t = b[*i];
        let end = *i + b[*i..].windows(2).position(|w| w == b"\r\n").expect("CRLF");
        let head = std::str::from_utf8(&b[*i + 1..end]).expect("header");
        *i = end + 2;
        match t {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' => {}
            b'$' | b'=' => {
                let n: i64 = head.parse().expect("length");
                if n >= 0 {
                    *i += n as usize;
                    assert_eq!(&b[*i..*i + 2], b"\r\n");
                    *i += 2;
                }
            }
            b'*' | b'~' | b'>' | b'%' => {
                let n: i64 = head.parse().expect("length");
                let n = if t == b'%' { 2 * n } else { n };
                for _ in 0..n.max(0) {
                    value(b, i);
                }
            }
            other => panic!("type byte {other}"),
        }
    }
    let mut i = 0;
    value(buf, &mut i);
    assert_eq!(i, buf.len(), "more than one reply");
}
