//! Cluster mode on this node: the Raft node (`redraft-raft`) wired to the core.
//!
//! - **Writes** are proposed as entries while the core lock is held, so the log order
//!   is the order in which this node accepted them; the session then waits for the
//!   entry to be committed and applied and replies with what apply produced.
//! - **Apply** (`EngineApplier`) runs every entry on the engine, on every node, with
//!   the entry's time and seed; `PUBLISH` reaches this node's subscribers.
//! - **Reads** on the leader pass a read barrier first (a quorum round confirming
//!   leadership, shared by every read that waited for the same round), or a lease.
//! - **Leadership** is watched: changes are logged, and a node that stops leading
//!   closes its client connections and unblocks blocked clients, so that clients look
//!   for the new leader. A leader that has not heard from a quorum for an election
//!   timeout stops acting as one.

use crate::shared::Shared;
use redraft_engine::{Engine, Protocol, Reply, ScriptEnv};
use redraft_raft::network::{self, Handler, Network};
use redraft_raft::state_machine::StateMachine;
use redraft_raft::{Applier, Member, NodeId, Raft, Request, Response};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The error for a write this node cannot take (not the leader).
pub const READONLY: &str = "READONLY You can't write against a read only replica.";
/// A leader that cannot reach a quorum refuses writes before proposing them.
pub const NOQUORUM: &str =
    "NOREPLICAS Not enough good replicas to write (no Raft quorum); the write was not applied";
/// A follower that forwards writes and cannot reach the leader.
pub const NOLEADER: &str =
    "TRYAGAIN no Raft leader is reachable from this node; the command was not applied";
/// An error after the proposal: the outcome is not known.
pub const UNCERTAIN: &str = "UNCERTAIN leadership changed or the quorum was lost after the write was proposed; it may or may not have been applied";

/// This node's part in the cluster.
pub struct Cluster {
    pub me: NodeId,
    pub raft: Raft,
    /// Members as configured with `peers` (the initial membership).
    pub peers: BTreeMap<NodeId, Member>,
    /// The last log index applied here.
    pub applied: AtomicU64,
    /// This node leads and hears from a quorum: it takes writes and serves reads.
    leading: AtomicBool,
    election_timeout: u64,
    /// When a quorum last acknowledged this node as leader.
    quorum: Arc<QuorumClock>,
    /// When each peer was last heard from (the Sentinel endpoint reports it).
    #[allow(dead_code)]
    pub contacts: Arc<network::Contacts>,
    /// Requests on their way into the log (see `group_commit`).
    proposals: tokio::sync::mpsc::UnboundedSender<Proposed>,
    /// A leadership transfer is under way: no new writes.
    transferring: AtomicBool,
    secret: Arc<str>,
    lease_reads: bool,
    pub replica_read_stale: bool,
    /// `replica-forward-writes yes`: a follower sends writes (and reads) to the leader
    /// and relays the reply.
    pub forward_writes: bool,
    /// The connection forwarded commands take to the leader (leader id, stream).
    forward_conn: tokio::sync::Mutex<Option<(NodeId, tokio::net::TcpStream)>>,
    /// Read barrier rounds: asked (a ticket per reader) and the last ticket covered.
    barrier_asked: AtomicU64,
    barrier_done: AtomicU64,
    barrier_round: tokio::sync::Mutex<()>,
    shared: Weak<Shared>,
}

/// `1=host:port[@clusterport],2=...`: the members. The cluster port defaults to the
/// client port + 10000, as Redis Cluster's bus.
pub fn parse_peers(s: &str) -> Result<BTreeMap<NodeId, Member>, String> {
    let mut out = BTreeMap::new();
    for part in s.split([',', ' ']).filter(|p| !p.is_empty()) {
        let bad = || format!("bad peer '{part}': expected id=host:port[@clusterport]");
        let (id, addr) = part.split_once('=').ok_or_else(bad)?;
        let id: NodeId = id.trim().parse().map_err(|_| bad())?;
        let (addr, bus) = match addr.split_once('@') {
            Some((a, b)) => (a, Some(b.parse::<u16>().map_err(|_| bad())?)),
            None => (addr, None),
        };
        let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let bus = match bus {
            Some(b) => b,
            None => port.checked_add(10000).ok_or_else(bad)?,
        };
        if id == 0 {
            return Err("node ids start at 1".into());
        }
        out.insert(
            id,
            Member {
                addr: format!("{host}:{port}"),
                cluster: format!("{host}:{bus}"),
            },
        );
    }
    if out.is_empty() {
        return Err("cluster mode needs `peers` (id=host:port,...)".into());
    }
    Ok(out)
}

/// A proposal made: its outcome arrives here.
pub type Pending = tokio::sync::oneshot::Receiver<Result<Response, &'static str>>;
type Proposed = (
    Request,
    tokio::sync::oneshot::Sender<Result<Response, &'static str>>,
);

