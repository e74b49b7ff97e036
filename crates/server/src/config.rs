//! Configuration: the directive table, `redis.conf` parsing (file and command line, as
//! `redis-server` accepts them), value validation with Redis's error texts, and the typed
//! `Settings` the hot paths read. `CONFIG GET/SET/REWRITE` work on the same table.
//!
//! Directives come in two kinds. *Active* ones change what redraft does. *Accepted* ones
//! tune Redis internals that have no counterpart here (listpack thresholds, rehashing,
//! lazy-free, I/O threads...): they are stored and shown by `CONFIG GET` so that an
//! operator's existing `redis.conf` loads unchanged, and they change nothing. Anything
//! else is a startup error naming the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int(i64, i64),
    Memory(u64),
    Enum(&'static [&'static str]),
    Str,
    /// `save` points: `""` or pairs of seconds and changes.
    Save,
}

#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub mutable: bool,
    /// False for accepted-for-compatibility directives.
    pub active: bool,
}

const fn p(name: &'static str, kind: Kind, default: &'static str, mutable: bool) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        mutable,
        active: true,
    }
}

/// Accepted for compatibility: stored, shown, no effect.
const fn compat(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        mutable: true,
        active: false,
    }
}

const fn alias(mut p: Param, a: &'static str) -> Param {
    p.alias = Some(a);
    p
}

const I32: Kind = Kind::Int(i32::MIN as i64, i32::MAX as i64);
const NONNEG: Kind = Kind::Int(0, i32::MAX as i64);
const YESNO: Kind = Kind::Bool;
pub const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

