#!/usr/bin/env python3
"""RDB load and save, redis-server vs redraft, on one file of about 1 GB made by
redis-server from a mixed dataset.

The dataset is built in redis-server (Debian's 7.0.15 here) with `DEBUG POPULATE` (many
small keys) plus pipelined redis-py writes of incompressible values: strings of 40 bytes,
1 KB and 100 KB, lists, small (listpack) and large (hashtable) hashes, sets of strings and
of integers (intset), small (listpack) and large (skiplist) sorted sets. redis-server
saves it with its defaults (LZF compression and CRC on).

Then, for each run and each server (alternating which goes first), on a copy of that
file (a hard link in a directory of its own, read once beforehand so both load from the
page cache):
- load: from starting the process to the first `+PONG` (both servers open their port
  before loading and answer `-LOADING` meanwhile; measured the same way for both);
- RSS after load (`/proc/<pid>/statm`, 1 s after the first `+PONG`);
- save: the wall time of `SAVE` on the loaded dataset.
Only one server runs at a time. Ratios are redraft/redis (below 1.0x: redraft faster or
smaller).

Usage: python3 bench/rdb_bench.py [--size-mb 1024] [--runs 2] [--work DIR] [--bin PATH]
                                  [--reuse] [--out bench/RESULTS.md]
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## RDB load and save, about 1 GB"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_of(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def wait_pong(port, proc, timeout=3600):
    """Seconds until the first +PONG (the caller took the start time)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
        except OSError:
            time.sleep(0.005)
            continue
        with s:
            f = s.makefile("rb")
            while time.time() < deadline:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                line = f.readline()
                if line == b"+PONG\r\n":
                    return
                if not line.startswith(b"-LOADING"):
                    sys.exit(f"unexpected reply to PING: {line!r}")
                time.sleep(0.01)
    sys.exit("server did not finish loading")


class Filler:
    """Pipelined writes of incompressible values (slices of one random buffer)."""

    def __init__(self, client):
        self.c = client
        self.rnd = random.Random(42)
        self.buf = self.rnd.randbytes(32 << 20)
        self.p = client.pipeline(transaction=False)
        self.n = 0

    def blob(self, size):
        off = self.rnd.randrange(0, len(self.buf) - size)
        return self.buf[off:off + size]

    def cmd(self, *args):
        self.p.execute_command(*args)
        self.n += 1
        if self.n % 500 == 0:
            self.p.execute()

    def flush(self):
        self.p.execute()


def build_dataset(work, size_mb):
    """Fills a redis-server and has it SAVE; returns the path of its dump.rdb."""
    d = os.path.join(work, "dataset")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    port = free_port()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", d, "--enable-debug-command", "yes"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_pong(port, p)
        c = redis.Redis(port=port, socket_timeout=3600)
        t = size_mb * (1 << 20)
        f = Filler(c)
        c.execute_command("DEBUG", "POPULATE", int(t * 0.05 / 25), "pop")
        for i in range(int(t * 0.15 / 60)):
            f.cmd("SET", f"str:s:{i}", f.blob(40))
        for i in range(int(t * 0.25 / 1020)):
            f.cmd("SET", f"str:m:{i}", f.blob(1000))
        for i in range(int(t * 0.10 / 100_000)):
            f.cmd("SET", f"str:l:{i}", f.blob(100_000))
        for i in range(int(t * 0.15 / 6200)):
            f.cmd("RPUSH", f"list:{i}", *[f.blob(60) for _ in range(100)])
        for i in range(int(t * 0.12 / 2700)):
            args = []
            for j in range(50):
                args += [b"f%d:" % j + f.blob(6), f.blob(40)]
            f.cmd("HSET", f"hash:s:{i}", *args)
        for i in range(int(t * 0.05 / 130_000)):
            for k in range(0, 2000, 200):
                args = []
                for j in range(k, k + 200):
                    args += [b"f%d:" % j + f.blob(8), f.blob(50)]
                f.cmd("HSET", f"hash:l:{i}", *args)
        for i in range(int(t * 0.05 / 1500)):
            f.cmd("SADD", f"set:s:{i}", *[b"m%d:" % j + f.blob(16) for j in range(64)])
        for i in range(int(t * 0.03 / 1650)):
            f.cmd("SADD", f"set:i:{i}", *[f.rnd.randrange(1 << 40) for _ in range(200)])
        for i in range(int(t * 0.07 / 2000)):
            args = []
            for j in range(64):
                args += [f.rnd.random() * 1000, b"m%d:" % j + f.blob(16)]
            f.cmd("ZADD", f"zset:s:{i}", *args)
        for i in range(int(t * 0.05 / 60_000)):
            for k in range(0, 2000, 200):
                args = []
                for j in range(k, k + 200):
                    args += [f.rnd.random() * 1e6, b"m%d:" % j + f.blob(16)]
                f.cmd("ZADD", f"zset:l:{i}", *args)
        f.flush()
        c.save()
        keys = c.dbsize()
        c.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        if p.poll() is None:
            p.terminate()
        p.wait()
    path = os.path.join(d, "dump.rdb")
    with open(os.path.join(d, "keys"), "w") as fh:
        fh.write(str(keys))
    return path