/// When a quorum last acknowledged this node as leader, from every proof at hand:
/// Raft's metrics, committed entries, passed read barriers. (Metrics alone are not
/// enough: openraft publishes them once per turn of its loop, which under load may
/// take long, and not at all while a partitioned leader hears nothing.)
pub struct QuorumClock {
    epoch: std::time::Instant,
    /// ms since `epoch` of the latest proof (0: none).
    at_ms: AtomicU64,
}

impl QuorumClock {
    fn new() -> Self {
        QuorumClock {
            epoch: std::time::Instant::now(),
            at_ms: AtomicU64::new(0),
        }
    }

    /// A quorum acknowledged this leader at `at` (or later).
    pub fn note(&self, at: std::time::Instant) {
        let ms = at.saturating_duration_since(self.epoch).as_millis() as u64 + 1;
        self.at_ms.fetch_max(ms, Ordering::AcqRel);
    }

    /// Forgets every proof (this node stopped leading).
    fn reset(&self) {
        self.at_ms.store(0, Ordering::Release);
    }

    /// How long ago the latest proof was; None if there is none.
    pub fn age(&self) -> Option<Duration> {
        match self.at_ms.load(Ordering::Acquire) {
            0 => None,
            ms => Some(
                self.epoch
                    .elapsed()
                    .saturating_sub(Duration::from_millis(ms - 1)),
            ),
        }
    }
}

/// Most requests in one log entry.
const MAX_GROUP: usize = 1024;

/// Entries in flight (proposed, not yet committed) at most: while they are, requests
/// gather for the next one.
const IN_FLIGHT: usize = 2;

/// Group commit: every request queued while earlier entries are in flight goes into
/// the next entry together, so concurrent clients share one log append and one fsync
/// on every node (openraft 0.9 appends each entry it is given on its own). The queue
/// keeps the order in which requests were accepted.
async fn group_commit(
    raft: Raft,
    quorum: Arc<QuorumClock>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Proposed>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        let (mut reqs, txs): (Vec<Request>, Vec<_>) = group.into_iter().unzip();
        let req = match reqs.len() {
            1 => reqs.pop().unwrap_or(Request::Batch(vec![])),
            _ => Request::Batch(reqs),
        };
        let batched = matches!(req, Request::Batch(_));
        let sent = std::time::Instant::now();
        let rx_out = match raft.client_write_ff(req).await {
            Ok(r) => r,
            Err(_) => {
                for tx in txs {
                    let _ = tx.send(Err(READONLY));
                }
                continue;
            }
        };
        let quorum = quorum.clone();
        tokio::spawn(async move {
            let r = rx_out.await;
            drop(slot);
            if matches!(r, Ok(Ok(_))) {
                // Committed: a quorum had this leader's entry after it was sent.
                quorum.note(sent);
            }
            match r {
                Ok(Ok(r)) if batched => {
                    let mut parts = r.data.batch.into_iter();
                    for tx in txs {
                        let _ = tx.send(parts.next().ok_or(UNCERTAIN));
                    }
                }
                Ok(Ok(r)) => {
                    if let Some(tx) = txs.into_iter().next() {
                        let _ = tx.send(Ok(r.data));
                    }
                }
                // Not appended by this leader: refused, not applied.
                Ok(Err(openraft::error::ClientWriteError::ForwardToLeader(_))) => {
                    for tx in txs {
                        let _ = tx.send(Err(UNCERTAIN));
                    }
                }
                _ => {
                    for tx in txs {
                        let _ = tx.send(Err(UNCERTAIN));
                    }
                }
            }
        });
    }
}

