//! AOF directories we write, checked by the real tools: `redis-check-aof`
//! and `redis-server` (7.0.15 on the CI machine); and files Redis writes,
//! read back by us. Skipped, with a note, when the tools are not on PATH.
//! Servers listen on 127.0.0.1, ports 7340-7349, and are always shut down
//! (also when an assertion fails).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::vector;
use redraft_persist::aof::{
    encode_command, encode_select, load_file, plan, read_commands, AofIncr, BaseFormat, Manifest,
    PlanKind, ReadOutcome,
};
use redraft_persist::{RdbValue, RdbWriter, WriterOptions};

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

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("redraft-aof-redis-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check_aof(path: &Path) -> (bool, String) {
    let out = Command::new("redis-check-aof")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-check-aof");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

// ---------------------------------------------------------------------------
// A minimal RESP2 client and a redis-server that always goes away
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
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

    fn cmd(&mut self, args: &[&str]) -> Reply {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut out = Vec::new();
        encode_command(&mut out, &argv);
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
            b'$' if n() < 0 => Reply::Bulk(None),
            b'$' => {
                let mut buf = vec![0u8; n() as usize + 2];
                self.r.read_exact(&mut buf)?;
                buf.truncate(buf.len() - 2);
                Reply::Bulk(Some(buf))
            }
            b'*' if n() < 0 => Reply::Array(None),
            b'*' => {
                let mut items = Vec::new();
                for _ in 0..n() {
                    items.push(self.read()?);
                }
                Reply::Array(Some(items))
            }
            other => panic!("bad reply type {other}"),
        })
    }
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Some(s.as_bytes().to_vec()))
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(Some(items.iter().map(|s| bulk(s)).collect()))
}

