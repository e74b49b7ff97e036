//! The snapshot of the cluster every reply and event is computed from, and the small
//! derivations shared by the other modules: which master an entry shows, whether it
//! counts as down, and Sentinel's textual forms of an instance (`ip:port` names,
//! `[v6]:port` for IPv6, and the `%@` "instance details" of event payloads).
//!
//! The caller builds a `View` from Raft's state (the leader is the master, every other
//! member a replica, every other node's sentinel endpoint a peer sentinel) and passes it
//! to `command`, `info` and `events`. Nothing here keeps state between calls.

use std::fmt::Write as _;

/// An address as announced to clients (announce-ip / hostname already applied).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Addr {
    pub ip: String,
    pub port: u16,
}

impl Addr {
    pub fn new(ip: impl Into<String>, port: u16) -> Self {
        Addr {
            ip: ip.into(),
            port,
        }
    }

    /// Sentinel's instance name for a replica: `ip:port`, or `[ip]:port` for IPv6
    /// (`announceSentinelAddr` / `anetFormatAddr`).
    pub fn name(&self) -> String {
        if self.ip.contains(':') {
            format!("[{}]:{}", self.ip, self.port)
        } else {
            format!("{}:{}", self.ip, self.port)
        }
    }
}

/// A data node: the master (Raft leader) or a replica (any other member).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub addr: Addr,
    /// 40 hex characters, stable per node.
    pub run_id: String,
    /// false: the node is `s_down` (and `disconnected`).
    pub reachable: bool,
    /// Milliseconds it has been unreachable (0 while reachable).
    pub down_since_ms: u64,
    /// Milliseconds since the last successful contact.
    pub last_ok_ping_ms: u64,
    /// Replication offset (the applied log index).
    pub offset: u64,
}

/// Another node's sentinel endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SentinelPeer {
    pub addr: Addr,
    pub run_id: String,
    pub reachable: bool,
    pub last_ok_ping_ms: u64,
}

/// The cluster as this node's sentinel sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// `sentinel-master-name`, "mymaster" by default.
    pub master_name: String,
    /// The leader; None when no leader is known.
    pub master: Option<Node>,
    /// The last known leader, shown (flagged down) while `master` is None.
    pub last_master: Option<Node>,
    /// Every other member (voters and learners).
    pub replicas: Vec<Node>,
    /// Every OTHER node's sentinel endpoint.
    pub sentinels: Vec<SentinelPeer>,
    /// This sentinel's 40-hex id (`SENTINEL MYID`).
    pub my_id: String,
    /// This sentinel's announced address.
    pub my_addr: Addr,
    /// Config epoch: the Raft term.
    pub epoch: u64,
    /// Majority of voters.
    pub quorum: u32,
    pub failover_in_progress: bool,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
}

/// Shown in place of a master when no leader was ever known: no address (`?`, port 0),
/// no run id, flagged down.
pub(crate) fn placeholder() -> Node {
    Node {
        addr: Addr::new("?", 0),
        ..Node::default()
    }
}

impl View {
    /// The master an entry shows: the leader, else the last known leader.
    pub(crate) fn shown_master(&self) -> Option<&Node> {
        self.master.as_ref().or(self.last_master.as_ref())
    }

    /// The master is `s_down` and `o_down`: no leader is known, or it is unreachable.
    pub(crate) fn master_down(&self) -> bool {
        self.master.as_ref().is_none_or(|m| !m.reachable)
    }

    /// The address clients should use: the leader's, only while it is reachable.
    pub(crate) fn live_master(&self) -> Option<&Node> {
        self.master.as_ref().filter(|m| m.reachable)
    }

    /// `master <name> <ip> <port>`: the `%@` details of the master.
    pub(crate) fn master_details(&self, m: &Addr) -> String {
        format!("master {} {} {}", self.master_name, m.ip, m.port)
    }

    /// `slave <ip:port> <ip> <port> @ <name> <master-ip> <master-port>`.
    pub(crate) fn slave_details(&self, r: &Addr, master: &Addr) -> String {
        let mut s = format!("slave {} {} {}", r.name(), r.ip, r.port);
        self.at_master(&mut s, master);
        s
    }

    /// `sentinel <runid> <ip> <port> @ <name> <master-ip> <master-port>`.
    pub(crate) fn sentinel_details(&self, p: &SentinelPeer, master: &Addr) -> String {
        let mut s = format!("sentinel {} {} {}", p.run_id, p.addr.ip, p.addr.port);
        self.at_master(&mut s, master);
        s
    }

    fn at_master(&self, s: &mut String, master: &Addr) {
        let _ = write!(s, " @ {} {} {}", self.master_name, master.ip, master.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_bracket_ipv6() {
        assert_eq!(Addr::new("10.0.0.2", 6379).name(), "10.0.0.2:6379");
        assert_eq!(Addr::new("::1", 6379).name(), "[::1]:6379");
        assert_eq!(Addr::new("redis-1.svc", 6379).name(), "redis-1.svc:6379");
    }

    #[test]
    fn details() {
        let v = View {
            master_name: "mymaster".into(),
            ..View::default()
        };
        let m = Addr::new("10.0.0.1", 6379);
        assert_eq!(v.master_details(&m), "master mymaster 10.0.0.1 6379");
        assert_eq!(
            v.slave_details(&Addr::new("10.0.0.2", 6380), &m),
            "slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379"
        );
        let p = SentinelPeer {
            addr: Addr::new("10.0.0.3", 26379),
            run_id: "abc".into(),
            ..SentinelPeer::default()
        };
        assert_eq!(
            v.sentinel_details(&p, &m),
            "sentinel abc 10.0.0.3 26379 @ mymaster 10.0.0.1 6379"
        );
    }
}
