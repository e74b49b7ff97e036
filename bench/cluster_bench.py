#!/usr/bin/env python3
"""Cluster mode, side by side on this machine, in one run:

- a 3-node redraft cluster (nodes on 127.0.0.1-3, every write committed by a majority
  with an fsync per append batch) against its leader;
- a single redis-server with no persistence;
- a single redis-server with `appendonly yes`, `appendfsync always`.

redis-benchmark -t set,get,lpush, 50 clients, without and with -P 16. Then failover:
time from `kill -9` of the leader to the first acknowledged write on the new leader
(a client retrying SET every 10 ms on every node), over several rounds.

Usage: python3 bench/cluster_bench.py [--requests N] [--rounds N] [--bin target/release/redraft]
"""

import argparse
import csv
import io
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = "set,get,lpush"


def port_free(host, port):
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def pick_port():
    while True:
        p = random.randint(12000, 21999)  # cluster ports below the ephemeral range
        if all(port_free(f"127.0.0.{i}", q) for i in (1, 2, 3) for q in (p, p + 10000)):
            return p


def wait_port(host, port, proc):
    for _ in range(500):
        if proc.poll() is not None:
            sys.exit(f"server {host}:{port} exited")
        try:
            socket.create_connection((host, port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit(f"server {host}:{port} did not start")


def cmd(host, port, *args, timeout=2.0):
    """One command over a raw socket; the first reply line."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        s.sendall(b"".join(out))
        f = s.makefile("rb")
        line = f.readline()
        if line[:1] == b"$":
            n = int(line[1:-2])
            return f.read(n + 2)[:-2].decode() if n >= 0 else None
        return line.decode().strip()


class Cluster:
    def __init__(self, binary, tmp):
        self.port = pick_port()
        self.binary, self.tmp = binary, tmp
        self.peers = ",".join(f"{i}=127.0.0.{i}:{self.port}" for i in (1, 2, 3))
        self.procs = {}

    def start(self, i):
        d = os.path.join(self.tmp, f"n{i}")
        os.makedirs(d, exist_ok=True)
        argv = [self.binary, "--bind", f"127.0.0.{i}", "--port", str(self.port), "--dir", d,
                "--cluster", "--node-id", str(i), "--peers", self.peers,
                "--cluster-secret", "bench", "--save", "", "--loglevel", "warning"]
        self.procs[i] = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(f"127.0.0.{i}", self.port, self.procs[i])

    def leader(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, p in self.procs.items():
                if p.poll() is not None:
                    continue
                try:
                    st = cmd(f"127.0.0.{i}", self.port, "RAFT", "STATUS")
                    if st and "role:leader" in st:
                        return i
                except OSError:
                    pass
            time.sleep(0.02)
        sys.exit("no leader")

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def bench(host, port, requests, pipeline):
    out = subprocess.run(
        ["redis-benchmark", "-h", host, "-p", str(port), "-t", TESTS, "-n", str(requests),
         "-c", "50", "-P", str(pipeline), "-r", "100000", "--csv", "-q"],
        capture_output=True, text=True, check=True).stdout
    rows = {}
    for row in csv.reader(io.StringIO(out)):
        if row and row[0] != "test":
            rows[row[0].split()[0]] = float(row[1])
    return rows


def redis(tmp, extra):
    port = pick_port()
    exe = shutil.which("redis-server") or sys.exit("redis-server is not installed")
    p = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                          "--save", "", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port("127.0.0.1", port, p)
    return p, port


def failover_rounds(c, rounds):
    """Seconds from kill -9 of the leader to the first acknowledged write after it."""
    times = []
    for _ in range(rounds):
        leader = c.leader()
        for _ in range(50):  # the cluster is warm and writing
            cmd(f"127.0.0.{leader}", c.port, "SET", "warm", "1")
        t0 = time.time()
        c.procs[leader].kill()
        c.procs[leader].wait()
        done = None
        while done is None and time.time() - t0 < 30:
            for i in c.procs:
                if i == leader:
                    continue
                try:
                    if cmd(f"127.0.0.{i}", c.port, "SET", "after", "1", timeout=0.5) == "+OK":
                        done = time.time() - t0
                        break
                except OSError:
                    pass
            time.sleep(0.01)
        times.append(done)
        c.start(leader)
        time.sleep(2)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "redraft"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cluster-bench-")
    results = {}
    c = Cluster(a.bin, tmp)
    try:
        for i in (1, 2, 3):
            c.start(i)
        leader = c.leader()
        time.sleep(2)  # past the first election's churn
        for p in (1, 16):
            for attempt in range(3):
                leader = c.leader()
                try:
                    results[("redraft", p)] = bench(f"127.0.0.{leader}", c.port, a.requests, p)
                    break
                except subprocess.CalledProcessError as e:
                    print(f"redis-benchmark failed: {e.stderr[-500:]}", file=sys.stderr)
                    if attempt == 2:
                        raise
        os.makedirs(os.path.join(tmp, "r1"))
        r1, port1 = redis(os.path.join(tmp, "r1"), ["--appendonly", "no"])
        try:
            for p in (1, 16):
                results[("redis", p)] = bench("127.0.0.1", port1, a.requests, p)
        finally:
            r1.kill()
        os.makedirs(os.path.join(tmp, "r2"))
        r2, port2 = redis(os.path.join(tmp, "r2"), ["--appendonly", "yes", "--appendfsync", "always"])
        try:
            for p in (1, 16):
                results[("always", p)] = bench("127.0.0.1", port2, a.requests, p)
        finally:
            r2.kill()
        fo = failover_rounds(c, a.rounds)
    finally:
        c.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"| test | -P | redraft 3 nodes | redis (no persistence) | redis appendfsync always | vs redis | vs always |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t in TESTS.split(","):
        key = t.upper()
        for p in (1, 16):
            rd, rs, al = (results[(n, p)].get(key, 0) for n in ("redraft", "redis", "always"))
            print(f"| {key} | {p} | {rd:,.0f} | {rs:,.0f} | {al:,.0f} | {rd / rs:.2f}x | {rd / al:.2f}x |")
    ok = [t for t in fo if t is not None]
    print()
    print("failover (kill -9 of the leader to the first acknowledged write): "
          + ", ".join(f"{t:.2f} s" if t is not None else "none in 30 s" for t in fo)
          + (f"; median {sorted(ok)[len(ok) // 2]:.2f} s" if ok else ""))


if __name__ == "__main__":
    main()
