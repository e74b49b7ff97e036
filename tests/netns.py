"""Cluster harness with one network namespace per node, so that tests can cut the
network between nodes (partitions) while the test process still reaches every node.

Layout, for a cluster tagged T (random) on subnet 10.213.X.0/24 (X random, unused here):

    root namespace (the test process)              namespace rdft-T-N (node N)
    rdftT h N  10.213.X.(100+N) peer 10.213.X.N  <--veth-->  rdftT n N  10.213.X.N peer 10.213.X.(100+N)
                                                             route 10.213.X.0/24 via 10.213.X.(100+N)

Every link is point to point: the root side has a route to each node's address through
that node's veth, and each node routes the whole /24 through the root namespace, which
forwards between the veths (forwarding is switched on for these veths only, not for the
machine's other interfaces; the namespaces have no default route, so nothing leaves the
machine). Node N runs as `ip netns exec rdft-T-N redraft --bind 10.213.X.N ...`.

A partition between A and B is a pair of blackhole routes, one inside each namespace
(`blackhole <B>/32` in A's, `blackhole <A>/32` in B's): A and B no longer exchange a
packet, but the test process, whose address is the root side of each link, still
reaches both. Healing deletes the routes.

Everything created here (processes, veths, namespaces) is removed on exit, whatever
happened."""

import os
import random
import secrets
import shutil
import subprocess

import pytest

from cluster import SECRET, Cluster, Node


def require_netns():
    """Skips the calling test module unless namespaces can be made here."""
    if os.geteuid() != 0:
        pytest.skip("network namespace tests need root", allow_module_level=True)
    if not shutil.which("ip"):
        pytest.skip("network namespace tests need `ip` (iproute2)", allow_module_level=True)
    probe = f"rdft-probe-{secrets.token_hex(3)}"
    made = ip("netns", "add", probe, check=False)
    ip("netns", "del", probe, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot create network namespaces here: {made.stderr.strip()}", allow_module_level=True)


def ip(*args, ns=None, check=True):
    argv = ["ip", *(["netns", "exec", ns, "ip"] if ns else []), *map(str, args)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {p.stderr.strip()}")
    return p


def _pick_subnet():
    """A 10.213.X.0/24 that no address or route on this machine mentions yet."""
    used = ip("-4", "addr").stdout + ip("-4", "route", "show", "table", "all").stdout
    free = [x for x in range(1, 255) if f"10.213.{x}." not in used]
    if not free:
        raise RuntimeError("no free 10.213.X.0/24 subnet")
    return random.choice(free)


class NetnsNode(Node):
    """A cluster node whose process runs in its own network namespace."""

    def __init__(self, cluster, id, extra=()):
        super().__init__(cluster, id, extra)
        self.host = cluster.addr(id)
        self.ns = cluster.ns(id)

    def argv(self):
        return ["ip", "netns", "exec", self.ns, *super().argv()]


class NetnsCluster(Cluster):
    """`cluster.Cluster` with node N in namespace rdft-<tag>-N at 10.213.X.N; adds
    `partition`, `isolate`, `heal`."""

    def __init__(self, n=3, extra=(), secret=SECRET):
        super().__init__(n, extra, secret)
        self.tag = secrets.token_hex(3)
        self.subnet = _pick_subnet()
        # Each node has its own namespace, so any port will do on every node.
        self.peers = ",".join(f"{i}={self.addr(i)}:{self.port}" for i in self.ids)
        self.nodes = {i: NetnsNode(self, i) for i in self.ids}
        self.cuts = set()  # (a, b) with a blackhole route in a's namespace to b
        self._made_ns, self._made_links = [], []

    def addr(self, id):
        return f"10.213.{self.subnet}.{id}"

    def gateway(self, id):
        """The root side of node `id`'s link."""
        return f"10.213.{self.subnet}.{100 + id}"

    def ns(self, id):
        return f"rdft-{self.tag}-{id}"

    def _host_if(self, id):
        return f"rdft{self.tag}h{id}"  # 15 characters at most, as Linux wants

    def _node_if(self, id):
        return f"rdft{self.tag}n{id}"

    def __enter__(self):
        try:
            self.net_up()
        except BaseException:
            self.net_down()
            raise
        return super().__enter__()  # stops everything (our stop) if a node fails to start

    def net_up(self):
        for i in self.ids:
            ns, h, n = self.ns(i), self._host_if(i), self._node_if(i)
            ip("netns", "add", ns)
            self._made_ns.append(ns)
            ip("link", "add", h, "type", "veth", "peer", "name", n)
            self._made_links.append(h)
            ip("link", "set", n, "netns", ns)
            ip("addr", "add", f"{self.gateway(i)}/32", "peer", f"{self.addr(i)}/32", "dev", h)
            with open(f"/proc/sys/net/ipv4/conf/{h}/forwarding", "w") as f:
                f.write("1")
            ip("link", "set", h, "up")
            ip("link", "set", "lo", "up", ns=ns)
            ip("addr", "add", f"{self.addr(i)}/32", "peer", f"{self.gateway(i)}/32", "dev", n, ns=ns)
            ip("link", "set", n, "up", ns=ns)
            ip("route", "add", f"10.213.{self.subnet}.0/24", "via", self.gateway(i), ns=ns)

    def net_down(self):
        """Removes what net_up made; safe to call more than once, and after a partial
        net_up. Processes still in a namespace (ours: nothing else runs in these) are
        killed by pid first, so that the namespaces really go away."""
        for ns in self._made_ns:
            pids = ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
        for h in self._made_links:
            ip("link", "del", h, check=False)  # deletes the peer end too
        for ns in self._made_ns:
            ip("netns", "del", ns, check=False)
        self._made_links, self._made_ns = [], []
        self.cuts.clear()

    def stop(self):
        try:
            super().stop()
        finally:
            self.net_down()

    # Faults.

    def _cut(self, a, b):
        if (a, b) not in self.cuts:
            ip("route", "add", "blackhole", f"{self.addr(b)}/32", ns=self.ns(a))
            self.cuts.add((a, b))

    def partition(self, a, b):
        """A and B no longer reach each other (both directions)."""
        self._cut(a, b)
        self._cut(b, a)

    def isolate(self, a):
        """A reaches no other node; the others still reach each other."""
        for b in self.ids:
            if b != a:
                self.partition(a, b)

    def heal(self):
        """Removes every partition."""
        for a, b in sorted(self.cuts):
            ip("route", "del", "blackhole", f"{self.addr(b)}/32", ns=self.ns(a), check=False)
        self.cuts.clear()
