"""Proof with real programs (issue 4): the server driven by the real applications' clients
and by exact replays of the command sequences they send.

- Sidekiq 6.4 (Debian's ruby-sidekiq): a test app (tests/apps/sidekiq) enqueues 1,000 jobs
  over 3 queues (immediate, bulk, scheduled with perform_in, and jobs that fail once and come
  back through the retry set); two real `sidekiq` processes run them (their script cache is
  flushed mid-run, so the pollers go through NOSCRIPT -> SCRIPT LOAD); the test checks every job
  ran exactly once, scheduled ones not before their time, retries happened, and what
  Sidekiq's API (Stats, Queue, ScheduledSet, RetrySet, ProcessSet) reports.
- Sidekiq 7/8 (redis-client, RESP3), which Debian does not package: the poller's script
  (`ZRANGE ... BYSCORE LIMIT 0 1` + `ZREM` through SCRIPT LOAD/EVALSHA, NOSCRIPT -> reload),
  the RESP3 reply shapes Sidekiq destructures, and the `redis_version` check, replayed over raw
  RESP and compared byte for byte with a real redis-server.
- KEDA's Redis lists scaler: its length script (TYPE -> LLEN/SCARD/ZCARD/HLEN) and LLEN.

The Sidekiq run uses redraft by default; REDRAFT_APPS_TARGETS=redraft,redis (or =redis) also
runs it against redis-server, which is how the test itself is validated. The replay tests always
compare redraft with redis-server.

Lua bodies here are written for these tests: they send the same commands, with the same
KEYS/ARGV shapes, as the scripts of the programs named (which are cited, not copied).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis

from conftest import ROOT, Raw, encode, start_redis, start_redraft

APP_DIR = os.path.join(ROOT, "tests", "apps", "sidekiq")
TARGETS = [t.strip() for t in os.environ.get("REDRAFT_APPS_TARGETS", "redraft").split(",") if t.strip()]


def start(target):
    if target == "redraft":
        return start_redraft()
    if target == "redis":
        return start_redis()
    raise ValueError(f"unknown target {target!r} (use redraft or redis)")


@pytest.fixture(params=TARGETS)
def app_server(request):
    s = start(request.param)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pair():
    """A redraft and a redis-server, for replays compared byte for byte. With
    REDRAFT_APPS_TARGETS=redis both are redis-servers, which checks the tests' own expectations."""
    ours = start_redis() if TARGETS == ["redis"] else start_redraft()
    try:
        ref = start_redis()
    except BaseException:
        ours.stop()
        raise
    yield ours, ref
    ours.stop()
    ref.stop()


# --------------------------------------------------------------------------------------------
# Sidekiq 6.4 with real worker processes
# --------------------------------------------------------------------------------------------