impl Cluster {
    /// True when this node leads with a quorum behind it.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::Acquire) && !self.transferring.load(Ordering::Acquire)
    }

    /// The leader's client address, as members know it.
    pub fn leader_addr(&self) -> Option<(NodeId, String)> {
        let m = self.raft.metrics().borrow().clone();
        let id = m.current_leader?;
        let addr = m
            .membership_config
            .membership()
            .get_node(&id)
            .map(|n| n.addr.clone())
            .or_else(|| self.peers.get(&id).map(|n| n.addr.clone()))?;
        Some((id, addr))
    }

    /// Why this node refuses a write now.
    pub fn refusal(&self) -> &'static str {
        if self.raft.metrics().borrow().state.is_leader() {
            NOQUORUM
        } else {
            READONLY
        }
    }

    /// Queues a request for the next entry (the caller holds the core lock: the log
    /// keeps the order in which writes were accepted). Err: the error line to send.
    pub fn propose(&self, req: Request) -> Result<Pending, &'static str> {
        if !self.is_leader() {
            return Err(self.refusal());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.proposals.send((req, tx)).map_err(|_| READONLY)?;
        Ok(rx)
    }

    /// Waits for a proposal's outcome: the apply result, or the error line.
    pub async fn outcome(&self, rx: Pending) -> Result<Response, &'static str> {
        let limit = Duration::from_millis(self.election_timeout * 4);
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) | Err(_) => Err(UNCERTAIN),
        }
    }

    /// Sends an entry to the leader (`replica-forward-writes`) and returns what its apply
    /// produced there. One forwarded command at a time per node, on one connection.
    pub async fn forward(&self, req: Request) -> Result<Response, String> {
        let Some((leader, _)) = self.leader_addr() else {
            return Err(NOLEADER.into());
        };
        let Some(addr) = self.member(leader).map(|m| m.cluster) else {
            return Err(NOLEADER.into());
        };
        if leader == self.me {
            let rx = self.propose(req).map_err(String::from)?;
            return self.outcome(rx).await.map_err(String::from);
        }
        let mut conn = self.forward_conn.lock().await;
        if conn.as_ref().is_some_and(|(id, _)| *id != leader) {
            *conn = None;
        }
        if conn.is_none() {
            let s = tokio::time::timeout(
                Duration::from_millis(self.election_timeout * 2),
                network::connect(&addr, &self.secret, self.me, leader),
            )
            .await
            .map_err(|_| NOLEADER.to_string())?
            .map_err(|_| NOLEADER.to_string())?;
            *conn = Some((leader, s));
        }
        let Some((_, stream)) = conn.as_mut() else {
            return Err(NOLEADER.into());
        };
        let limit = Duration::from_millis(self.election_timeout * 6);
        match tokio::time::timeout(limit, network::call(stream, &network::Rpc::Forward(req))).await
        {
            Ok(Ok(network::RpcReply::Forward(r))) => r,
            _ => {
                *conn = None;
                Err(UNCERTAIN.into())
            }
        }
    }

    /// A member's addresses, from the membership or the configured peers.
    pub fn member(&self, id: NodeId) -> Option<Member> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .get_node(&id)
            .cloned()
            .or_else(|| self.peers.get(&id).cloned())
    }

    /// Runs an entry wherever it must go: proposed here on the leader, forwarded by a
    /// follower that forwards, refused otherwise.
    pub async fn submit(&self, req: Request) -> Result<Response, String> {
        if !self.is_leader() && self.forward_writes {
            return self.forward(req).await;
        }
        let rx = self.propose(req).map_err(String::from)?;
        self.outcome(rx).await.map_err(String::from)
    }

    /// Waits until reads here are linearizable: a quorum confirmed this node's
    /// leadership after the call began (one round serves every reader waiting for it),
    /// and the state machine has applied everything committed before.
    pub async fn read_barrier(&self) -> Result<(), &'static str> {
        if !self.is_leader() {
            return Err(READONLY);
        }
        if self.lease_reads {
            // The lease: a quorum acknowledged this leader less than half the shortest
            // election timeout ago, so no other leader can exist yet.
            if self
                .quorum
                .age()
                .is_some_and(|a| a < Duration::from_millis(self.election_timeout / 2))
            {
                return Ok(());
            }
        }
        let ticket = self.barrier_asked.fetch_add(1, Ordering::SeqCst) + 1;
        let _round = self.barrier_round.lock().await;
        if self.barrier_done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let covers = self.barrier_asked.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        match tokio::time::timeout(
            Duration::from_millis(self.election_timeout * 2),
            self.raft.ensure_linearizable(),
        )
        .await
        {
            Ok(Ok(_)) => {
                self.quorum.note(started);
                self.barrier_done.fetch_max(covers, Ordering::SeqCst);
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "read barrier failed");
                Err(NOQUORUM)
            }
            Err(_) => {
                tracing::warn!("read barrier timed out");
                Err(NOQUORUM)
            }
        }
    }
}

/// Publishes to this node's subscribers while an entry applies.
struct ApplyEnv<'a> {
    pubsub: &'a mut crate::commands::pubsub::PubSub,
}

impl ScriptEnv for ApplyEnv<'_> {
    fn publish(&mut self, channel: &[u8], message: &[u8]) -> i64 {
        crate::commands::pubsub::publish_message(self.pubsub, channel, message) as i64
    }
}

/// An entry holding PUBLISH (not an engine command): run one command at a time, each
/// with its own seed drawn from the entry's, SELECT switching the database as in
/// `Engine::apply_entry_in`.
fn apply_with_publish(
    engine: &mut Engine,
    env: &mut ApplyEnv,
    mut db: usize,
    time: i64,
    seed: u64,
    cmds: &[&[&[u8]]],
    reply: &mut Reply,
) -> bool {
    let mut seeds = redraft_engine::Rng::new(seed);
    for argv in cmds {
        let name = argv.first().copied().unwrap_or_default();
        if name.eq_ignore_ascii_case(b"publish") && argv.len() == 3 {
            let n = env.publish(argv[1], argv[2]);
            reply.int(n);
            continue;
        }
        if name.eq_ignore_ascii_case(b"select") && argv.len() == 2 {
            if let Some(i) = redraft_resp::parse_i64(argv[1])
                .filter(|i| *i >= 0 && (*i as usize) < engine.dbs.len())
            {
                db = i as usize;
            }
        }
        engine.apply_entry_in(db, time, seeds.next_u64(), &[argv], reply, false, env);
    }
    false
}