pub static PARAMS: &[Param] = &[
    p("port", Kind::Int(0, 65535), "6379", false),
    p("bind", Kind::Str, "127.0.0.1 -::1", false),
    p("protected-mode", YESNO, "yes", true),
    p("requirepass", Kind::Str, "", true),
    p("maxclients", Kind::Int(1, i32::MAX as i64), "10000", true),
    p("databases", Kind::Int(1, i32::MAX as i64), "16", false),
    p("dir", Kind::Str, "./data", false),
    // Cluster mode (Raft): see crate::cluster.
    p("cluster", YESNO, "no", false),
    p("node-id", NONNEG, "0", false),
    p("peers", Kind::Str, "", false),
    p("cluster-port", Kind::Int(0, 65535), "0", false),
    p("cluster-secret", Kind::Str, "", false),
    p("raft-election-timeout", Kind::Int(100, 60000), "500", false),
    p(
        "raft-heartbeat-interval",
        Kind::Int(10, 10000),
        "100",
        false,
    ),
    p(
        "raft-snapshot-entries",
        Kind::Int(100, i32::MAX as i64),
        "100000",
        false,
    ),
    p(
        "read-consistency",
        Kind::Enum(&["linearizable", "lease"]),
        "linearizable",
        false,
    ),
    p("replica-read", Kind::Enum(&["no", "stale"]), "no", false),
    p("replica-forward-writes", YESNO, "no", false),
    p("cluster-join", YESNO, "no", false),
    p("sentinel-port", Kind::Int(0, 65535), "0", false),
    p("sentinel-master-name", Kind::Str, "mymaster", false),
    p("sentinel-requirepass", Kind::Str, "", false),
    p("dbfilename", Kind::Str, "dump.rdb", true),
    p("save", Kind::Save, "3600 1 300 100 60 10000", true),
    p("appendonly", YESNO, "no", true),
    p(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
        true,
    ),
    p("logfile", Kind::Str, "", false),
    p("pidfile", Kind::Str, "", false),
    p("daemonize", YESNO, "no", false),
    p("timeout", NONNEG, "0", true),
    p("tcp-keepalive", NONNEG, "300", true),
    p("tcp-backlog", NONNEG, "511", false),
    p(
        "proto-max-bulk-len",
        Kind::Memory(1024 * 1024),
        "536870912",
        true,
    ),
    p(
        "client-query-buffer-limit",
        Kind::Memory(1024 * 1024),
        "1073741824",
        true,
    ),
    p("maxmemory", Kind::Memory(0), "0", true),
    p("maxmemory-policy", Kind::Enum(POLICIES), "noeviction", true),
    p("maxmemory-samples", Kind::Int(1, 64), "5", true),
    p("lfu-log-factor", NONNEG, "10", true),
    p("lfu-decay-time", NONNEG, "1", true),
    p("hz", Kind::Int(1, 500), "10", true),
    p(
        "slowlog-log-slower-than",
        Kind::Int(-1, i64::MAX),
        "10000",
        true,
    ),
    p("slowlog-max-len", Kind::Int(0, i64::MAX), "128", true),
    p(
        "latency-monitor-threshold",
        Kind::Int(0, i64::MAX),
        "0",
        true,
    ),
    p(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        false,
    ),
    alias(
        p("busy-reply-threshold", Kind::Int(0, i64::MAX), "5000", true),
        "lua-time-limit",
    ),
    p("notify-keyspace-events", Kind::Str, "", true),
    // Redis internals with no counterpart here.
    compat("active-expire-effort", Kind::Int(1, 10), "1"),
    compat("activerehashing", YESNO, "yes"),
    compat("activedefrag", YESNO, "no"),
    compat("active-defrag-cycle-min", Kind::Int(1, 99), "1"),
    compat("active-defrag-cycle-max", Kind::Int(1, 99), "25"),
    compat("active-defrag-ignore-bytes", Kind::Memory(1), "104857600"),
    compat("active-defrag-threshold-lower", Kind::Int(0, 1000), "10"),
    compat("active-defrag-threshold-upper", Kind::Int(0, 1000), "100"),
    compat(
        "active-defrag-max-scan-fields",
        Kind::Int(1, i64::MAX),
        "1000",
    ),
    compat("always-show-logo", YESNO, "no"),
    compat("dynamic-hz", YESNO, "yes"),
    compat("io-threads", Kind::Int(1, 128), "1"),
    compat("io-threads-do-reads", YESNO, "no"),
    compat("jemalloc-bg-thread", YESNO, "yes"),
    compat("lazyfree-lazy-eviction", YESNO, "no"),
    compat("lazyfree-lazy-expire", YESNO, "no"),
    compat("lazyfree-lazy-server-del", YESNO, "no"),
    compat("lazyfree-lazy-user-del", YESNO, "no"),
    compat("lazyfree-lazy-user-flush", YESNO, "no"),
    compat("replica-lazy-flush", YESNO, "no"),
    compat("hash-max-listpack-entries", NONNEG, "128"),
    compat("hash-max-listpack-value", NONNEG, "64"),
    compat("hash-max-ziplist-entries", NONNEG, "128"),
    compat("hash-max-ziplist-value", NONNEG, "64"),
    compat("list-max-listpack-size", I32, "-2"),
    compat("list-max-ziplist-size", I32, "-2"),
    compat("list-compress-depth", NONNEG, "0"),
    compat("set-max-intset-entries", NONNEG, "512"),
    compat("set-max-listpack-entries", NONNEG, "128"),
    compat("set-max-listpack-value", NONNEG, "64"),
    compat("zset-max-listpack-entries", NONNEG, "128"),
    compat("zset-max-listpack-value", NONNEG, "64"),
    compat("zset-max-ziplist-entries", NONNEG, "128"),
    compat("zset-max-ziplist-value", NONNEG, "64"),
    compat("hll-sparse-max-bytes", NONNEG, "3000"),
    compat("stream-node-max-bytes", Kind::Memory(0), "4096"),
    compat("stream-node-max-entries", NONNEG, "100"),
    compat("set-proc-title", YESNO, "yes"),
    compat(
        "proc-title-template",
        Kind::Str,
        "{title} {listen-addr} {server-mode}",
    ),
    compat(
        "supervised",
        Kind::Enum(&["no", "upstart", "systemd", "auto"]),
        "no",
    ),
    compat("crash-log-enabled", YESNO, "yes"),
    compat("crash-memcheck-enabled", YESNO, "yes"),
    compat(
        "oom-score-adj",
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no",
    ),
    compat("oom-score-adj-values", Kind::Str, "0 200 800"),
    compat("disable-thp", YESNO, "yes"),
    compat("syslog-enabled", YESNO, "no"),
    compat("syslog-ident", Kind::Str, "redis"),
    compat("syslog-facility", Kind::Str, "local0"),
    compat("tracking-table-max-keys", NONNEG, "1000000"),
    compat("acllog-max-len", NONNEG, "128"),
    p("stop-writes-on-bgsave-error", YESNO, "yes", true),
    p("rdbcompression", YESNO, "yes", true),
    p("rdbchecksum", YESNO, "yes", true),
    compat("rdb-del-sync-files", YESNO, "no"),
    compat("rdb-save-incremental-fsync", YESNO, "yes"),
    compat(
        "sanitize-dump-payload",
        Kind::Enum(&["no", "yes", "clients"]),
        "no",
    ),
    p(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
        true,
    ),
    p("appendfilename", Kind::Str, "appendonly.aof", false),
    p("appenddirname", Kind::Str, "appendonlydir", false),
    compat("no-appendfsync-on-rewrite", YESNO, "no"),
    p("auto-aof-rewrite-percentage", NONNEG, "100", true),
    p(
        "auto-aof-rewrite-min-size",
        Kind::Memory(0),
        "67108864",
        true,
    ),
    p("aof-load-truncated", YESNO, "yes", true),
    // Redis's test knob: microseconds slept after each key loaded (negative: 1 in -n).
    p("key-load-delay", I32, "0", true),
    compat(
        "loading-process-events-interval-bytes",
        Kind::Int(1024, i32::MAX as i64),
        "2097152",
    ),
    p("aof-use-rdb-preamble", YESNO, "yes", true),
    compat("aof-rewrite-incremental-fsync", YESNO, "yes"),
    p("aof-timestamp-enabled", YESNO, "no", true),
    compat(
        "client-output-buffer-limit",
        Kind::Str,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    compat("repl-diskless-sync", YESNO, "yes"),
    compat("repl-diskless-sync-delay", NONNEG, "5"),
    compat("repl-diskless-sync-max-replicas", NONNEG, "0"),
    compat(
        "repl-diskless-load",
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
    ),
    compat("repl-disable-tcp-nodelay", YESNO, "no"),
    compat("repl-backlog-size", Kind::Memory(1), "1048576"),
    compat("repl-backlog-ttl", NONNEG, "3600"),
    compat("repl-timeout", Kind::Int(1, i32::MAX as i64), "60"),
    compat(
        "repl-ping-replica-period",
        Kind::Int(1, i32::MAX as i64),
        "10",
    ),
    compat("replica-serve-stale-data", YESNO, "yes"),
    compat("replica-read-only", YESNO, "yes"),
    compat("replica-priority", NONNEG, "100"),
    compat("replica-announced", YESNO, "yes"),
    compat("min-replicas-to-write", NONNEG, "0"),
    compat("min-replicas-max-lag", NONNEG, "10"),
    compat("lua-replicate-commands", YESNO, "yes"),
    compat("latency-tracking", YESNO, "yes"),
    compat("latency-tracking-info-percentiles", Kind::Str, "50 99 99.9"),
    compat("maxmemory-clients", Kind::Str, "0"),
    compat("maxmemory-eviction-tenacity", Kind::Int(0, 100), "10"),
    compat("shutdown-timeout", NONNEG, "10"),
    compat("shutdown-on-sigint", Kind::Str, "default"),
    compat("shutdown-on-sigterm", Kind::Str, "default"),
    compat(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    compat(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    compat("cluster-enabled", Kind::Enum(&["no"]), "no"),
    compat("locale-collate", Kind::Str, ""),
];

/// Finds a directive by name or alias (case-insensitive).
pub fn param(name: &str) -> Option<&'static Param> {
    let name = name.to_ascii_lowercase();
    PARAMS
        .iter()
        .find(|p| p.name == name || p.alias == Some(name.as_str()))
}

/// Redis's `memtoll`: a number with an optional unit (k kb m mb g gb, any case).
pub fn parse_memory(s: &str) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    let (num, mul) = [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suf, m)| l.strip_suffix(suf).map(|n| (n.to_string(), *m)))
    .unwrap_or((l.clone(), 1));
    let v: u64 = num.parse().ok()?;
    v.checked_mul(mul)
}

