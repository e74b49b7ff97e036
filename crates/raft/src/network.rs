//! Node-to-node RPC on the cluster port: openraft's AppendEntries, Vote and
//! InstallSnapshot, and writes forwarded by followers, over TCP.
//!
//! Wire format: every message is a frame, a 4-byte big-endian length and a postcard
//! body. A connection starts with an authentication exchange: the listener sends a
//! fresh nonce, the dialer answers with its node id, the id it wants to reach and
//! SHA-1(secret, nonce, ids), so the secret never crosses the network. A dialer with
//! the wrong secret, an unknown id, or aimed at another node is refused and logged.
//! Then requests and replies alternate, one at a time per connection.

use crate::{Member, NodeId, Request, Response, TypeConfig};
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest frame accepted (a snapshot chunk or a batch of entries).
const MAX_FRAME: usize = 512 << 20;
/// How long a dialer may take to authenticate.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize, Deserialize)]
struct Hello {
    from: NodeId,
    to: NodeId,
    #[serde(with = "serde_bytes")]
    proof: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
enum Welcome {
    Ok,
    Refused(String),
}

/// A request from one node to another.
#[derive(Serialize, Deserialize)]
pub enum Rpc {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    Snapshot(InstallSnapshotRequest<TypeConfig>),
    /// A write a follower received from a client (`replica-forward-writes`).
    Forward(Request),
    /// Leadership transfer (the Raft dissertation's TimeoutNow): the leader has stopped
    /// taking writes and this node has its whole log; start an election now.
    TimeoutNow,
}

#[derive(Serialize, Deserialize)]
pub enum RpcReply {
    Append(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    Snapshot(Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>),
    /// The forwarded write's reply, or an error line (without `-` and CRLF).
    Forward(Result<Response, String>),
    TimeoutNow,
}

fn proof(secret: &str, nonce: &[u8], from: NodeId, to: NodeId) -> Vec<u8> {
    let mut h = sha1_smol::Sha1::new();
    h.update(&(secret.len() as u64).to_be_bytes());
    h.update(secret.as_bytes());
    h.update(nonce);
    h.update(&from.to_be_bytes());
    h.update(&to.to_be_bytes());
    h.digest().bytes().to_vec()
}

/// Compares without an early exit, so timing tells nothing of the secret.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn nonce() -> Vec<u8> {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let local = 0u8;
    let mut h = sha1_smol::Sha1::new();
    h.update(&t.to_be_bytes());
    h.update(&std::process::id().to_be_bytes());
    h.update(&(&local as *const u8 as usize).to_be_bytes());
    h.digest().bytes().to_vec()
}

async fn write_frame<T: Serialize>(s: &mut TcpStream, msg: &T) -> std::io::Result<()> {
    let body = postcard::to_allocvec(msg).map_err(std::io::Error::other)?;
    let mut buf = Vec::with_capacity(4 + body.len());
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&body);
    s.write_all(&buf).await
}

async fn read_frame<T: DeserializeOwned>(s: &mut TcpStream) -> std::io::Result<T> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!(
            "frame of {len} bytes is over the limit"
        )));
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await?;
    postcard::from_bytes(&body).map_err(std::io::Error::other)
}

/// Dials `addr` (resolved now: names may move, as Kubernetes pods do) and
/// authenticates as `from` to `to`.
pub async fn connect(
    addr: &str,
    secret: &str,
    from: NodeId,
    to: NodeId,
) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await?;
    let _ = s.set_nodelay(true);
    let nonce: Vec<u8> = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut s))
        .await
        .map_err(|_| std::io::Error::other("handshake timed out"))??;
    let hello = Hello {
        from,
        to,
        proof: proof(secret, &nonce, from, to),
    };
    write_frame(&mut s, &hello).await?;
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut s))
        .await
        .map_err(|_| std::io::Error::other("handshake timed out"))??
    {
        Welcome::Ok => Ok(s),
        Welcome::Refused(why) => Err(std::io::Error::other(format!(
            "node {to} at {addr} refused the connection: {why}"
        ))),
    }
}