/// Applies one request to the core (the state machine holds the lock).
fn apply_request(core: &mut crate::shared::Core, req: &Request) -> Response {
    match req {
        Request::Batch(reqs) => Response {
            batch: reqs.iter().map(|r| apply_request(core, r)).collect(),
            ..Default::default()
        },

        Request::Commands {
            db,
            time_ms,
            seed,
            resp3,
            may_block,
            commands,
        } => {
            let proto = if *resp3 {
                Protocol::Resp3
            } else {
                Protocol::Resp2
            };
            let mut reply = Reply::new(proto);
            let db = *db as usize;
            if db >= core.engine.dbs.len() {
                reply.error("ERR DB index is out of range");
                Response {
                    reply: reply.buf,
                    ..Default::default()
                }
            } else {
                let argvs: Vec<Vec<&[u8]>> = commands
                    .iter()
                    .map(|a| a.iter().map(|x| &x[..]).collect())
                    .collect();
                let cmds: Vec<&[&[u8]]> = argvs.iter().map(|a| &a[..]).collect();
                let time = core.engine.entry_time(*time_ms);
                let mut env = ApplyEnv {
                    pubsub: &mut core.pubsub,
                };
                let publishes = cmds.iter().any(|c| {
                    c.first()
                        .is_some_and(|n| n.eq_ignore_ascii_case(b"publish"))
                });
                let blocked = if publishes {
                    apply_with_publish(
                        &mut core.engine,
                        &mut env,
                        db,
                        time,
                        *seed,
                        &cmds,
                        &mut reply,
                    )
                } else {
                    core.engine
                        .apply_entry_in(db, time, *seed, &cmds, &mut reply, *may_block, &mut env)
                };
                core.after_write(time);
                Response {
                    reply: reply.buf,
                    blocked,
                    ..Default::default()
                }
            }
        }
        Request::Expire { db, time_ms, keys } => {
            let time = core.engine.entry_time(*time_ms);
            if let Some(d) = core.engine.dbs.get_mut(*db as usize) {
                for k in keys {
                    d.expire_if_needed(k, time);
                }
            }
            core.engine.last_time = time;
            core.after_write(time);
            Response::default()
        }
    }
}

/// The state machine's data side: the core's engine.
struct EngineApplier {
    shared: Weak<Shared>,
}

impl Applier for EngineApplier {
    fn apply(&self, index: u64, req: &Request) -> Response {
        let Some(shared) = self.shared.upgrade() else {
            return Response::default();
        };
        let resp = apply_request(&mut shared.core.lock(), req);
        if let Some(c) = shared.cluster.get() {
            c.applied.store(index, Ordering::Release);
        }
        resp
    }

    fn begin_snapshot(&self) -> redraft_raft::SnapshotWork {
        let Some(shared) = self.shared.upgrade() else {
            return Box::new(|| Err("shutting down".into()));
        };
        crate::rdb::raft_snapshot_begin(&shared)
    }

    fn install_snapshot(&self, data: &[u8]) -> Result<(), String> {
        let Some(shared) = self.shared.upgrade() else {
            return Err("shutting down".into());
        };
        let mut engine = {
            let core = shared.core.lock();
            let mut e = Engine::new(core.engine.dbs.len());
            e.max_string = core.engine.max_string;
            e
        };
        crate::rdb::load_snapshot(&shared, &mut engine, data)?;
        let mut core = shared.core.lock();
        core.engine = engine;
        shared.refresh_settings(&mut core);
        Ok(())
    }
}

struct PeerHandler {
    cluster: Weak<Cluster>,
    raft: Raft,
    peers: BTreeMap<NodeId, Member>,
}

impl Handler for PeerHandler {
    fn known(&self, id: NodeId) -> bool {
        let m = self.raft.metrics().borrow().clone();
        // A node waiting to join knows nobody yet: the secret is the credential.
        if m.membership_config.membership().nodes().next().is_none() {
            return true;
        }
        self.peers.contains_key(&id)
            || self
                .raft
                .metrics()
                .borrow()
                .membership_config
                .membership()
                .get_node(&id)
                .is_some()
    }

    fn raft(&self) -> &Raft {
        &self.raft
    }

