//! Periodic work (Redis's `serverCron`), `hz` times a second: the active expire cycle,
//! instantaneous metrics, peak memory, idle-client timeouts.
//!
//! Expired keys are deleted by proposing `DEL` entries through the replicator: the cycle
//! runs only where writes are accepted, and followers never mutate on their own. The AOF
//! logs each expired key as its own `DEL key`, as Redis does. Each tick also writes what
//! the AOF has buffered (and retries after a write error); once a second it may start a
//! scheduled or automatic AOF rewrite or a BGSAVE.

use crate::shared::{unix_ms, Shared};
use redraft_engine::{Reply, Rng};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most keys deleted per database per cycle, so one cycle stays short.
const EXPIRE_MAX_PER_DB: usize = 200;

pub async fn run(shared: Arc<Shared>) {
    let mut rng = Rng::new(crate::shared::unix_us());
    let mut last_sample = Instant::now();
    let mut last_cmds = 0u64;
    let mut last_in = 0u64;
    let mut last_out = 0u64;
    let mut last_clients_check = Instant::now();
    loop {
        let hz = shared.settings().hz;
        tokio::time::sleep(Duration::from_millis(1000 / hz.max(1))).await;
        if shared.active_expire.load(Ordering::Relaxed) && !write_paused(&shared) {
            active_expire(&shared, &mut rng);
        }
        let used = crate::alloc::used_memory();
        shared.stats.peak_memory.fetch_max(used, Ordering::Relaxed);
        let el = last_sample.elapsed();
        if el >= Duration::from_millis(100) {
            let st = &shared.stats;
            let cmds = st.commands_processed.load(Ordering::Relaxed);
            let inb = st.net_input_bytes.load(Ordering::Relaxed);
            let outb = st.net_output_bytes.load(Ordering::Relaxed);
            let secs = el.as_secs_f64();
            st.ops_per_sec.store(
                (cmds.saturating_sub(last_cmds) as f64 / secs) as u64,
                Ordering::Relaxed,
            );
            st.input_kbps_x100.store(
                (inb.saturating_sub(last_in) as f64 / secs / 1024.0 * 100.0) as u64,
                Ordering::Relaxed,
            );
            st.output_kbps_x100.store(
                (outb.saturating_sub(last_out) as f64 / secs / 1024.0 * 100.0) as u64,
                Ordering::Relaxed,
            );
            last_cmds = cmds;
            last_in = inb;
            last_out = outb;
            last_sample = Instant::now();
        }
        let second = last_clients_check.elapsed() >= Duration::from_secs(1);
        crate::aof::cron(&shared, second);
        if second {
            last_clients_check = Instant::now();
            crate::rdb::check_save_points(&shared);
            let timeout = shared.settings().timeout_secs;
            if timeout > 0 {
                for c in shared.clients.all() {
                    if !c.meta.lock().monitor && c.idle_secs() > timeout {
                        tracing::debug!(id = c.id, "closing idle client");
                        c.kill();
                    }
                }
            }
        }
    }
}

fn write_paused(shared: &Shared) -> bool {
    shared
        .pause
        .lock()
        .until
        .is_some_and(|u| u > Instant::now())
}

fn active_expire(shared: &Shared, rng: &mut Rng) {
    let started = Instant::now();
    let now = unix_ms();
    // A busy script holds the lock: skip this cycle rather than block a runtime thread.
    let Some(mut core) = shared.core_for_cron() else {
        return;
    };
    let ndb = core.engine.dbs.len();
    let mut avg = vec![0i64; ndb];
    let mut sink = Reply::default();
    for (db, avg) in avg.iter_mut().enumerate() {
        if core.engine.dbs[db].expires.is_empty() {
            continue;
        }
        *avg = sample_avg_ttl(&core.engine.dbs[db], now, rng);
        let keys = redraft_engine::commands::expire::active_expire_sample(
            &core.engine.dbs[db],
            now,
            rng,
            EXPIRE_MAX_PER_DB,
        );
        if keys.is_empty() {
            continue;
        }
        if let Some(cl) = shared.cluster.get() {
            // Only the leader expires keys, through the log; its proposal deletes each
            // key only if still expired when it applies.
            if cl.is_leader() {
                let req = redraft_raft::Request::Expire {
                    db: db as u32,
                    time_ms: core.engine.entry_time(now),
                    keys: keys
                        .iter()
                        .map(|k| serde_bytes::ByteBuf::from(k.to_vec()))
                        .collect(),
                };
                let _ = cl.propose(req);
            }
            continue;
        }
        let mut argv: Vec<&[u8]> = Vec::with_capacity(keys.len() + 1);
        argv.push(b"DEL");
        argv.extend(keys.iter().map(|k| &k[..]));
        sink.buf.clear();
        core.write(db, now, &argv, &mut sink);
    }
    drop(core);
    let mut prev = shared.stats.avg_ttl.lock();
    prev.resize(ndb, 0);
    for (p, a) in prev.iter_mut().zip(avg) {
        // Smoothed like Redis: mostly the previous estimate, a little of the new one.
        *p = if *p == 0 || a == 0 {
            a
        } else {
            (*p / 50) * 49 + a / 50
        };
    }
    drop(prev);
    shared
        .stats
        .expire_cycle_ms
        .fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
}

/// Mean remaining TTL (ms) over a small random sample of keys with a deadline.
fn sample_avg_ttl(db: &redraft_engine::Db, now: i64, rng: &mut Rng) -> i64 {
    let n = db.expires.len();
    let (mut sum, mut cnt) = (0i64, 0i64);
    for _ in 0..n.min(20) {
        if let Some((_, t)) = db.expires.get_index(rng.below(n)) {
            if *t > now {
                sum += t - now;
                cnt += 1;
            }
        }
    }
    if cnt == 0 {
        0
    } else {
        sum / cnt
    }
}
