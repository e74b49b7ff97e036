"""Server commands and operations, through redis-py against the real binary: INFO,
CLIENT, CONFIG (with a real config file), expiry, eviction, SLOWLOG, MONITOR, DEBUG,
SHUTDOWN, startup errors."""

import os
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from conftest import BIN, free_port, start_redraft


def info_dict(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def test_info_sections(r):
    r.set("a", 1)
    r.set("b", 2, ex=100)
    info = r.info()
    assert info["redis_version"] == "7.2.4"
    assert "redraft_version" in info
    assert info["role"] == "master"
    assert info["connected_clients"] >= 1
    assert info["db0"]["keys"] == 2 and info["db0"]["expires"] == 1
    assert info["used_memory"] > 0 and info["used_memory_rss"] > 0
    for section in ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace", "errorstats", "cluster"]:
        assert r.info(section), section
    r.get("a")
    r.get("missing")
    stats = r.info("stats")
    assert stats["keyspace_hits"] >= 1 and stats["keyspace_misses"] >= 1
    cmdstats = r.info("commandstats")
    assert cmdstats["cmdstat_set"]["calls"] >= 2
    with pytest.raises(redis.ResponseError):
        r.incr("a", "x") if False else r.execute_command("INCRBY", "a", "x")
    errs = r.info("errorstats")
    assert errs["errorstat_ERR"]["count"] >= 1
    assert r.info("commandstats")["cmdstat_incrby"]["failed_calls"] >= 1
    everything = r.execute_command("INFO", "everything")
    assert "# Commandstats" in everything.decode() if isinstance(everything, bytes) else True


def test_info_default_has_no_commandstats(server):
    raw = server.raw()
    text = raw.cmd("INFO")
    assert b"# Server" in text and b"# Keyspace" in text and b"# Commandstats" not in text
    raw.close()


def test_client_commands(server):
    a = server.client()
    b = server.client()
    a.client_setname("alpha")
    assert a.client_getname() == "alpha"
    my_id = a.client_id()
    lst = a.client_list()
    assert any(c["name"] == "alpha" and int(c["id"]) == my_id for c in lst)
    info = a.client_info()
    assert info["name"] == "alpha" and str(info["db"]) == "0"
    b.ping()
    bid = b.client_id()
    assert a.client_kill_filter(_id=bid) == 1
    assert bid not in [int(c["id"]) for c in a.client_list()]
    assert a.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"OK"
    assert "lib-name=mylib" in a.execute_command("CLIENT", "INFO").decode()


def test_client_kill_closes_connection(server):
    victim = server.raw()
    vid = int(victim.cmd("CLIENT", "ID")[1:-2])
    killer = server.raw()
    assert killer.cmd("CLIENT", "KILL", "ID", str(vid)) == b":1\r\n"
    assert victim.closed()
    assert killer.cmd("CLIENT", "KILL", "ID", str(vid)) == b":0\r\n"
    victim.close()
    killer.close()


def test_client_reply_modes(raw):
    raw.send(b"CLIENT REPLY OFF\r\nSET a 1\r\nCLIENT REPLY ON\r\n")
    assert raw.reply() == b"+OK\r\n"
    raw.send(b"CLIENT REPLY SKIP\r\nGET a\r\nGET a\r\n")
    assert raw.reply() == b"$1\r\n1\r\n"


def test_client_pause_write(server):
    a = server.client()
    a.client_pause(400, all=False)
    t0 = time.time()
    assert a.get("x") is None  # reads are not paused
    assert time.time() - t0 < 0.3
    a.set("x", 1)
    assert time.time() - t0 >= 0.35
    b = server.raw()
    a.client_pause(5000)
    threading.Timer(0.3, lambda: server.raw().cmd("CLIENT", "UNPAUSE")).start()
    t0 = time.time()
    assert b.cmd("PING") == b"+PONG\r\n"
    assert 0.25 < time.time() - t0 < 3


def test_config_get_set(r):
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    r.config_set("maxmemory-policy", "allkeys-lru")
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    r.config_set("maxmemory-policy", "noeviction")
    got = r.config_get("maxmemory*")
    assert "maxmemory" in got and "maxmemory-samples" in got
    with pytest.raises(redis.ResponseError, match="can't set immutable config"):
        r.config_set("databases", "3")
    with pytest.raises(redis.ResponseError, match="argument must be a memory value"):
        r.config_set("maxmemory", "lots")
    assert r.execute_command("CONFIG", "SET", "timeout", "0", "hz", "20") == b"OK"
    assert r.config_get("hz") == {"hz": "20"}
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "hz", "30", "maxmemory", "bad")
    assert r.config_get("hz") == {"hz": "20"}  # all or nothing
    r.config_set("hz", "10")
    with pytest.raises(redis.ResponseError, match="can't be a path"):
        r.config_set("dbfilename", "sub/dump.rdb")


def test_config_file_and_rewrite():
    tmp = tempfile.mkdtemp()
    conf = os.path.join(tmp, "redis.conf")
    port = free_port()
    with open(conf, "w") as f:
        f.write(f"# my config\nport {port}\nmaxmemory-policy allkeys-lru\nhash-max-listpack-entries 64\nsave \"\"\n")
    p = subprocess.Popen([BIN, conf, "--dir", os.path.join(tmp, "d")], stderr=subprocess.PIPE)
    try:
        from conftest import wait_port
        wait_port(port, p)
        c = redis.Redis(port=port)
        assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"
        assert c.config_get("hash-max-listpack-entries")["hash-max-listpack-entries"] == "64"
        c.config_set("maxmemory", "100mb")
        assert c.config_rewrite()
        text = open(conf).read()
        assert "# my config" in text and "maxmemory 104857600" in text and f"port {port}" in text
        assert text.count("maxmemory-policy") == 1
    finally:
        p.terminate()
        p.wait(5)


