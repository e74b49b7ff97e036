//! `INFO` on a Sentinel port: the sections a Sentinel has (`server`, `clients`,
//! `stats`, `cpu`, in that order, then `sentinel`), chosen as Redis 7 chooses them:
//! no argument, `default`, `all` or `everything` give all five; otherwise the named
//! sections (any case, several at once), unknown names ignored (`INFO memory` is an
//! empty string). Lines end in CRLF, sections are separated by an empty line.
//!
//! The `# Sentinel` section is what `redis_exporter` and monitoring parse:
//!
//! ```text
//! sentinel_masters:1
//! sentinel_tilt:0
//! sentinel_tilt_since_seconds:-1
//! sentinel_running_scripts:0
//! sentinel_scripts_queue_length:0
//! sentinel_simulate_failure_flags:0
//! master0:name=mymaster,status=ok,address=10.0.0.1:6379,slaves=2,sentinels=3
//! ```
//!
//! `status` is `ok`, or `odown` while the master is down (the entries flag it
//! `s_down,o_down` then); `sentinels` counts this sentinel too. The process counters
//! of the other sections come from `InfoStats`, which the caller fills when it answers
//! `INFO` itself (`info_with`); `command` and `info` report zeros there.

use crate::view::View;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// The Redis version a redraft node reports (keep in step with the data port's).
pub const REDIS_VERSION: &str = "7.2.4";

/// Process counters for the server, clients, stats and cpu sections. Zero or empty
/// fields fall back to a sensible value (noted per field).
#[derive(Clone, Debug, Default)]
pub struct InfoStats {
    /// `run_id`; empty: the sentinel id.
    pub run_id: String,
    /// `tcp_port`; 0: the announced sentinel port.
    pub tcp_port: u16,
    pub uptime_secs: u64,
    /// `hz`; 0: 10.
    pub hz: u32,
    pub executable: String,
    pub config_file: String,
    pub connected_clients: u64,
    /// `maxclients`; 0: 10000.
    pub maxclients: u64,
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub total_error_replies: u64,
    pub pubsub_channels: u64,
    pub pubsub_patterns: u64,
    pub used_cpu_sys: f64,
    pub used_cpu_user: f64,
}

const ALL: [&str; 5] = ["server", "clients", "stats", "cpu", "sentinel"];

