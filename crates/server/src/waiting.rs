//! Clients waiting on keys (Redis's `blocked.c` and the WATCH half of `multi.c`).
//!
//! WATCH marks a client dirty when a watched key is modified; blocking commands (BLPOP
//! and friends) park a client on keys and are served, longest waiter first, right after
//! the write that made a key ready, under the same core lock: the served command runs as
//! an ordinary entry through the replicator, and its reply goes to the waiting client.
//! The engine records modifications of waited-on keys (`Db::watched`/`Db::signaled`);
//! `Core::after_write` acts on them.

use crate::clients::Client;
use crate::shared::Core;
use redraft_engine::{Engine, Protocol, Reply};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

type KeyRef = (usize, Box<[u8]>);

/// A client parked in a blocking command.
pub struct Blocked {
    pub client: Arc<Client>,
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
    pub keys: Vec<Box<[u8]>>,
    pub proto: Protocol,
}

#[derive(Default)]
pub struct Waiters {
    watching: HashMap<KeyRef, Vec<u64>>,
    /// Clients whose watched keys were modified: their EXEC fails.
    pub dirty: HashSet<u64>,
    queues: HashMap<KeyRef, VecDeque<u64>>,
    blocked: HashMap<u64, Blocked>,
    /// Cluster mode: a parked client is woken to propose its command again, rather
    /// than served here (the pop must go through the log).
    pub wake_only: bool,
}

fn retain(engine: &mut Engine, db: usize, key: &[u8]) {
    *engine.dbs[db].watched.entry(key.into()).or_insert(0) += 1;
}

fn release(engine: &mut Engine, db: usize, key: &[u8]) {
    let w = &mut engine.dbs[db].watched;
    if let Some(n) = w.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            w.remove(key);
        }
    }
}

impl Waiters {
    pub fn watch(&mut self, engine: &mut Engine, id: u64, db: usize, key: &[u8]) {
        retain(engine, db, key);
        self.watching.entry((db, key.into())).or_default().push(id);
    }

    /// Forgets a client's watched keys and its dirty mark.
    pub fn unwatch_all(&mut self, engine: &mut Engine, id: u64, keys: &[(usize, Box<[u8]>, bool)]) {
        for (db, key, _) in keys {
            let k = (*db, key.clone());
            if let Some(ids) = self.watching.get_mut(&k) {
                if let Some(p) = ids.iter().position(|x| *x == id) {
                    ids.swap_remove(p);
                    release(engine, *db, key);
                }
                if ids.is_empty() {
                    self.watching.remove(&k);
                }
            }
        }
        self.dirty.remove(&id);
    }

    /// Cluster mode: a write to `key` was accepted; its watchers' EXEC must fail.
    pub fn touch(&mut self, db: usize, key: &[u8]) {
        if let Some(ids) = self.watching.get(&(db, Box::<[u8]>::from(key))) {
            self.dirty.extend(ids.iter().copied());
        }
    }

    pub fn block(&mut self, engine: &mut Engine, b: Blocked) {
        for key in &b.keys {
            retain(engine, b.db, key);
            self.queues
                .entry((b.db, key.clone()))
                .or_default()
                .push_back(b.client.id);
        }
        b.client.meta.lock().blocked = true;
        self.blocked.insert(b.client.id, b);
    }

    /// Removes a parked client; None if it was not (or no longer) parked.
    pub fn unblock(&mut self, engine: &mut Engine, id: u64) -> Option<Blocked> {
        let b = self.blocked.remove(&id)?;
        for key in &b.keys {
            let k = (b.db, key.clone());
            if let Some(q) = self.queues.get_mut(&k) {
                q.retain(|x| *x != id);
                if q.is_empty() {
                    self.queues.remove(&k);
                }
            }
            release(engine, b.db, key);
        }
        b.client.meta.lock().blocked = false;
        Some(b)
    }

    pub fn blocked_count(&self) -> usize {
        self.blocked.len()
    }

    pub fn blocking_keys(&self) -> usize {
        self.queues.len()
    }

    pub fn watched_keys(&self) -> usize {
        self.watching.len()
    }
}

/// The reply a blocked client gets when its timeout passes (a null array).
pub fn timeout_reply(proto: Protocol) -> Vec<u8> {
    let mut r = Reply::new(proto);
    r.null_array();
    r.buf
}

impl Core {
    /// A write through the replicator, then the waiters it concerns. Returns true if
    /// the command would block (it then changed nothing and wrote nothing).
    pub fn write(&mut self, db: usize, now: i64, argv: &[&[u8]], reply: &mut Reply) -> bool {
        let blocked = self
            .repl
            .write(&mut self.engine, &mut self.pubsub, db, now, argv, reply);
        self.after_write(now);
        blocked
    }

    /// Acts on modified waited-on keys: marks watchers dirty and serves parked clients
    /// in the order they blocked, for as long as their commands find data.
    pub fn after_write(&mut self, now: i64) {
        loop {
            let mut signaled: Vec<KeyRef> = vec![];
            for (i, db) in self.engine.dbs.iter_mut().enumerate() {
                for k in db.signaled.drain(..) {
                    let k = (i, k);
                    if !signaled.contains(&k) {
                        signaled.push(k);
                    }
                }
            }
            if signaled.is_empty() {
                crate::commands::pubsub::publish_keyspace_events(self);
                return;
            }
            for k in signaled {
                if let Some(ids) = self.waiters.watching.get(&k) {
                    self.waiters.dirty.extend(ids.iter().copied());
                }
                let Some(queue) = self.waiters.queues.get(&k).cloned() else {
                    continue;
                };
                if self.waiters.wake_only {
                    for id in queue {
                        if let Some(b) = self.waiters.blocked.get(&id) {
                            b.client.wake.notify_one();
                        }
                    }
                    continue;
                }
                for id in queue {
                    let Some(b) = self.waiters.blocked.get(&id) else {
                        continue;
                    };
                    let mut r = Reply::new(b.proto);
                    let argv: Vec<&[u8]> = b.argv.iter().map(|a| &a[..]).collect();
                    let db = b.db;
                    self.repl.aof.serving = true;
                    let blocked =
                        self.repl
                            .write(&mut self.engine, &mut self.pubsub, db, now, &argv, &mut r);
                    self.repl.aof.serving = false;
                    if blocked {
                        continue;
                    }
                    if let Some(b) = self.waiters.unblock(&mut self.engine, id) {
                        // This reply leaves now, outside its batch: with `appendfsync
                        // always` the write it answers must be on disk first.
                        self.repl.aof.flush_if_always();
                        b.client.send(r.buf);
                        b.client.wake.notify_one();
                    }
                }
            }
        }
    }
}
