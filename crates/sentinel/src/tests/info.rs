//! The Sentinel INFO text: sections chosen as Redis 7 chooses them, and the
//! `# Sentinel` section as captured from redis-sentinel 7.0.15.

use super::*;
use crate::{info, info_with, InfoStats};

fn headers(text: &str) -> Vec<&str> {
    text.split("\r\n").filter(|l| l.starts_with('#')).collect()
}

#[test]
fn sections() {
    let v = sample();
    let all = ["# Server", "# Clients", "# Stats", "# CPU", "# Sentinel"];
    for s in [None, Some("all"), Some("default"), Some("EVERYTHING")] {
        assert_eq!(headers(&info(&v, s)), all, "{s:?}");
    }
    assert_eq!(
        headers(&info(&v, Some("cpu clients"))),
        ["# Clients", "# CPU"]
    );
    assert_eq!(
        headers(&info(&v, Some("server sentinel"))),
        ["# Server", "# Sentinel"]
    );
    assert_eq!(info(&v, Some("memory")), "");
    assert_eq!(info(&v, Some("replication")), "");
    // CRLF lines, an empty line between sections, a final CRLF.
    let t = info(&v, Some("clients sentinel"));
    assert!(t.ends_with("\r\n"));
    assert!(t.contains("\r\n\r\n# Sentinel\r\n"));
    assert!(!t.replace("\r\n", "").contains('\n'));
}

#[test]
fn sentinel_section() {
    assert_eq!(
        info(&sample(), Some("sentinel")),
        "# Sentinel\r\n\
         sentinel_masters:1\r\n\
         sentinel_tilt:0\r\n\
         sentinel_tilt_since_seconds:-1\r\n\
         sentinel_running_scripts:0\r\n\
         sentinel_scripts_queue_length:0\r\n\
         sentinel_simulate_failure_flags:0\r\n\
         master0:name=mymaster,status=ok,address=127.0.0.1:17001,slaves=2,sentinels=3\r\n"
    );
}

#[test]
fn sentinel_section_when_down() {
    let mut v = sample();
    v.master = v.master.map(|m| down(m, 1));
    assert!(info(&v, Some("sentinel")).contains(
        "master0:name=mymaster,status=odown,address=127.0.0.1:17001,slaves=2,sentinels=3\r\n"
    ));
    v.last_master = v.master.take();
    assert!(info(&v, Some("sentinel")).contains("status=odown,address=127.0.0.1:17001,"));
    v.last_master = None;
    assert!(info(&v, Some("sentinel")).contains("status=odown,address=?:0,slaves=2,"));
}

#[test]
fn server_section() {
    let v = sample();
    let t = info(&v, Some("server"));
    assert!(t.starts_with("# Server\r\nredis_version:7.2.4\r\n"));
    for line in [
        "redis_mode:sentinel\r\n",
        &format!("run_id:{MY_ID}\r\n"),
        "tcp_port:27001\r\n",
        "hz:10\r\n",
    ] {
        assert!(t.contains(line), "{line}");
    }
    let stats = InfoStats {
        run_id: "f".repeat(40),
        tcp_port: 26379,
        uptime_secs: 90000,
        connected_clients: 7,
        total_commands_processed: 42,
        used_cpu_user: 1.5,
        ..InfoStats::default()
    };
    let t = info_with(&v, &[], &stats);
    for line in [
        &format!("run_id:{}\r\n", "f".repeat(40)),
        "tcp_port:26379\r\n",
        "uptime_in_seconds:90000\r\n",
        "uptime_in_days:1\r\n",
        "connected_clients:7\r\n",
        "maxclients:10000\r\n",
        "total_commands_processed:42\r\n",
        "used_cpu_user:1.500000\r\n",
    ] {
        assert!(t.contains(line), "{line}");
    }
    // Every line of every section is key:value.
    for l in t
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        assert!(l.contains(':'), "{l}");
    }
}
