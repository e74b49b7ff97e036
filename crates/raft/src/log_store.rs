//! The Raft log, the vote and the committed log id, in one redb file.
//!
//! Tables (values are postcard):
//! - `log`: entry index (`u64`) -> the whole `Entry`;
//! - `meta`: `"vote"` -> `Vote`, `"committed"` -> `Option<LogId>`, `"last_purged"` -> `LogId`.
//!
//! Every write is one redb transaction committed with the default durability (fsync), so it
//! is on disk when the call completes. `append` is group commit: openraft hands over a batch
//! of entries and they all go in one transaction, one fsync.
//!
//! `purge` records the purge point at once and deletes the entries below it from a
//! background thread, a few thousand per transaction: after a snapshot every node purges
//! its log at the same moment, and deleting it in one go would stall Raft for seconds.
//! Entries below the purge point are never read again, so leftovers after a crash are
//! harmless (the next purge removes them).

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, OptionalSend, Vote};
use redb::{Database, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{io_err, Entry, LogId, NodeId, StorageError, TypeConfig};

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const LAST_PURGED: &str = "last_purged";

/// The Raft log store. Clones share the database (openraft reads through a clone).
#[derive(Clone)]
pub struct LogStore {
    db: Arc<Database>,
    purger: Arc<Purger>,
}

/// The background deletion of purged entries.
#[derive(Default)]
struct Purger {
    /// Delete every entry with an index below this.
    below: std::sync::atomic::AtomicU64,
    running: std::sync::atomic::AtomicBool,
}

/// Entries deleted per transaction by the purger.
const PURGE_CHUNK: u64 = 2000;

impl Purger {
    /// Deletes entries below `below` until none are left, a chunk per transaction.
    fn run(db: &Database, p: &Purger) {
        use std::sync::atomic::Ordering::SeqCst;
        loop {
            let below = p.below.load(SeqCst);
            let step = || -> Result<bool, Fault> {
                let txn = db.begin_write()?;
                let more = {
                    let mut log = txn.open_table(LOG)?;
                    let first = log.first()?.map(|(k, _)| k.value());
                    match first {
                        Some(first) if first < below => {
                            let end = below.min(first.saturating_add(PURGE_CHUNK));
                            log.retain_in(first..end, |_, _| false)?;
                            true
                        }
                        _ => false,
                    }
                };
                txn.commit()?;
                Ok(more)
            };
            match step() {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "deleting purged Raft log entries failed; the next purge retries")
                }
            }
            p.running.store(false, SeqCst);
            // A purge that came meanwhile and saw this thread running is carried on here.
            if p.below.load(SeqCst) == below || p.running.swap(true, SeqCst) {
                return;
            }
        }
    }
}

