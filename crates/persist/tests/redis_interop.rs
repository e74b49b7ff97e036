//! Files and payloads we write, checked by the real tools: `redis-check-rdb`
//! and `redis-server` (7.0.15 on the CI machine). Skipped, with a note, when
//! `redis-server` is not on PATH. Servers listen on 127.0.0.1, ports
//! 7350-7359, and are always shut down (also when an assertion fails).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use redraft_persist::rdb::try_dump_payload;
use redraft_persist::{dump_payload, restore_payload, write_rdb, RdbValue, Record, WriterOptions};

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("{tool} not on PATH: skipping");
    }
    ok
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

// ---------------------------------------------------------------------------
// A minimal RESP2 client
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    fn bulk(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            other => panic!("expected a bulk string, got {other:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("expected an integer, got {other:?}"),
        }
    }
    fn bulks(&self) -> Vec<Vec<u8>> {
        match self {
            Reply::Array(Some(items)) => items.iter().map(Reply::bulk).collect(),
            other => panic!("expected an array, got {other:?}"),
        }
    }
    fn status(&self) -> String {
        match self {
            Reply::Status(s) => s.clone(),
            other => panic!("expected a status, got {other:?}"),
        }
    }
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Client {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }

    fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&out).expect("write to redis");
        self.read().expect("read from redis")
    }

    fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line)?;
        if line.len() < 3 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        let n = || body.parse::<i64>().expect("number in reply");
        Ok(match line[0] {
            b'+' => Reply::Status(body),
            b'-' => Reply::Error(body),
            b':' => Reply::Int(n()),
            b'$' => {
                if n() < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut buf = vec![0u8; n() as usize + 2];
                    self.r.read_exact(&mut buf)?;
                    buf.truncate(buf.len() - 2);
                    Reply::Bulk(Some(buf))
                }
            }
            b'*' => {
                if n() < 0 {
                    Reply::Array(None)
                } else {
                    let mut items = Vec::new();
                    for _ in 0..n() {
                        items.push(self.read()?);
                    }
                    Reply::Array(Some(items))
                }
            }
            other => panic!("bad reply type {other}"),
        })
    }
}