def warm(path):
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def measure(name, binary, dump, work, expect_keys):
    d = os.path.join(work, f"run-{name}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    os.link(dump, os.path.join(d, "dump.rdb"))
    warm(dump)
    port = free_port()
    if name == "redis":
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", d]
    else:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d]
    log = open(os.path.join(d, "server.log"), "wb")
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_pong(port, p)
        load = time.perf_counter() - t0
        time.sleep(1)
        rss = rss_of(p.pid)
        c = redis.Redis(port=port, socket_timeout=3600)
        keys = c.dbsize()
        if keys != expect_keys:
            sys.exit(f"{name} loaded {keys} keys, expected {expect_keys}")
        t1 = time.perf_counter()
        c.save()
        save = time.perf_counter() - t1
        saved = os.path.getsize(os.path.join(d, "dump.rdb"))
        c.close()
    finally:
        p.terminate()
        p.wait()
        log.close()
    shutil.rmtree(d, ignore_errors=True)
    return {"load": load, "rss": rss, "save": save, "saved": saved}


def replace_section(path, text):
    old = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[nxt + 1:] if nxt >= 0 else "")
    with open(path, "w") as f:
        f.write(new.rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--work", default="/tmp/redraft-rdb-bench")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "redraft"))
    ap.add_argument("--reuse", action="store_true", help="reuse the dataset of a previous run")
    ap.add_argument("--out")
    a = ap.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("redis-server is required (apt-get install redis-server)")
    os.makedirs(a.work, exist_ok=True)
    dump = os.path.join(a.work, "dataset", "dump.rdb")
    if not (a.reuse and os.path.exists(dump)):
        t = time.time()
        dump = build_dataset(a.work, a.size_mb)
        print(f"dataset built in {time.time() - t:.0f} s", flush=True)
    keys = int(open(os.path.join(a.work, "dataset", "keys")).read())
    size = os.path.getsize(dump)
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    runs = []
    for r in range(a.runs):
        res = {}
        for name in ("redis", "redraft") if r % 2 == 0 else ("redraft", "redis"):
            res[name] = measure(name, a.bin, dump, a.work, keys)
            m = res[name]
            print(f"run {r + 1} {name}: load {m['load']:.2f} s, RSS {m['rss'] / 1e6:.0f} MB, "
                  f"save {m['save']:.2f} s ({m['saved'] / 1e6:.0f} MB)", flush=True)
        runs.append(res)

    lines = [SECTION, ""]
    cmd = " ".join(["python3", "bench/rdb_bench.py", *sys.argv[1:]])
    rev = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(a.bin)), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "?"
    lines.append(f"Command: `{cmd}` ({a.runs} runs; redraft: release build of commit {rev}).")
    lines.append("")
    lines.append(f"redis-server {version} vs redraft. The file: {size / 1e6:,.0f} MB, {keys:,} keys, written by")
    lines.append("redis-server from `DEBUG POPULATE` small strings plus incompressible strings (40 B, 1 KB,")
    lines.append("100 KB), lists, small and large hashes, sets of strings and of integers, small and large")
    lines.append("sorted sets (see the script). Load: process start to first `+PONG`, file in the page")
    lines.append("cache; RSS 1 s after; save: `SAVE` of the loaded data. One server at a time,")
    lines.append(f"{os.cpu_count()} cores shared with other work.")
    lines.append("")
    lines.append("| run | redis load | redraft load | ratio | redis RSS | redraft RSS | ratio | redis SAVE | redraft SAVE | ratio |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, res in enumerate(runs):
        rd, dd = res["redis"], res["redraft"]
        lines.append(
            f"| {i + 1} | {rd['load']:.2f} s | {dd['load']:.2f} s | {dd['load'] / rd['load']:.2f}x "
            f"| {rd['rss'] / 1e6:,.0f} MB | {dd['rss'] / 1e6:,.0f} MB | {dd['rss'] / rd['rss']:.2f}x "
            f"| {rd['save']:.2f} s | {dd['save']:.2f} s | {dd['save'] / rd['save']:.2f}x |")
    best = {n: {k: min(r[n][k] for r in runs) for k in ("load", "rss", "save")} for n in ("redis", "redraft")}
    lines.append(
        f"| best | {best['redis']['load']:.2f} s | {best['redraft']['load']:.2f} s "
        f"| {best['redraft']['load'] / best['redis']['load']:.2f}x "
        f"| {best['redis']['rss'] / 1e6:,.0f} MB | {best['redraft']['rss'] / 1e6:,.0f} MB "
        f"| {best['redraft']['rss'] / best['redis']['rss']:.2f}x "
        f"| {best['redis']['save']:.2f} s | {best['redraft']['save']:.2f} s "
        f"| {best['redraft']['save'] / best['redis']['save']:.2f}x |")
    lines.append("")
    sizes = {n: runs[-1][n]["saved"] for n in ("redis", "redraft")}
    lines.append(f"Files written by SAVE: redis {sizes['redis'] / 1e6:,.0f} MB, redraft {sizes['redraft'] / 1e6:,.0f} MB.")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        replace_section(a.out, text)


if __name__ == "__main__":
    main()