def test_unknown_directive_is_a_startup_error():
    tmp = tempfile.mkdtemp()
    conf = os.path.join(tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("port 7001\n\nbogus-directive yes\n")
    out = subprocess.run([BIN, conf], capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "at line 3" in out.stderr and "bogus-directive yes" in out.stderr
    out = subprocess.run([BIN, "--maxmemory-policy", "nonsense"], capture_output=True, text=True, timeout=10)
    assert out.returncode != 0 and "must be one of" in out.stderr
    out = subprocess.run([BIN, "--daemonize", "yes", "--port", str(free_port())], capture_output=True, text=True, timeout=10)
    assert out.returncode != 0 and "daemonize" in out.stderr


def test_version_and_help():
    out = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "redraft" in out.stdout
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "redis.conf" in out.stdout


def test_active_expiry(r):
    for i in range(200):
        r.set(f"tmp:{i}", "v", px=100)
    r.set("keep", "v")
    before = r.info("stats")["expired_keys"]
    deadline = time.time() + 5
    while r.dbsize() > 1 and time.time() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1
    assert r.info("stats")["expired_keys"] - before == 200


def test_lazy_expiry_hides_keys(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "v", px=50)
        time.sleep(0.1)
        assert r.get("k") is None
        assert r.exists("k") == 0
        assert r.ttl("k") == -2
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_maxmemory_eviction_allkeys_lru():
    s = start_redraft("--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lru")
    try:
        c = s.client()
        payload = "x" * 1000
        for i in range(50_000):
            c.set(f"k:{i}", payload)
        info = c.info()
        assert info["evicted_keys"] > 0
        assert c.dbsize() < 50_000
        assert info["used_memory"] <= 20 * 1024 * 1024 * 1.1
    finally:
        s.stop()


def test_maxmemory_noeviction_oom():
    s = start_redraft("--maxmemory", "5mb")
    try:
        c = s.client()
        with pytest.raises(redis.exceptions.OutOfMemoryError, match="command not allowed when used memory"):
            for i in range(100_000):
                c.set(f"k:{i}", "x" * 1000)
        assert c.get("k:0") is not None  # reads still served
        c.delete("k:0")  # deletes still allowed
    finally:
        s.stop()


def test_slowlog_and_latency(r):
    r.config_set("slowlog-log-slower-than", "0")
    r.slowlog_reset()
    r.set("a", "b")
    entries = r.slowlog_get(5)
    assert any(e["command"] == b"SET a b" for e in entries)
    assert r.slowlog_len() >= 1
    r.config_set("slowlog-log-slower-than", "10000")
    r.config_set("latency-monitor-threshold", "100")
    r.execute_command("DEBUG", "SLEEP", "0.2")
    latest = r.execute_command("LATENCY", "LATEST")
    r.config_set("latency-monitor-threshold", "0")
    assert latest and latest[0][0] == b"command" and latest[0][2] >= 100


def test_debug_sleep_blocks_server(server):
    a, b = server.client(), server.client()
    t = threading.Thread(target=lambda: a.execute_command("DEBUG", "SLEEP", "0.5"))
    t.start()
    time.sleep(0.1)
    t0 = time.time()
    b.ping()
    assert time.time() - t0 > 0.25
    t.join()


def test_monitor(server):
    m = server.raw()
    assert m.cmd("MONITOR") == b"+OK\r\n"
    c = server.raw()
    c.cmd("SET", "mon", "v\n1")
    line = m.line()
    assert line.startswith(b"+") and line.endswith(b'"SET" "mon" "v\\n1"\r\n')
    c.cmd("AUTH", "default", "pw")
    c.cmd("GET", "mon")
    line = m.line()
    assert line.endswith(b'"GET" "mon"\r\n')  # AUTH is never shown
    c.close()
    m.close()


def test_memory_usage_and_object(r):
    r.set("k", "v" * 100)
    assert 100 < r.memory_usage("k") < 400
    assert r.memory_usage("nope") is None
    assert r.object("encoding", "k") == b"raw"
    assert r.object("idletime", "k") == 0


def test_command_table(r):
    raw = r.connection_pool.get_connection("x")
    raw.send_command("COMMAND", "COUNT")
    assert raw.read_response() >= 70
    r.connection_pool.release(raw)
    info = r.execute_command("COMMAND", "INFO", "get", "set")
    assert info["get"]["arity"] == 2 and "readonly" in info["get"]["flags"]
    assert info["set"]["arity"] == -3 and "write" in info["set"]["flags"]
    assert r.command_getkeys("MSET", "a", "1", "b", "2") == ["a", "b"]
    raw = r.connection_pool.get_connection()
    raw.send_command("COMMAND", "DOCS", "get")
    docs = raw.read_response()
    r.connection_pool.release(raw)
    assert b"summary" in str(docs).encode()
    names = r.command_list(pattern="client*")
    assert b"client|list" in names


def test_shutdown():
    s = start_redraft()
    c = s.client()
    try:
        c.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    assert s.proc.wait(5) == 0


def test_sigterm_exits_cleanly():
    s = start_redraft()
    s.proc.terminate()
    assert s.proc.wait(5) == 0
    assert "ready to exit" in s.log()


def test_idle_timeout():
    s = start_redraft("--timeout", "1")
    try:
        raw = s.raw()
        raw.cmd("PING")
        time.sleep(2.5)
        assert raw.closed()
    finally:
        s.stop()