/// The INFO text for the given section arguments (empty: the default sections).
pub(crate) fn render(view: &View, sections: &[&str], stats: &InfoStats) -> String {
    let wanted: Vec<String> = sections.iter().map(|s| s.to_ascii_lowercase()).collect();
    let every = wanted.is_empty()
        || wanted
            .iter()
            .any(|s| s == "all" || s == "default" || s == "everything");
    let mut out = String::new();
    for name in ALL {
        if !every && !wanted.iter().any(|w| w == name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        section(&mut out, view, stats, name);
    }
    out
}

macro_rules! kv {
    ($o:expr, $($arg:tt)*) => {{
        let _ = write!($o, $($arg)*);
        $o.push_str("\r\n");
    }};
}

fn unix_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn section(o: &mut String, view: &View, st: &InfoStats, name: &str) {
    match name {
        "server" => {
            let hz = if st.hz == 0 { 10 } else { st.hz };
            let port = if st.tcp_port == 0 {
                view.my_addr.port
            } else {
                st.tcp_port
            };
            let run_id = if st.run_id.is_empty() {
                &view.my_id
            } else {
                &st.run_id
            };
            o.push_str("# Server\r\n");
            kv!(o, "redis_version:{REDIS_VERSION}");
            kv!(o, "redraft_version:{}", env!("CARGO_PKG_VERSION"));
            kv!(o, "redis_git_sha1:00000000");
            kv!(o, "redis_git_dirty:0");
            kv!(o, "redis_build_id:0");
            kv!(o, "redis_mode:sentinel");
            kv!(o, "os:{} {}", std::env::consts::OS, std::env::consts::ARCH);
            kv!(o, "arch_bits:{}", usize::BITS);
            kv!(o, "monotonic_clock:POSIX clock_gettime");
            kv!(o, "multiplexing_api:epoll");
            kv!(o, "atomicvar_api:c11-builtin");
            kv!(o, "gcc_version:0.0.0");
            kv!(o, "process_id:{}", std::process::id());
            kv!(o, "process_supervised:no");
            kv!(o, "run_id:{run_id}");
            kv!(o, "tcp_port:{port}");
            kv!(o, "server_time_usec:{}", unix_us());
            kv!(o, "uptime_in_seconds:{}", st.uptime_secs);
            kv!(o, "uptime_in_days:{}", st.uptime_secs / 86400);
            kv!(o, "hz:{hz}");
            kv!(o, "configured_hz:{hz}");
            kv!(
                o,
                "lru_clock:{}",
                (unix_us() / 1_000_000) as u64 & ((1 << 24) - 1)
            );
            kv!(o, "executable:{}", st.executable);
            kv!(o, "config_file:{}", st.config_file);
            kv!(o, "io_threads_active:0");
        }
        "clients" => {
            let maxclients = if st.maxclients == 0 {
                10000
            } else {
                st.maxclients
            };
            o.push_str("# Clients\r\n");
            kv!(o, "connected_clients:{}", st.connected_clients);
            kv!(o, "cluster_connections:0");
            kv!(o, "maxclients:{maxclients}");
            kv!(o, "client_recent_max_input_buffer:0");
            kv!(o, "client_recent_max_output_buffer:0");
            kv!(o, "blocked_clients:0");
            kv!(o, "tracking_clients:0");
            kv!(o, "clients_in_timeout_table:0");
            kv!(o, "total_blocking_keys:0");
            kv!(o, "total_blocking_keys_on_nokey:0");
        }
        "stats" => {
            o.push_str("# Stats\r\n");
            kv!(
                o,
                "total_connections_received:{}",
                st.total_connections_received
            );
            kv!(
                o,
                "total_commands_processed:{}",
                st.total_commands_processed
            );
            for z in [
                "instantaneous_ops_per_sec:0",
                "total_net_input_bytes:0",
                "total_net_output_bytes:0",
                "total_net_repl_input_bytes:0",
                "total_net_repl_output_bytes:0",
                "instantaneous_input_kbps:0.00",
                "instantaneous_output_kbps:0.00",
                "instantaneous_input_repl_kbps:0.00",
                "instantaneous_output_repl_kbps:0.00",
            ] {
                kv!(o, "{z}");
            }
            kv!(o, "rejected_connections:{}", st.rejected_connections);
            for z in [
                "sync_full:0",
                "sync_partial_ok:0",
                "sync_partial_err:0",
                "expired_keys:0",
                "expired_stale_perc:0.00",
                "expired_time_cap_reached_count:0",
                "expire_cycle_cpu_milliseconds:0",
                "evicted_keys:0",
                "evicted_clients:0",
                "total_eviction_exceeded_time:0",
                "current_eviction_exceeded_time:0",
                "keyspace_hits:0",
                "keyspace_misses:0",
            ] {
                kv!(o, "{z}");
            }
            kv!(o, "pubsub_channels:{}", st.pubsub_channels);
            kv!(o, "pubsub_patterns:{}", st.pubsub_patterns);
            for z in [
                "pubsubshard_channels:0",
                "latest_fork_usec:0",
                "total_forks:0",
                "migrate_cached_sockets:0",
                "slave_expires_tracked_keys:0",
                "active_defrag_hits:0",
                "active_defrag_misses:0",
                "active_defrag_key_hits:0",
                "active_defrag_key_misses:0",
                "total_active_defrag_time:0",
                "current_active_defrag_time:0",
                "tracking_total_keys:0",
                "tracking_total_items:0",
                "tracking_total_prefixes:0",
                "unexpected_error_replies:0",
            ] {
                kv!(o, "{z}");
            }
            kv!(o, "total_error_replies:{}", st.total_error_replies);
            for z in [
                "dump_payload_sanitizations:0",
                "total_reads_processed:0",
                "total_writes_processed:0",
                "io_threaded_reads_processed:0",
                "io_threaded_writes_processed:0",
                "reply_buffer_shrinks:0",
                "reply_buffer_expands:0",
            ] {
                kv!(o, "{z}");
            }
        }
        "cpu" => {
            o.push_str("# CPU\r\n");
            kv!(o, "used_cpu_sys:{:.6}", st.used_cpu_sys);
            kv!(o, "used_cpu_user:{:.6}", st.used_cpu_user);
            kv!(o, "used_cpu_sys_children:0.000000");
            kv!(o, "used_cpu_user_children:0.000000");
            kv!(o, "used_cpu_sys_main_thread:{:.6}", st.used_cpu_sys);
            kv!(o, "used_cpu_user_main_thread:{:.6}", st.used_cpu_user);
        }
        _ => sentinel_section(o, view),
    }
}

fn sentinel_section(o: &mut String, view: &View) {
    o.push_str("# Sentinel\r\n");
    kv!(o, "sentinel_masters:1");
    kv!(o, "sentinel_tilt:0");
    kv!(o, "sentinel_tilt_since_seconds:-1");
    kv!(o, "sentinel_running_scripts:0");
    kv!(o, "sentinel_scripts_queue_length:0");
    kv!(o, "sentinel_simulate_failure_flags:0");
    let (ip, port) = view
        .shown_master()
        .map_or(("?", 0), |m| (m.addr.ip.as_str(), m.addr.port));
    kv!(
        o,
        "master0:name={},status={},address={}:{},slaves={},sentinels={}",
        view.master_name,
        if view.master_down() { "odown" } else { "ok" },
        ip,
        port,
        view.replicas.len(),
        view.sentinels.len() + 1
    );
}
