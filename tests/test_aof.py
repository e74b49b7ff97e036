"""The AOF against the real binary and a real redis-server 7.0.15: restarts keep every
type and deadline, Redis loads the appendonlydir redraft writes and redraft loads Redis's,
what is written is what Redis writes (absolute expiries, SPOP as SREM, ...), truncated
tails and corrupt files, turning the AOF on over a dump.rdb, BGREWRITEAOF while writes go
on, CONFIG SET appendonly, fsync policies across kill -9, and a full disk."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from conftest import BIN, _mkdtemp, free_port, start_redis, start_redraft
from test_persistence import check_expected, populate, snapshot

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "test-vectors")


def aof_dir(s):
    return os.path.join(s.tmp, "data", "appendonlydir")


def read_incr(s):
    d = aof_dir(s)
    out = b""
    for name in sorted(os.listdir(d)):
        if name.endswith(".incr.aof"):
            with open(os.path.join(d, name), "rb") as f:
                out += f.read()
    return out


def manifest(s):
    with open(os.path.join(aof_dir(s), "appendonly.aof.manifest")) as f:
        return f.read()


def decode_resp(data):
    """The commands of a RESP AOF body, as lists of bytes (annotations skipped)."""
    cmds, i = [], 0
    while i < len(data):
        if data[i:i + 1] == b"#":
            i = data.index(b"\n", i) + 1
            continue
        assert data[i:i + 1] == b"*", data[i:i + 40]
        j = data.index(b"\r\n", i)
        n = int(data[i + 1:j])
        i = j + 2
        argv = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            ln = int(data[i + 1:j])
            argv.append(data[j + 2:j + 2 + ln])
            i = j + 2 + ln + 2
        cmds.append(argv)
    return cmds


def wait_rewrite(c, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = c.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return info
        time.sleep(0.05)
    raise AssertionError("rewrite did not finish")


def rich_workload(c):
    """Writes of every type plus the commands whose AOF form differs from what was sent."""
    populate(c)
    c.set("rel:ex", "v", ex=100_000)
    c.expire("str", 200_000)
    c.execute_command("SETEX", "rel:setex", 300_000, "v")
    c.psetex("rel:psetex", 400_000_000, "v")
    c.set("rel:getex", "v")
    c.getex("rel:getex", px=500_000_000)
    c.set("persisted", "v", ex=1000)
    c.getex("persisted", persist=True)
    c.incrbyfloat("float", "1.5")
    c.incrbyfloat("float", "0.1")
    c.hincrbyfloat("hf", "f", "2.25")
    c.sadd("pop", *range(20))
    c.spop("pop")
    c.spop("pop", 5)
    c.sadd("popall", "a", "b")
    c.spop("popall", 10)
    c.rpush("bl", "x", "y", "z")
    c.blpop(["bl"], 1)
    c.brpop(["bl"], 1)
    c.zadd("bz", {"m1": 1, "m2": 2, "m3": 3})
    c.bzpopmin(["bz"], 1)
    c.execute_command("LMPOP", 1, "list", "LEFT", "COUNT", 2)
    c.execute_command("ZMPOP", 1, "bz", "MAX")
    dump = c.dump("hash")
    c.restore("restored", 600_000, dump)
    c.set("gone", "v")
    c.expire("gone", -1)
    with c.pipeline(transaction=True) as p:
        p.set("tx1", 1)
        p.incr("tx1")
        p.execute_command("SELECT", 5)
        p.set("tx-db5", "yes")
        p.execute()
    c.execute_command("SELECT", 0)


def test_restart_keeps_every_type_and_deadline():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        rich_workload(c)
        want = snapshot(c)
        c.execute_command("SELECT", 5)
        assert c.get("tx-db5") == b"yes"
    finally:
        s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert snapshot(c) == want
        for k in ("rel:ex", "str", "rel:setex", "rel:psetex", "rel:getex", "restored"):
            assert c.pexpiretime(k) > 0, k
        assert c.ttl("persisted") == -1
        assert c.get("float") == b"1.6" and c.hget("hf", "f") == b"2.25"
        assert c.scard("pop") == 14 and c.exists("popall", "gone") == 0
        assert c.lrange("bl", 0, -1) == [b"y"]
        c.execute_command("SELECT", 5)
        assert c.get("tx-db5") == b"yes"
        assert "DB loaded from append only file" in s2.log()
    finally:
        s2.stop()


def test_written_forms_are_redis_forms():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        rich_workload(c)
        # A blocked BLMOVE and BLPOP served later by a push.
        got = []
        waiters = [threading.Thread(target=lambda: got.append(s.client().blpop(["waitq"], 10))),
                   threading.Thread(target=lambda: got.append(s.client().blmove("waitm", "dst", 10, "LEFT", "RIGHT")))]
        for t in waiters:
            t.start()
        time.sleep(0.3)
        c.lpush("waitq", "x")
        c.lpush("waitm", "y")
        for t in waiters:
            t.join()
        assert sorted(map(str, got)) == sorted(map(str, [(b"waitq", b"x"), b"y"]))
    finally:
        s.stop()
    cmds = decode_resp(read_incr(s))
    assert [b"LPOP", b"waitq"] in cmds and [b"LMOVE", b"waitm", b"dst", b"left", b"right"] in cmds
    names = [a[0].upper() for a in cmds]
    for never in (b"EXPIRE", b"SETEX", b"PSETEX", b"GETEX", b"SPOP", b"INCRBYFLOAT", b"HINCRBYFLOAT",
                  b"BLPOP", b"BRPOP", b"BZPOPMIN", b"LMPOP", b"ZMPOP"):
        assert never not in names, never
    assert [b"SET", b"float", b"1.5", b"KEEPTTL"] in cmds
    assert [b"HSET", b"hf", b"f", b"2.25"] in cmds
    assert [b"DEL", b"popall"] in cmds and [b"DEL", b"gone"] in cmds
    assert [b"LPOP", b"bl"] in cmds and [b"RPOP", b"bl"] in cmds and [b"ZPOPMIN", b"bz"] in cmds
    assert [b"LPOP", b"list", b"2"] in cmds and [b"ZPOPMAX", b"bz", b"1"] in cmds
    assert [b"PERSIST", b"persisted"] in cmds
    srem = [a for a in cmds if a[0] == b"SREM"]
    assert len(srem) == 6 and all(len(a) == 3 for a in srem)
    assert any(a[0] == b"SET" and a[1] == b"rel:setex" and a[3] == b"PXAT" for a in cmds)
    assert any(a[0] == b"PEXPIREAT" and a[1] == b"str" for a in cmds)
    assert any(a[0] == b"RESTORE" and a[1] == b"restored" and a[-1] == b"ABSTTL" for a in cmds)
    # The transaction: a SELECT inside it, then EXEC.
    tx = [b"MULTI", b"SET", b"INCRBY", b"SELECT", b"SET", b"EXEC"]
    assert any(names[i:i + 6] == tx for i in range(len(names)))
    # SPOP with a count: one SREM per member inside MULTI/EXEC, as Redis 7.0.
    i = names.index(b"MULTI")
    assert names[i:i + 7] == [b"MULTI"] + [b"SREM"] * 5 + [b"EXEC"]
    assert cmds[0] == [b"SELECT", b"0"]
    if shutil.which("redis-check-aof"):
        out = subprocess.run(["redis-check-aof", os.path.join(aof_dir(s), "appendonly.aof.manifest")],
                             capture_output=True, text=True)
        assert "All AOF files and manifest are valid" in out.stdout, out.stdout


def redis_loads(directory, want, *extra):
    copy = _mkdtemp("redis-aof-")
    shutil.copytree(directory, os.path.join(copy, "appendonlydir"))
    ref = start_redis("--appendonly", "yes", "--dir", copy, *extra)
    try:
        assert snapshot(ref.client()) == want
        assert "DB loaded from append only file" in ref.log()
    finally:
        ref.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_loads_what_we_write(preamble):
    s = start_redraft("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    try:
        c = s.client()
        rich_workload(c)
        assert c.bgrewriteaof() in (True, b"Background append only file rewriting started")
        wait_rewrite(c)
        c.set("after-rewrite", "1")
        c.expire("after-rewrite", 1000)
        want = snapshot(c)
    finally:
        s.stop()
    suffix = ".base.rdb" if preamble == "yes" else ".base.aof"
    assert f"file appendonly.aof.2{suffix} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" == manifest(s)
    assert sorted(os.listdir(aof_dir(s))) == sorted(
        [f"appendonly.aof.2{suffix}", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"])
    redis_loads(aof_dir(s), want)
    if shutil.which("redis-check-aof"):
        out = subprocess.run(["redis-check-aof", os.path.join(aof_dir(s), "appendonly.aof.manifest")],
                             capture_output=True, text=True)
        assert "All AOF files and manifest are valid" in out.stdout, out.stdout


def test_we_load_what_redis_writes():
    ref = start_redis("--appendonly", "yes")
    try:
        c = ref.client()
        rich_workload(c)
        want = snapshot(c)
    finally:
        ref.stop()
    tmp = _mkdtemp("redraft-aof-")
    shutil.copytree(os.path.join(ref.tmp, "appendonlydir"), os.path.join(tmp, "data", "appendonlydir"))
    s = start_redraft("--appendonly", "yes", tmp=tmp)
    try:
        assert snapshot(s.client()) == want
    finally:
        s.stop()


def test_loads_the_redis_vector_directory():
    with open(os.path.join(VECTORS, "redis-7.0.15", "appendonlydir.expected.json")) as f:
        expected = json.load(f)["keys"]
    tmp = _mkdtemp("redraft-aof-")
    shutil.copytree(os.path.join(VECTORS, "redis-7.0.15", "appendonlydir"), os.path.join(tmp, "data", "appendonlydir"))
    for root, dirs, files in os.walk(os.path.join(tmp, "data")):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)
    os.chmod(os.path.join(tmp, "data"), 0o755)
    s = start_redraft("--appendonly", "yes", tmp=tmp)
    try:
        check_expected(s.client(), expected)
        # Appending goes on in Redis's last incr file.
        c = s.client()
        c.set("added", "1")
    finally:
        s.stop()
    assert manifest(s) == "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    assert read_incr(s).endswith(b"*3\r\n$3\r\nSET\r\n$5\r\nadded\r\n$1\r\n1\r\n")


def test_relative_expiries_survive_as_absolute_deadlines():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        c.set("a", "v", ex=100)
        c.set("b", "v")
        c.expire("b", 200)
        c.execute_command("SETEX", "c", 300, "v")
        c.psetex("d", 400_000, "v")
        c.set("e", "v")
        c.getex("e", ex=500)
        c.set("f", "v", px=600_000)
        c.restore("g", 700_000, c.dump("a"))
        want = {k: c.pexpiretime(k) for k in "abcdefg"}
        assert all(t > 0 for t in want.values())
    finally:
        s.stop()
    time.sleep(1.1)
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert {k: c.pexpiretime(k) for k in "abcdefg"} == want
    finally:
        s2.stop()


def test_spop_is_written_as_srem():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        c.sadd("s", *[f"m{i}" for i in range(10)])
        popped = {c.spop("s")} | set(c.spop("s", 3))
        left = c.smembers("s")
        assert len(left) == 6 and not (popped & left)
    finally:
        s.stop()
    data = read_incr(s)
    assert b"SREM" in data and b"SPOP" not in data.upper()
    for m in popped:
        assert m in data
    if shutil.which("redis-check-aof"):
        out = subprocess.run(["redis-check-aof", os.path.join(aof_dir(s), "appendonly.aof.manifest")],
                             capture_output=True, text=True)
        assert "All AOF files and manifest are valid" in out.stdout, out.stdout
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        assert s2.client().smembers("s") == left
    finally:
        s2.stop()


def copy_vector(name):
    tmp = _mkdtemp("redraft-aof-")
    dest = os.path.join(tmp, "data", "appendonlydir")
    shutil.copytree(os.path.join(VECTORS, "generated", name), dest)
    for n in os.listdir(dest):
        os.chmod(os.path.join(dest, n), 0o644)
    os.chmod(dest, 0o755)
    return tmp, dest


def digest(d):
    return {n: hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest() for n in sorted(os.listdir(d))}


def test_truncated_tail():
    tmp, d = copy_vector("aof-multipart-truncated")
    incr = os.path.join(d, "appendonly.aof.3.incr.aof")
    before = digest(d)
    out = subprocess.run([BIN, "--port", str(free_port()), "--dir", os.path.join(tmp, "data"), "--appendonly", "yes",
                          "--aof-load-truncated", "no"], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "Unexpected end of file" in out.stderr and "offset 55" in out.stderr, out.stderr
    assert digest(d) == before
    s = start_redraft("--appendonly", "yes", tmp=tmp)
    try:
        c = s.client()
        assert c.get("after2") == b"y" and c.exists("trunc") == 0
        assert "Truncating the AOF" in s.log() and "offset 55" in s.log()
        c.set("later", "1")
    finally:
        s.stop()
    with open(incr, "rb") as f:
        data = f.read()
    assert data.startswith(open(os.path.join(VECTORS, "generated", "aof-multipart-truncated", "appendonly.aof.3.incr.aof"), "rb").read()[:55])
    assert b"later" in data
    s2 = start_redraft("--appendonly", "yes", "--aof-load-truncated", "no", tmp=tmp)
    try:
        assert s2.client().get("later") == b"1"
    finally:
        s2.stop()


def test_unfinished_multi_is_dropped():
    s = start_redraft("--appendonly", "yes")
    try:
        s.client().set("k", "1")
    finally:
        s.stop()
    path = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
    good = open(path, "rb").read()
    with open(path, "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n2\r\n")
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        assert s2.client().get("k") == b"1"
        assert "Revert incomplete MULTI/EXEC" in s2.log()
    finally:
        s2.stop()
    assert open(path, "rb").read() == good


def test_corrupt_aof_refused_and_untouched():
    s = start_redraft("--appendonly", "yes")
    try:
        s.client().set("k", "1")
    finally:
        s.stop()
    path = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
    with open(path, "ab") as f:
        f.write(b"*2\r\n$3\r\nGET\r\n!garbage\r\n*1\r\n$4\r\nPING\r\n")
    before = digest(aof_dir(s))
    out = subprocess.run([BIN, "--port", str(free_port()), "--dir", os.path.join(s.tmp, "data"), "--appendonly", "yes"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "Bad file format" in out.stderr and "offset" in out.stderr and "appendonly.aof.1.incr.aof" in out.stderr
    assert digest(aof_dir(s)) == before


def test_unknown_command_refused():
    s = start_redraft("--appendonly", "yes")
    s.stop()
    path = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
    with open(path, "ab") as f:
        f.write(b"*2\r\n$7\r\nNOSUCH!\r\n$1\r\nk\r\n")
    out = subprocess.run([BIN, "--port", str(free_port()), "--dir", os.path.join(s.tmp, "data"), "--appendonly", "yes"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and "Unknown command 'NOSUCH!'" in out.stderr, out.stderr


def test_legacy_single_file_is_upgraded():
    tmp = _mkdtemp("redraft-aof-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    shutil.copy(os.path.join(VECTORS, "redis-tests-assets", "rdb-preamble.aof"), os.path.join(data, "appendonly.aof"))
    os.chmod(os.path.join(data, "appendonly.aof"), 0o644)
    s = start_redraft("--appendonly", "yes", tmp=tmp)
    try:
        c = s.client()
        assert c.mget("k1", "k2", "k3") == [b"v1", b"v2", b"v3"]
        c.set("k4", "v4")
    finally:
        s.stop()
    assert not os.path.exists(os.path.join(data, "appendonly.aof"))
    assert manifest(s) == "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    redis_loads(aof_dir(s), snapshot_of({"k1": b"v1", "k2": b"v2", "k3": b"v3", "k4": b"v4"}))


def snapshot_of(strings):
    return {(0, k.encode()): ("string", v, -1) for k, v in strings.items()}


def test_turning_aof_on_over_a_dump_keeps_the_data():
    s = start_redraft()
    try:
        c = s.client()
        populate(c)
        want = snapshot(c)
        assert c.save()
    finally:
        s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert snapshot(c) == want
        assert "becomes the AOF's base" in s2.log()
        c.set("new", "1")
        want2 = snapshot(c)
    finally:
        s2.stop()
    assert manifest(s2) == "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    os.remove(os.path.join(s.tmp, "data", "dump.rdb"))
    s3 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        assert snapshot(s3.client()) == want2
    finally:
        s3.stop()
    redis_loads(aof_dir(s3), want2)


def test_bgrewriteaof_while_writes_go_on():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        pipe = c.pipeline(transaction=False)
        for i in range(100_000):
            pipe.set(f"k:{i}", f"v:{i}")
        pipe.execute()
        c.rpush("list", *range(1000))
        stop = threading.Event()
        written = []

        def writer():
            w = s.client()
            n = 0
            while not stop.is_set():
                p = w.pipeline(transaction=False)
                for _ in range(50):
                    p.set(f"k:{n % 100_000}", f"w:{n}")
                    p.incr("counter")
                    p.lpush("list", n)
                    p.delete(f"k:{(n * 7) % 100_000}")
                    n += 1
                p.execute()
                written.append(n)

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.2)
        assert c.bgrewriteaof()
        wait_rewrite(c)
        time.sleep(0.2)
        stop.set()
        t.join()
        info = c.info("persistence")
        assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
        assert int(c.get("counter")) == written[-1]
        keys_before = c.dbsize()
        vals = c.mget([f"k:{i}" for i in range(100_000)])
        lst = c.lrange("list", 0, -1)
    finally:
        s.stop()
    assert manifest(s).startswith("file appendonly.aof.2.base.rdb seq 2 type b\n")
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert c.dbsize() == keys_before
        assert c.mget([f"k:{i}" for i in range(100_000)]) == vals
        assert c.lrange("list", 0, -1) == lst
        assert int(c.get("counter")) == written[-1]
    finally:
        s2.stop()


def test_config_set_appendonly_at_run_time():
    s = start_redraft()
    try:
        c = s.client()
        c.set("before", "1")
        c.sadd("set", "a", "b")
        assert c.info("persistence")["aof_enabled"] == 0
        assert c.config_set("appendonly", "yes")
        c.set("during", "2")
        info = wait_rewrite(c)
        assert info["aof_enabled"] == 1 and info["aof_rewrites"] == 1 and info["aof_current_size"] > 0
        c.set("on", "3")
        assert c.config_get("appendonly") == {"appendonly": "yes"}
        assert c.config_set("appendonly", "no")
        assert c.info("persistence")["aof_enabled"] == 0
        c.set("off", "4")
        assert os.path.exists(os.path.join(aof_dir(s), "appendonly.aof.manifest"))
    finally:
        s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert c.mget("before", "during", "on", "off") == [b"1", b"2", b"3", None]
        assert c.smembers("set") == {b"a", b"b"}
    finally:
        s2.stop()


def test_bgsave_and_bgrewriteaof_wait_for_each_other():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        pipe = c.pipeline(transaction=False)
        for i in range(50_000):
            pipe.set(f"k:{i}", i)
        pipe.execute()
        raw = s.raw()
        # One batch, one turn of the lock: the second command always finds the first running.
        raw.send(b"*1\r\n$6\r\nBGSAVE\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n")
        assert raw.reply() == b"+Background saving started\r\n"
        assert raw.reply() == b"+Background append only file rewriting scheduled\r\n"
        wait_rewrite(c)
        raw.send(b"*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$6\r\nBGSAVE\r\n"
                 b"*2\r\n$6\r\nBGSAVE\r\n$8\r\nSCHEDULE\r\n")
        assert raw.reply() == b"+Background append only file rewriting started\r\n"
        assert raw.reply() == b"-ERR Background append only file rewriting already in progress\r\n"
        assert raw.reply().startswith(b"-ERR Another child process is active (AOF?): can't BGSAVE right now.")
        assert raw.reply() == b"+Background saving scheduled\r\n"
        wait_rewrite(c)
        deadline = time.time() + 30
        while c.info("persistence")["rdb_saves"] < 2 and time.time() < deadline:
            time.sleep(0.05)
        info = c.info("persistence")
        assert info["rdb_saves"] == 2 and info["aof_rewrites"] == 2
        raw.close()
    finally:
        s.stop()


def test_info_persistence_aof_fields():
    s = start_redraft("--appendonly", "yes")
    try:
        c = s.client()
        i0 = c.info("persistence")
        for f in ("aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
                  "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites",
                  "aof_last_write_status", "aof_current_size", "aof_base_size", "aof_pending_rewrite",
                  "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"):
            assert f in i0, f
        assert i0["aof_enabled"] == 1 and i0["aof_last_write_status"] == "ok"
        c.set("k", "x" * 1000)
        i1 = c.info("persistence")
        assert i1["aof_current_size"] >= i0["aof_current_size"] + 1000
        assert i1["aof_base_size"] == i0["aof_base_size"]
    finally:
        s.stop()


def test_auto_rewrite_on_growth():
    s = start_redraft("--appendonly", "yes", "--auto-aof-rewrite-min-size", "100kb",
                      "--auto-aof-rewrite-percentage", "100")
    try:
        c = s.client()
        for i in range(300):
            c.set("k", "x" * 1000)
        deadline = time.time() + 10
        while c.info("persistence")["aof_rewrites"] < 1 and time.time() < deadline:
            time.sleep(0.1)
        info = wait_rewrite(c)
        assert info["aof_rewrites"] >= 1
        assert "Starting automatic rewriting of AOF" in s.log()
        assert info["aof_current_size"] < 100_000
    finally:
        s.stop()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill_9_keeps_acknowledged_writes(policy):
    s = start_redraft("--appendonly", "yes", "--appendfsync", policy)
    c = s.client()
    for i in range(2000):
        c.set(f"k:{i}", i)
    c.rpush("l", *range(100))
    if policy == "everysec":
        time.sleep(1.5)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert c.dbsize() == 2001
        assert c.get("k:1999") == b"1999" and c.llen("l") == 100
    finally:
        s2.stop()


def test_shutdown_fsyncs_and_restart_loads():
    s = start_redraft("--appendonly", "yes", "--appendfsync", "no")
    c = s.client()
    c.set("k", "v")
    try:
        c.shutdown()
    except redis.ConnectionError:
        pass
    s.proc.wait(5)
    s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        assert s2.client().get("k") == b"v"
    finally:
        s2.stop()


def test_full_disk_refuses_writes_then_resumes():
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tempfile.mkdtemp(prefix="redraft-aof-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode != 0:
        pytest.skip("cannot mount tmpfs here")
    try:
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * 600_000)
        s = start_redraft("--dir", mnt, "--appendonly", "yes")
        try:
            c = s.client()
            acked = []
            with pytest.raises(redis.ResponseError, match="MISCONF Errors writing to the AOF file: No space left on device"):
                for i in range(100):
                    c.set(f"big:{i}", os.urandom(50_000))
                    acked.append(i)
            assert c.info("persistence")["aof_last_write_status"] == "err"
            assert c.get("big:0") is not None  # reads still served
            with pytest.raises(redis.ResponseError, match="MISCONF"):
                c.set("more", 1)
            os.remove(filler)
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    c.set("more", 1)
                    break
                except redis.ResponseError:
                    time.sleep(0.1)
            assert c.get("more") == b"1"
            assert c.info("persistence")["aof_last_write_status"] == "ok"
            for i in acked:
                c.delete(f"big:{i}")
            c.set("final", "1")
        finally:
            s.stop()
        s2 = start_redraft("--dir", mnt, "--appendonly", "yes")
        try:
            c = s2.client()
            assert c.get("more") == b"1" and c.get("final") == b"1"
            assert c.exists(*[f"big:{i}" for i in acked]) == 0
        finally:
            s2.stop()
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def test_kill_9_during_rewrite_loses_nothing():
    s = start_redraft("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    pipe = c.pipeline(transaction=False)
    for i in range(200_000):
        pipe.set(f"k:{i}", i)
    pipe.execute()
    raw = s.raw()
    # BGREWRITEAOF and a write in one batch: the write lands after the rewrite began.
    raw.send(b"*1\r\n$12\r\nBGREWRITEAOF\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n")
    assert raw.reply() == b"+Background append only file rewriting started\r\n"
    assert raw.reply() == b"+OK\r\n"
    in_progress = c.info("persistence")["aof_rewrite_in_progress"]
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.stop()
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        c = s2.client()
        assert c.dbsize() == 200_001 and c.get("after") == b"1" and c.get("k:199999") == b"199999"
        leftovers = [n for n in os.listdir(aof_dir(s2)) if n.startswith("temp-")]
        assert leftovers == []
        if in_progress:
            assert "interrupted rewrite" in s2.log()
    finally:
        s2.stop()


def test_timestamp_annotations():
    s = start_redraft("--appendonly", "yes", "--aof-timestamp-enabled", "yes", "--aof-use-rdb-preamble", "no")
    try:
        c = s.client()
        c.set("a", 1)
        time.sleep(1.1)
        c.set("b", 2)
        c.bgrewriteaof()
        wait_rewrite(c)
        c.set("c", 3)
        want = snapshot(c)
    finally:
        s.stop()
    incr = read_incr(s)
    assert incr.startswith(b"#TS:") and b"\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n" in incr
    base = [n for n in os.listdir(aof_dir(s)) if n.endswith(".base.aof")]
    assert len(base) == 1 and open(os.path.join(aof_dir(s), base[0]), "rb").read().startswith(b"#TS:")
    redis_loads(aof_dir(s), want)
    s2 = start_redraft("--appendonly", "yes", tmp=s.tmp)
    try:
        assert snapshot(s2.client()) == want
    finally:
        s2.stop()


# Every command whose written form Redis rewrites, and a few it writes as sent.
SCRIPT = [
    "set a 1", "expire a 100", "expire a 200 GT", "pexpire a 5000 LT", "expireat a 4102444800", "pexpireat a 4102444800000 XX",
    "set b 2 EX 100", "set b2 2 PX 100000 GET", "set b3 2 EXAT 4102444800", "set b4 v PXAT 4102444800000", "set b5 v KEEPTTL",
    "setex c 100 3", "psetex c2 100000 3", "incrbyfloat f 1.5", "incrbyfloat f 0.25", "hincrbyfloat h fld 0.5",
    "sadd s x", "spop s", "sadd s2 a b", "spop s2 5", "sadd s3 only", "spop s3 1",
    "getex a PERSIST", "set g v", "getex g EX 100", "getex g PXAT 4102444800000", "getex g",
    "rpush l a b c d e", "lpop l", "rpop l 2", "lmpop 1 l LEFT COUNT 5", "rpush l2 a b", "blpop l2 0", "brpop l2 0",
    "zadd z 1 a 2 b 3 c", "zpopmin z", "bzpopmax z 0", "zmpop 1 z MIN COUNT 9",
    "rpush src a b", "blmove src dst LEFT RIGHT 0", "brpoplpush src dst 0",
    "set gone v", "expire gone -1", "del nothing", "set n 1", "incr n", "append n x", "set k v NX", "set k v2 NX",
    "mset m1 1 m2 2", "rename m1 m3", "copy m3 m4", "move m4 5", "select 5", "set in5 1", "select 0", "flushdb",
    "set after 1", "persist after", "hset h2 a 1 b 2", "hdel h2 a", "sinterstore si s2 s3", "zadd z2 1.5 x", "zincrby z2 0.25 x",
    "pfadd hll a b c", "setrange sr 5 x", "setbit bits 7 1", "lpush q 1", "linsert q BEFORE 1 0", "lset q 0 z", "ltrim q 0 0",
]
def served_later(srv, c, call, wake):
    """Runs a blocking `call` on its own connection, wakes it with `wake` on `c`."""
    t = threading.Thread(target=lambda: call(srv.client()))
    t.start()
    time.sleep(0.3)
    wake(c)
    t.join()


def run_script(srv):
    c = srv.client()
    for line in SCRIPT:
        a = line.split(" ")
        c.execute_command(*a)
    with c.pipeline(transaction=True) as p:
        p.set("tx1", 1)
        p.incr("tx1")
        p.execute_command("SELECT", 5)
        p.set("tx5", 1)
        p.execute()
    c.execute_command("SELECT", 0)
    with c.pipeline(transaction=True) as p:
        p.set("tx2", 1)
        p.get("tx2")
        p.execute()
    served_later(srv, c, lambda w: w.blpop(["waitq"], 10), lambda c: c.lpush("waitq", "x"))
    served_later(srv, c, lambda w: w.blmove("wm", "wd", 10, "LEFT", "RIGHT"), lambda c: c.lpush("wm", "y"))
    served_later(srv, c, lambda w: w.execute_command("BLMPOP", 10, 1, "wl", "RIGHT", "COUNT", 3),
                 lambda c: c.lpush("wl", "1", "2"))
    served_later(srv, c, lambda w: w.bzpopmin(["wz"], 10), lambda c: c.zadd("wz", {"m": 1}))
    # A key found expired by a write: DEL first, from the write or the expire cycle.
    c.set("short", "v", px=30)
    time.sleep(0.2)
    c.set("short", "again", nx=True)
    time.sleep(1.2)


def test_written_bytes_match_redis():
    """The same session against redis-server 7.0.15 and redraft: the incr files hold the
    same commands, byte for byte, but for the absolute times."""
    def norm(cmds):
        return [b" ".join(re.sub(rb"^1[6-9]\d{11}$", b"<T>", x) for x in c) for c in cmds]

    ref = start_redis("--appendonly", "yes")
    try:
        run_script(ref)
    finally:
        ref.stop()
    ours = start_redraft("--appendonly", "yes")
    try:
        run_script(ours)
    finally:
        ours.stop()
    theirs = norm(decode_resp(incr_of_dir(os.path.join(ref.tmp, "appendonlydir"))))
    mine = norm(decode_resp(incr_of_dir(aof_dir(ours))))
    assert mine == theirs


def incr_of_dir(d):
    out = b""
    for n in sorted(os.listdir(d)):
        if n.endswith(".incr.aof"):
            with open(os.path.join(d, n), "rb") as f:
                out += f.read()
    return out