/// Normalises and validates a value for `p`; the error is Redis's wording.
pub fn validate(p: &Param, value: &str) -> Result<String, String> {
    match p.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            let v: i64 = value
                .parse()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(v.to_string())
        }
        Kind::Memory(min) => {
            let v = parse_memory(value).ok_or("argument must be a memory value")?;
            if v < min {
                return Err(format!(
                    "argument must be between {min} and {} inclusive",
                    i64::MAX
                ));
            }
            Ok(v.to_string())
        }
        Kind::Enum(opts) => {
            let l = value.to_ascii_lowercase();
            if opts.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(format!(
                    "argument(s) must be one of the following: {}",
                    opts.join(", ")
                ))
            }
        }
        Kind::Str if p.name == "notify-keyspace-events" => redraft_engine::db::notify::parse(value)
            .map(redraft_engine::db::notify::to_string)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()),
        Kind::Str => Ok(value.to_string()),
        Kind::Save => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            if !parts.len().is_multiple_of(2) || parts.iter().any(|x| x.parse::<u64>().is_err()) {
                return Err("Invalid save parameters".into());
            }
            Ok(parts.join(" "))
        }
    }
}

/// The directive values in force, and where they came from.
#[derive(Clone, Debug)]
pub struct Config {
    pub values: BTreeMap<&'static str, String>,
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: PARAMS
                .iter()
                .map(|p| (p.name, p.default.to_string()))
                .collect(),
            file: None,
        }
    }
}

