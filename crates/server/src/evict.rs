//! `maxmemory` eviction, as Redis's `performEvictions`: while memory is over the limit,
//! sample keys (from all keys or only those with a deadline, per the policy), pick the
//! best victim (idlest for LRU, least used for LFU, soonest deadline for volatile-ttl,
//! any for random) and delete it through the replicator, so the deletion is an entry
//! like any other write (propagated to the AOF and, in a cluster, to every node).

use crate::config::Settings;
use crate::shared::{Core, Shared};
use redraft_engine::{Reply, Rng};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// At most this long per call, so a large overshoot cannot stall clients.
const BUDGET_US: u128 = 2000;

pub fn perform(shared: &Shared, core: &mut Core, s: &Settings, now: i64) {
    // Cluster mode: evicting here would change this node's data alone (not yet
    // proposed through the log), so the cluster behaves as `noeviction`.
    if s.maxmemory_policy == "noeviction" || shared.cluster.get().is_some() {
        return;
    }
    let volatile = s.maxmemory_policy.starts_with("volatile");
    let started = Instant::now();
    let mut rng = Rng::new(core.repl.read_seed());
    let mut sink = Reply::default();
    while crate::alloc::used_memory() as u64 > s.maxmemory {
        if started.elapsed().as_micros() > BUDGET_US {
            break;
        }
        let Some((db, key)) = pick_victim(core, s, volatile, now, &mut rng) else {
            break;
        };
        sink.buf.clear();
        core.repl.write(
            &mut core.engine,
            &mut core.pubsub,
            db,
            now,
            &[b"DEL", &key],
            &mut sink,
        );
        // An eviction is announced as `evicted`, not as the `del` it is replicated as.
        let d = &mut core.engine.dbs[db];
        if let Some(p) = d
            .events
            .iter()
            .rposition(|(e, k)| *e == "del" && k[..] == key[..])
        {
            d.events.remove(p);
        }
        d.notify(redraft_engine::db::notify::EVICTED, "evicted", &key);
        core.after_write(now);
        shared.stats.evicted_keys.fetch_add(1, Ordering::Relaxed);
    }
}

/// Lower score = better victim.
fn score(policy: &str, access: u32, deadline: Option<i64>, now: i64, rng: &mut Rng) -> i64 {
    if policy.ends_with("lru") {
        -((now / 1000) - access as i64)
    } else if policy.ends_with("lfu") {
        (access & 0xff) as i64
    } else if policy == "volatile-ttl" {
        deadline.unwrap_or(i64::MAX)
    } else {
        rng.next_u64() as i64
    }
}

fn pick_victim(
    core: &Core,
    s: &Settings,
    volatile: bool,
    now: i64,
    rng: &mut Rng,
) -> Option<(usize, Box<[u8]>)> {
    let mut best: Option<(i64, usize, Box<[u8]>)> = None;
    for (i, db) in core.engine.dbs.iter().enumerate() {
        let n = if volatile { db.expires.len() } else { db.len() };
        if n == 0 {
            continue;
        }
        for _ in 0..s.maxmemory_samples.min(n) {
            let pos = rng.below(n);
            let (key, access, deadline) = if volatile {
                let (k, t) = db.expires.get_index(pos)?;
                let access = db.keys.get(k).map(|o| o.access).unwrap_or(0);
                (k, access, Some(*t))
            } else {
                let (k, o) = db.keys.get_index(pos)?;
                (k, o.access, db.expire_of(k))
            };
            let sc = score(&s.maxmemory_policy, access, deadline, now, rng);
            if best.as_ref().is_none_or(|(b, _, _)| sc < *b) {
                best = Some((sc, i, key.clone()));
            }
        }
    }
    best.map(|(_, db, k)| (db, k))
}
