//! INFO: Redis 7's sections and field names, so `redis_exporter`, `redis-cli --stat`
//! and client libraries read them as they read Redis's.

use super::{cmd, Call, ServerCommand};
use crate::alloc;
use crate::shared::{unix_us, Core, Shared};
use redraft_engine::{flags::*, CmdResult, Keys};
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub const COMMANDS: &[ServerCommand] = &[cmd(
    "info",
    -1,
    LOADING | STALE,
    Keys::None,
    "server",
    "1.0.0",
    "Returns information and statistics about the server.",
    info,
)];

const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

fn info(call: &mut Call) -> CmdResult {
    let mut wanted: Vec<&str> = vec![];
    if call.args.len() == 1 {
        wanted.extend(DEFAULT);
    }
    for a in &call.args[1..] {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => wanted.extend(DEFAULT),
            "all" | "everything" => wanted.extend(ALL),
            s => {
                if let Some(x) = ALL.iter().find(|x| **x == s) {
                    wanted.push(x);
                }
            }
        }
    }
    let text = render(call.shared, call.core, &wanted);
    call.reply.verbatim(text.as_bytes());
    Ok(())
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / 1024.0 / 1024.0)
    } else if b < 1024.0f64.powi(4) {
        format!("{:.2}G", b / 1024.0f64.powi(3))
    } else {
        format!("{:.2}T", b / 1024.0f64.powi(4))
    }
}

/// (user, system) CPU seconds of this process, from /proc/self/stat.
fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    // Fields after the command name: state is index 0, utime 11, stime 12.
    (tick(11), tick(12))
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

pub fn render(shared: &Shared, core: &Core, sections: &[&str]) -> String {
    let mut o = String::new();
    let mut done: Vec<&str> = vec![];
    for s in sections {
        if done.contains(s) {
            continue;
        }
        done.push(s);
        if !o.is_empty() {
            o.push_str("\r\n");
        }
        section(&mut o, shared, core, s);
    }
    o
}

macro_rules! kv {
    ($o:expr, $($arg:tt)*) => {{
        let _ = write!($o, $($arg)*);
        $o.push_str("\r\n");
    }};
}

