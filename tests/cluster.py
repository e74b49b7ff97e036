"""Multi-node harness: a cluster of `redraft` processes, node N on 127.0.0.N, all on the
same client port (cluster port = client port + 10000). Every process is stopped at the
end, whatever happens."""

import os
import random
import signal
import socket
import subprocess
import time

import redis

from conftest import BIN, _mkdtemp

SECRET = "test-cluster-secret"


def _free_on_all(port, hosts):
    for h in hosts:
        for p in (port, port + 10000):
            with socket.socket() as s:
                try:
                    s.bind((h, p))
                except OSError:
                    return False
    return True


def pick_port(hosts):
    for _ in range(200):
        # Cluster ports (+10000) stay below the ephemeral range (32768...), where an
        # outgoing connection may hold the port.
        p = random.randint(12000, 22000)
        if _free_on_all(p, hosts):
            return p
    raise RuntimeError("no free port")


class Node:
    def __init__(self, cluster, id, extra=()):
        self.cluster, self.id = cluster, id
        self.host = f"127.0.0.{id}"
        self.port = cluster.port
        self.dir = os.path.join(cluster.tmp, f"node{id}")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "server.log")
        self.extra = list(extra)
        self.proc = None

    def argv(self):
        return [BIN, "--bind", self.host, "--port", str(self.port), "--dir", self.dir,
                "--cluster", "--node-id", str(self.id), "--peers", self.cluster.peers,
                "--cluster-secret", self.cluster.secret, "--protected-mode", "no",
                "--enable-debug-command", "yes", *self.cluster.extra, *self.extra]

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.id} exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"node {self.id} did not start")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def client(self, **kw):
        kw.setdefault("socket_timeout", 5)
        return redis.Redis(host=self.host, port=self.port, **kw)

    def status(self):
        """RAFT STATUS as a dict (member lines under 'members')."""
        text = self.client().execute_command("RAFT", "STATUS")
        if isinstance(text, bytes):
            text = text.decode()
        out = {"members": []}
        for line in text.splitlines():
            k, _, v = line.partition(":")
            if k == "member":
                out["members"].append(v)
            elif k:
                out[k] = v
        return out


class Cluster:
    def __init__(self, n=3, extra=(), secret=SECRET):
        self.tmp = _mkdtemp("redraft-cluster-")
        self.ids = list(range(1, n + 1))
        self.port = pick_port([f"127.0.0.{i}" for i in range(1, 6)])
        self.peers = ",".join(f"{i}=127.0.0.{i}:{self.port}" for i in self.ids)
        self.secret = secret
        self.extra = list(extra)
        self.nodes = {i: Node(self, i) for i in self.ids}

    def __enter__(self):
        try:
            for n in self.nodes.values():
                n.start()
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        for n in self.nodes.values():
            n.stop()

    def leader(self, timeout=15.0, exclude=()):
        """The node that leads (asked of every live node), waiting for one."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for n in self.nodes.values():
                if n.id in exclude or not n.alive():
                    continue
                try:
                    if n.status().get("role") == "leader":
                        return n
                except (redis.RedisError, OSError):
                    pass
            time.sleep(0.05)
        logs = "\n".join(f"--- node {n.id}\n{n.log()[-2000:]}" for n in self.nodes.values())
        raise AssertionError(f"no leader within {timeout}s\n{logs}")

    def wait_applied(self, index, nodes=None, timeout=15.0):
        nodes = nodes or [n for n in self.nodes.values() if n.alive()]
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if all(int(n.status()["applied_index"]) >= index for n in nodes):
                    return
            except (redis.RedisError, OSError, KeyError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"nodes did not apply index {index} within {timeout}s")

    def converge(self, timeout=20.0):
        """Waits until every live node applied the leader's last index; returns the
        nodes' digests."""
        leader = self.leader()
        last = int(leader.status()["last_log_index"])
        self.wait_applied(last, timeout=timeout)
        return {n.id: n.client().execute_command("DEBUG", "DIGEST") for n in self.nodes.values() if n.alive()}
