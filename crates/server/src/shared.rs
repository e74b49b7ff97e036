//! State shared by every connection: the `Core` (engine + replicator, behind the one
//! lock taken once per batch of commands), configuration, clients, statistics, the slow
//! log, latency events, `CLIENT PAUSE` and `MONITOR` feeds.

use crate::clients::Clients;
use crate::config::{Config, Settings};
use crate::replicator::Replicator;
use crate::table::Table;
use parking_lot::{Mutex, RwLock};
use redraft_engine::Engine;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// What the one lock protects: the data and the path by which writes reach it.
pub struct Core {
    pub engine: Engine,
    pub repl: Replicator,
    pub pubsub: crate::commands::pubsub::PubSub,
    pub waiters: crate::waiting::Waiters,
}

#[derive(Default)]
pub struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub commands_processed: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub evicted_keys: AtomicU64,
    pub error_replies: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    pub reads_processed: AtomicU64,
    pub writes_processed: AtomicU64,
    pub expire_cycle_ms: AtomicU64,
    pub query_buffer_disconnections: AtomicU64,
    pub peak_memory: AtomicUsize,
    /// Instantaneous ops/sec and kbps, sampled by the cron.
    pub ops_per_sec: AtomicU64,
    pub input_kbps_x100: AtomicU64,
    pub output_kbps_x100: AtomicU64,
    /// Average TTL in ms of keys with a deadline, estimated by the expire cycle, per db.
    pub avg_ttl: Mutex<Vec<i64>>,
}

#[derive(Clone, Debug)]
pub struct SlowEntry {
    pub id: u64,
    pub time: u64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: String,
}

#[derive(Default)]
pub struct SlowLog {
    pub next_id: u64,
    pub entries: VecDeque<SlowEntry>,
}

/// A latency event series (`LATENCY LATEST/HISTORY`): (unix time, ms) samples.
#[derive(Default, Clone)]
pub struct LatencySeries {
    pub samples: VecDeque<(u64, u64)>,
    pub max: u64,
}

/// `CLIENT PAUSE`: until when, and whether only writes are paused.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pause {
    pub until: Option<Instant>,
    pub writes_only: bool,
}

pub struct Shared {
    pub core: Mutex<Core>,
    pub config: RwLock<Config>,
    pub settings: RwLock<Arc<Settings>>,
    pub table: Table,
    pub clients: Clients,
    pub stats: Stats,
    pub errorstats: Mutex<BTreeMap<String, u64>>,
    pub slowlog: Mutex<SlowLog>,
    pub latency: Mutex<BTreeMap<&'static str, LatencySeries>>,
    pub pause: Mutex<Pause>,
    /// Fast check for the per-command path: a `CLIENT PAUSE` may be in force.
    pub pause_active: AtomicBool,
    pub unpaused: Notify,
    pub monitors: Mutex<Vec<(u64, Arc<crate::clients::Client>)>>,
    pub monitor_count: AtomicUsize,
    pub started: Instant,
    pub run_id: String,
    pub replid: String,
    pub active_expire: AtomicBool,
    pub shutdown: Notify,
    pub shutting_down: AtomicBool,
    pub executable: String,
    pub rdb: crate::rdb::RdbState,
    /// The AOF's state outside the core lock (the write side is `Core::repl.aof`).
    pub aof: Arc<crate::aof::Status>,
    /// The startup load in progress (`-LOADING`, INFO's `loading_*` fields).
    pub loading: crate::loading::Loading,
    /// Cluster mode: this node's Raft (set once at startup).
    pub cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
    /// The applied index the Raft snapshot starts from, before the cluster is set.
    pub cluster_applied_hint: AtomicU64,
    /// A handle on this very `Shared`, for work that outlives a command (BGSAVE).
    me: std::sync::OnceLock<std::sync::Weak<Shared>>,
}

pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// 40 random hex characters (run id, replication id).
pub fn random_hex40() -> String {
    let seed = unix_us() ^ ((std::process::id() as u64) << 32);
    let mut rng = redraft_engine::Rng::new(seed ^ (&seed as *const u64 as u64));
    (0..5)
        .map(|_| format!("{:08x}", rng.next_u64() as u32))
        .collect()
}

