"""Loading at startup with clients already connected, as Redis does: the port opens at
once, commands without the `loading` flag get `-LOADING Redis is loading the dataset in
memory`, INFO reports `loading:1` with the progress fields, and once the data is in memory
everything is served. The load is slowed with `key-load-delay` (Redis's own directive
for this, microseconds per key), and sped up again with CONFIG SET, as Redis's tests do."""

import concurrent.futures
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from conftest import ROOT, Server, _mkdtemp, encode, free_port, start_redis, start_redraft

LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"
KEYS = 20000
# ~160 µs a key with the sleep's own overhead: about 3 s for the whole file, far more
# than the assertions made during the load need.
DELAY = "100"


def make_dataset(appendonly=False):
    """A data directory holding KEYS incompressible strings plus one of each type."""
    args = ("--appendonly", "yes") if appendonly else ()
    s = start_redraft(*args)
    try:
        c = s.client()
        p = c.pipeline(transaction=False)
        for i in range(KEYS):
            p.set(f"key:{i}", os.urandom(100).hex())
        p.rpush("list", *range(100))
        p.hset("hash", mapping={f"f{i}": i for i in range(100)})
        p.sadd("set", *range(100))
        p.zadd("zset", {f"m{i}": i for i in range(100)})
        p.execute()
        if not appendonly:
            c.save()
    finally:
        s.stop()
    return s.tmp


def info(raw, section="persistence"):
    text = raw.cmd("INFO", section).decode()
    return dict(l.split(":", 1) for l in text.split("\r\n")[1:] if ":" in l)


def wait_loaded(raw, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if info(raw)["loading"] == "0":
            return
        time.sleep(0.05)
    raise AssertionError("still loading")


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_loading_rdb_answers_loading_and_reports_progress():
    tmp = make_dataset()
    dump = os.path.join(tmp, "data", "dump.rdb")
    size = os.path.getsize(dump)
    s = start_redraft("--key-load-delay", DELAY, tmp=tmp, loaded=False)
    try:
        raw = s.raw()
        assert raw.cmd("GET", "key:1") == LOADING
        assert raw.cmd("PING") == LOADING
        assert raw.cmd("DBSIZE") == LOADING
        assert raw.cmd("SET", "x", "1") == LOADING
        # Commands with the `loading` flag run.
        assert raw.cmd("ECHO", "hi") == b"$2\r\nhi\r\n"
        assert raw.cmd("SELECT", "0") == b"+OK\r\n"
        assert raw.cmd("CLIENT", "SETNAME", "probe") == b"+OK\r\n"
        assert raw.cmd("CONFIG", "GET", "key-load-delay").endswith(b"$3\r\n100\r\n")
        assert raw.cmd("HELLO", "2").startswith(b"*")
        # A transaction meeting -LOADING is aborted, as in Redis.
        assert raw.cmd("MULTI") == b"+OK\r\n"
        assert raw.cmd("GET", "key:1") == LOADING
        assert raw.cmd("EXEC").startswith(b"-EXECABORT")
        # The AOF can't be switched on over a dataset that is not in memory yet.
        assert raw.cmd("CONFIG", "SET", "appendonly", "yes").startswith(b"-ERR")
        assert raw.cmd("CONFIG", "GET", "appendonly").endswith(b"$2\r\nno\r\n")

        first = info(raw)
        assert first["loading"] == "1" and first["async_loading"] == "0"
        fields = [k for k in first if k.startswith("loading_")]
        assert fields == ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem",
                          "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"]
        assert int(first["loading_total_bytes"]) == size
        assert int(first["loading_rdb_used_mem"]) > 0
        assert abs(int(first["loading_start_time"]) - time.time()) < 30
        int(first["loading_eta_seconds"])
        time.sleep(0.7)
        second = info(raw)
        loaded = int(second["loading_loaded_bytes"])
        assert 0 < loaded < size and loaded > int(first["loading_loaded_bytes"])
        assert float(second["loading_loaded_perc"]) == pytest.approx(loaded / size * 100, abs=0.01)
        assert int(second["loading_eta_seconds"]) >= 0

        # CONFIG SET reaches the running load (Redis's tests end slow loads this way).
        assert raw.cmd("CONFIG", "SET", "key-load-delay", "0") == b"+OK\r\n"
        wait_loaded(raw)
        done = info(raw)
        assert not any(k.startswith("loading_") for k in done)
        assert int(done["rdb_last_load_keys_loaded"]) == KEYS + 4
        c = s.client()
        assert c.dbsize() == KEYS + 4
        assert len(c.get("key:1")) == 200
        assert c.llen("list") == 100 and c.zcard("zset") == 100
        assert c.config_get("key-load-delay")["key-load-delay"] == "0"
        # The settings changed during the load apply to the loaded data.
        c.set("after", "1")
        assert c.get("after") == b"1"
        assert c.info("errorstats")["errorstat_LOADING"]["count"] == 5
        raw.close()
    finally:
        s.stop()


