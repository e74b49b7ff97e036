#!/usr/bin/env python3
"""Side-by-side benchmark: redis-server and redraft on this machine, in one run.

Throughput: redis-benchmark -t set,get,incr,mset, 50 clients, without and with -P 16,
reported as requests/s and the ratio redraft/redis. Memory: RSS after loading 1M
`SET key:N <100 bytes>` through redis-cli --pipe, as the ratio redraft/redis.

Usage: python3 bench/bench.py [--requests N] [--keys N] [--out bench/RESULTS.md]
"""

import argparse
import hashlib
import shlex
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return p
        except OSError:
            time.sleep(0.02)
    p.kill()
    sys.exit(f"server on {port} did not start: {argv}")


def rss_of(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


STRING_TESTS = "set,get,incr,mset"
TYPE_TESTS = "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600"
UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
ZPOP = ("local key, now = KEYS[1], ARGV[1] "
        "local jobs = redis.call('zrangebyscore', key, '-inf', now, 'limit', 0, 1) "
        "if jobs[1] then redis.call('zrem', key, jobs[1]) return jobs[1] end")

# A Mastodon-like mix (reference section 9): the feed-insert recipe, the Sidekiq queue,
# the Rails cache and the streaming fan-out, one command shape per run.
MIX = [
    ("feed ZADD", "ZADD feed:home:__rand_int__ 110123456789012345 __rand_int__"),
    ("feed ZSCORE", "ZSCORE feed:home:__rand_int__ __rand_int__"),
    ("feed ZREMRANGEBYRANK", "ZREMRANGEBYRANK feed:home:__rand_int__ 0 -801"),
    ("feed ZREVRANGE", "ZREVRANGE feed:home:__rand_int__ 0 19 WITHSCORES"),
    ("feed ZRANGEBYSCORE", "ZRANGEBYSCORE feed:home:__rand_int__ 0 +inf LIMIT 0 20"),
    ("EXISTS subscribed", "EXISTS subscribed:timeline:__rand_int__"),
    ("Sidekiq LPUSH", "LPUSH queue:default __rand_int__"),
    ("cache SET PX", "SET cache:__rand_int__ rendered-status-json-payload PX 60000"),
    ("PUBLISH", "PUBLISH timeline:__rand_int__ payload"),
    # Scripts: redlock/mario-redis-lock release sent as EVAL with its body every time,
    # and Sidekiq's scheduler poll by EVALSHA (loaded once per server below).
    ("EVAL lock release", f"EVAL {shlex.quote(UNLOCK)} 1 lock:__rand_int__ token"),
    ("EVALSHA zpopbyscore", f"EVALSHA {hashlib.sha1(ZPOP.encode()).hexdigest()} 1 schedule 100"),
]


def bench(port, requests, pipeline, tests):
    argv = ["redis-benchmark", "-p", str(port), "-t", tests, "-n", str(requests), "-c", "50", "--csv"]
    if pipeline > 1:
        argv += ["-P", str(pipeline)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return {r[0].split()[0] if "LRANGE" not in r[0] else r[0].split(" (")[0]: float(r[1]) for r in rows[1:] if len(r) > 1}


def bench_command(port, requests, pipeline, command):
    argv = ["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", "50", "-r", "10000", "--csv"]
    if pipeline > 1:
        argv += ["-P", str(pipeline)]
    out = subprocess.run(argv + shlex.split(command), capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return float(rows[1][1]) if len(rows) > 1 else 0.0


def load_keys(port, n):
    value = "v" * 100
    data = "".join(f"SET key:{i} {value}\r\n" for i in range(n)).encode()
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data, capture_output=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    for tool in ["redis-server", "redis-benchmark", "redis-cli"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is required (apt-get install redis-server redis-tools)")
    binary = os.path.join(ROOT, "target", "release", "redraft")
    subprocess.run(["cargo", "build", "--release", "--bin", "redraft"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="redraft-bench-")
    rp, dp = free_port(), free_port()
    servers = {
        "redis": start(["redis-server", "--port", str(rp), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", tmp], rp),
        "redraft": start([binary, "--port", str(dp), "--save", "", "--dir", os.path.join(tmp, "d")], dp),
    }
    ports = {"redis": rp, "redraft": dp}
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    lines = []
    try:
        results = {}
        for pipeline in (1, 16):
            for attempt in range(a.runs):
                # Alternate the servers between attempts; keep each test's best run,
                # which filters out moments when the shared cores were busy elsewhere.
                for name in ("redis", "redraft") if attempt % 2 == 0 else ("redraft", "redis"):
                    # Pipelined runs are ten times faster: give them ten times the requests
                    # so each lasts long enough to measure.
                    n = a.requests * (5 if pipeline > 1 else 1)
                    r = bench(ports[name], n, pipeline, STRING_TESTS)
                    r.update(bench(ports[name], n, pipeline, TYPE_TESTS))
                    subprocess.run(["redis-cli", "-p", str(ports[name]), "SCRIPT", "LOAD", ZPOP],
                                   capture_output=True, check=True)
                    for label, command in MIX:
                        r[label] = bench_command(ports[name], n // 2, pipeline, command)
                    best = results.setdefault((name, pipeline), {})
                    for k, v in r.items():
                        best[k] = max(best.get(k, 0.0), v)
        # Memory on fresh servers, so what the throughput runs left behind does not count.
        for p in servers.values():
            p.terminate()
            p.wait()
        rp, dp = free_port(), free_port()
        servers = {
            "redis": start(["redis-server", "--port", str(rp), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", tmp], rp),
            "redraft": start([binary, "--port", str(dp), "--save", "", "--dir", os.path.join(tmp, "d2")], dp),
        }
        ports = {"redis": rp, "redraft": dp}
        mem = {}
        for name in ("redis", "redraft"):
            before = rss_of(servers[name].pid)
            load_keys(ports[name], a.keys)
            time.sleep(1)
            mem[name] = (before, rss_of(servers[name].pid))
        lines.append(f"redis-server {redis_version} vs redraft (release build), same machine, same run.")
        lines.append(f"{os.cpu_count()} cores shared by both servers and redis-benchmark; -c 50, -n {a.requests} without")
        lines.append(f"pipelining and -n {a.requests * 5} with -P 16 (mix rows: half); best of {a.runs} runs per test and server.")
        lines.append("")
        lines.append("Rows after LRANGE_600 are the Mastodon-like mix (reference section 9), one command")
        lines.append("shape per run, keys spread over 10,000 users (`-r 10000`).")
        lines.append("")
        lines.append("| test | pipeline | redis req/s | redraft req/s | redraft/redis |")
        lines.append("| --- | --- | ---: | ---: | ---: |")
        for pipeline in (1, 16):
            for t in results[("redis", pipeline)]:
                r = results[("redis", pipeline)].get(t, 0)
                d = results[("redraft", pipeline)].get(t, 0)
                ratio = d / r if r else 0
                lines.append(f"| {t} | {pipeline} | {r:,.0f} | {d:,.0f} | {ratio:.2f}x |")
        lines.append("")
        lines.append(f"Memory for {a.keys:,} keys `SET key:N <100 bytes>` (RSS):")
        lines.append("")
        lines.append("| server | RSS before | RSS after | bytes/key (delta) |")
        lines.append("| --- | ---: | ---: | ---: |")
        for name in ("redis", "redraft"):
            b, after = mem[name]
            lines.append(f"| {name} | {b / 1e6:.1f} MB | {after / 1e6:.1f} MB | {(after - b) / a.keys:.0f} |")
        ratio = mem["redraft"][1] / mem["redis"][1]
        delta_ratio = (mem["redraft"][1] - mem["redraft"][0]) / (mem["redis"][1] - mem["redis"][0])
        lines.append("")
        lines.append(f"RSS ratio redraft/redis: {ratio:.2f}x total, {delta_ratio:.2f}x for the keys alone.")
    finally:
        for p in servers.values():
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write("# Benchmark results\n\nCommand: `python3 bench/bench.py --out bench/RESULTS.md`\n\n" + text)


if __name__ == "__main__":
    main()