/// Tells the engine which access metadata to keep (LRU clock or LFU counter).
fn apply_access_policy(engine: &mut Engine, s: &Settings) {
    let lfu = s.maxmemory_policy.contains("lfu");
    for db in &mut engine.dbs {
        db.notify_flags = s.notify_flags;
        db.lfu = lfu;
        db.lfu_log_factor = s.lfu_log_factor;
        db.lfu_decay_time = s.lfu_decay_time;
    }
}

impl Shared {
    /// The core for a periodic task: None when it is held for long (a busy script),
    /// so that the task skips a tick instead of blocking a runtime thread.
    pub fn core_for_cron(&self) -> Option<parking_lot::MutexGuard<'_, Core>> {
        self.core.try_lock_for(std::time::Duration::from_millis(2))
    }

    pub fn new(config: Config) -> Shared {
        let settings = Settings::from_config(&config);
        redraft_script::install();
        let mut engine = Engine::new(settings.databases);
        engine.max_string = settings.proto_max_bulk_len as usize;
        apply_access_policy(&mut engine, &settings);
        let aof = Arc::new(crate::aof::Status::default());
        let mut repl = Replicator::new(aof.clone());
        repl.aof.configure(&settings);
        repl.aof.paths = crate::aof::paths(&settings);
        Shared {
            core: Mutex::new(Core {
                engine,
                repl,
                pubsub: crate::commands::pubsub::PubSub::with_limits(settings.pubsub_limits),
                waiters: Default::default(),
            }),
            config: RwLock::new(config),
            settings: RwLock::new(Arc::new(settings)),
            table: Table::build(),
            clients: Clients::default(),
            stats: Stats::default(),
            errorstats: Mutex::new(BTreeMap::new()),
            slowlog: Mutex::new(SlowLog::default()),
            latency: Mutex::new(BTreeMap::new()),
            pause: Mutex::new(Pause::default()),
            pause_active: AtomicBool::new(false),
            unpaused: Notify::new(),
            monitors: Mutex::new(vec![]),
            monitor_count: AtomicUsize::new(0),
            started: Instant::now(),
            run_id: random_hex40(),
            replid: random_hex40(),
            active_expire: AtomicBool::new(true),
            shutdown: Notify::new(),
            shutting_down: AtomicBool::new(false),
            rdb: Default::default(),
            aof,
            loading: Default::default(),
            me: std::sync::OnceLock::new(),
            cluster: std::sync::OnceLock::new(),
            cluster_applied_hint: AtomicU64::new(0),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        }
    }

    /// Records the `Arc` this `Shared` lives in (once, at startup).
    pub fn set_me(self: &Arc<Self>) {
        let _ = self.me.set(Arc::downgrade(self));
    }

    pub fn me(&self) -> Option<Arc<Shared>> {
        self.me.get().and_then(|w| w.upgrade())
    }

    pub fn settings(&self) -> Arc<Settings> {
        self.settings.read().clone()
    }

    /// Rebuilds the typed settings after a configuration change, and pushes what the
    /// engine must know into it (the caller holds the core lock).
    pub fn refresh_settings(&self, core: &mut Core) {
        let s = Settings::from_config(&self.config.read());
        core.engine.max_string = s.proto_max_bulk_len as usize;
        apply_access_policy(&mut core.engine, &s);
        core.pubsub.limits = s.pubsub_limits;
        core.repl.aof.configure(&s);
        *self.settings.write() = Arc::new(s);
    }

    /// Counts an error reply by its code (INFO errorstats).
    pub fn count_error(&self, reply_line: &[u8]) {
        self.stats.error_replies.fetch_add(1, Ordering::Relaxed);
        let code: String = reply_line
            .iter()
            .skip(1)
            .take_while(|c| **c != b' ' && **c != b'\r')
            .map(|&c| c as char)
            .collect();
        *self.errorstats.lock().entry(code).or_insert(0) += 1;
    }

    /// Records a latency event when it reaches `latency-monitor-threshold`.
    pub fn latency_event(&self, event: &'static str, ms: u64) {
        let t = self.settings().latency_threshold_ms;
        if t == 0 || ms < t {
            return;
        }
        let now = (unix_ms() / 1000) as u64;
        let mut l = self.latency.lock();
        let s = l.entry(event).or_default();
        match s.samples.back_mut() {
            Some(last) if last.0 == now => last.1 = last.1.max(ms),
            _ => s.samples.push_back((now, ms)),
        }
        if s.samples.len() > 160 {
            s.samples.pop_front();
        }
        s.max = s.max.max(ms);
    }
}