    fn timeout_now(&self) {
        let raft = self.raft.clone();
        let me = self.cluster.upgrade().map(|c| c.me).unwrap_or_default();
        tracing::info!(
            me,
            "leadership handed over to this node: starting an election"
        );
        tokio::spawn(async move {
            let until = std::time::Instant::now() + Duration::from_secs(5);
            while std::time::Instant::now() < until {
                if raft.metrics().borrow().state.is_leader() {
                    return;
                }
                let _ = raft.trigger().elect().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    async fn forward(&self, req: Request) -> Result<Response, String> {
        let Some(c) = self.cluster.upgrade() else {
            return Err("ERR shutting down".into());
        };
        let rx = c.propose(req).map_err(String::from)?;
        c.outcome(rx).await.map_err(String::from)
    }
}

/// Starts this node's Raft: opens the log and the snapshot, listens on the cluster
/// port, initialises the cluster on first start, and watches leadership.
pub async fn start(shared: &Arc<Shared>) -> Result<Arc<Cluster>, String> {
    let (forward, join) = {
        let cfg = shared.config.read();
        (
            cfg.get("replica-forward-writes") == "yes",
            cfg.get("cluster-join") == "yes",
        )
    };
    let (me, peers, secret, election, heartbeat, snap_entries, lease, stale, port, binds, dir) = {
        let cfg = shared.config.read();
        let int = |n: &str| cfg.get(n).parse::<u64>().unwrap_or(0);
        (
            int("node-id"),
            parse_peers(cfg.get("peers"))?,
            cfg.get("cluster-secret").to_string(),
            int("raft-election-timeout").max(100),
            int("raft-heartbeat-interval").max(10),
            int("raft-snapshot-entries").max(100),
            cfg.get("read-consistency") == "lease",
            cfg.get("replica-read") == "stale",
            int("cluster-port"),
            shared.settings().binds.clone(),
            shared.settings().dir.clone(),
        )
    };
    let Some(my) = peers.get(&me) else {
        return Err(format!("node-id {me} is not in `peers`"));
    };
    if secret.is_empty() {
        return Err("cluster mode needs `cluster-secret`: peers authenticate with it".into());
    }
    let bus_port = match port {
        0 => my
            .cluster
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .ok_or("bad cluster address")?,
        p => p as u16,
    };
    let log = redraft_raft::log_store::LogStore::open(&dir.join("raft-log.redb"))?;
    let applier = Arc::new(EngineApplier {
        shared: Arc::downgrade(shared),
    });
    let sm = StateMachine::open(&dir, applier)?;
    if let Some(l) = sm.last_applied() {
        // Let INFO's offsets start from the snapshot.
        shared
            .cluster_applied_hint
            .store(l.index, Ordering::Relaxed);
    }
    let config = openraft::Config {
        cluster_name: "redraft".into(),
        heartbeat_interval: heartbeat,
        election_timeout_min: election,
        election_timeout_max: election * 2,
        install_snapshot_timeout: 10_000,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snap_entries),
        max_in_snapshot_log_to_keep: 1000,
        max_payload_entries: 1024,
        ..Default::default()
    }
    .validate()
    .map_err(|e| format!("raft configuration: {e}"))?;
    let secret: Arc<str> = Arc::from(secret.as_str());
    let contacts = Arc::new(network::Contacts::default());
    let raft = Raft::new(
        me,
        Arc::new(config),
        Network {
            me,
            secret: secret.clone(),
            contacts: contacts.clone(),
        },
        log,
        sm,
    )
    .await
    .map_err(|e| format!("can't start Raft: {e}"))?;
    let (proposals_tx, proposals_rx) = tokio::sync::mpsc::unbounded_channel();
    let quorum = Arc::new(QuorumClock::new());
    tokio::spawn(group_commit(raft.clone(), quorum.clone(), proposals_rx));
    let cluster = Arc::new(Cluster {
        me,
        raft: raft.clone(),
        peers: peers.clone(),
        applied: AtomicU64::new(shared.cluster_applied_hint.load(Ordering::Relaxed)),
        leading: AtomicBool::new(false),
        election_timeout: election,
        transferring: AtomicBool::new(false),
        proposals: proposals_tx,
        contacts: contacts.clone(),
        quorum: quorum.clone(),
        secret: secret.clone(),
        lease_reads: lease,
        replica_read_stale: stale,
        forward_writes: forward,
        forward_conn: tokio::sync::Mutex::new(None),
        barrier_asked: AtomicU64::new(0),
        barrier_done: AtomicU64::new(0),
        barrier_round: tokio::sync::Mutex::new(()),
        shared: Arc::downgrade(shared),
    });
    let handler = Arc::new(PeerHandler {
        cluster: Arc::downgrade(&cluster),
        raft: raft.clone(),
        peers: peers.clone(),
    });
    let mut bound = 0;
    for b in &binds {
        let host = b.trim_start_matches('-');
        let Ok(ip) = host.parse::<std::net::IpAddr>() else {
            continue;
        };
        match tokio::net::TcpListener::bind((ip, bus_port)).await {
            Ok(l) => {
                bound += 1;
                tokio::spawn(network::serve(
                    l,
                    me,
                    secret.clone(),
                    handler.clone(),
                    contacts.clone(),
                ));
            }
            Err(e) if b.starts_with('-') => {
                tracing::warn!(%ip, port = bus_port, error = %e, "optional cluster bind address unavailable")
            }
            Err(e) => {
                return Err(format!(
                    "can't listen on the cluster port {ip}:{bus_port}: {e}"
                ))
            }
        }
    }
    if bound == 0 {
        return Err("no address to listen on for the cluster port".into());
    }
    if join {
        tracing::info!(
            node = me,
            "waiting to be added to a cluster (RAFT ADDNODE on its leader)"
        );
    } else if !raft.is_initialized().await.map_err(|e| e.to_string())? {
        // First start: the node with the lowest id initialises the cluster at once;
        // the others wait to hear from it, and initialise (with the same membership,
        // so the same first entry) only if it does not come. Several nodes electing
        // at once would only churn leadership.
        let first = peers.keys().next().copied() == Some(me);
        let raft = raft.clone();
        let peers = peers.clone();
        tokio::spawn(async move {
            if !first {
                tokio::time::sleep(Duration::from_millis(election * 5)).await;
                if raft.is_initialized().await.unwrap_or(true) {
                    return;
                }
            }
            tracing::info!(members = ?peers.keys().collect::<Vec<_>>(), "initialising the cluster (first start)");
            if let Err(e) = raft.initialize(peers).await {
                tracing::info!(error = %e, "cluster already initialised by a peer");
            }
        });
    }
    tracing::info!(node = me, cluster_port = bus_port, "Raft node started");
    tokio::spawn(watch_leadership(cluster.clone()));
    Ok(cluster)
}

/// Follows Raft's view of leadership: logs changes, and when this node stops leading
/// (or, leading, has not heard from a quorum for an election timeout), drops its
/// clients so that they find the new leader.
async fn watch_leadership(cluster: Arc<Cluster>) {
    let mut metrics = cluster.raft.metrics();
    let mut last_leader: Option<NodeId> = None;
    let mut last_term = 0;
    let mut fresh = true;
    loop {
        let m = metrics.borrow_and_update().clone();
        // Metrics carry the age of the last quorum ack when they were published; only
        // a freshly published value says anything about now.
        if fresh {
            if let Some(ms) = m.millis_since_quorum_ack {
                cluster
                    .quorum
                    .note(std::time::Instant::now() - Duration::from_millis(ms));
            }
        }
        if !m.state.is_leader() {
            cluster.quorum.reset();
        }
        // The followers' leader lease is the longest election timeout: no other leader
        // can be elected before it runs out.
        let quorum_ok = m.state.is_leader()
            && (m.membership_config.membership().voter_ids().count() == 1
                || cluster
                    .quorum
                    .age()
                    .is_some_and(|a| a <= Duration::from_millis(cluster.election_timeout * 2)));
        let was = cluster.leading.swap(quorum_ok, Ordering::AcqRel);
        if m.current_leader != last_leader || m.current_term != last_term {
            match m.current_leader {
                Some(l) => tracing::info!(
                    leader = l,
                    term = m.current_term,
                    me = cluster.me,
                    "Raft leader changed"
                ),
                None => tracing::info!(term = m.current_term, me = cluster.me, "no Raft leader"),
            }
            last_leader = m.current_leader;
            last_term = m.current_term;
        }
        if was && !quorum_ok {
            if m.state.is_leader() {
                tracing::warn!(
                    me = cluster.me,
                    millis_since_quorum_ack = ?m.millis_since_quorum_ack,
                    acked_ms_ago = ?cluster.quorum.age().map(|a| a.as_millis()),
                    "leader without a quorum: refusing writes and dropping clients until it is back"
                );
            } else {
                tracing::info!(
                    me = cluster.me,
                    "no longer the leader: dropping clients so they find the new one"
                );
            }
            if let Some(shared) = cluster.shared.upgrade() {
                tokio::spawn(demoted(shared));
            }
        } else if !was && quorum_ok {
            tracing::info!(
                me = cluster.me,
                term = m.current_term,
                "this node is now the leader"
            );
        }
        fresh = tokio::select! {
            r = metrics.changed() => if r.is_err() { return } else { true },
            _ = tokio::time::sleep(Duration::from_millis(100)) => false,
        };
    }
}

/// What a node that stops leading does to its clients, as Redis does on a role change:
/// blocked clients get `-UNBLOCKED`, then normal and pub/sub connections are closed
/// (after a moment, so that the error reaches them).
async fn demoted(shared: Arc<Shared>) {
    let msg = b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";
    {
        let mut core = shared.core.lock();
        let core = &mut *core;
        for c in shared.clients.all() {
            if core.waiters.unblock(&mut core.engine, c.id).is_some() {
                c.send(msg.to_vec());
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for c in shared.clients.all() {
        c.kill();
    }
}

/// A member as INFO, ROLE and RAFT STATUS show it.
pub struct MemberView {
    pub id: NodeId,
    pub member: Member,
    pub voter: bool,
    /// Leader only: the last log index known to be on that member.
    pub matched: Option<u64>,
}

/// The Raft picture at one moment.
pub struct View {
    pub me: NodeId,
    pub leading: bool,
    pub state: String,
    pub term: u64,
    pub leader: Option<(NodeId, String)>,
    pub last_log: u64,
    pub applied: u64,
    pub snapshot: u64,
    pub millis_since_quorum_ack: Option<u64>,
    pub members: Vec<MemberView>,
}

/// Splits `host:port` (the port after the last colon).
pub fn host_port(addr: &str) -> (&str, u16) {
    match addr.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().unwrap_or(0)),
        None => (addr, 0),
    }
}

impl Cluster {
    pub fn view(&self) -> View {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        let voters: Vec<NodeId> = membership.voter_ids().collect();
        let members = membership
            .nodes()
            .map(|(id, n)| MemberView {
                id: *id,
                member: n.clone(),
                voter: voters.contains(id),
                matched: m
                    .replication
                    .as_ref()
                    .and_then(|r| r.get(id))
                    .and_then(|l| l.map(|l| l.index)),
            })
            .collect();
        View {
            me: self.me,
            leading: self.is_leader(),
            state: format!("{:?}", m.state),
            term: m.current_term,
            leader: self.leader_addr(),
            last_log: m.last_log_index.unwrap_or(0),
            applied: m.last_applied.map(|l| l.index).unwrap_or(0),
            snapshot: m.snapshot.map(|l| l.index).unwrap_or(0),
            millis_since_quorum_ack: m.millis_since_quorum_ack,
            members,
        }
    }

    /// Adds a node: as a learner first, which catches up from the log (or a snapshot),
    /// then as a voter.
    pub async fn add_node(&self, id: NodeId, member: Member) -> Result<(), String> {
        tracing::info!(node = id, addr = %member.addr, "adding a node: learner first");
        self.raft
            .add_learner(id, member, true)
            .await
            .map_err(|e| format!("ERR adding node {id} as a learner: {e}"))?;
        let mut voters: std::collections::BTreeSet<NodeId> = self
            .raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .collect();
        voters.insert(id);
        self.raft
            .change_membership(voters, false)
            .await
            .map_err(|e| format!("ERR making node {id} a voter: {e}"))?;
        tracing::info!(node = id, "node added as a voter");
        Ok(())
    }

    /// Removes a node from the membership (voter or learner).
    pub async fn remove_node(&self, id: NodeId) -> Result<(), String> {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        if membership.get_node(&id).is_none() {
            return Err(format!("ERR node {id} is not a member"));
        }
        let voters: std::collections::BTreeSet<NodeId> =
            membership.voter_ids().filter(|v| *v != id).collect();
        if voters.is_empty() {
            return Err("ERR can't remove the last voter".into());
        }
        self.raft
            .change_membership(voters, false)
            .await
            .map_err(|e| format!("ERR removing node {id}: {e}"))?;
        // A removed learner stays in the node list unless removed explicitly.
        if membership.learner_ids().any(|l| l == id) {
            self.raft
                .change_membership(
                    openraft::ChangeMembers::RemoveNodes([id].into_iter().collect()),
                    false,
                )
                .await
                .map_err(|e| format!("ERR removing learner {id}: {e}"))?;
        }
        tracing::info!(node = id, "node removed from the cluster");
        Ok(())
    }
}

impl Cluster {
    /// Hands leadership to `to` (or to the most up-to-date voter): stops taking writes,
    /// waits for the target to have the whole log, and tells it to start an election
    /// (TimeoutNow); heartbeats stop meanwhile so that the followers' leader lease
    /// runs out. Returns the new leader.
    pub async fn transfer(&self, to: Option<NodeId>) -> Result<NodeId, String> {
        if !self.raft.metrics().borrow().state.is_leader() {
            return Err("ERR this node is not the leader".into());
        }
        let view = self.view();
        let target = match to {
            Some(t) => {
                if !view.members.iter().any(|m| m.id == t && m.voter) || t == self.me {
                    return Err(format!("ERR node {t} is not another voting member"));
                }
                t
            }
            None => view
                .members
                .iter()
                .filter(|m| m.voter && m.id != self.me)
                .max_by_key(|m| m.matched.unwrap_or(0))
                .map(|m| m.id)
                .ok_or("ERR there is no other voting member")?,
        };
        let Some(addr) = view
            .members
            .iter()
            .find(|m| m.id == target)
            .map(|m| m.member.cluster.clone())
        else {
            return Err(format!("ERR node {target} has no address"));
        };
        tracing::info!(
            from = self.me,
            to = target,
            "leadership transfer: no new writes until the target has the whole log"
        );
        self.transferring.store(true, Ordering::Release);
        let r = self.hand_over(target, &addr).await;
        let rc = self.raft.runtime_config();
        rc.heartbeat(true);
        rc.elect(true);
        self.transferring.store(false, Ordering::Release);
        match &r {
            Ok(l) => tracing::info!(from = self.me, to = l, "leadership transferred"),
            Err(e) => tracing::warn!(to = target, error = %e, "leadership transfer failed"),
        }
        r
    }

    async fn hand_over(&self, target: NodeId, addr: &str) -> Result<NodeId, String> {
        let deadline =
            std::time::Instant::now() + Duration::from_millis(self.election_timeout * 10);
        loop {
            let v = self.view();
            let matched = v
                .members
                .iter()
                .find(|m| m.id == target)
                .and_then(|m| m.matched);
            if matched.is_some_and(|m| m >= v.last_log) {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("ERR node {target} did not catch up in time"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let rc = self.raft.runtime_config();
        rc.heartbeat(false);
        rc.elect(false);
        let mut conn = network::connect(addr, &self.secret, self.me, target)
            .await
            .map_err(|e| format!("ERR can't reach node {target}: {e}"))?;
        network::call(&mut conn, &network::Rpc::TimeoutNow)
            .await
            .map_err(|e| format!("ERR node {target} did not take the handover: {e}"))?;
        let mut metrics = self.raft.metrics();
        loop {
            {
                let m = metrics.borrow_and_update();
                if let Some(l) = m.current_leader.filter(|l| *l != self.me) {
                    return Ok(l);
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "ERR node {target} did not become the leader in time"
                ));
            }
            let _ = tokio::time::timeout(left, metrics.changed()).await;
        }
    }
}

/// INFO's replication section in cluster mode, with Redis's fields: the leader is the
/// master, the other members its replicas, offsets are log indexes.
pub fn info_replication(cl: &Cluster, replid: &str, o: &mut String) {
    use std::fmt::Write;
    let v = cl.view();
    let mut kv = |line: String| {
        o.push_str(&line);
        o.push_str("\r\n");
    };
    if v.leading {
        kv("role:master".into());
        let followers: Vec<&MemberView> = v.members.iter().filter(|m| m.id != v.me).collect();
        let online = followers.iter().filter(|m| m.matched.is_some()).count();
        kv(format!("connected_slaves:{online}"));
        for (i, m) in followers.iter().enumerate() {
            let (host, port) = host_port(&m.member.addr);
            let state = if m.matched.is_some() {
                "online"
            } else {
                "wait_bgsave"
            };
            let lag = if m.matched.is_some_and(|x| x >= v.last_log) {
                0
            } else {
                1
            };
            kv(format!(
                "slave{i}:ip={host},port={port},state={state},offset={},lag={lag}",
                m.matched.unwrap_or(0)
            ));
        }
    } else {
        kv("role:slave".into());
        let (host, port, up) = match &v.leader {
            Some((id, addr)) if *id != v.me => {
                let (h, p) = host_port(addr);
                (h.to_string(), p, true)
            }
            _ => ("?".into(), 0, false),
        };
        kv(format!("master_host:{host}"));
        kv(format!("master_port:{port}"));
        kv(format!(
            "master_link_status:{}",
            if up { "up" } else { "down" }
        ));
        kv("master_last_io_seconds_ago:0".into());
        kv("master_sync_in_progress:0".into());
        kv(format!("slave_read_repl_offset:{}", v.applied));
        kv(format!("slave_repl_offset:{}", v.applied));
        kv("slave_priority:100".into());
        kv("slave_read_only:1".into());
        kv("replica_announced:1".into());
        kv("connected_slaves:0".into());
    }
    kv("master_failover_state:no-failover".into());
    kv(format!("master_replid:{replid}"));
    kv("master_replid2:0000000000000000000000000000000000000000".into());
    kv(format!("master_repl_offset:{}", v.applied));
    kv("second_repl_offset:-1".into());
    kv("repl_backlog_active:0".into());
    kv("repl_backlog_size:1048576".into());
    kv("repl_backlog_first_byte_offset:0".into());
    kv("repl_backlog_histlen:0".into());
    let mut extra = String::new();
    let _ = write!(extra, "raft_term:{}", v.term);
    kv(extra);
    kv(format!("raft_node_id:{}", v.me));
    kv(format!("raft_last_log_index:{}", v.last_log));
    kv(format!("raft_applied_index:{}", v.applied));
}
