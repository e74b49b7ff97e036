//! The engine as openraft's state machine. Entries are handed to the server's
//! `Applier` in log order; membership entries are kept here. Snapshots are RDB files of
//! the data, begun between two applies (a point-in-time walk, so applies go on while it
//! is written) and kept in `<dir>/raft-snapshot`: a header with the snapshot's Raft
//! metadata, then the RDB. On restart the snapshot is loaded first and the log after it
//! is applied again by openraft.

use crate::{
    io_err, Applier, Entry, LogId, Member, Membership, NodeId, Response, StorageError, TypeConfig,
};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{EntryPayload, ErrorSubject, ErrorVerb, SnapshotMeta};
use parking_lot::Mutex;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MAGIC: &[u8; 12] = b"REDRAFTSNAP1";
const FILE: &str = "raft-snapshot";

type Meta = SnapshotMeta<NodeId, Member>;

pub struct StateMachine {
    applier: Arc<dyn Applier>,
    dir: PathBuf,
    last_applied: Option<LogId>,
    membership: Membership,
    /// The metadata of the snapshot on disk.
    current: Arc<Mutex<Option<Meta>>>,
}

fn snap_err(verb: ErrorVerb, e: impl ToString) -> StorageError {
    io_err(
        ErrorSubject::Snapshot(None),
        verb,
        std::io::Error::other(e.to_string()),
    )
}

/// Reads `<dir>/raft-snapshot`: its metadata and the RDB bytes. None if there is none.
fn read_file(dir: &Path) -> Result<Option<(Meta, Vec<u8>)>, String> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("can't read {}: {e}", path.display())),
    };
    let bad = |why: &str| format!("{} is not a valid Raft snapshot: {why}", path.display());
    if bytes.len() < 16 || &bytes[..12] != MAGIC {
        return Err(bad("bad header"));
    }
    let len = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let meta_end = 16usize
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("truncated"))?;
    let meta: Meta = postcard::from_bytes(&bytes[16..meta_end]).map_err(|e| bad(&e.to_string()))?;
    Ok(Some((meta, bytes[meta_end..].to_vec())))
}

/// Writes the snapshot durably: a temporary file, fsync, rename, fsync of the directory.
fn write_file(dir: &Path, meta: &Meta, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let head = postcard::to_allocvec(meta).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    let dest = dir.join(FILE);
    let mut f = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(MAGIC)
        .and_then(|_| f.write_all(&(head.len() as u32).to_be_bytes()))
        .and_then(|_| f.write_all(&head))
        .and_then(|_| f.write_all(data))
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl StateMachine {
    /// Opens the state machine over `applier`, loading the snapshot in `dir` if any.
    pub fn open(dir: &Path, applier: Arc<dyn Applier>) -> Result<StateMachine, String> {
        let mut sm = StateMachine {
            applier,
            dir: dir.to_path_buf(),
            last_applied: None,
            membership: Membership::default(),
            current: Arc::new(Mutex::new(None)),
        };
        if let Some((meta, data)) = read_file(dir)? {
            sm.applier.install_snapshot(&data)?;
            tracing::info!(last = ?meta.last_log_id, bytes = data.len(), "loaded the Raft snapshot");
            sm.last_applied = meta.last_log_id;
            sm.membership = meta.last_membership.clone();
            *sm.current.lock() = Some(meta);
        }
        Ok(sm)
    }

    /// The last applied log id (after `open`: that of the snapshot).
    pub fn last_applied(&self) -> Option<LogId> {
        self.last_applied
    }
}

pub struct Builder {
    work: Mutex<Option<crate::SnapshotWork>>,
    last_applied: Option<LogId>,
    membership: Membership,
    dir: PathBuf,
    current: Arc<Mutex<Option<Meta>>>,
}

impl RaftSnapshotBuilder<TypeConfig> for Builder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let work = self
            .work
            .lock()
            .take()
            .ok_or_else(|| snap_err(ErrorVerb::Write, "snapshot already built"))?;
        let data = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| snap_err(ErrorVerb::Write, e))?
            .map_err(|e| snap_err(ErrorVerb::Write, e))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let id = match self.last_applied {
            Some(l) => format!("{}-{}-{stamp}", l.leader_id, l.index),
            None => format!("none-{stamp}"),
        };
        let meta = Meta {
            last_log_id: self.last_applied,
            last_membership: self.membership.clone(),
            snapshot_id: id,
        };
        let (dir, m, d) = (self.dir.clone(), meta.clone(), data);
        let d = tokio::task::spawn_blocking(move || write_file(&dir, &m, &d).map(|_| d))
            .await
            .map_err(|e| snap_err(ErrorVerb::Write, e))?
            .map_err(|e| snap_err(ErrorVerb::Write, e))?;
        tracing::info!(last = ?meta.last_log_id, bytes = d.len(), "Raft snapshot built");
        *self.current.lock() = Some(meta.clone());
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(d)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Builder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, Membership), StorageError> {
        Ok((self.last_applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let mut out = vec![];
        for e in entries {
            self.last_applied = Some(e.log_id);
            match e.payload {
                EntryPayload::Blank => out.push(Response::default()),
                EntryPayload::Normal(ref req) => out.push(self.applier.apply(e.log_id.index, req)),
                EntryPayload::Membership(m) => {
                    self.membership = Membership::new(Some(e.log_id), m);
                    out.push(Response::default());
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Builder {
        Builder {
            work: Mutex::new(Some(self.applier.begin_snapshot())),
            last_applied: self.last_applied,
            membership: self.membership.clone(),
            dir: self.dir.clone(),
            current: self.current.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        self.applier
            .install_snapshot(&data)
            .map_err(|e| snap_err(ErrorVerb::Read, e))?;
        write_file(&self.dir, meta, &data).map_err(|e| snap_err(ErrorVerb::Write, e))?;
        tracing::info!(last = ?meta.last_log_id, bytes = data.len(), "installed a Raft snapshot from the leader");
        self.last_applied = meta.last_log_id;
        self.membership = meta.last_membership.clone();
        *self.current.lock() = Some(meta.clone());
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        let dir = self.dir.clone();
        let found = tokio::task::spawn_blocking(move || read_file(&dir))
            .await
            .map_err(|e| snap_err(ErrorVerb::Read, e))?
            .map_err(|e| snap_err(ErrorVerb::Read, e))?;
        Ok(found.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
