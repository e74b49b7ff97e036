//! The client registry: one `Client` per connection, with what `CLIENT LIST/INFO/KILL`
//! report and act on, and the channel for out-of-band output (MONITOR).

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    pub qbuf: usize,
    pub obl: usize,
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
    pub push: mpsc::UnboundedSender<Vec<u8>>,
}

impl Client {
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
        if m.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl={} oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            m.name,
            self.age_secs(),
            self.idle_secs(),
            flags,
            m.db,
            m.qbuf,
            16384usize.saturating_sub(m.qbuf),
            m.obl,
            m.qbuf + m.obl + 16384,
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
                ..Default::default()
            }),
            killed: AtomicBool::new(false),
            kill_notify: Notify::new(),
            push: tx,
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

    pub fn all(&self) -> Vec<Arc<Client>> {
        self.map.lock().values().cloned().collect()
    }
}