/// A redb or postcard failure, before it is given its openraft subject. (redb's errors are
/// boxed: some are large.)
#[derive(Debug, thiserror::Error)]
enum Fault {
    #[error(transparent)]
    Db(Box<redb::Error>),
    #[error("bad record: {0}")]
    Codec(#[from] postcard::Error),
}

macro_rules! from_redb {
    ($($error:ty),*) => {$(
        impl From<$error> for Fault {
            fn from(e: $error) -> Self {
                Fault::Db(Box::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl LogStore {
    /// Opens the log at `path`, creating the file if it does not exist. An existing file that
    /// is not a redb database is an error; it is left as it is.
    pub fn open(path: &Path) -> Result<LogStore, String> {
        let fail = |e: &dyn std::fmt::Display| format!("Raft log {}: {e}", path.display());
        let db = Database::create(path).map_err(|e| fail(&e))?;
        // Create the tables up front, so that a reader never meets a missing one.
        let init = || -> Result<(), Fault> {
            let txn = db.begin_write()?;
            txn.open_table(LOG)?;
            txn.open_table(META)?;
            txn.commit()?;
            Ok(())
        };
        init().map_err(|e| fail(&e))?;
        Ok(LogStore {
            db: Arc::new(db),
            purger: Arc::default(),
        })
    }

    /// True while purged entries are being deleted in the background.
    pub fn purging(&self) -> bool {
        self.purger
            .running
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    fn read_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Fault> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
        let value = table.get(key)?;
        Ok(match value {
            Some(bytes) => Some(postcard::from_bytes(bytes.value())?),
            None => None,
        })
    }

    fn write_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), Fault> {
        let bytes = postcard::to_stdvec(value)?;
        let txn = self.db.begin_write()?;
        txn.open_table(META)?.insert(key, bytes.as_slice())?;
        txn.commit()?;
        Ok(())
    }

    fn log_state(&self) -> Result<LogState<TypeConfig>, Fault> {
        let txn = self.db.begin_read()?;
        let purged = match txn.open_table(META)?.get(LAST_PURGED)? {
            Some(bytes) => Some(postcard::from_bytes::<LogId>(bytes.value())?),
            None => None,
        };
        let last = match txn.open_table(LOG)?.last()? {
            Some((_, bytes)) => Some(postcard::from_bytes::<Entry>(bytes.value())?.log_id),
            None => None,
        };
        Ok(LogState {
            last_purged_log_id: purged,
            last_log_id: last.or(purged),
        })
    }

    fn read_entries(&self, range: impl RangeBounds<u64>) -> Result<Vec<Entry>, Fault> {
        let start = match range.start_bound() {
            Bound::Included(&i) => i,
            Bound::Excluded(&i) => match i.checked_add(1) {
                Some(i) => i,
                None => return Ok(Vec::new()),
            },
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&i) => i.checked_add(1),
            Bound::Excluded(&i) => Some(i),
            Bound::Unbounded => None,
        };
        let txn = self.db.begin_read()?;
        // Entries at or below the purge point may still be on disk until the purger
        // reaches them: they are gone as far as readers are concerned.
        let purged = match txn.open_table(META)?.get(LAST_PURGED)? {
            Some(v) => Some(postcard::from_bytes::<LogId>(v.value())?.index),
            None => None,
        };
        let start = match purged {
            Some(p) => start.max(p.saturating_add(1)),
            None => start,
        };
        let table = txn.open_table(LOG)?;
        let rows = match end {
            Some(end) if end <= start => return Ok(Vec::new()),
            Some(end) => table.range(start..end)?,
            None => table.range(start..)?,
        };
        let mut entries = Vec::new();
        for row in rows {
            let (_, bytes) = row?;
            entries.push(postcard::from_bytes(bytes.value())?);
        }
        Ok(entries)
    }

    fn write_entries(&self, entries: impl IntoIterator<Item = Entry>) -> Result<(), Fault> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(LOG)?;
            for entry in entries {
                let bytes = postcard::to_stdvec(&entry)?;
                table.insert(entry.log_id.index, bytes.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Deletes the entries from `index` on.
    fn delete_from(&self, index: u64) -> Result<(), Fault> {
        let txn = self.db.begin_write()?;
        txn.open_table(LOG)?.retain_in(index.., |_, _| false)?;
        txn.commit()?;
        Ok(())
    }

    /// Deletes the entries up to `upto`, inclusive, and records it as the last purged (which
    /// never moves back).
    fn delete_upto(&self, upto: LogId) -> Result<(), Fault> {
        let bytes = postcard::to_stdvec(&upto)?;
        let txn = self.db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let previous = match meta.get(LAST_PURGED)? {
                Some(prev) => Some(postcard::from_bytes::<LogId>(prev.value())?),
                None => None,
            };
            if previous >= Some(upto) {
                return Ok(());
            }
            meta.insert(LAST_PURGED, bytes.as_slice())?;
        }
        txn.commit()?;
        use std::sync::atomic::Ordering::SeqCst;
        self.purger
            .below
            .fetch_max(upto.index.saturating_add(1), SeqCst);
        if !self.purger.running.swap(true, SeqCst) {
            let (db, p) = (self.db.clone(), self.purger.clone());
            std::thread::Builder::new()
                .name("raft-purge".into())
                .spawn(move || Purger::run(&db, &p))
                .map_err(|e| Fault::Db(Box::new(redb::Error::Io(e))))?;
        }
        Ok(())
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        self.read_entries(range)
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        self.log_state()
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError> {
        self.write_meta(VOTE, vote)
            .map_err(|e| io_err(ErrorSubject::Vote, ErrorVerb::Write, e))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError> {
        self.read_meta(VOTE)
            .map_err(|e| io_err(ErrorSubject::Vote, ErrorVerb::Read, e))
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.write_meta(COMMITTED, &committed)
            .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Write, e))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let committed: Option<Option<LogId>> = self
            .read_meta(COMMITTED)
            .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Read, e))?;
        Ok(committed.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        match self.write_entries(entries) {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(io_err(ErrorSubject::Logs, ErrorVerb::Write, e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.delete_from(log_id.index)
            .map_err(|e| io_err(ErrorSubject::Log(log_id), ErrorVerb::Delete, e))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.delete_upto(log_id)
            .map_err(|e| io_err(ErrorSubject::Log(log_id), ErrorVerb::Delete, e))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use openraft::storage::{RaftLogStorageExt, RaftStateMachine, Snapshot};
    use openraft::testing::{StoreBuilder, Suite};
    use openraft::{
        EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftSnapshotBuilder, SnapshotMeta,
    };
    use parking_lot::Mutex;

    use super::*;
    use crate::{Member, Membership, Request, Response};

    /// A state machine that only tracks what openraft asks of one: the last applied log id,
    /// the membership, and the current snapshot (with empty data).
    #[derive(Clone, Default)]
    struct TestSm(Arc<Mutex<SmState>>);

    #[derive(Default)]
    struct SmState {
        last_applied: Option<LogId>,
        membership: Membership,
        snapshots_built: u64,
        current: Option<(SnapshotMeta<NodeId, Member>, Vec<u8>)>,
    }

    fn snapshot((meta, data): (SnapshotMeta<NodeId, Member>, Vec<u8>)) -> Snapshot<TypeConfig> {
        Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }
    }

    impl RaftSnapshotBuilder<TypeConfig> for TestSm {
        async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
            let mut st = self.0.lock();
            st.snapshots_built += 1;
            let meta = SnapshotMeta {
                last_log_id: st.last_applied,
                last_membership: st.membership.clone(),
                snapshot_id: format!("test-{}", st.snapshots_built),
            };
            st.current = Some((meta.clone(), Vec::new()));
            Ok(snapshot((meta, Vec::new())))
        }
    }

    impl RaftStateMachine<TypeConfig> for TestSm {
        type SnapshotBuilder = TestSm;

        async fn applied_state(&mut self) -> Result<(Option<LogId>, Membership), StorageError> {
            let st = self.0.lock();
            Ok((st.last_applied, st.membership.clone()))
        }

        async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
        where
            I: IntoIterator<Item = Entry> + OptionalSend,
            I::IntoIter: OptionalSend,
        {
            let mut st = self.0.lock();
            let mut replies = Vec::new();
            for entry in entries {
                st.last_applied = Some(entry.log_id);
                if let EntryPayload::Membership(m) = entry.payload {
                    st.membership = Membership::new(Some(entry.log_id), m);
                }
                replies.push(Response::default());
            }
            Ok(replies)
        }

        async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
            self.clone()
        }

        async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
            Ok(Box::new(Cursor::new(Vec::new())))
        }

        async fn install_snapshot(
            &mut self,
            meta: &SnapshotMeta<NodeId, Member>,
            data: Box<Cursor<Vec<u8>>>,
        ) -> Result<(), StorageError> {
            let mut st = self.0.lock();
            st.last_applied = meta.last_log_id;
            st.membership = meta.last_membership.clone();
            st.current = Some((meta.clone(), data.into_inner()));
            Ok(())
        }

        async fn get_current_snapshot(
            &mut self,
        ) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
            Ok(self.0.lock().current.clone().map(snapshot))
        }
    }

    struct Builder;

    impl StoreBuilder<TypeConfig, LogStore, TestSm, tempfile::TempDir> for Builder {
        async fn build(&self) -> Result<(tempfile::TempDir, LogStore, TestSm), StorageError> {
            let dir = tempfile::tempdir()
                .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Write, e))?;
            let store = LogStore::open(&dir.path().join("raft-log.redb")).map_err(|e| {
                io_err(
                    ErrorSubject::Store,
                    ErrorVerb::Write,
                    std::io::Error::other(e),
                )
            })?;
            Ok((dir, store, TestSm::default()))
        }
    }

    #[test]
    fn openraft_suite() -> Result<(), Box<dyn std::error::Error>> {
        Suite::test_all(Builder)?;
        Ok(())
    }

    fn log_id(term: u64, index: u64) -> LogId {
        openraft::testing::log_id(term, 1, index)
    }

    #[tokio::test]
    async fn reopen_keeps_everything() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("raft-log.redb");
        let members = std::collections::BTreeSet::from([1, 2]);
        {
            let mut store = LogStore::open(&path)?;
            store.save_vote(&Vote::new_committed(3, 1)).await?;
            let mut entries = vec![openraft::testing::membership_ent::<TypeConfig>(
                1,
                1,
                1,
                vec![members.clone()],
            )];
            for index in 2..=6 {
                entries.push(Entry {
                    log_id: log_id(2, index),
                    payload: EntryPayload::Normal(Request::Expire {
                        db: 0,
                        time_ms: index as i64,
                        keys: vec![serde_bytes::ByteBuf::from(vec![0, 255, index as u8])],
                    }),
                });
            }
            store.blocking_append(entries).await?;
            store.save_committed(Some(log_id(2, 5))).await?;
            store.purge(log_id(2, 2)).await?;
            // The purger holds the database until it is done.
            while store.purging() || Arc::strong_count(&store.db) > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }

        let mut store = LogStore::open(&path)?;
        assert_eq!(store.read_vote().await?, Some(Vote::new_committed(3, 1)));
        assert_eq!(store.read_committed().await?, Some(log_id(2, 5)));
        let state = store.get_log_state().await?;
        assert_eq!(state.last_purged_log_id, Some(log_id(2, 2)));
        assert_eq!(state.last_log_id, Some(log_id(2, 6)));
        let entries = store.try_get_log_entries(..).await?;
        let ids: Vec<LogId> = entries.iter().map(|e| e.log_id).collect();
        assert_eq!(
            ids,
            vec![log_id(2, 3), log_id(2, 4), log_id(2, 5), log_id(2, 6)]
        );
        match &entries[0].payload {
            EntryPayload::Normal(Request::Expire { time_ms, keys, .. }) => {
                assert_eq!(*time_ms, 3);
                assert_eq!(keys[0].as_slice(), &[0, 255, 3]);
            }
            other => panic!("unexpected payload {other:?}"),
        }

        // Everything purged: the last log id falls back to the purge point.
        store.purge(log_id(2, 6)).await?;
        while store.purging() || Arc::strong_count(&store.db) > 1 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop(store);
        let mut store = LogStore::open(&path)?;
        let state = store.get_log_state().await?;
        assert_eq!(state.last_purged_log_id, Some(log_id(2, 6)));
        assert_eq!(state.last_log_id, Some(log_id(2, 6)));
        assert!(store.try_get_log_entries(..).await?.is_empty());
        Ok(())
    }

    #[test]
    fn not_a_database_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("raft-log.redb");
        std::fs::write(&path, b"definitely not redb, just some bytes").expect("write");
        let err = LogStore::open(&path)
            .err()
            .expect("opening garbage must fail");
        assert!(err.contains("raft-log.redb"), "{err}");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes, b"definitely not redb, just some bytes");
    }
}