fn section(o: &mut String, sh: &Shared, core: &Core, name: &str) {
    let s = sh.settings();
    let st = &sh.stats;
    let uptime = sh.started.elapsed().as_secs();
    match name {
        "server" => {
            o.push_str("# Server\r\n");
            kv!(o, "redis_version:{}", crate::REDIS_VERSION);
            kv!(o, "redraft_version:{}", env!("CARGO_PKG_VERSION"));
            kv!(o, "redis_git_sha1:00000000");
            kv!(o, "redis_git_dirty:0");
            kv!(o, "redis_build_id:0");
            kv!(o, "redis_mode:standalone");
            kv!(o, "os:{} {}", std::env::consts::OS, std::env::consts::ARCH);
            kv!(o, "arch_bits:{}", usize::BITS);
            kv!(o, "monotonic_clock:POSIX clock_gettime");
            kv!(o, "multiplexing_api:epoll");
            kv!(o, "atomicvar_api:c11-builtin");
            kv!(o, "gcc_version:0.0.0");
            kv!(o, "process_id:{}", std::process::id());
            kv!(o, "process_supervised:no");
            kv!(o, "run_id:{}", sh.run_id);
            kv!(o, "tcp_port:{}", s.port);
            kv!(o, "server_time_usec:{}", unix_us());
            kv!(o, "uptime_in_seconds:{}", uptime);
            kv!(o, "uptime_in_days:{}", uptime / 86400);
            kv!(o, "hz:{}", s.hz);
            kv!(o, "configured_hz:{}", s.hz);
            kv!(
                o,
                "lru_clock:{}",
                (crate::shared::unix_ms() / 1000) as u64 & ((1 << 24) - 1)
            );
            kv!(o, "executable:{}", sh.executable);
            kv!(
                o,
                "config_file:{}",
                sh.config
                    .read()
                    .file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            kv!(o, "io_threads_active:0");
            let binds: Vec<String> = s.binds.iter().map(|b| format!("bind={b}")).collect();
            kv!(o, "listener0:name=tcp,{},port={}", binds.join(","), s.port);
        }
        "clients" => {
            o.push_str("# Clients\r\n");
            kv!(o, "connected_clients:{}", sh.clients.len());
            kv!(o, "cluster_connections:0");
            kv!(o, "maxclients:{}", s.maxclients);
            kv!(o, "client_recent_max_input_buffer:0");
            kv!(o, "client_recent_max_output_buffer:0");
            kv!(o, "blocked_clients:{}", core.waiters.blocked_count());
            kv!(o, "tracking_clients:0");
            kv!(
                o,
                "clients_in_timeout_table:{}",
                core.waiters.blocked_count()
            );
            kv!(o, "total_watched_keys:{}", core.waiters.watched_keys());
            kv!(o, "total_blocking_keys:{}", core.waiters.blocking_keys());
            kv!(o, "total_blocking_keys_on_nokey:0");
        }
        "memory" => {
            let used = alloc::used_memory() as u64;
            let peak = (st.peak_memory.load(Ordering::Relaxed) as u64).max(used);
            let rss = alloc::rss() as u64;
            let (allocated, active, resident) = alloc::allocator_stats();
            let sysmem = total_system_memory();
            o.push_str("# Memory\r\n");
            kv!(o, "used_memory:{used}");
            kv!(o, "used_memory_human:{}", human(used));
            kv!(o, "used_memory_rss:{rss}");
            kv!(o, "used_memory_rss_human:{}", human(rss));
            kv!(o, "used_memory_peak:{peak}");
            kv!(o, "used_memory_peak_human:{}", human(peak));
            kv!(
                o,
                "used_memory_peak_perc:{:.2}%",
                if peak > 0 {
                    used as f64 * 100.0 / peak as f64
                } else {
                    100.0
                }
            );
            kv!(o, "used_memory_dataset:{used}");
            kv!(o, "allocator_allocated:{allocated}");
            kv!(o, "allocator_active:{active}");
            kv!(o, "allocator_resident:{resident}");
            kv!(o, "total_system_memory:{sysmem}");
            kv!(o, "total_system_memory_human:{}", human(sysmem));
            let (lua, scripts, script_bytes) = core
                .engine
                .scripting
                .as_ref()
                .map_or((0, 0, 0), |h| h.stats());
            kv!(o, "used_memory_lua:{lua}");
            kv!(o, "used_memory_vm_eval:{lua}");
            kv!(o, "used_memory_lua_human:{}", human(lua as u64));
            kv!(o, "used_memory_scripts_eval:{script_bytes}");
            kv!(o, "number_of_cached_scripts:{scripts}");
            kv!(o, "number_of_functions:0");
            kv!(o, "number_of_libraries:0");
            kv!(o, "used_memory_vm_functions:0");
            kv!(o, "used_memory_vm_total:{lua}");
            kv!(o, "used_memory_vm_total_human:{}", human(lua as u64));
            kv!(o, "used_memory_functions:0");
            kv!(o, "used_memory_scripts:{script_bytes}");
            kv!(
                o,
                "used_memory_scripts_human:{}",
                human(script_bytes as u64)
            );
            kv!(o, "maxmemory:{}", s.maxmemory);
            kv!(o, "maxmemory_human:{}", human(s.maxmemory));
            kv!(o, "maxmemory_policy:{}", s.maxmemory_policy);
            kv!(
                o,
                "allocator_frag_ratio:{:.2}",
                if allocated > 0 {
                    active as f64 / allocated as f64
                } else {
                    1.0
                }
            );
            kv!(
                o,
                "allocator_rss_ratio:{:.2}",
                if active > 0 {
                    resident as f64 / active as f64
                } else {
                    1.0
                }
            );
            kv!(
                o,
                "mem_fragmentation_ratio:{:.2}",
                if used > 0 {
                    rss as f64 / used as f64
                } else {
                    1.0
                }
            );
            kv!(o, "mem_fragmentation_bytes:{}", rss as i64 - used as i64);
            kv!(o, "mem_not_counted_for_evict:0");
            kv!(o, "mem_replication_backlog:0");
            kv!(o, "mem_clients_slaves:0");
            kv!(o, "mem_aof_buffer:{}", core.repl.aof.buffered());
            kv!(o, "mem_allocator:jemalloc");
            kv!(o, "active_defrag_running:0");
            kv!(o, "lazyfree_pending_objects:0");
            kv!(o, "lazyfreed_objects:0");
        }
        "persistence" => {
            let r = &sh.rdb;
            let in_progress = r.bgsave_in_progress.load(Ordering::Relaxed);
            let current = r
                .bgsave_started
                .lock()
                .map(|t| t.elapsed().as_secs() as i64)
                .unwrap_or(-1);
            let last_secs = r.last_bgsave_secs.load(Ordering::Relaxed);
            o.push_str("# Persistence\r\n");
            let loading = sh.loading.active();
            kv!(o, "loading:{}", loading as u8);
            kv!(o, "async_loading:0");
            kv!(o, "current_cow_peak:0");
            kv!(o, "current_cow_size:0");
            kv!(o, "current_cow_size_age:0");
            kv!(o, "current_fork_perc:0.00");
            kv!(o, "current_save_keys_processed:0");
            kv!(o, "current_save_keys_total:0");
            kv!(o, "rdb_changes_since_last_save:{}", core.engine.dirty);
            kv!(o, "rdb_bgsave_in_progress:{}", in_progress as u8);
            kv!(
                o,
                "rdb_last_save_time:{}",
                r.last_save_unix.load(Ordering::Relaxed)
            );
            kv!(
                o,
                "rdb_last_bgsave_status:{}",
                if r.last_bgsave_ok.load(Ordering::Relaxed) {
                    "ok"
                } else {
                    "err"
                }
            );
            kv!(
                o,
                "rdb_last_bgsave_time_sec:{}",
                if last_secs == u64::MAX {
                    -1
                } else {
                    last_secs as i64
                }
            );
            kv!(
                o,
                "rdb_current_bgsave_time_sec:{}",
                if in_progress { current } else { -1 }
            );
            kv!(o, "rdb_saves:{}", r.saves.load(Ordering::Relaxed));
            kv!(o, "rdb_last_cow_size:0");
            kv!(
                o,
                "rdb_last_load_keys_expired:{}",
                r.loaded_expired.load(Ordering::Relaxed)
            );
            kv!(
                o,
                "rdb_last_load_keys_loaded:{}",
                r.loaded_keys.load(Ordering::Relaxed)
            );
            let a = &sh.aof;
            let ok = |b: bool| if b { "ok" } else { "err" };
            let enabled = a.enabled.load(Ordering::Relaxed);
            kv!(o, "aof_enabled:{}", enabled as u8);
            kv!(
                o,
                "aof_rewrite_in_progress:{}",
                a.rewrite_in_progress.load(Ordering::Relaxed) as u8
            );
            kv!(
                o,
                "aof_rewrite_scheduled:{}",
                a.rewrite_scheduled.load(Ordering::Relaxed) as u8
            );
            kv!(
                o,
                "aof_last_rewrite_time_sec:{}",
                a.last_rewrite_secs.load(Ordering::Relaxed)
            );
            kv!(
                o,
                "aof_current_rewrite_time_sec:{}",
                a.rewrite_started
                    .lock()
                    .map(|t| t.elapsed().as_secs() as i64)
                    .unwrap_or(-1)
            );
            kv!(
                o,
                "aof_last_bgrewrite_status:{}",
                ok(a.last_bgrewrite_ok.load(Ordering::Relaxed))
            );
            kv!(o, "aof_rewrites:{}", a.rewrites.load(Ordering::Relaxed));
            kv!(
                o,
                "aof_rewrites_consecutive_failures:{}",
                a.consecutive_failures.load(Ordering::Relaxed)
            );
            kv!(
                o,
                "aof_last_write_status:{}",
                ok(!a.write_failed.load(Ordering::Relaxed))
            );
            kv!(o, "aof_last_cow_size:0");
            kv!(o, "module_fork_in_progress:0");
            kv!(o, "module_fork_last_cow_size:0");
            if enabled {
                kv!(
                    o,
                    "aof_current_size:{}",
                    a.current_size.load(Ordering::Relaxed)
                );
                kv!(o, "aof_base_size:{}", a.base_size.load(Ordering::Relaxed));
                kv!(
                    o,
                    "aof_pending_rewrite:{}",
                    a.rewrite_scheduled.load(Ordering::Relaxed) as u8
                );
                kv!(o, "aof_buffer_length:{}", core.repl.aof.buffered());
                kv!(
                    o,
                    "aof_pending_bio_fsync:{}",
                    a.fsync_in_progress.load(Ordering::Relaxed) as u8
                );
                kv!(o, "aof_delayed_fsync:0");
            }
            if loading {
                sh.loading.info(o);
            }
        }
        "stats" => {
            let hits: u64 = core.engine.dbs.iter().map(|d| d.hits).sum();
            let misses: u64 = core.engine.dbs.iter().map(|d| d.misses).sum();
            let expired: u64 = core.engine.dbs.iter().map(|d| d.expired_keys).sum();
            let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            o.push_str("# Stats\r\n");
            kv!(
                o,
                "total_connections_received:{}",
                g(&st.connections_received)
            );
            kv!(o, "total_commands_processed:{}", g(&st.commands_processed));
            kv!(o, "instantaneous_ops_per_sec:{}", g(&st.ops_per_sec));
            kv!(o, "total_net_input_bytes:{}", g(&st.net_input_bytes));
            kv!(o, "total_net_output_bytes:{}", g(&st.net_output_bytes));
            kv!(o, "total_net_repl_input_bytes:0");
            kv!(o, "total_net_repl_output_bytes:0");
            kv!(
                o,
                "instantaneous_input_kbps:{:.2}",
                g(&st.input_kbps_x100) as f64 / 100.0
            );
            kv!(
                o,
                "instantaneous_output_kbps:{:.2}",
                g(&st.output_kbps_x100) as f64 / 100.0
            );
            kv!(o, "instantaneous_input_repl_kbps:0.00");
            kv!(o, "instantaneous_output_repl_kbps:0.00");
            kv!(o, "rejected_connections:{}", g(&st.rejected_connections));
            kv!(o, "sync_full:0");
            kv!(o, "sync_partial_ok:0");
            kv!(o, "sync_partial_err:0");
            kv!(o, "expired_keys:{expired}");
            kv!(o, "expired_stale_perc:0.00");
            kv!(o, "expired_time_cap_reached_count:0");
            kv!(
                o,
                "expire_cycle_cpu_milliseconds:{}",
                g(&st.expire_cycle_ms)
            );
            kv!(o, "evicted_keys:{}", g(&st.evicted_keys));
            kv!(o, "evicted_clients:0");
            kv!(o, "total_eviction_exceeded_time:0");
            kv!(o, "current_eviction_exceeded_time:0");
            kv!(o, "keyspace_hits:{hits}");
            kv!(o, "keyspace_misses:{misses}");
            kv!(o, "pubsub_channels:{}", core.pubsub.channel_count());
            kv!(o, "pubsub_patterns:{}", core.pubsub.pattern_count());
            kv!(o, "pubsubshard_channels:0");
            kv!(o, "latest_fork_usec:0");
            kv!(o, "total_forks:0");
            kv!(o, "migrate_cached_sockets:0");
            kv!(o, "slave_expires_tracked_keys:0");
            kv!(o, "active_defrag_hits:0");
            kv!(o, "active_defrag_misses:0");
            kv!(o, "active_defrag_key_hits:0");
            kv!(o, "active_defrag_key_misses:0");
            kv!(o, "total_active_defrag_time:0");
            kv!(o, "current_active_defrag_time:0");
            kv!(o, "tracking_total_keys:0");
            kv!(o, "tracking_total_items:0");
            kv!(o, "tracking_total_prefixes:0");
            kv!(
                o,
                "unexpected_error_replies:{}",
                g(&st.unexpected_error_replies)
            );
            kv!(o, "total_error_replies:{}", g(&st.error_replies));
            kv!(o, "dump_payload_sanitizations:0");
            kv!(o, "total_reads_processed:{}", g(&st.reads_processed));
            kv!(o, "total_writes_processed:{}", g(&st.writes_processed));
            kv!(o, "io_threaded_reads_processed:0");
            kv!(o, "io_threaded_writes_processed:0");
            kv!(
                o,
                "client_query_buffer_limit_disconnections:{}",
                g(&st.query_buffer_disconnections)
            );
            kv!(
                o,
                "client_output_buffer_limit_disconnections:{}",
                core.pubsub.disconnections
            );
            kv!(o, "reply_buffer_shrinks:0");
            kv!(o, "reply_buffer_expands:0");
        }
        "replication" if sh.cluster.get().is_some() => {
            o.push_str("# Replication\r\n");
            if let Some(cl) = sh.cluster.get() {
                crate::cluster::info_replication(cl, &sh.replid, o);
            }
        }
        "replication" => {
            o.push_str("# Replication\r\n");
            kv!(o, "role:master");
            kv!(o, "connected_slaves:0");
            kv!(o, "master_failover_state:no-failover");
            kv!(o, "master_replid:{}", sh.replid);
            kv!(o, "master_replid2:0000000000000000000000000000000000000000");
            kv!(o, "master_repl_offset:0");
            kv!(o, "second_repl_offset:-1");
            kv!(o, "repl_backlog_active:0");
            kv!(o, "repl_backlog_size:1048576");
            kv!(o, "repl_backlog_first_byte_offset:0");
            kv!(o, "repl_backlog_histlen:0");
        }
        "cpu" => {
            let (user, sys) = cpu_times();
            o.push_str("# CPU\r\n");
            kv!(o, "used_cpu_sys:{sys:.6}");
            kv!(o, "used_cpu_user:{user:.6}");
            kv!(o, "used_cpu_sys_children:0.000000");
            kv!(o, "used_cpu_user_children:0.000000");
        }
        "modules" => o.push_str("# Modules\r\n"),
        "commandstats" => {
            o.push_str("# Commandstats\r\n");
            let t = &sh.table;
            for (i, c) in t.stats.iter().enumerate() {
                let calls = c.calls.load(Ordering::Relaxed);
                let rejected = c.rejected.load(Ordering::Relaxed);
                let failed = c.failed.load(Ordering::Relaxed);
                if calls == 0 && rejected == 0 && failed == 0 {
                    continue;
                }
                let usec = c.usec.load(Ordering::Relaxed);
                kv!(
                    o,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                    t.names[i],
                    calls,
                    usec,
                    if calls > 0 { usec as f64 / calls as f64 } else { 0.0 },
                    rejected,
                    failed
                );
            }
        }
        "errorstats" => {
            o.push_str("# Errorstats\r\n");
            for (code, n) in sh.errorstats.lock().iter() {
                kv!(o, "errorstat_{code}:count={n}");
            }
        }
        "cluster" => {
            o.push_str("# Cluster\r\n");
            kv!(o, "cluster_enabled:0");
        }
        "keyspace" => {
            o.push_str("# Keyspace\r\n");
            let avg = sh.stats.avg_ttl.lock().clone();
            for (i, db) in core.engine.dbs.iter().enumerate() {
                if db.is_empty() {
                    continue;
                }
                kv!(
                    o,
                    "db{}:keys={},expires={},avg_ttl={}",
                    i,
                    db.len(),
                    db.expires.len(),
                    avg.get(i).copied().unwrap_or(0)
                );
            }
        }
        _ => {}
    }
}