def ruby_client(port, *args):
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{port}")
    p = subprocess.run(["ruby", "client.rb", *args], cwd=APP_DIR, env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, f"client.rb {args} failed:\n{p.stderr.decode(errors='replace')}"
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def test_sidekiq_runs_1000_jobs_with_real_workers(app_server, tmp_path):
    if not shutil.which("sidekiq") or not shutil.which("ruby"):
        pytest.skip("ruby-sidekiq is not installed (tests/run.sh installs it)")
    port = app_server.port
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)

    enq = ruby_client(port, "enqueue")
    immediate, scheduled, flaky, due = enq["immediate"], enq["scheduled"], enq["flaky"], enq["due"]
    assert (len(immediate), len(scheduled), len(flaky)) == (600, 300, 100)
    all_jids = {**immediate, **scheduled, **flaky}
    assert len(all_jids) == 1000, "jids are unique"
    assert set(due) == set(scheduled), "ScheduledSet lists exactly the perform_in jobs"

    # Before any worker runs: what Sidekiq's API reports about the enqueued jobs.
    per_queue = {q: 0 for q in ("critical", "default", "low")}
    for jid, q in {**immediate, **flaky}.items():
        per_queue[q] += 1
    s = ruby_client(port, "stats")
    assert (s["processed"], s["failed"], s["enqueued"]) == (0, 0, 700)
    assert (s["scheduled_size"], s["retry_size"], s["dead_size"], s["processes_size"]) == (300, 0, 0, 0)
    assert s["queues"] == per_queue and s["queue_sizes"] == per_queue
    assert s["queue_names"] == ["critical", "default", "low"]
    assert (s["scheduled_set_size"], s["retry_set_size"]) == (300, 0)
    assert s["scheduled_classes"] == {"RecordJob": 300}
    poller_sha = s["poller_sha"]

    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{port}")
    workers, logs = [], []
    try:
        for i in range(2):
            log = open(tmp_path / f"sidekiq{i}.log", "wb")
            logs.append(log)
            workers.append(subprocess.Popen(["sidekiq", "-r", "./app.rb", "-C", "sidekiq.yml"], cwd=APP_DIR,
                                            env=env, stdout=log, stderr=subprocess.STDOUT))

        def log_tail():
            out = []
            for i in range(len(logs)):
                logs[i].flush()
                text = (tmp_path / f"sidekiq{i}.log").read_text(errors="replace").splitlines()
                out.append(f"--- sidekiq{i} (exit {workers[i].poll()}) ---\n" + "\n".join(
                    l for l in text if " INFO: start" not in l and " INFO: done" not in l)[-4000:])
            return "\n".join(out)

        # Wait for every job to finish, watching the retry set fill and drain meanwhile.
        deadline = time.time() + 60
        max_retry = 0
        polls = 0
        flushed = False
        while True:
            polls += 1
            if not flushed and r.zcard("schedule") < 300:
                # A poller has loaded its script and run it. Drop the script cache (as a restart
                # or a failover to a node without it would): the pollers must reload on NOSCRIPT.
                assert r.script_exists(poller_sha) == [True]
                r.script_flush()
                flushed = True
            done = r.scard("done")
            max_retry = max(max_retry, r.zcard("retry"))
            if done >= 1000 and r.zcard("retry") == 0 and r.zcard("schedule") == 0:
                break
            assert all(w.poll() is None for w in workers), "a sidekiq process exited\n" + log_tail()
            # Failing jobs log WARN; ERROR lines come from Sidekiq's own Redis calls (poller, heartbeat).
            errors = [] if polls % 10 else [l for i in range(len(logs)) for l in (tmp_path / f"sidekiq{i}.log").read_text(errors="replace").splitlines()
                      if " ERROR: " in l]
            assert not errors, "sidekiq logged errors:\n" + "\n".join(errors[:20]) + "\n" + log_tail()
            assert time.time() < deadline, (
                f"only {done} of 1000 jobs done after 60 s (schedule={r.zcard('schedule')} "
                f"retry={r.zcard('retry')})\n" + log_tail())
            time.sleep(0.05)
        assert max_retry > 0, "the failing jobs went through the retry set"
        assert flushed and r.script_exists(poller_sha) == [True], "a poller reloaded its script after NOSCRIPT"

        # While both processes run: the process set and empty queues.
        s = ruby_client(port, "stats")
        assert s["processes_size"] == 2, s
        assert sorted(p["concurrency"] for p in s["process_set"]) == [5, 5]
        assert all(p["queues"] == ["critical", "default", "low"] for p in s["process_set"]), s["process_set"]
        assert (s["enqueued"], s["scheduled_size"], s["retry_size"], s["dead_size"]) == (0, 0, 0, 0)

        # Stop them as a deployment does (TERM): they deregister and flush their counters.
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            assert w.wait(20) == 0, log_tail()
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        for log in logs:
            log.close()

    s = ruby_client(port, "stats")
    assert (s["processed"], s["failed"]) == (1100, 100), s  # 1,000 successes + 100 first attempts that failed
    assert (s["enqueued"], s["scheduled_size"], s["retry_size"], s["dead_size"], s["processes_size"]) == (0, 0, 0, 0, 0), s
    assert s["queue_sizes"] == {"critical": 0, "default": 0, "low": 0}
    assert (s["scheduled_set_size"], s["retry_set_size"], s["dead_set_size"]) == (0, 0, 0)

    # Every job ran exactly once (the failing ones: once failed, once succeeded).
    assert r.smembers("done") == set(all_jids)
    runs = dict(zip(all_jids, r.mget([f"runs:{j}" for j in all_jids])))
    wrong = {j: n for j, n in runs.items() if n != ("2" if j in flaky else "1")}
    assert not wrong, f"jobs that ran the wrong number of times: {list(wrong.items())[:10]}"
    # The second attempt of each failing job came from the retry set (retry_count 0), and no other job retried.
    assert r.hgetall("retried") == {j: "0" for j in flaky}
    # Arguments arrived intact.
    args = r.hgetall("args")
    assert len(args) == 1000 and len(set(args.values())) == 1000
    # Scheduled jobs ran no earlier than their due time.
    ran_at = r.hgetall("ran_at")
    early = {j: (float(ran_at[j]), at) for j, at in due.items() if float(ran_at[j]) < at}
    assert not early, f"scheduled jobs that ran early: {list(early.items())[:5]}"
    r.close()


