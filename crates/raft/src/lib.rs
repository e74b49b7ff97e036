//! Cluster mode's Raft layer (openraft 0.9): the type configuration, the entry a write
//! becomes, the Raft log and vote in redb (`log_store`), the engine as state machine
//! behind the `Applier` seam (`state_machine`), and node-to-node RPC on the cluster
//! port, authenticated by `cluster-secret` (`network`).
//!
//! Apply is deterministic: an entry carries everything its commands may read besides
//! the data (`time_ms`, `seed`), so every node that applies the log in order reaches
//! the same state.

pub mod log_store;
pub mod network;
pub mod state_machine;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Cursor;

pub type NodeId = u64;

/// What the cluster knows of a member: where clients reach it (`addr`, the data port,
/// as announced) and where its peers reach it (`cluster`, the cluster port).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub addr: String,
    pub cluster: String,
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (cluster {})", self.addr, self.cluster)
    }
}

/// An argument vector, each argument as raw bytes.
pub type Argv = Vec<serde_bytes::ByteBuf>;

/// One log entry's payload: a write, made deterministic.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Request {
    /// Client commands applied in order, atomically: one command, a pipelined run of
    /// writes, or a MULTI/EXEC body. The apply time is `max(time_ms, last applied)`.
    Commands {
        db: u32,
        time_ms: i64,
        seed: u64,
        /// Replies are encoded for a RESP3 client.
        resp3: bool,
        /// A lone blocking command may block (nothing is changed; the leader parks the
        /// client and proposes again when a key becomes ready).
        may_block: bool,
        commands: Vec<Argv>,
    },
    /// Active expiry decided by the leader: each key is deleted if, at `time_ms`, its
    /// deadline has passed (a key written again since is left alone).
    Expire {
        db: u32,
        time_ms: i64,
        keys: Vec<serde_bytes::ByteBuf>,
    },
    /// Requests from several clients accepted at about the same time, applied in
    /// order: one log entry, one append, one fsync for all of them (group commit).
    Batch(Vec<Request>),
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Commands { db, commands, .. } => {
                write!(f, "commands(db={db}, n={})", commands.len())
            }
            Request::Expire { db, keys, .. } => write!(f, "expire(db={db}, n={})", keys.len()),
            Request::Batch(b) => write!(f, "batch(n={})", b.len()),
        }
    }
}

/// What applying an entry produced, for the client that proposed it (on the leader;
/// other nodes drop it).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Response {
    /// The replies of the entry's commands, concatenated.
    #[serde(with = "serde_bytes")]
    pub reply: Vec<u8>,
    /// The command would block: nothing changed and `reply` is empty.
    pub blocked: bool,
    /// For a `Request::Batch`: each request's response, in order.
    #[serde(default)]
    pub batch: Vec<Response>,
}

openraft::declare_raft_types!(
    /// The Raft types of a redraft cluster.
    pub TypeConfig:
        D = Request,
        R = Response,
        NodeId = NodeId,
        Node = Member,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type Raft = openraft::Raft<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Entry = openraft::Entry<TypeConfig>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type Membership = openraft::StoredMembership<NodeId, Member>;

/// The serialization of a snapshot begun between two applies: produces the RDB bytes.
pub type SnapshotWork = Box<dyn FnOnce() -> Result<Vec<u8>, String> + Send>;

/// The data side of the state machine, implemented by the server over its engine.
/// Calls come in log order from one task.
pub trait Applier: Send + Sync + 'static {
    /// Applies one entry at log position `index`.
    fn apply(&self, index: u64, request: &Request) -> Response;
    /// Starts a point-in-time snapshot of the data (called between two applies) and
    /// returns the work that serializes it as an RDB file, run off the apply path.
    fn begin_snapshot(&self) -> SnapshotWork;
    /// Replaces the whole dataset with the RDB file `data`.
    fn install_snapshot(&self, data: &[u8]) -> Result<(), String>;
}

/// An I/O error as openraft's storage error, for the log (`subject`: what failed).
pub(crate) fn io_err<E: std::error::Error + 'static>(
    subject: openraft::ErrorSubject<NodeId>,
    verb: openraft::ErrorVerb,
    e: E,
) -> StorageError {
    openraft::StorageIOError::new(subject, verb, openraft::AnyError::new(&e)).into()
}