/// One request on an authenticated connection, and its reply.
pub async fn call(s: &mut TcpStream, rpc: &Rpc) -> std::io::Result<RpcReply> {
    write_frame(s, rpc).await?;
    read_frame(s).await
}

/// What the listener needs from the node it serves.
pub trait Handler: Send + Sync + 'static {
    /// Node ids allowed to connect (members and configured peers).
    fn known(&self, id: NodeId) -> bool;
    fn raft(&self) -> &crate::Raft;
    /// A write forwarded by a follower, proposed here.
    fn forward(&self, req: Request) -> impl Future<Output = Result<Response, String>> + Send;
    /// The leader hands leadership over to this node.
    fn timeout_now(&self);
}

/// Accepts peer connections on the cluster port until the listener fails.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    me: NodeId,
    secret: Arc<str>,
    handler: Arc<H>,
    contacts: Arc<Contacts>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cluster port: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let handler = handler.clone();
        let secret = secret.clone();
        let contacts = contacts.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_peer(stream, me, &secret, &*handler, &contacts).await {
                // A frame this build cannot read (another version?) or a broken link.
                tracing::warn!(%peer, error = %e, "cluster connection closed on an error");
            }
        });
    }
}

async fn serve_peer<H: Handler>(
    mut s: TcpStream,
    me: NodeId,
    secret: &str,
    handler: &H,
    contacts: &Contacts,
) -> std::io::Result<()> {
    let _ = s.set_nodelay(true);
    let peer = s.peer_addr()?;
    let n = nonce();
    write_frame(&mut s, &n).await?;
    let hello: Hello = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut s))
        .await
        .map_err(|_| std::io::Error::other("handshake timed out"))??;
    let refused = if !same(&hello.proof, &proof(secret, &n, hello.from, hello.to)) {
        Some("wrong cluster-secret".to_string())
    } else if hello.to != me {
        Some(format!("this is node {me}, not node {}", hello.to))
    } else if !handler.known(hello.from) {
        Some(format!(
            "node id {} is not a member of this cluster",
            hello.from
        ))
    } else {
        None
    };
    if let Some(why) = refused {
        tracing::warn!(%peer, from = hello.from, reason = %why, "cluster port: refused a peer");
        write_frame(&mut s, &Welcome::Refused(why.clone())).await?;
        return Err(std::io::Error::other(why));
    }
    write_frame(&mut s, &Welcome::Ok).await?;
    let raft = handler.raft();
    loop {
        let rpc: Rpc = match read_frame(&mut s).await {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        contacts.saw(hello.from);
        let reply = match rpc {
            Rpc::Append(r) => RpcReply::Append(raft.append_entries(r).await),
            Rpc::Vote(r) => RpcReply::Vote(raft.vote(r).await),
            Rpc::Snapshot(r) => RpcReply::Snapshot(raft.install_snapshot(r).await),
            Rpc::Forward(r) => RpcReply::Forward(handler.forward(r).await),
            Rpc::TimeoutNow => {
                handler.timeout_now();
                RpcReply::TimeoutNow
            }
        };
        write_frame(&mut s, &reply).await?;
    }
}

/// When each peer was last heard from (a reply to our request, or a request of its
/// own): what the Sentinel endpoint reports as reachable or down.
#[derive(Default)]
pub struct Contacts {
    seen: parking_lot::Mutex<std::collections::HashMap<NodeId, std::time::Instant>>,
    /// Peers whose last request from here failed (logged once when lost, once when back).
    down: parking_lot::Mutex<std::collections::HashSet<NodeId>>,
}

impl Contacts {
    pub fn saw(&self, id: NodeId) {
        self.seen.lock().insert(id, std::time::Instant::now());
    }

    /// Records the outcome of a request to `id`; true when that changes whether it is
    /// reachable.
    fn outcome(&self, id: NodeId, ok: bool) -> bool {
        if ok {
            self.saw(id);
            self.down.lock().remove(&id)
        } else {
            self.down.lock().insert(id)
        }
    }