@pytest.mark.parametrize("nkeys", [1, 3])
def test_sidekiq_fetch_pattern_every_reply_arrives(app_server, nkeys):
    """Sidekiq's processors: each connection loops BRPOP over the queues (timeout 2 s), then
    runs the job's commands on the same connection, while a client pushes jobs. Every reply
    must arrive; a connection whose next command after a served BRPOP goes unanswered stalls
    a Sidekiq thread until redis-rb's read timeout (BRPOP timeout + 5 s) and a reconnect."""
    keys = [f"queue:{q}" for q in ("critical", "default", "low")[:nkeys]]
    jobs, fetchers = 1000, 10
    popped, problems = [], []
    lock = threading.Lock()

    def fetcher(i):
        c = Raw(app_server.port)
        c.sock.settimeout(5)
        try:
            while True:
                with lock:
                    if len(popped) >= jobs or problems:
                        return
                r = c.cmd("BRPOP", *keys, "1")
                if r != b"*-1\r\n":
                    with lock:
                        popped.append(r)
                try:
                    c.cmd("INCR", "runs")  # the job's first call, then its MULTI block as one write
                    c.send(encode("MULTI") + encode("SADD", "done", str(i)) + encode("HSET", "ran_at", str(i), "1")
                           + encode("EXEC"))
                    for _ in range(4):
                        c.reply()
                except OSError as e:
                    problems.append(f"connection {i}: no reply to the commands after BRPOP returned {r[:60]!r} ({e!r})")
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=fetcher, args=(i,)) for i in range(fetchers)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    p = Raw(app_server.port)
    for n in range(jobs):
        p.send(encode("SADD", "queues", "default") + encode("LPUSH", keys[n % nkeys], f"job{n}"))
        p.reply()
        p.reply()
    p.close()
    for t in threads:
        t.join(30)
    assert not problems, problems[:3]
    assert len(popped) == jobs and len(set(popped)) == jobs


# --------------------------------------------------------------------------------------------
# Sidekiq 7/8 (redis-client over RESP3): replays compared with redis-server
# --------------------------------------------------------------------------------------------

# Same commands as Sidekiq 7/8's Scheduled::Enq::LUA_ZPOPBYSCORE (sidekiq lib/sidekiq/scheduled.rb
# @v7.3.9/@v8.1.6): the first member due by ARGV[1], removed and returned, or nil.
POLLER_7 = """\
local set_key, due_by = KEYS[1], ARGV[1]
local first = redis.call("zrange", set_key, "-inf", due_by, "byscore", "limit", 0, 1)
if first[1] then
  redis.call("zrem", set_key, first[1])
  return first[1]
end
"""


