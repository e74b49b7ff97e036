"""RDB persistence against the real binary and a real redis-server: Redis's own files
load with every key, files redraft writes load in Redis, BGSAVE is a point-in-time copy
while writes go on, save points and shutdown save, DUMP/RESTORE in both directions,
corrupt files are refused and left untouched, a failing disk refuses writes only."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import BIN, _mkdtemp, free_port, start_redis, start_redraft

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "test-vectors")
EXPECTED = os.path.join(VECTORS, "redis-7.0.15", "dump.expected.json")


def with_file(src, *extra):
    """A redraft whose data directory starts with a copy of `src` as dump.rdb."""
    tmp = _mkdtemp("redraft-rdb-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    shutil.copy(src, os.path.join(data, "dump.rdb"))
    return start_redraft(*extra, tmp=tmp), os.path.join(data, "dump.rdb")


def check_expected(c, keys):
    by_db = {}
    for k in keys:
        by_db.setdefault(int(k["db"]), []).append(k)
    for db, entries in by_db.items():
        c.execute_command("SELECT", db)
        assert c.dbsize() == len(entries), f"db {db}"
        for k in entries:
            key = bytes.fromhex(k["key"])
            t = k["type"]
            assert c.type(key) == t.encode(), key
            v = k["value"]
            if t == "string":
                assert c.get(key) == bytes.fromhex(v)
            elif t == "list":
                assert c.lrange(key, 0, -1) == [bytes.fromhex(x) for x in v]
            elif t == "set":
                assert c.smembers(key) == {bytes.fromhex(x) for x in v}
            elif t == "hash":
                assert c.hgetall(key) == {bytes.fromhex(a): bytes.fromhex(b) for a, b in v.items()}
            elif t == "zset":
                got = c.zrange(key, 0, -1, withscores=True)
                assert got == [(bytes.fromhex(m), float(s)) for m, s in v]
            if "expire_at_ms" in k:
                assert c.pexpiretime(key) == int(k["expire_at_ms"])
    c.execute_command("SELECT", 0)


@pytest.fixture(scope="module")
def expected():
    with open(EXPECTED) as f:
        return json.load(f)["keys"]


def test_loads_redis_dump_with_every_key(expected):
    s, _ = with_file(os.path.join(VECTORS, "redis-7.0.15", "dump.rdb"))
    try:
        check_expected(s.client(), expected)
        assert "DB loaded from disk" in s.log()
    finally:
        s.stop()


@pytest.mark.parametrize("name", ["encodings.rdb", "hash-zipmap.rdb", "hash-ziplist.rdb", "zset-ziplist.rdb", "list-quicklist.rdb", "scriptbackup.rdb"])
def test_loads_redis_test_assets(name):
    s, _ = with_file(os.path.join(VECTORS, "redis-tests-assets", name))
    try:
        c = s.client()
        if name == "hash-zipmap.rdb" or name == "hash-ziplist.rdb":
            assert c.hgetall("hash") == {b"f1": b"v1", b"f2": b"v2"}
        elif name == "zset-ziplist.rdb":
            assert c.zrange("zset", 0, -1, withscores=True) == [(b"one", 1.0), (b"two", 2.0)]
        elif name == "list-quicklist.rdb":
            assert c.get("x") == b"7" and c.lpop("list") == b"7"
        elif name == "scriptbackup.rdb":
            assert c.dbsize() == 0
        else:
            assert c.get("string") == b"Hello World" and c.get("number") == b"10"
            assert c.get("compressible") == b"a" * 137
    finally:
        s.stop()


@pytest.mark.parametrize("name", ["corrupt_ziplist.rdb"])
def test_corrupt_file_refused_and_untouched(name):
    tmp = _mkdtemp("redraft-rdb-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    path = os.path.join(data, "dump.rdb")
    shutil.copy(os.path.join(VECTORS, "redis-tests-assets", name), path)
    before = hashlib.sha256(open(path, "rb").read()).hexdigest()
    out = subprocess.run([BIN, "--port", str(free_port()), "--dir", data], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "not a valid RDB file" in out.stderr and "offset" in out.stderr
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == before


def test_bad_checksum_refused():
    tmp = _mkdtemp("redraft-rdb-")
    shutil.copy(os.path.join(VECTORS, "generated", "minimal-v10-bad-checksum.rdb"), os.path.join(tmp, "dump.rdb"))
    out = subprocess.run([BIN, "--port", str(free_port()), "--dir", tmp], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and ("checksum" in out.stderr.lower() or "crc" in out.stderr.lower()), out.stderr


def test_empty_keys_skipped():
    s, _ = with_file(os.path.join(VECTORS, "redis-tests-assets", "corrupt_empty_keys.rdb"))
    try:
        assert s.client().dbsize() == 0
        assert s.log().count("skipping empty key") == 9
    finally:
        s.stop()


def populate(c):
    c.set("str", "hello")
    c.set("int", 12345)
    c.set("bin", bytes(range(256)))
    c.set("ttl", "v", px=100_000_000)
    c.rpush("list", "a", "b", 1, 2)
    c.sadd("set", "x", "y", "z")
    c.sadd("iset", 1, 2, 3)
    c.hset("hash", mapping={"f1": "v1", "f2": "v2"})
    c.zadd("zset", {"a": 1, "b": 2.5, "inf": float("inf"), "snow": 110123456789012345})
    c.pfadd("hll", "a", "b", "c")
    c.execute_command("SELECT", 3)
    c.set("in3", "yes")
    c.execute_command("SELECT", 0)


def snapshot(c):
    out = {}
    for db in (0, 3):
        c.execute_command("SELECT", db)
        for k in sorted(c.keys("*")):
            t = c.type(k).decode()
            v = {
                "string": lambda: c.get(k),
                "list": lambda: c.lrange(k, 0, -1),
                "set": lambda: sorted(c.smembers(k)),
                "hash": lambda: sorted(c.hgetall(k).items()),
                "zset": lambda: c.zrange(k, 0, -1, withscores=True),
            }[t]()
            out[(db, k)] = (t, v, c.pexpiretime(k))
    c.execute_command("SELECT", 0)
    return out


def test_save_restart_and_redis_loads_our_file():
    s = start_redraft()
    c = s.client()
    populate(c)
    want = snapshot(c)
    assert c.save()
    assert c.lastsave()
    dump = os.path.join(s.tmp, "data", "dump.rdb")
    s.stop()
    s2 = start_redraft(tmp=s.tmp)
    try:
        assert snapshot(s2.client()) == want
    finally:
        s2.stop()
    # The same file, loaded by a real redis-server 7.0.15.
    if shutil.which("redis-check-rdb"):
        out = subprocess.run(["redis-check-rdb", dump], capture_output=True, text=True)
        assert "RDB looks OK" in out.stdout, out.stdout
    ref = start_redis("--dbfilename", "dump.rdb", "--dir", os.path.dirname(dump))
    try:
        assert snapshot(ref.client()) == want
    finally:
        ref.stop()


def test_we_load_what_redis_saves():
    ref = start_redis()
    c = ref.client()
    populate(c)
    want = snapshot(c)
    c.save()
    path = os.path.join(ref.tmp, "dump.rdb")
    ref.stop()
    s, _ = with_file(path)
    try:
        assert snapshot(s.client()) == want
    finally:
        s.stop()


def test_bgsave_is_a_point_in_time_copy_while_writes_go_on():
    s = start_redraft()
    c = s.client()
    pipe = c.pipeline(transaction=False)
    for i in range(60_000):
        pipe.set(f"k:{i}", f"v:{i}")
    pipe.execute()
    c.rpush("list", *range(100))
    assert c.bgsave()
    # Writes during the save must not show in the file.
    pipe = c.pipeline(transaction=False)
    for i in range(0, 60_000, 3):
        pipe.set(f"k:{i}", "changed")
        pipe.delete(f"k:{i + 1}")
        pipe.set(f"new:{i}", "new")
    pipe.flushdb() if False else None
    pipe.execute()
    c.lpush("list", "late")
    deadline = time.time() + 30
    while c.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    info = c.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_saves"] >= 1
    dump = os.path.join(s.tmp, "data", "dump.rdb")
    s.stop()
    ref = start_redis("--dbfilename", "dump.rdb", "--dir", os.path.dirname(dump))
    try:
        r = ref.client()
        assert r.dbsize() == 60_001
        for i in range(0, 60_000, 997):
            assert r.get(f"k:{i}") == f"v:{i}".encode()
        assert r.exists("new:0") == 0
        assert r.llen("list") == 100
    finally:
        ref.stop()


def test_bgsave_during_flushall_keeps_the_old_data():
    s = start_redraft()
    c = s.client()
    pipe = c.pipeline(transaction=False)
    for i in range(50_000):
        pipe.set(f"k:{i}", i)
    pipe.execute()
    c.bgsave()
    c.flushall()
    c.set("after", 1)
    deadline = time.time() + 30
    while c.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    s.stop()  # no save points: exiting does not save over the BGSAVE file
    s2 = start_redraft(tmp=s.tmp)
    try:
        c = s2.client()
        assert c.dbsize() == 50_000 and c.get("k:49999") == b"49999" and c.exists("after") == 0
    finally:
        s2.stop()


def test_save_points_and_shutdown_save():
    s = start_redraft("--save", "1 1")
    c = s.client()
    c.set("a", 1)
    dump = os.path.join(s.tmp, "data", "dump.rdb")
    deadline = time.time() + 10
    while not os.path.exists(dump) and time.time() < deadline:
        time.sleep(0.1)
    assert os.path.exists(dump)
    assert "changes in 1 seconds. Saving" in s.log()
    c.set("b", 2)
    try:
        c.shutdown()
    except redis.ConnectionError:
        pass
    s.proc.wait(10)
    s2 = start_redraft("--save", "1 1", tmp=s.tmp)
    try:
        assert s2.client().mget("a", "b") == [b"1", b"2"]
    finally:
        s2.stop()  # SIGTERM saves too
    assert "Saving the final RDB snapshot" in s2.log()


def test_dump_restore_interchangeable_with_redis(reference, server):
    ours, theirs = server.client(), reference.client()
    ours.flushall()
    theirs.flushall()
    populate(theirs)
    for k in [b"str", b"int", b"bin", b"list", b"set", b"iset", b"hash", b"zset", b"hll"]:
        payload = theirs.dump(k)
        assert ours.restore(k, 0, payload)
        back = ours.dump(k)
        theirs.restore(k + b":back", 0, back)
        t = theirs.type(k)
        assert ours.type(k) == t
        if t == b"string":
            assert ours.get(k) == theirs.get(k) == theirs.get(k + b":back")
        elif t == b"zset":
            assert ours.zrange(k, 0, -1, withscores=True) == theirs.zrange(k + b":back", 0, -1, withscores=True)
    raw = server.raw()
    assert raw.cmd("RESTORE", "str", "0", "x") == b"-BUSYKEY Target key name already exists.\r\n"
    assert raw.cmd("RESTORE", "new", "0", "garbage") == b"-ERR DUMP payload version or checksum are wrong\r\n"
    assert raw.cmd("RESTORE", "new", "-1", "x") == b"-ERR Invalid TTL value, must be >= 0\r\n"
    assert raw.cmd("DUMP", "missing") == b"$-1\r\n"
    p = ours.dump("str")
    assert ours.restore("str", 10000, p, replace=True)
    assert 0 < ours.pttl("str") <= 10000
    raw.close()


def test_failing_disk_refuses_writes_keeps_reads():
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tempfile.mkdtemp(prefix="redraft-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]).returncode != 0:
        pytest.skip("cannot mount tmpfs here")
    try:
        s = start_redraft("--dir", mnt, "--save", "3600 1")
        try:
            c = s.client()
            c.set("big", os.urandom(400_000))
            with pytest.raises(redis.ResponseError):
                c.save()
            assert c.info("persistence")["rdb_last_bgsave_status"] == "err"
            with pytest.raises(redis.ResponseError, match="MISCONF"):
                c.set("more", 1)
            assert c.get("big") is not None  # reads still served
            c.delete("big")  # a delete is a write: refused too, as Redis
        except redis.ResponseError as e:
            assert "MISCONF" in str(e)
        finally:
            s.proc.kill()
            s.proc.wait()
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)