// ---------------------------------------------------------------------------
// A redis-server that always goes away
// ---------------------------------------------------------------------------

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    /// Starts redis-server on the first free port of `ports`, loading `rdb`
    /// (if any) as its dump.rdb. Err carries the server log.
    fn start(
        name: &str,
        rdb: Option<&[u8]>,
        ports: std::ops::Range<u16>,
    ) -> Result<Server, String> {
        let port = ports
            .clone()
            .find(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .ok_or_else(|| format!("no free port in {ports:?}"))?;
        let dir = std::env::temp_dir().join(format!(
            "redraft-persist-{}-{name}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if let Some(rdb) = rdb {
            std::fs::write(dir.join("dump.rdb"), rdb).map_err(|e| e.to_string())?;
        }
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir)
            .args(["--dbfilename", "dump.rdb"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .args(["--sanitize-dump-payload", "yes"])
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut server = Server { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited ({status}):\n{}", server.log()));
            }
            if let Ok(mut c) = Client::connect(port) {
                match c.cmd(&[b"PING"]) {
                    Reply::Status(s) if s == "PONG" => return Ok(server),
                    _ => {}
                }
            }
            if Instant::now() > deadline {
                return Err(format!("redis-server did not come up:\n{}", server.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    fn client(&self) -> Client {
        Client::connect(self.port).expect("connect to redis-server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(self.port) {
            let _ = c.w.write_all(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------
// Checks of a key's value through ordinary commands
// ---------------------------------------------------------------------------

fn parse_score(b: &[u8]) -> f64 {
    std::str::from_utf8(b).unwrap().parse().unwrap()
}

/// Asserts that `key` in the selected db holds `v` (and `expire_ms`).
fn check_key(c: &mut Client, key: &[u8], v: &RdbValue, expire_ms: Option<i64>, ctx: &str) {
    let name = format!("{ctx} {}", String::from_utf8_lossy(key));
    assert_eq!(
        c.cmd(&[b"TYPE", key]).status(),
        v.type_name(),
        "{name}: TYPE"
    );
    assert_eq!(
        c.cmd(&[b"PEXPIRETIME", key]).int(),
        expire_ms.unwrap_or(-1),
        "{name}: PEXPIRETIME"
    );
    match v {
        RdbValue::String(s) => assert_eq!(&c.cmd(&[b"GET", key]).bulk(), s, "{name}"),
        RdbValue::List(items) => {
            assert_eq!(
                &c.cmd(&[b"LRANGE", key, b"0", b"-1"]).bulks(),
                items,
                "{name}"
            )
        }
        RdbValue::Set(items) => {
            let mut got = c.cmd(&[b"SMEMBERS", key]).bulks();
            let mut want = items.clone();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{name}");
        }
        RdbValue::Hash(pairs) => {
            let flat = c.cmd(&[b"HGETALL", key]).bulks();
            let mut got: Vec<(Vec<u8>, Vec<u8>)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            let mut want = pairs.clone();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{name}");
        }
        RdbValue::ZSet(pairs) => {
            let flat = c.cmd(&[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]).bulks();
            let mut got: Vec<(Vec<u8>, f64)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), parse_score(&p[1])))
                .collect();
            let mut want = pairs.clone();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            want.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "{name}");
        }
        RdbValue::Stream(s) => {
            assert_eq!(
                c.cmd(&[b"XLEN", key]).int(),
                s.entries.len() as i64,
                "{name}: XLEN"
            );
        }
    }
    // And the whole value, through Redis's own DUMP and our decoder.
    let dumped = c.cmd(&[b"DUMP", key]).bulk();
    let back = restore_payload(&dumped).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(normalize(&back), normalize(v), "{name}: DUMP");
}

fn live(records: &[Record]) -> Vec<&Record> {
    // Redis drops keys already expired at load time.
    let now = now_ms() + 60_000;
    records
        .iter()
        .filter(|r| r.expire_ms.map_or(true, |e| e > now))
        .collect()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn written_files_pass_redis_check_rdb() {
    if !have("redis-check-rdb") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("redraft-persist-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for v in LOADABLE {
        let (info, recs) = load_vector(v);
        for compression in [false, true] {
            let opts = WriterOptions {
                compression,
                ..WriterOptions::default()
            };
            let bytes = write_rdb(Vec::new(), &opts, &info.functions, &recs).unwrap();
            let path = dir.join("out.rdb");
            std::fs::write(&path, &bytes).unwrap();
            let out = Command::new("redis-check-rdb").arg(&path).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains("RDB looks OK"),
                "{v} (compression {compression}): redis-check-rdb said:\n{text}"
            );
            assert!(text.contains("Checksum OK"), "{v}: {text}");
            assert!(
                text.contains(&format!("[info] {} keys read", recs.len())),
                "{v}: {text}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn written_files_load_in_redis_server() {
    if !have("redis-server") {
        return;
    }
    for (i, v) in LOADABLE.iter().enumerate() {
        let (info, recs) = load_vector(v);
        let opts = WriterOptions {
            compression: i % 2 == 0,
            ..WriterOptions::default()
        };
        let bytes = write_rdb(Vec::new(), &opts, &info.functions, &recs).unwrap();
        let server = Server::start("load", Some(&bytes), 7350..7353)
            .unwrap_or_else(|log| panic!("{v}: our file did not load:\n{log}"));
        let mut c = server.client();
        let expected = live(&recs);
        let mut dbs: Vec<u32> = expected.iter().map(|r| r.db).collect();
        dbs.sort();
        dbs.dedup();
        for db in 0..16u32 {
            c.cmd(&[b"SELECT", db.to_string().as_bytes()]);
            let n = expected.iter().filter(|r| r.db == db).count() as i64;
            assert_eq!(c.cmd(&[b"DBSIZE"]).int(), n, "{v}: DBSIZE of db {db}");
        }
        for r in &expected {
            c.cmd(&[b"SELECT", r.db.to_string().as_bytes()]);
            check_key(&mut c, &r.key, &r.value, r.expire_ms, v);
        }
        assert!(!dbs.is_empty() || expected.is_empty());
    }
}

#[test]
fn dump_payloads_cross_with_redis_server() {
    if !have("redis-server") {
        return;
    }
    let server = Server::start("dump", None, 7353..7356).unwrap_or_else(|log| panic!("{log}"));
    let mut c = server.client();

    // 1. Our payloads, of every value in the vectors, RESTORE in Redis.
    let mut n = 0u32;
    for v in [
        "redis-7.0.15/dump.rdb",
        "generated/minimal-v10.rdb",
        "generated/redis-7.0.15-save.rdb",
        "redis-tests-assets/encodings.rdb",
    ] {
        let (_, recs) = load_vector(v);
        for r in &recs {
            for compression in [false, true] {
                n += 1;
                let key = format!("restored:{n}").into_bytes();
                let payload = if compression {
                    try_dump_payload(&r.value, true).unwrap()
                } else {
                    dump_payload(&r.value)
                };
                let reply = c.cmd(&[b"RESTORE", &key, b"0", &payload]);
                assert_eq!(
                    reply,
                    Reply::Status("OK".into()),
                    "{v} {}: RESTORE of our payload",
                    String::from_utf8_lossy(&r.key)
                );
                check_key(&mut c, &key, &r.value, None, v);
            }
        }
    }

    // 2. Payloads Redis makes from values built with commands decode right.
    c.cmd(&[b"FLUSHALL"]);
    let mut build = |args: &[&str]| {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        let r = c.cmd(&a);
        assert!(!matches!(r, Reply::Error(_)), "{args:?}: {r:?}");
    };
    build(&["SET", "s", "hello"]);
    build(&["SET", "i", "-123456789"]);
    build(&[
        "RPUSH",
        "l",
        "a",
        "b",
        "1",
        "-5",
        "70000",
        "9223372036854775807",
    ]);
    build(&["SADD", "is", "3", "1", "2", "-100000"]);
    build(&["SADD", "ss", "x", "y", "z"]);
    build(&["HSET", "h", "f", "v", "n", "12", "e", ""]);
    build(&[
        "ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "-0.125", "e",
    ]);
    build(&["XADD", "x", "1-1", "a", "1"]);
    build(&["XADD", "x", "1-2", "a", "2", "b", "3"]);
    build(&["XADD", "x", "2-0", "a", "3"]);
    build(&["XDEL", "x", "1-2"]);
    build(&["XGROUP", "CREATE", "x", "g", "0"]);
    build(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "x",
        ">",
    ]);
    build(&["XGROUP", "CREATECONSUMER", "x", "g", "bob"]);
    for i in 0..300 {
        let (f, val, m) = (format!("f{i}"), format!("v{i}"), format!("m{i}"));
        let score = format!("{}", f64::from(i) * 1.5);
        build(&["HSET", "hbig", &f, &val]);
        build(&["SADD", "sbig", &m]);
        build(&["ZADD", "zbig", &score, &m]);
        build(&["RPUSH", "lbig", &val]);
    }
    let mut c = server.client();
    let dump = |c: &mut Client, k: &str| {
        let p = c.cmd(&[b"DUMP", k.as_bytes()]).bulk();
        restore_payload(&p).unwrap_or_else(|e| panic!("{k}: {e}"))
    };
    let strs = |items: &[&str]| items.iter().map(|s| b(s)).collect::<Vec<_>>();
    assert_eq!(dump(&mut c, "s"), RdbValue::String(b("hello")));
    assert_eq!(dump(&mut c, "i"), RdbValue::String(b("-123456789")));
    assert_eq!(
        dump(&mut c, "l"),
        RdbValue::List(strs(&["a", "b", "1", "-5", "70000", "9223372036854775807"]))
    );
    assert_eq!(
        normalize(&dump(&mut c, "is")),
        normalize(&RdbValue::Set(strs(&["-100000", "1", "2", "3"])))
    );
    assert_eq!(
        normalize(&dump(&mut c, "ss")),
        normalize(&RdbValue::Set(strs(&["x", "y", "z"])))
    );
    assert_eq!(
        dump(&mut c, "h"),
        RdbValue::Hash(vec![(b("f"), b("v")), (b("n"), b("12")), (b("e"), b(""))])
    );
    assert_eq!(
        dump(&mut c, "z"),
        RdbValue::ZSet(vec![
            (b("c"), f64::NEG_INFINITY),
            (b("e"), -0.125),
            (b("a"), 1.0),
            (b("b"), 2.5),
            (b("d"), f64::INFINITY),
        ])
    );
    let RdbValue::Stream(x) = dump(&mut c, "x") else {
        panic!("x is not a stream")
    };
    let ids: Vec<String> = x.entries.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, ["1-1", "2-0"]);
    assert_eq!(x.max_deleted_id.to_string(), "1-2");
    assert_eq!(x.entries_added, 3);
    assert_eq!(x.groups[0].consumers.len(), 2);
    assert_eq!(x.groups[0].pending.len(), 1);
    assert_eq!(x.groups[0].consumers[0].pending, vec![x.entries[0].id]);
    assert!(x.groups[0].consumers[1].pending.is_empty());
    for k in ["hbig", "sbig", "zbig", "lbig"] {
        let v = dump(&mut c, k);
        let len = match &v {
            RdbValue::Hash(h) => h.len(),
            RdbValue::Set(s) | RdbValue::List(s) => s.len(),
            RdbValue::ZSet(z) => z.len(),
            _ => 0,
        };
        assert_eq!(len, 300, "{k}");
        // Round trip through our payload and Redis's RESTORE.
        let key = format!("{k}:copy");
        assert_eq!(
            c.cmd(&[b"RESTORE", key.as_bytes(), b"0", &dump_payload(&v)]),
            Reply::Status("OK".into())
        );
        check_key(&mut c, key.as_bytes(), &v, None, "copy");
    }
    // The stream, with its groups and PEL, survives our payload too.
    let xv = RdbValue::Stream(x.clone());
    assert_eq!(
        c.cmd(&[b"RESTORE", b"x:copy", b"0", &dump_payload(&xv)]),
        Reply::Status("OK".into())
    );
    assert_eq!(dump(&mut c, "x:copy"), xv);

    // 3. Redis rejects what it should.
    let mut bad = dump_payload(&RdbValue::String(b("v")));
    let last = bad.len() - 1;
    bad[last] ^= 1;
    match c.cmd(&[b"RESTORE", b"bad", b"0", &bad]) {
        Reply::Error(e) => assert!(e.contains("checksum are wrong"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(server.log().contains("Ready to accept connections"));
}
