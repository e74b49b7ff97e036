//! The client registry: one `Client` per connection, with what `CLIENT LIST/INFO/KILL`
//! report and act on, and the channel for out-of-band output (MONITOR).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

/// What a session last reported about itself.
#[derive(Clone, Debug, Default)]
pub struct ClientMeta {
    pub name: String,
    pub db: usize,
    pub resp: u8,
    pub last_cmd: String,
    pub lib_name: String,
    pub lib_ver: String,
    pub monitor: bool,
    pub no_evict: bool,
    pub subs: usize,
    pub psubs: usize,
    /// Commands queued in MULTI, or -1 outside a transaction.
    pub multi: i64,
    pub blocked: bool,
    pub qbuf: usize,
}

pub struct Client {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created: Instant,
    /// Milliseconds since `created` of the last interaction.
    pub last_active_ms: AtomicU64,
    pub meta: Mutex<ClientMeta>,
    killed: AtomicBool,
    kill_notify: Notify,
    /// The connection's writer: replies, pub/sub messages, MONITOR lines, in order.
    pub push: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes handed to the writer and not yet written (output buffer, `omem`).
    pub out_bytes: AtomicUsize,
    /// Since when (ms after `created`) the output buffer has been over the soft limit.
    pub over_soft_since: AtomicU64,
    /// RESP3 negotiated (pub/sub messages are then push frames).
    pub resp3: AtomicBool,
    /// Wakes a client parked in a blocking command once it has been served.
    pub wake: Notify,
    /// The socket's write side, for replies a session writes itself when nothing is
    /// queued before them (set once the connection is split).
    pub sock: std::sync::OnceLock<Arc<tokio::net::tcp::OwnedWriteHalf>>,
    /// Held while bytes go to the socket or join the writer's queue, so that a
    /// session's own write and the writer task never interleave.
    pub gate: Arc<Mutex<()>>,
}

impl Client {
    /// Queues bytes for the writer.
    pub fn send(&self, bytes: Vec<u8>) {
        let _gate = self.gate.lock();
        self.queue(bytes);
    }

    /// Called with the gate held.
    fn queue(&self, bytes: Vec<u8>) {
        self.out_bytes.fetch_add(bytes.len(), Ordering::Relaxed);
        let _ = self.push.send(bytes);
    }

    /// A session's replies: written to the socket at once when nothing waits before
    /// them and the socket takes them (no hand-over to another thread), else queued
    /// for the writer. Returns the bytes written at once; `bytes` is emptied.
    pub fn send_reply(&self, bytes: &mut Vec<u8>) -> usize {
        let Some(sock) = self.sock.get() else {
            self.send(std::mem::take(bytes));
            return 0;
        };
        let _gate = self.gate.lock();
        if self.out_bytes.load(Ordering::Relaxed) == 0 {
            if let Ok(n) = sock.try_write(bytes) {
                if n == bytes.len() {
                    bytes.clear();
                } else {
                    bytes.drain(..n);
                    self.queue(std::mem::take(bytes));
                }
                return n;
            }
        }
        self.queue(std::mem::take(bytes));
        0
    }

    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill_notify.notify_one();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Resolves when the client has been killed.
    pub async fn killed(&self) {
        while !self.is_killed() {
            self.kill_notify.notified().await;
        }
    }

    pub fn touch(&self) {
        self.last_active_ms
            .store(self.created.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    pub fn idle_secs(&self) -> u64 {
        let now = self.created.elapsed().as_millis() as u64;
        now.saturating_sub(self.last_active_ms.load(Ordering::Relaxed)) / 1000
    }

    pub fn age_secs(&self) -> u64 {
        self.created.elapsed().as_secs()
    }

    /// One line of `CLIENT LIST` / `CLIENT INFO`, with Redis 7.2's fields.
    pub fn info_line(&self) -> String {
        let m = self.meta.lock();
        let mut flags = String::new();
        if m.monitor {
            flags.push('O');
        }
        if m.subs + m.psubs > 0 {
            flags.push('P');
        }
        if m.blocked {
            flags.push('b');
        }
        if m.multi >= 0 {
            flags.push('x');
        }
        if m.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            m.name,
            self.age_secs(),
            self.idle_secs(),
            flags,
            m.db,
            m.subs,
            m.psubs,
            m.multi,
            m.qbuf,
            16384usize.saturating_sub(m.qbuf),
            self.out_bytes.load(Ordering::Relaxed),
            m.qbuf + self.out_bytes.load(Ordering::Relaxed) + 16384,
            if m.last_cmd.is_empty() { "NULL" } else { &m.last_cmd },
            m.resp,
            m.lib_name,
            m.lib_ver,
        )
    }
}

#[derive(Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<Client>>>,
    next_id: AtomicU64,
}

impl Clients {
    pub fn register(
        &self,
        addr: String,
        laddr: String,
        fd: i32,
    ) -> (Arc<Client>, mpsc::UnboundedReceiver<Vec<u8>>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::unbounded_channel();
        let c = Arc::new(Client {
            id,
            addr,
            laddr,
            fd,
            created: Instant::now(),
            last_active_ms: AtomicU64::new(0),
            meta: Mutex::new(ClientMeta {
                resp: 2,
                multi: -1,
                ..Default::default()
            }),
            killed: AtomicBool::new(false),
            kill_notify: Notify::new(),
            push: tx,
            out_bytes: AtomicUsize::new(0),
            over_soft_since: AtomicU64::new(0),
            resp3: AtomicBool::new(false),
            wake: Notify::new(),
            sock: std::sync::OnceLock::new(),
            gate: Arc::new(Mutex::new(())),
        });
        self.map.lock().insert(id, c.clone());
        (c, rx)
    }

    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Every connected client. A killed client is gone at once, as in Redis (its task
    /// may not have finished closing yet).
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.map
            .lock()
            .values()
            .filter(|c| !c.is_killed())
            .cloned()
            .collect()
    }
}