/// Redis's `sdssplitargs` for a config line.
fn split_line(line: &str) -> Option<Vec<String>> {
    let mut buf = line.as_bytes().to_vec();
    buf.push(b'\n');
    let mut parser = redraft_resp::RequestParser::new();
    match parser.next(&mut buf, redraft_resp::Limits::default()) {
        Ok(redraft_resp::Parsed::Command) => Some(
            parser
                .args()
                .iter()
                .map(|r| String::from_utf8_lossy(&buf[r.clone()]).into_owned())
                .collect(),
        ),
        _ => None,
    }
}

impl Config {
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(|s| s.as_str()).unwrap_or("")
    }

    /// Applies one directive (`name`, its arguments) as read from a file or the command
    /// line. `save` lines accumulate, as in Redis.
    pub fn apply_directive(
        &mut self,
        name: &str,
        args: &[String],
        first_save: &mut bool,
    ) -> Result<(), String> {
        let Some(p) = param(name) else {
            return Err("Bad directive or wrong number of arguments".into());
        };
        if args.is_empty() && !matches!(p.kind, Kind::Str | Kind::Save) {
            return Err("Bad directive or wrong number of arguments".into());
        }
        let joined = args.join(" ");
        let v = validate(p, &joined)?;
        if matches!(p.kind, Kind::Save) && !v.is_empty() {
            let e = self.values.entry(p.name).or_default();
            if *first_save {
                e.clear();
                *first_save = false;
            }
            if !e.is_empty() {
                e.push(' ');
            }
            e.push_str(&v);
            return Ok(());
        }
        if matches!(p.kind, Kind::Save) {
            *first_save = false;
        }
        if p.name == "client-output-buffer-limit" {
            return self.apply_output_limit(&v);
        }
        self.values.insert(p.name, v);
        Ok(())
    }

    /// `client-output-buffer-limit <class> <hard> <soft> <secs>`: replaces that class.
    fn apply_output_limit(&mut self, v: &str) -> Result<(), String> {
        let parts: Vec<&str> = v.split_whitespace().collect();
        if parts.is_empty() || !parts.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let cur = self.get("client-output-buffer-limit").to_string();
        let mut classes: Vec<Vec<String>> = cur
            .split_whitespace()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect();
        for c in parts.chunks(4) {
            let class = match c[0].to_ascii_lowercase().as_str() {
                "normal" => "normal",
                "slave" | "replica" => "slave",
                "pubsub" => "pubsub",
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    )
                }
            };
            let hard = parse_memory(c[1]).ok_or(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            )?;
            let soft = parse_memory(c[2]).ok_or(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
            )?;
            let secs: u64 = c[3].parse().map_err(|_| {
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            })?;
            let entry = vec![
                class.to_string(),
                hard.to_string(),
                soft.to_string(),
                secs.to_string(),
            ];
            match classes.iter_mut().find(|x| x[0] == class) {
                Some(x) => *x = entry,
                None => classes.push(entry),
            }
        }
        self.values.insert(
            "client-output-buffer-limit",
            classes.into_iter().flatten().collect::<Vec<_>>().join(" "),
        );
        Ok(())
    }

    /// Loads a `redis.conf`-syntax text. Errors name the line as Redis does.
    pub fn load_text(&mut self, text: &str, origin: &Path, depth: usize) -> Result<(), String> {
        let mut first_save = true;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |msg: &str| {
                format!(
                    "\n*** FATAL CONFIG FILE ERROR (redraft {}) ***\nReading the configuration file {}, at line {}\n>>> '{}'\n{}",
                    env!("CARGO_PKG_VERSION"),
                    origin.display(),
                    i + 1,
                    line,
                    msg
                )
            };
            let Some(words) = split_line(line) else {
                return Err(fail("Unbalanced quotes in configuration line"));
            };
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") {
                if depth > 8 || args.len() != 1 {
                    return Err(fail("Bad directive or wrong number of arguments"));
                }
                let path = PathBuf::from(&args[0]);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| fail(&format!("Can't open the included file: {e}")))?;
                self.load_text(&text, &path, depth + 1)?;
                continue;
            }
            self.apply_directive(name, args, &mut first_save)
                .map_err(|m| fail(&m))?;
        }
        Ok(())
    }

    /// Parses `redraft [CONFIG_FILE] [--directive value ...]` as `redis-server` does.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut rest = args;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let text = if first == "-" {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                        .map_err(|e| format!("Can't read the configuration from stdin: {e}"))?;
                    s
                } else {
                    std::fs::read_to_string(first).map_err(|e| {
                        format!("Fatal error, can't open config file '{first}': {e}")
                    })?
                };
                cfg.load_text(&text, Path::new(first), 0)?;
                if first != "-" {
                    cfg.file =
                        Some(std::fs::canonicalize(first).unwrap_or_else(|_| PathBuf::from(first)));
                }
                rest = &args[1..];
            }
        }
        // Command-line directives, applied after the file, each with its values.
        let mut first_save = true;
        let mut i = 0;
        while i < rest.len() {
            let Some(name) = rest[i].strip_prefix("--") else {
                return Err(format!(
                    "Invalid argument '{}': directives are given as --name value",
                    rest[i]
                ));
            };
            let mut vals = vec![];
            i += 1;
            while i < rest.len() && !rest[i].starts_with("--") {
                vals.push(rest[i].clone());
                i += 1;
            }
            if vals.is_empty() {
                // A bare yes/no flag (`--cluster`) means yes.
                let flag = param(name).is_some_and(|p| matches!(p.kind, Kind::Bool));
                vals.push(if flag { "yes".into() } else { String::new() });
            }
            let vals: Vec<String> = if vals.len() == 1 {
                split_line(&vals[0])
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| vals.clone())
            } else {
                vals
            };
            let vals: Vec<String> = vals.into_iter().filter(|v| !v.is_empty()).collect();
            cfg.apply_directive(name, &vals, &mut first_save)
                .map_err(|m| {
                    format!(
                        "\n*** FATAL CONFIG ERROR (redraft {}) ***\n>>> '{} {}'\n{}",
                        env!("CARGO_PKG_VERSION"),
                        name,
                        vals.join(" "),
                        m
                    )
                })?;
        }
        Ok(cfg)
    }

    /// Directives whose values differ from the defaults, in table order.
    pub fn non_default(&self) -> Vec<(&'static str, &str)> {
        PARAMS
            .iter()
            .filter(|p| self.get(p.name) != p.default)
            .map(|p| (p.name, self.get(p.name)))
            .collect()
    }

    /// `CONFIG REWRITE`: rewrites the file in place, keeping comments and unknown lines,
    /// replacing each directive's first line with its current value, dropping its later
    /// lines, and appending changed directives that the file did not have.
    pub fn rewrite(&self) -> Result<(), String> {
        let Some(path) = &self.file else {
            return Err("ERR The server is running without a config file".into());
        };
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let mut out = String::new();
        let mut written: Vec<&'static str> = vec![];
        for raw in old.lines() {
            let words = split_line(raw.trim()).unwrap_or_default();
            let keep_as_is =
                raw.trim().is_empty() || raw.trim().starts_with('#') || words.is_empty();
            let found = if keep_as_is { None } else { param(&words[0]) };
            match found {
                Some(p) if p.name != "save" || !written.contains(&"save") => {
                    if written.contains(&p.name) {
                        continue;
                    }
                    written.push(p.name);
                    out.push_str(&self.format_directive(p));
                }
                Some(_) => continue,
                None => {
                    out.push_str(raw);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for p in PARAMS {
            if written.contains(&p.name) || self.get(p.name) == p.default {
                continue;
            }
            if !header {
                out.push_str("# Generated by CONFIG REWRITE\n");
                header = true;
            }
            out.push_str(&self.format_directive(p));
        }
        let tmp = path.with_extension("redraft-rewrite.tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(out.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| format!("ERR Rewriting config file: {e}"))
    }

    fn format_directive(&self, p: &Param) -> String {
        let v = self.get(p.name);
        match p.kind {
            Kind::Save if v.is_empty() => "save \"\"\n".into(),
            Kind::Save => v
                .split_whitespace()
                .collect::<Vec<_>>()
                .chunks(2)
                .map(|c| format!("save {}\n", c.join(" ")))
                .collect(),
            _ if v.is_empty() => format!("{} \"\"\n", p.name),
            _ if p.name == "client-output-buffer-limit" => v
                .split_whitespace()
                .collect::<Vec<_>>()
                .chunks(4)
                .map(|c| format!("{} {}\n", p.name, c.join(" ")))
                .collect(),
            _ if v.contains(' ') && p.name != "bind" => format!("{} \"{}\"\n", p.name, v),
            _ => format!("{} {}\n", p.name, v),
        }
    }
}

/// Typed values read on hot paths, rebuilt whenever the configuration changes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `busy-reply-threshold` (`lua-time-limit`): ms a script runs before other
    /// clients are answered `-BUSY`.
    pub busy_reply_threshold: i64,
    pub port: u16,
    pub binds: Vec<String>,
    pub protected_mode: bool,
    pub requirepass: Option<String>,
    pub maxclients: usize,
    pub databases: usize,
    pub dir: PathBuf,
    pub timeout_secs: u64,
    pub tcp_keepalive: u64,
    pub proto_max_bulk_len: u64,
    pub query_buffer_limit: usize,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: usize,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub hz: u64,
    pub slowlog_slower_than: i64,
    pub slowlog_max_len: usize,
    pub latency_threshold_ms: u64,
    pub debug_command: String,
    /// `client-output-buffer-limit pubsub`: hard bytes, soft bytes, soft seconds.
    pub pubsub_limits: (u64, u64, u64),
    /// `notify-keyspace-events` as flags.
    pub notify_flags: u32,
    /// The AOF directives (see `crate::aof`).
    pub appendonly: bool,
    pub appendfsync: crate::aof::Fsync,
    pub appendfilename: String,
    pub appenddirname: String,
    pub aof_use_rdb_preamble: bool,
    pub aof_load_truncated: bool,
    pub aof_timestamp_enabled: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        let int = |n: &str| c.get(n).parse::<i64>().unwrap_or(0);
        Settings {
            busy_reply_threshold: int("busy-reply-threshold"),
            port: int("port") as u16,
            binds: c.get("bind").split_whitespace().map(String::from).collect(),
            protected_mode: c.get("protected-mode") == "yes",
            requirepass: Some(c.get("requirepass").to_string()).filter(|s| !s.is_empty()),
            maxclients: int("maxclients").max(1) as usize,
            databases: int("databases").max(1) as usize,
            dir: PathBuf::from(c.get("dir")),
            timeout_secs: int("timeout").max(0) as u64,
            tcp_keepalive: int("tcp-keepalive").max(0) as u64,
            proto_max_bulk_len: int("proto-max-bulk-len").max(0) as u64,
            query_buffer_limit: int("client-query-buffer-limit").max(0) as usize,
            maxmemory: int("maxmemory").max(0) as u64,
            maxmemory_policy: c.get("maxmemory-policy").to_string(),
            maxmemory_samples: int("maxmemory-samples").max(1) as usize,
            lfu_log_factor: int("lfu-log-factor").max(0) as u32,
            lfu_decay_time: int("lfu-decay-time").max(0) as u32,
            hz: int("hz").clamp(1, 500) as u64,
            slowlog_slower_than: int("slowlog-log-slower-than"),
            slowlog_max_len: int("slowlog-max-len").max(0) as usize,
            latency_threshold_ms: int("latency-monitor-threshold").max(0) as u64,
            debug_command: c.get("enable-debug-command").to_string(),
            pubsub_limits: output_limits(c.get("client-output-buffer-limit"), "pubsub"),
            notify_flags: redraft_engine::db::notify::parse(c.get("notify-keyspace-events"))
                .unwrap_or(0),
            appendonly: c.get("appendonly") == "yes",
            appendfsync: crate::aof::Fsync::parse(c.get("appendfsync")),
            appendfilename: c.get("appendfilename").to_string(),
            appenddirname: c.get("appenddirname").to_string(),
            aof_use_rdb_preamble: c.get("aof-use-rdb-preamble") == "yes",
            aof_load_truncated: c.get("aof-load-truncated") == "yes",
            aof_timestamp_enabled: c.get("aof-timestamp-enabled") == "yes",
            auto_aof_rewrite_percentage: int("auto-aof-rewrite-percentage").max(0) as u64,
            auto_aof_rewrite_min_size: int("auto-aof-rewrite-min-size").max(0) as u64,
        }
    }
}

/// One class of `client-output-buffer-limit` as (hard, soft, soft seconds).
fn output_limits(v: &str, class: &str) -> (u64, u64, u64) {
    let parts: Vec<&str> = v.split_whitespace().collect();
    parts
        .chunks(4)
        .find(|c| c.len() == 4 && c[0] == class)
        .map(|c| {
            (
                c[1].parse().unwrap_or(0),
                c[2].parse().unwrap_or(0),
                c[3].parse().unwrap_or(0),
            )
        })
        .unwrap_or((0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1G"), Some(1_000_000_000));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("x"), None);
    }

    #[test]
    fn file_and_args() {
        let mut c = Config::default();
        c.load_text(
            "# comment\nport 7000\nsave 10 1\nsave 20 2\nmaxmemory 1mb\n",
            Path::new("t"),
            0,
        )
        .unwrap();
        assert_eq!(c.get("port"), "7000");
        assert_eq!(c.get("save"), "10 1 20 2");
        assert_eq!(c.get("maxmemory"), "1048576");
        let e = c
            .load_text("port 1\nbogus 1\n", Path::new("t"), 0)
            .unwrap_err();
        assert!(e.contains("at line 2"), "{e}");
        assert!(e.contains("Bad directive"), "{e}");
        let c = Config::from_args(&["--port".into(), "7001".into(), "--save".into(), "".into()])
            .unwrap();
        assert_eq!(c.get("port"), "7001");
        assert_eq!(c.get("save"), "");
    }

    #[test]
    fn validation_messages() {
        let p = param("maxmemory-policy").unwrap();
        assert!(validate(p, "bogus")
            .unwrap_err()
            .starts_with("argument(s) must be one of"));
        assert_eq!(
            validate(param("protected-mode").unwrap(), "maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
    }
}