    /// How long ago `id` was last heard from; None if never.
    pub fn since(&self, id: NodeId) -> Option<Duration> {
        self.seen.lock().get(&id).map(|t| t.elapsed())
    }
}

/// Makes a connection to each peer openraft replicates to.
pub struct Network {
    pub me: NodeId,
    pub secret: Arc<str>,
    pub contacts: Arc<Contacts>,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &Member) -> Peer {
        Peer {
            me: self.me,
            target,
            addr: node.cluster.clone(),
            secret: self.secret.clone(),
            conn: None,
            contacts: self.contacts.clone(),
        }
    }
}

/// The link to one peer: connected on first use and again after any failure.
pub struct Peer {
    me: NodeId,
    target: NodeId,
    addr: String,
    secret: Arc<str>,
    conn: Option<TcpStream>,
    contacts: Arc<Contacts>,
}

type RpcErr<E> = RPCError<NodeId, Member, E>;

impl Peer {
    async fn send<E: std::error::Error>(
        &mut self,
        rpc: Rpc,
        option: &RPCOption,
    ) -> Result<RpcReply, RpcErr<E>> {
        let r = self.try_send(rpc, option).await;
        if self.contacts.outcome(self.target, r.is_ok()) {
            match &r {
                Err(e) => {
                    tracing::warn!(peer = self.target, addr = %self.addr, error = %e, "cluster peer unreachable")
                }
                Ok(_) => {
                    tracing::info!(peer = self.target, addr = %self.addr, "cluster peer reachable again")
                }
            }
        }
        r
    }

    async fn try_send<E: std::error::Error>(
        &mut self,
        rpc: Rpc,
        option: &RPCOption,
    ) -> Result<RpcReply, RpcErr<E>> {
        let ttl = option.hard_ttl();
        let conn = match self.conn.take() {
            Some(c) => c,
            None => match tokio::time::timeout(
                ttl,
                connect(&self.addr, &self.secret, self.me, self.target),
            )
            .await
            {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return Err(RPCError::Unreachable(Unreachable::new(&e))),
                Err(_) => {
                    let e = std::io::Error::other(format!("connecting to {} timed out", self.addr));
                    return Err(RPCError::Unreachable(Unreachable::new(&e)));
                }
            },
        };
        let mut conn = conn;
        match tokio::time::timeout(ttl, call(&mut conn, &rpc)).await {
            Ok(Ok(r)) => {
                self.conn = Some(conn);
                Ok(r)
            }
            Ok(Err(e)) => Err(RPCError::Network(NetworkError::new(&e))),
            Err(_) => {
                let e = std::io::Error::other(format!("no reply from {} in time", self.addr));
                Err(RPCError::Network(NetworkError::new(&e)))
            }
        }
    }
}

fn unexpected<E: std::error::Error>() -> RpcErr<E> {
    let e = std::io::Error::other("the peer answered another request");
    RPCError::Network(NetworkError::new(&e))
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcErr<RaftError<NodeId>>> {
        match self.send(Rpc::Append(rpc), &option).await? {
            RpcReply::Append(r) => r.map_err(|e| {
                RPCError::RemoteError(openraft::error::RemoteError::new(self.target, e))
            }),
            _ => Err(unexpected()),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcErr<RaftError<NodeId, InstallSnapshotError>>>
    {
        match self.send(Rpc::Snapshot(rpc), &option).await? {
            RpcReply::Snapshot(r) => r.map_err(|e| {
                RPCError::RemoteError(openraft::error::RemoteError::new(self.target, e))
            }),
            _ => Err(unexpected()),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcErr<RaftError<NodeId>>> {
        match self.send(Rpc::Vote(rpc), &option).await? {
            RpcReply::Vote(r) => r.map_err(|e| {
                RPCError::RemoteError(openraft::error::RemoteError::new(self.target, e))
            }),
            _ => Err(unexpected()),
        }
    }
}