def test_loading_info_fields_match_redis():
    """The fields INFO adds while loading are Redis 7's, in Redis's order."""
    tmp = make_dataset()
    ref_dir = _mkdtemp("redis-loading-")
    shutil.copy(os.path.join(tmp, "data", "dump.rdb"), ref_dir)
    ref = start_redis("--key-load-delay", DELAY, "--loading-process-events-interval-bytes", "1024",
                      tmp=ref_dir, loaded=False)
    ours = start_redraft("--key-load-delay", DELAY, "--loading-process-events-interval-bytes", "1024",
                         tmp=tmp, loaded=False)
    try:
        got = {}
        for name, srv in (("redis", ref), ("redraft", ours)):
            raw = srv.raw()
            fields = info(raw)
            assert fields["loading"] == "1", name
            got[name] = [k for k in fields if k.startswith("loading") or k == "async_loading"]
            assert raw.cmd("GET", "key:1") == LOADING, name
            assert raw.cmd("CONFIG", "SET", "key-load-delay", "0") == b"+OK\r\n"
            raw.close()
        assert got["redraft"] == got["redis"]
    finally:
        ref.stop()
        ours.stop()


def test_clients_connecting_during_load_get_served():
    tmp = make_dataset()
    s = start_redraft("--key-load-delay", DELAY, tmp=tmp, loaded=False)
    node = None
    try:
        impatient = s.client(retry=Retry(NoBackoff(), 0))
        with pytest.raises(redis.exceptions.BusyLoadingError):
            impatient.get("key:1")
        # ioredis (Mastodon's client): its ready check reads loading:1 and
        # loading_eta_seconds from INFO and retries; commands wait in its offline queue.
        node_dir = os.path.join(ROOT, "tests", "node")
        if shutil.which("node") and os.path.isdir(os.path.join(node_dir, "node_modules", "ioredis")):
            script = (
                "const Redis = require('ioredis');"
                f"const r = new Redis({{port: {s.port}, host: '127.0.0.1', maxLoadingRetryTime: 300}});"
                "r.get('key:1').then((v) => { console.log(JSON.stringify({len: v.length}));"
                " r.disconnect(); }).catch((e) => { console.error(String(e)); process.exit(1); });"
            )
            node = subprocess.Popen(["node", "-e", script], cwd=node_dir, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        # redis-py: BusyLoadingError is a ConnectionError, which its default Retry
        # retries with backoff: a plain client gets its answer once the data is loaded.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            plain = pool.submit(lambda: s.client().get("key:1"))
            time.sleep(1.0)
            assert not plain.done()
            assert impatient.info("persistence")["loading"] == 1
            impatient.config_set("key-load-delay", "0")
            assert len(plain.result(timeout=30)) == 200
        if node is not None:
            out, err = node.communicate(timeout=30)
            assert node.returncode == 0, err
            assert json.loads(out) == {"len": 200}
            # It asked INFO more than once: it saw the load and waited.
            assert s.client().info("commandstats")["cmdstat_info"]["calls"] >= 3
    finally:
        if node is not None and node.poll() is None:
            node.kill()
            node.wait()
        s.stop()


@pytest.mark.parametrize("how", ["SHUTDOWN", "SIGTERM"])
def test_stop_during_load_never_saves(how):
    tmp = make_dataset()
    dump = os.path.join(tmp, "data", "dump.rdb")
    before = sha(dump)
    # With save points set, a stop normally saves: never while loading.
    s = start_redraft("--key-load-delay", DELAY, "--save", "1 1", tmp=tmp, loaded=False)
    try:
        raw = s.raw()
        assert info(raw)["loading"] == "1"
        if how == "SHUTDOWN":
            raw.send(encode("SHUTDOWN"))
            assert raw.closed(5)
        else:
            s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(10) == 0
        raw.close()
    finally:
        s.stop()
    assert sha(dump) == before
    assert "exiting without saving" in s.log()
    # Everything is still there.
    s2 = start_redraft(tmp=tmp)
    try:
        assert s2.client().dbsize() == KEYS + 4
    finally:
        s2.stop()


def test_failed_load_still_stops_the_server():
    tmp = make_dataset()
    dump = os.path.join(tmp, "data", "dump.rdb")
    with open(dump, "r+b") as f:
        f.truncate(os.path.getsize(dump) // 2)
    before = sha(dump)
    s = start_redraft("--key-load-delay", "20", tmp=tmp, loaded=False)
    try:
        raw = s.raw()
        assert raw.cmd("GET", "key:1") == LOADING
        assert s.proc.wait(30) == 1
        raw.close()
    finally:
        s.stop()
    assert sha(dump) == before
    assert "not a valid RDB file" in s.log() and "Fatal error loading the DB" in s.log()


def test_loading_aof():
    tmp = make_dataset(appendonly=True)
    aof_dir = os.path.join(tmp, "data", "appendonlydir")
    total = sum(os.path.getsize(os.path.join(aof_dir, n)) for n in os.listdir(aof_dir) if not n.endswith(".manifest"))
    s = start_redraft("--appendonly", "yes", "--key-load-delay", DELAY, tmp=tmp, loaded=False)
    try:
        raw = s.raw()
        assert raw.cmd("GET", "key:1") == LOADING
        fields = info(raw)
        assert fields["loading"] == "1" and int(fields["loading_total_bytes"]) == total
        time.sleep(0.5)
        assert int(info(raw)["loading_loaded_bytes"]) > 0
        assert raw.cmd("CONFIG", "SET", "key-load-delay", "0") == b"+OK\r\n"
        wait_loaded(raw)
        c = s.client()
        assert c.dbsize() == KEYS + 4 and len(c.get("key:2")) == 200
        assert c.info("persistence")["aof_enabled"] == 1
        c.set("written-after-load", "yes")
        raw.close()
    finally:
        s.stop()
    # What was written after the load went to the AOF opened during the load.
    s2 = start_redraft("--appendonly", "yes", tmp=tmp)
    try:
        assert s2.client().get("written-after-load") == b"yes"
        assert s2.client().dbsize() == KEYS + 5
    finally:
        s2.stop()


def test_empty_start_has_no_loading_window():
    """With no data file the (empty) load ends before the port opens: the very first
    command after connecting is served."""
    tmp = _mkdtemp("redraft-empty-")
    port = free_port()
    argv = [os.environ.get("REDRAFT_BIN", os.path.join(ROOT, "target", "debug", "redraft")),
            "--port", str(port), "--dir", os.path.join(tmp, "data"), "--save", "", "--appendonly", "yes"]
    s = Server(argv, port, tmp, os.path.join(tmp, "server.log")).start(loaded=False)
    try:
        raw = s.raw()
        assert raw.cmd("PING") == b"+PONG\r\n"
        raw.close()
    finally:
        s.stop()
