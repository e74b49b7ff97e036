//! Test support: a view shaped like the real Sentinel setup the formats were captured
//! from (a master on 127.0.0.1:17001, replicas on 17003 and 17002, peer sentinels on
//! 27002 and 27003, quorum 2, down-after 3000 ms, failover-timeout 20000 ms), a small
//! RESP decoder, and helpers to run commands in RESP2 and RESP3.

mod commands;
mod entries;
mod events;
mod info;

use crate::{command, Action, Addr, Node, SentinelPeer, View};
use redraft_resp::{Protocol, Reply};

pub(crate) const MASTER_ID: &str = "1b1db8c3f82446d6739cb6e21ce02cd8ee0d1fc4";
pub(crate) const R3_ID: &str = "83592c8bfe07632b5e10c633876fcd412e1b52c6";
pub(crate) const R2_ID: &str = "213d02d8a9cbf71c890c97057d7d45cf5645cd12";
pub(crate) const S2_ID: &str = "f47238a49e7ea3c8fa53d6a28ff92f600c07a17c";
pub(crate) const S3_ID: &str = "f91ac951c4f3e0c65dfb4ad8b311a79f84e5b4dc";
pub(crate) const MY_ID: &str = "b35bcbd014ccd535b9e2b653536c0dc0d78ce63a";

pub(crate) fn node(port: u16, id: &str, ping: u64, offset: u64) -> Node {
    Node {
        addr: Addr::new("127.0.0.1", port),
        run_id: id.into(),
        reachable: true,
        down_since_ms: 0,
        last_ok_ping_ms: ping,
        offset,
    }
}

pub(crate) fn peer(port: u16, id: &str, ping: u64) -> SentinelPeer {
    SentinelPeer {
        addr: Addr::new("127.0.0.1", port),
        run_id: id.into(),
        reachable: true,
        last_ok_ping_ms: ping,
    }
}

pub(crate) fn sample() -> View {
    View {
        master_name: "mymaster".into(),
        master: Some(node(17001, MASTER_ID, 713, 2874)),
        last_master: None,
        replicas: vec![node(17003, R3_ID, 1042, 827), node(17002, R2_ID, 1042, 827)],
        sentinels: vec![peer(27002, S2_ID, 250), peer(27003, S3_ID, 250)],
        my_id: MY_ID.into(),
        my_addr: Addr::new("127.0.0.1", 27001),
        epoch: 0,
        quorum: 2,
        failover_in_progress: false,
        down_after_ms: 3000,
        failover_timeout_ms: 20000,
        parallel_syncs: 1,
    }
}

/// Makes a node unreachable for `ms` milliseconds.
pub(crate) fn down(mut n: Node, ms: u64) -> Node {
    n.reachable = false;
    n.down_since_ms = ms;
    n.last_ok_ping_ms = ms + 100;
    n
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    Simple(String),
    Err(String),
    Int(i64),
    Bulk(String),
    Verbatim(String),
    Null,
    NullBulk,
    NullArray,
    Array(Vec<V>),
    Set(Vec<V>),
    Map(Vec<(V, V)>),
}

impl V {
    pub(crate) fn bulk(s: &str) -> V {
        V::Bulk(s.into())
    }

    pub(crate) fn items(&self) -> &[V] {
        match self {
            V::Array(v) | V::Set(v) => v,
            other => panic!("not an array: {other:?}"),
        }
    }

    pub(crate) fn text(&self) -> &str {
        match self {
            V::Bulk(s) | V::Simple(s) | V::Err(s) | V::Verbatim(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    /// An instance entry as (field, value) pairs: a RESP3 map, or a flat RESP2 array,
    /// in both cases of bulk strings only.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        let b = |v: &V| match v {
            V::Bulk(s) => s.clone(),
            other => panic!("entry value not a bulk string: {other:?}"),
        };
        match self {
            V::Map(kv) => kv.iter().map(|(k, v)| (b(k), b(v))).collect(),
            V::Array(flat) => {
                assert!(flat.len() % 2 == 0, "odd flat entry");
                flat.chunks(2).map(|c| (b(&c[0]), b(&c[1]))).collect()
            }
            other => panic!("not an entry: {other:?}"),
        }
    }
}

struct Dec<'a> {
    b: &'a [u8],
    i: usize,
}

impl Dec<'_> {
    fn line(&mut self) -> String {
        let start = self.i;
        while &self.b[self.i..self.i + 2] != b"\r\n" {
            self.i += 1;
        }
        let s = String::from_utf8(self.b[start..self.i].to_vec()).expect("utf8 line");
        self.i += 2;
        s
    }

    fn value(&mut self) -> V {
        let t = self.b[self.i];
        self.i += 1;
        let l = self.line();
        let n = || l.parse::<i64>().expect("length");
        match t {
            b'+' => V::Simple(l),
            b'-' => V::Err(l),
            b':' => V::Int(n()),
            b'_' => V::Null,
            b'$' | b'=' => {
                if n() < 0 {
                    return V::NullBulk;
                }
                let len = n() as usize;
                let s = String::from_utf8(self.b[self.i..self.i + len].to_vec()).expect("utf8");
                assert_eq!(&self.b[self.i + len..self.i + len + 2], b"\r\n");
                self.i += len + 2;
                if t == b'=' {
                    V::Verbatim(s)
                } else {
                    V::Bulk(s)
                }
            }
            b'*' | b'~' => {
                if n() < 0 {
                    return V::NullArray;
                }
                let items = (0..n()).map(|_| self.value()).collect();
                if t == b'~' {
                    V::Set(items)
                } else {
                    V::Array(items)
                }
            }
            b'%' => V::Map((0..n()).map(|_| (self.value(), self.value())).collect()),
            other => panic!("unexpected type byte {}", other as char),
        }
    }
}

/// Decodes exactly one reply.
pub(crate) fn decode(buf: &[u8]) -> V {
    let mut d = Dec { b: buf, i: 0 };
    let v = d.value();
    assert_eq!(d.i, buf.len(), "trailing bytes after the reply");
    v
}

/// Runs a command line (space-separated) and returns the action and the raw reply.
pub(crate) fn raw(view: &View, line: &str, proto: Protocol) -> (Action, Vec<u8>) {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let mut r = Reply::new(proto);
    let a = command(view, &args, &mut r);
    (a, r.buf)
}

pub(crate) fn run(view: &View, line: &str, proto: Protocol) -> V {
    decode(&raw(view, line, proto).1)
}

pub(crate) fn run2(view: &View, line: &str) -> V {
    run(view, line, Protocol::Resp2)
}

pub(crate) fn run3(view: &View, line: &str) -> V {
    run(view, line, Protocol::Resp3)
}

pub(crate) fn err(view: &View, line: &str) -> String {
    for p in [Protocol::Resp2, Protocol::Resp3] {
        match run(view, line, p) {
            V::Err(e) => {
                if p == Protocol::Resp3 {
                    return e;
                }
            }
            other => panic!("{line}: expected an error, got {other:?}"),
        }
    }
    unreachable!()
}

pub(crate) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