def job(jid, queue="default", cls="HardJob", at=None):
    d = {"retry": True, "queue": queue, "class": cls, "args": [1, "two"], "jid": jid,
         "created_at": 1732243400.25, "enqueued_at": 1732243400250}
    if at is not None:
        d["at"] = at
    return json.dumps(d, separators=(",", ":"))


def replay(port, cmds, hello=3):
    """Runs the commands on a fresh raw connection; returns each reply's exact bytes."""
    c = Raw(port)
    try:
        c.cmd("FLUSHALL")
        if hello:
            c.cmd("HELLO", str(hello))
        return [c.cmd(*cmd) for cmd in cmds]
    finally:
        c.close()


def assert_same(cmds, ours, ref):
    for cmd, a, b in zip(cmds, ours, ref):
        assert a == b, f"{' '.join(map(str, cmd))[:200]}\n redraft: {a[:300]!r}\n   redis: {b[:300]!r}"
    assert len(ours) == len(ref) == len(cmds)


def test_sidekiq7_handshake_and_version(pair):
    for s in pair:
        c = Raw(s.port)
        # redis-client's prelude: HELLO 3 (+ CLIENT SETINFO from Sidekiq 8.1.5, errors ignored).
        c.send(encode("HELLO", "3") + encode("CLIENT", "SETINFO", "LIB-NAME", "redis-client(sidekiq_v8.1.6)")
               + encode("CLIENT", "SETINFO", "LIB-VER", "0.30.1") + encode("PING"))
        hello = c.reply()
        assert hello.startswith(b"%7\r\n"), hello
        fields = hello.split(b"\r\n")
        assert fields[fields.index(b"proto") + 1] == b":3"
        for _ in range(2):
            assert re.match(rb"^(\+OK|-ERR unknown subcommand 'SETINFO')", c.reply())  # 7.2+ vs 7.0
        assert c.reply() == b"+PONG\r\n"
        # INFO is a verbatim string in RESP3; Sidekiq 8's CLI refuses redis_version < 7.0.0
        # (Gem::Version), sidekiq-unique-jobs parses it with (%d+)%.(%d+)%.(%d+).
        info = c.cmd("INFO")
        assert info.startswith(b"=") and b"\r\ntxt:" in info[:20], info[:40]
        m = re.search(rb"\r\nredis_version:(\d+)\.(\d+)\.(\d+)\r\n", info)
        assert m, "redis_version is a dotted triple"
        assert tuple(map(int, m.groups())) >= (7, 0, 0)
        for field in (b"uptime_in_days", b"connected_clients", b"used_memory_human", b"used_memory_peak_human",
                      b"maxmemory_policy", b"used_memory", b"loading", b"role"):
            assert re.search(rb"\r\n" + field + rb":[^\r]*\r\n", info), field
        c.close()


def test_sidekiq7_poller_script_resp3(pair):
    sha = hashlib.sha1(POLLER_7.encode()).hexdigest()
    now = "1732243451.75"
    j1, j2, j3, j4 = job("a1"), job("a2", at=1732243446.25), job("a3", at=1732243551.0), job("r1")
    cmds = [
        ("SCRIPT", "FLUSH"),
        ("ZADD", "schedule", "1732243441.5", j1, "1732243446.25", j2, "1732243551", j3),
        ("ZADD", "retry", "1732243450", j4),
        ("SCRIPT", "LOAD", POLLER_7),
        ("EVALSHA", sha, "1", "retry", now),
        ("EVALSHA", sha, "1", "retry", now),
        ("EVALSHA", sha, "1", "schedule", now),
        ("EVALSHA", sha, "1", "schedule", now),
        ("EVALSHA", sha, "1", "schedule", now),
        ("ZCARD", "schedule"),
        ("SCRIPT", "FLUSH"),                      # e.g. a restart or failover without the cache
        ("EVALSHA", sha, "1", "schedule", "1732243600"),
        ("SCRIPT", "LOAD", POLLER_7),             # Sidekiq reloads on NOSCRIPT ...
        ("EVALSHA", sha, "1", "schedule", "1732243600"),  # ... and retries
        ("SCRIPT", "EXISTS", sha, "0" * 40),
        ("EXISTS", "schedule", "retry"),
    ]
    ours, ref = (replay(s.port, cmds) for s in pair)
    assert_same(cmds, ours, ref)
    bulk = lambda s: b"$%d\r\n%s\r\n" % (len(s), s.encode())
    assert ours[3] == bulk(sha)
    assert ours[4:9] == [bulk(j4), b"_\r\n", bulk(j1), bulk(j2), b"_\r\n"]
    assert ours[11] == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    assert ours[13] == bulk(j3)
    assert ours[14] == b"*2\r\n:1\r\n:0\r\n"