/// Server tests run one at a time (they share the port range).
static SERVER_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn server_lock() -> std::sync::MutexGuard<'static, ()> {
    SERVER_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// redis-server with `appendonly yes` over data dir `dir`. Err carries
    /// the server log.
    fn start(dir: &Path) -> Result<Server, String> {
        let mut last = String::from("no free port in 7340-7349");
        for port in 7340..7350 {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            match Server::start_on(dir, port) {
                Ok(s) => return Ok(s),
                Err(log) if log.contains("Address already in use") => last = log,
                Err(log) => return Err(log),
            }
        }
        Err(last)
    }

    fn start_on(dir: &Path, port: u16) -> Result<Server, String> {
        let log = dir.with_extension(format!("redis-{port}.log"));
        let _ = std::fs::remove_file(&log);
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir)
            .args(["--save", ""])
            .args(["--appendonly", "yes"])
            .args(["--appendfsync", "always"])
            .args(["--auto-aof-rewrite-percentage", "0"])
            .args(["--daemonize", "no"])
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited ({status}):\n{}", server.log()));
            }
            if let Ok(mut c) = Client::connect(port) {
                // Ours, not whoever else may hold the port?
                let pid = format!("process_id:{}\r\n", server.child.id());
                if let Reply::Bulk(Some(info)) = c.cmd(&["INFO", "server"]) {
                    if String::from_utf8_lossy(&info).contains(&pid) {
                        return Ok(server);
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!("redis-server did not come up:\n{}", server.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn client(&self) -> Client {
        Client::connect(self.port).expect("connect to redis-server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only while our own child runs: the port may belong to someone else.
        if let Ok(None) = self.child.try_wait() {
            if let Ok(mut c) = Client::connect(self.port) {
                let _ = c.w.write_all(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
            }
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
        let _ = std::fs::remove_file(&self.log);
    }
}

// ---------------------------------------------------------------------------
// A multi-part AOF directory built with our writer helpers
// ---------------------------------------------------------------------------

const EXPIRE_2100: i64 = 4_102_444_800_000;

fn s(v: &str) -> Vec<u8> {
    v.as_bytes().to_vec()
}

/// `<dir>/appendonlydir` with an RDB base (our RdbWriter), an incr (our
/// encoder and AofIncr) and the manifest (our Manifest helpers).
fn write_dir(dir: &Path, base: BaseFormat) {
    let aof_dir = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof_dir).unwrap();
    let mut m = Manifest::default();
    let b = m.new_base("appendonly.aof", base);
    let i = m.new_incr("appendonly.aof");

    let base_path = aof_dir.join(&b.name);
    match base {
        BaseFormat::Rdb => {
            let f = std::fs::File::create(&base_path).unwrap();
            let opts = WriterOptions {
                aof_base: true,
                redis_ver: "7.0.15".into(),
                ..Default::default()
            };
            let mut w = RdbWriter::new(std::io::BufWriter::new(f), &opts).unwrap();
            w.select_db(0, 3, 1).unwrap();
            w.write_key(b"str", &RdbValue::String(s("hello")), None)
                .unwrap();
            w.write_key(b"lst", &RdbValue::List(vec![s("a"), s("b")]), None)
                .unwrap();
            w.write_key(b"ttl", &RdbValue::String(s("x")), Some(EXPIRE_2100))
                .unwrap();
            w.select_db(3, 1, 0).unwrap();
            w.write_key(b"h", &RdbValue::Hash(vec![(s("f1"), s("v1"))]), None)
                .unwrap();
            let f = w.finish().unwrap().into_inner().unwrap();
            f.sync_all().unwrap();
        }
        BaseFormat::Aof => {
            let mut out = Vec::new();
            encode_select(&mut out, 0);
            encode_command(&mut out, &[b"SET", b"str", b"hello"]);
            encode_command(&mut out, &[b"RPUSH", b"lst", b"a", b"b"]);
            encode_command(&mut out, &[b"SET", b"ttl", b"x"]);
            encode_command(
                &mut out,
                &[b"PEXPIREAT", b"ttl", EXPIRE_2100.to_string().as_bytes()],
            );
            encode_select(&mut out, 3);
            encode_command(&mut out, &[b"HSET", b"h", b"f1", b"v1"]);
            let mut w = AofIncr::create(&base_path).unwrap();
            w.append(&out).unwrap();
            w.fsync().unwrap();
        }
    }

    let mut w = AofIncr::create(&aof_dir.join(&i.name)).unwrap();
    let mut out = Vec::new();
    encode_select(&mut out, 0);
    encode_command(&mut out, &[b"SET", b"after", b"1"]);
    encode_command(&mut out, &[b"RPUSH", b"lst", b"c"]);
    encode_command(&mut out, &[b"MULTI"]);
    encode_command(&mut out, &[b"INCRBY", b"n", b"5"]);
    encode_command(&mut out, &[b"SET", b"bin", b"\r\n\0\xff"]);
    encode_command(&mut out, &[b"EXEC"]);
    encode_select(&mut out, 3);
    encode_command(&mut out, &[b"HSET", b"h", b"f2", b"v2"]);
    w.append(&out).unwrap();
    w.fsync().unwrap();
    m.persist(&aof_dir, "appendonly.aof").unwrap();
}

fn check_dataset(c: &mut Client) {
    assert_eq!(c.cmd(&["SELECT", "0"]), Reply::Status("OK".into()));
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(6));
    assert_eq!(c.cmd(&["GET", "str"]), bulk("hello"));
    assert_eq!(
        c.cmd(&["LRANGE", "lst", "0", "-1"]),
        bulks(&["a", "b", "c"])
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", "ttl"]), Reply::Int(EXPIRE_2100));
    assert_eq!(c.cmd(&["GET", "after"]), bulk("1"));
    assert_eq!(c.cmd(&["GET", "n"]), bulk("5"));
    assert_eq!(
        c.cmd(&["GET", "bin"]),
        Reply::Bulk(Some(b"\r\n\0\xff".to_vec()))
    );
    assert_eq!(c.cmd(&["SELECT", "3"]), Reply::Status("OK".into()));
    assert_eq!(c.cmd(&["HGETALL", "h"]), bulks(&["f1", "v1", "f2", "v2"]));
}

#[test]
fn our_directories_pass_redis_check_aof() {
    if !have("redis-check-aof") {
        return;
    }
    for (fmt, needle) in [
        (BaseFormat::Rdb, "(RDB format)"),
        (BaseFormat::Aof, "(RESP format)"),
    ] {
        let t = TempDir::new(&format!("check-{fmt:?}"));
        write_dir(&t.0, fmt);
        let (ok, text) = check_aof(&t.0.join("appendonlydir/appendonly.aof.manifest"));
        assert!(ok, "{text}");
        assert!(text.contains("Start checking Multi Part AOF"), "{text}");
        assert!(text.contains(needle), "{text}");
        assert!(
            text.contains("All AOF files and manifest are valid"),
            "{text}"
        );
        // And we read back what we wrote.
        let p = plan(&t.0, "appendonlydir", "appendonly.aof").unwrap();
        assert_eq!(p.kind, PlanKind::Load);
        assert_eq!(p.files.len(), 2);
    }
}

#[test]
fn our_cut_points_agree_with_redis_check_aof() {
    if !have("redis-check-aof") {
        return;
    }
    let t = TempDir::new("cuts");
    write_dir(&t.0, BaseFormat::Aof);
    let incr = std::fs::read(t.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
    let file = t.0.join("cut.aof");
    for cut in 1..=incr.len() {
        std::fs::write(&file, &incr[..cut]).unwrap();
        let ours = read_commands(&incr[..cut], |_| Ok(())).unwrap();
        let (_, text) = check_aof(&file);
        let ok_up_to: u64 = text
            .split("ok_up_to=")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("cut {cut}: {text}"));
        assert_eq!(ours.valid_len(), ok_up_to, "cut {cut}: {text}");
        assert_eq!(
            matches!(ours, ReadOutcome::Complete { .. }),
            text.contains("is valid"),
            "cut {cut}: {text}"
        );
    }
}

#[test]
fn redis_server_loads_our_directories_and_we_read_its_files() {
    if !have("redis-server") {
        return;
    }
    let _serial = server_lock();
    for fmt in [BaseFormat::Rdb, BaseFormat::Aof] {
        let t = TempDir::new(&format!("server-{fmt:?}"));
        write_dir(&t.0, fmt);
        let server = Server::start(&t.0).unwrap_or_else(|log| panic!("{log}"));
        let mut c = server.client();
        check_dataset(&mut c);

        // Redis appends to our incr; we read its writes back.
        assert_eq!(c.cmd(&["SELECT", "0"]), Reply::Status("OK".into()));
        assert_eq!(
            c.cmd(&["SET", "from-redis", "yes"]),
            Reply::Status("OK".into())
        );
        let aof_dir = t.0.join("appendonlydir");
        let mut tail = Vec::new();
        load_file(
            &aof_dir.join("appendonly.aof.1.incr.aof"),
            |_| Ok(()),
            |cmd| {
                tail.push(cmd);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            tail.last().unwrap(),
            &vec![b"SET".to_vec(), b"from-redis".to_vec(), b"yes".to_vec()]
        );

        // After Redis's own rewrite, its manifest and files load with our
        // reader, to the same dataset.
        assert!(matches!(c.cmd(&["BGREWRITEAOF"]), Reply::Status(_)));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = Manifest::read(&aof_dir.join("appendonly.aof.manifest")).unwrap();
            if m.curr_base_seq() == 2 && m.history.is_empty() {
                assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
                assert_eq!(m.incrs.len(), 1);
                assert_eq!(m.incrs[0].name, "appendonly.aof.2.incr.aof");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "rewrite did not finish:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let p = plan(&t.0, "appendonlydir", "appendonly.aof").unwrap();
        let mut keys = 0;
        let mut cmds = 0;
        for f in &p.files {
            load_file(
                &f.path,
                |_| {
                    keys += 1;
                    Ok(())
                },
                |_| {
                    cmds += 1;
                    Ok(())
                },
            )
            .unwrap();
        }
        assert_eq!(keys, 8, "6 keys in db 0, 1 in db 3, plus from-redis");
        assert_eq!(cmds, 0);
        drop(c);
        drop(server);
    }
}

#[test]
fn redis_server_loads_our_legacy_upgrade() {
    if !have("redis-server") {
        return;
    }
    let _serial = server_lock();
    let t = TempDir::new("upgrade");
    std::fs::write(
        t.0.join("appendonly.aof"),
        vector("redis-tests-assets/rdb-preamble.aof"),
    )
    .unwrap();
    let mut p = plan(&t.0, "appendonlydir", "appendonly.aof").unwrap();
    assert!(p.upgrade.is_some());
    p.apply_upgrade().unwrap();
    let server = Server::start(&t.0).unwrap_or_else(|log| panic!("{log}"));
    let mut c = server.client();
    assert_eq!(
        c.cmd(&["MGET", "k1", "k2", "k3"]),
        bulks(&["v1", "v2", "v3"])
    );
    // Redis added the first incr to our manifest, as we predicted.
    let text = std::fs::read_to_string(t.0.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert_eq!(
        text,
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    drop(c);
    drop(server);
}