def test_sidekiq7_resp3_reply_shapes(pair):
    """The replies Sidekiq 7/8's API destructures (api.rb `data, score = element` etc.)."""
    proc = "host:1234:0123456789ab"
    cmds = [
        ("ZADD", "retry", "1732243451.5", job("b1"), "1732243452.25", job("b2"), "1732243453", job("b3")),
        ("ZRANGE", "retry", "0", "-1", "WITHSCORES"),
        ("ZRANGE", "retry", "0", "-1", "REV", "WITHSCORES"),
        ("ZRANGE", "retry", "-50", "-1", "WITHSCORES"),
        ("ZRANGE", "retry", "1732243452.25", "1732243452.25", "BYSCORE", "WITHSCORES"),
        ("ZRANGE", "retry", "1732243452.25", "1732243452.25", "BYSCORE"),
        ("ZRANGE", "retry", "(1732243451.5", "+inf", "BYSCORE", "LIMIT", "0", "1"),
        ("ZRANGE", "retry", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2", "WITHSCORES"),
        ("ZSCAN", "retry", "0", "MATCH", "*b2*", "COUNT", "100"),
        ("ZSCORE", "retry", job("b2")),
        ("ZSCORE", "retry", "nope"),
        ("ZINCRBY", "retry", "1.5", job("b2")),
        ("ZPOPMIN", "retry", "1"),
        ("ZPOPMIN", "retry"),
        ("ZCARD", "retry"),
        # Heartbeat (launcher.rb @v7.3.9): MULTI UNLINK/HSET/EXPIRE of :work, then MULTI SADD/EXISTS/HSET/EXPIRE/RPOP.
        ("MULTI",), ("UNLINK", f"{proc}:work"), ("HSET", f"{proc}:work", "tid1", '{"queue":"default"}'),
        ("EXPIRE", f"{proc}:work", "60"), ("EXEC",),
        ("MULTI",), ("SADD", "processes", proc), ("EXISTS", proc),
        ("HSET", proc, "info", '{"hostname":"host"}', "busy", "0", "beat", "1732243451.5", "quiet", "false",
         "rtt_us", "120", "rss", "51200"),
        ("EXPIRE", proc, "60"), ("RPOP", f"{proc}-signals"), ("EXEC",),
        ("HGETALL", proc),
        ("HGETALL", "missing"),
        ("HMGET", proc, "busy", "beat", "nope"),
        ("SSCAN", "processes", "0", "COUNT", "1000"),
        ("SET", "process_cleanup", "1", "NX", "EX", "60"),
        ("SET", "process_cleanup", "1", "NX", "EX", "60"),
        # Client push (pipelined), queue stats (LINDEX q -1 in 7.3), fetch (BRPOP with integer timeout).
        ("SADD", "queues", "default", "low"), ("LPUSH", "queue:default", job("c1"), job("c2")),
        ("LPUSH", "queue:low", job("c3", "low")),
        ("LINDEX", "queue:default", "-1"), ("LLEN", "queue:default"), ("LRANGE", "queue:default", "0", "-1"),
        ("BRPOP", "queue:default", "queue:low", "2"),
        ("BRPOP", "queue:low", "queue:default", "2"),
        ("SCARD", "queues"), ("SISMEMBER", "queues", "low"),
        ("EXPIRE", "queue:default", "60", "NX"),
        # Metrics (7+): HINCRBY j|YYMMDD|H:MM and BITFIELD ... OVERFLOW SAT INCRBY u16.
        ("HINCRBY", "j|241122|2:44", "HardJob|ms", "12"), ("HINCRBY", "j|241122|2:44", "HardJob|p", "1"),
        ("EXPIRE", "j|241122|2:44", "28800"),
        ("BITFIELD", "HardJob-22-2:44", "OVERFLOW", "SAT", "INCRBY", "u16", "#3", "1"),
        ("HGETALL", "j|241122|2:44"),
        ("MGET", "stat:processed", "stat:failed"),
        ("INCRBY", "stat:processed", "5"), ("INCRBY", "stat:processed:2024-11-22", "5"),
        ("DEL", "retry", proc, f"{proc}:work", "processes", "queues", "queue:default", "queue:low"),
    ]
    ours, ref = (replay(s.port, cmds) for s in pair)
    assert_same(cmds, ours, ref)
    assert ours[1].startswith(b"*3\r\n*2\r\n$") and b"\r\n,1732243451.5\r\n" in ours[1]
    assert ours[9] == b",1732243452.25\r\n" and ours[10] == b"_\r\n"
    assert ours[cmds.index(("HGETALL", proc))].startswith(b"%6\r\n")
    # And over RESP2 the same pairs come back flat, scores as bulk strings.
    cmds2 = cmds[:2] + [("ZSCORE", "retry", job("b2")), ("DEL", "retry")]
    ours2, ref2 = (replay(s.port, cmds2, hello=0) for s in pair)
    assert_same(cmds2, ours2, ref2)
    assert ours2[1].startswith(b"*6\r\n$")


# --------------------------------------------------------------------------------------------
# KEDA's Redis lists scaler
# --------------------------------------------------------------------------------------------

# Same shape as the scaler's length script (kedacore/keda pkg/scalers/redis_scaler.go): the
# length of KEYS[1] by its TYPE, 0 when it does not exist.
KEDA_LENGTH = """
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'list' then
  return redis.call('LLEN', KEYS[1])
elseif t == 'zset' then
  return redis.call('ZCARD', KEYS[1])
elseif t == 'set' then
  return redis.call('SCARD', KEYS[1])
elseif t == 'hash' then
  return redis.call('HLEN', KEYS[1])
elseif t == 'none' then
  return 0
end
return redis.error_reply('ERR unsupported key type ' .. t)
"""


@pytest.mark.parametrize("hello", [0, 3], ids=["resp2", "resp3"])
def test_keda_list_length_script(pair, hello):
    setup = [
        ("FLUSHALL",),
        ("RPUSH", "queue:default", *[f"job{i}" for i in range(7)]),
        ("SADD", "workset", "a", "b", "c"),
        ("ZADD", "delayed", "1", "a", "2", "b"),
        ("HSET", "jobs", "a", "1", "b", "2", "c", "3", "d", "4"),
        ("SET", "plain", "value"),
    ]
    cmds = setup + [("EVAL", KEDA_LENGTH, "1", k) for k in ("queue:default", "workset", "delayed", "jobs", "missing", "plain")]
    cmds += [("LLEN", "queue:default"), ("LLEN", "missing"), ("LLEN", "workset")]
    ours, ref = (replay(s.port, cmds, hello=hello) for s in pair)
    assert_same(cmds, ours, ref)
    n = len(setup)
    assert ours[n:n + 5] == [b":7\r\n", b":3\r\n", b":2\r\n", b":4\r\n", b":0\r\n"]
    assert ours[n + 5] == b"-ERR unsupported key type string\r\n"
    assert ours[n + 6:] == [b":7\r\n", b":0\r\n",
                            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"]
