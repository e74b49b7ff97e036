"""A history checker for cluster mode, after Jepsen's list-append workload.

Clients (threads, each with its own connection to the node it believes leads) append
unique integers to a few lists and read them back, while a nemesis kills, pauses and
restarts nodes. Every operation is recorded with its invocation and completion times
(one monotonic clock: every client runs in this process) and its outcome:

- ok:   acknowledged; for an append, with the list read back in the same transaction
        (`MULTI; RPUSH key v; LRANGE key 0 -1; EXEC` is one Raft entry, so the list read
        back is the list right after the append); for a read (`LRANGE key 0 -1` alone),
        the list.
- fail: definitely not applied: the server said so before proposing anything
        (READONLY, NOREPLICAS, TRYAGAIN, LOADING, EXECABORT).
- info: outcome unknown: UNCERTAIN, a timeout, a closed connection, any other error.

The nemesis (faults, one at a time): kill -9 of the leader and restart; a quiet spell
(no client sends anything; an idle leader must still lead afterwards); SIGSTOP of the
leader and SIGCONT; kill -9 of a follower and restart. The run also reports its
longest stretch without any ok operation (liveness).

At the end the faults stop, the nodes converge, and each node's final lists are read
(each node in turn is made leader with RAFT TRANSFER, so that the read is its own
state machine's, through the linearizable read path). Then `check` looks for:

  lost        (a) an ok append whose value is missing from a node's final list;
  phantom     (b) a value in any list (read, read back, or final) that no client ever
                  tried to append to that key;
  failed-seen     a value whose append failed (fail, i.e. definitely not applied) in
                  any list: the server said "not applied" but applied it;
  duplicate   (c) a value twice in one list;
  not-prefix  (d) an ok observation that is not a prefix of the final list (lists only
                  grow at the end, and every node agrees on the order);
  divergent       two nodes whose final lists for a key differ;
  own-missing     an ok append whose read-back list does not end with its own value;
  future-read     an ok observation containing a value whose append was invoked only
                  after the observation completed;
  stale-read  (e) real-time order: if ok operation A completed before ok operation B
                  was invoked (same key), A's observed list must be a prefix of B's.
                  Appends count as observations (their read-back list), so this also
                  says that an ok append completed before a read began is in that read.

Run `python3 tests/history.py --duration 300` for a long run with a summary;
tests/test_cluster_history.py runs it briefly under pytest. Only 127.0.0.x nodes
(tests/cluster.py), no network namespaces.
"""

import argparse
from array import array
import itertools
import os
import random
import shutil
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

OK, FAIL, INFO = "ok", "fail", "info"

# Replies that say the command was refused before anything was proposed.
_NOT_APPLIED = ("READONLY", "NOREPLICAS", "TRYAGAIN", "LOADING", "EXECABORT")


# ---------------------------------------------------------------------------
# Talking to nodes


def connect(node, timeout=3.0):
    """One connection to `node`, opened now (so a refused connection raises here, before
    any command is sent). No retries: redis-py's default retry would resend a command
    whose first attempt may have been applied."""
    return redis.Redis(host=node.host, port=node.port, socket_timeout=timeout,
                       socket_connect_timeout=min(timeout, 1.0), retry=Retry(NoBackoff(), 0),
                       single_connection_client=True)


def classify(exc):
    """(status, text) for an exception from a command: FAIL only when the server said
    the command was not applied; INFO otherwise."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, redis.ResponseError):
        code = getattr(exc, "status_code", None) or str(exc).split(" ")[0]
        if "UNCERTAIN" in str(exc):
            return INFO, text
        if code in _NOT_APPLIED or isinstance(
                exc, (redis.ReadOnlyError, redis.exceptions.ExecAbortError,
                      redis.exceptions.TryAgainError, redis.BusyLoadingError)) \
                or str(exc).startswith("NOREPLICAS"):
            return FAIL, text
    return INFO, text


def status(node, timeout=0.5):
    """RAFT STATUS of `node` as a dict, or None if it does not answer in time."""
    if not node.alive():
        return None
    try:
        c = connect(node, timeout)
        try:
            text = c.execute_command("RAFT", "STATUS")
        finally:
            c.close()
    except (redis.RedisError, OSError):
        return None
    out = {}
    for line in (text.decode() if isinstance(text, bytes) else text).splitlines():
        k, _, v = line.partition(":")
        if k and k != "member":
            out[k] = v
    return out


def find_leader(cluster, timeout=5.0, exclude=()):
    """The node that says it leads (role:leader, i.e. it leads and hears from a quorum),
    the one with the highest term if several do; None if none within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        best = None
        for n in cluster.nodes.values():
            if n.id in exclude:
                continue
            s = status(n)
            if s and s.get("role") == "leader" and (best is None or int(s["term"]) > best[0]):
                best = (int(s["term"]), n)
        if best:
            return best[1]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def wait_stable_leader(cluster, timeout=20.0):
    """Waits until every node answers, exactly one says it leads, and every node names
    it as leader with the same term; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = {n.id: status(n) for n in cluster.nodes.values()}
        if all(st.values()):
            leaders = [i for i, s in st.items() if s.get("role") == "leader"]
            if len(leaders) == 1 and all(
                    s.get("leader_id") == str(leaders[0]) and s.get("term") == st[leaders[0]]["term"]
                    for s in st.values()):
                return cluster.nodes[leaders[0]]
        time.sleep(0.1)
    raise AssertionError(f"no stable leader within {timeout}s: {st}")


# ---------------------------------------------------------------------------
# The history


@dataclass
class Op:
    process: int
    kind: str            # "append" | "read"
    key: str
    value: int | None    # appends only
    invoke: float
    complete: float = 0.0
    status: str = INFO
    result: array | None = None  # the list observed (ok only)
    node: int | None = None
    error: str | None = None

    def __str__(self):
        what = f"append {self.value}" if self.kind == "append" else "read"
        res = ""
        if self.result is not None:
            tail = ", ".join(map(str, self.result[-3:]))
            res = f" -> len {len(self.result)} [{'..., ' if len(self.result) > 3 else ''}{tail}]"
        err = f" ({self.error})" if self.error else ""
        return (f"p{self.process} {what} {self.key} on n{self.node} "
                f"[{self.invoke:.3f}, {self.complete:.3f}] {self.status}{res}{err}")


class Keys:
    """The lists under test: `active` keys at a time; a key that has had `per_key`
    appends attempted is retired and replaced, so that lists stay short."""

    def __init__(self, active=3, per_key=150, prefix="h"):
        self.lock = threading.Lock()
        self.per_key, self.prefix = per_key, prefix
        self.next_id = itertools.count()
        self.active = [self._new() for _ in range(active)]
        self.count = Counter()
        self.all = list(self.active)

    def _new(self):
        return f"{self.prefix}:{next(self.next_id)}"

    def for_append(self, rng):
        with self.lock:
            i = rng.randrange(len(self.active))
            k = self.active[i]
            self.count[k] += 1
            if self.count[k] >= self.per_key:
                self.active[i] = self._new()
                self.all.append(self.active[i])
            return k

    def for_read(self, rng):
        with self.lock:
            return rng.choice(self.active)


class Workload:
    """Client threads following the leader, plus the recorded history."""

    def __init__(self, cluster, clients=4, seed=0, read_ratio=0.3, timeouts=(1.0, 5.0), keys=None):
        self.cluster, self.clients, self.seed = cluster, clients, seed
        # Client p waits timeouts[p % len] seconds for a reply. With a fault that pauses
        # the leader longer than the short timeout and shorter than the long one, some
        # clients move to the new leader and write there while others still wait on the
        # paused one, whose replies (after SIGCONT) must not be stale.
        self.read_ratio, self.timeouts = read_ratio, timeouts
        self.keys = keys or Keys()
        self.values = itertools.count(1)
        self.histories = [[] for _ in range(clients)]
        self.stop = threading.Event()
        self.quiet = threading.Event()  # set: clients send nothing (the cluster idles)
        self.threads = []
        self.crashed = []
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    def start(self):
        for p in range(self.clients):
            t = threading.Thread(target=self._run, args=(p,), name=f"client-{p}", daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(max(self.timeouts) + 10)
        assert not any(t.is_alive() for t in self.threads), "a client thread hung"
        assert not self.crashed, f"a client thread crashed: {self.crashed}"

    def ops(self):
        return sorted((o for h in self.histories for o in h), key=lambda o: o.invoke)

    def _run(self, p):
        try:
            self._loop(p)
        except BaseException as e:  # noqa: BLE001 - reported by finish()
            self.crashed.append(f"client {p}: {e!r}")
            raise

    def _loop(self, p):
        rng = random.Random(self.seed * 1000 + p)
        timeout = self.timeouts[p % len(self.timeouts)]
        conn, node = None, None
        while not self.stop.is_set():
            if self.quiet.is_set():
                time.sleep(0.05)
                continue
            if conn is None:
                node = find_leader(self.cluster, timeout=1.0)
                if node is None:
                    continue
                try:
                    conn = connect(node, timeout)
                except (redis.RedisError, OSError):
                    conn = None
                    time.sleep(0.05)
                    continue
            if rng.random() < self.read_ratio:
                op = Op(p, "read", self.keys.for_read(rng), None, self.now(), node=node.id)
            else:
                op = Op(p, "append", self.keys.for_append(rng), next(self.values), self.now(), node=node.id)
            try:
                if op.kind == "append":
                    tx = conn.pipeline(transaction=True)
                    tx.rpush(op.key, op.value)
                    tx.lrange(op.key, 0, -1)
                    reply = tx.execute()[1]
                else:
                    reply = conn.lrange(op.key, 0, -1)
                op.result = array("q", (int(x) for x in reply))  # compact: runs hold many lists
                op.status = OK
            except Exception as e:  # noqa: BLE001 - every failure is recorded
                op.status, op.error = classify(e)
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
            op.complete = self.now()
            self.histories[p].append(op)
        if conn is not None:
            conn.close()


# ---------------------------------------------------------------------------
# Faults


class Nemesis:
    """Injects faults in turn, one at a time, `interval` seconds apart:
    kill -9 of the leader then a restart; a quiet spell (the clients send nothing for
    `pause` seconds: an idle leader must still lead afterwards); SIGSTOP of the leader
    then SIGCONT after `pause` seconds; kill -9 and restart of a follower."""

    KINDS = ("kill-leader", "quiet", "pause-leader", "restart-follower")

    def __init__(self, cluster, clock, interval=5.0, down=1.5, pause=2.5, seed=0, log=None, quiet=None,
                 kinds=KINDS):
        self.cluster, self.clock, self.kinds = cluster, clock, kinds
        self.quiet = quiet or threading.Event()
        self.interval, self.down, self.pause = interval, down, pause
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.faults = []  # (kind, node id or None, start, end)
        self.errors = []
        self.log = log or (lambda msg: None)
        self.thread = threading.Thread(target=self._run, name="nemesis", daemon=True)

    def start(self):
        self.thread.start()

    def finish(self):
        """Stops injecting, and leaves every node running and resumed."""
        self.stop.set()
        self.thread.join(60)
        self.quiet.clear()
        for n in self.cluster.nodes.values():
            n.signal(signal.SIGCONT)
            if not n.alive():
                self._start(n)

    def _start(self, node):
        for attempt in range(5):
            try:
                node.start()
                return
            except Exception as e:  # noqa: BLE001
                self.errors.append(f"restart of n{node.id} failed: {e}"[:2000])
                time.sleep(0.5)
        raise RuntimeError(f"node {node.id} does not restart")

    def _run(self):
        try:
            self._loop()
        except Exception as e:  # noqa: BLE001 - reported with the run's results
            self.errors.append(f"nemesis stopped: {e!r}"[:2000])

    def _loop(self):
        kinds = itertools.cycle(self.kinds)
        while not self.stop.wait(self.interval):
            kind = next(kinds)
            leader = find_leader(self.cluster, timeout=3.0)
            if leader is None:
                self.log(f"{self.clock():7.2f} {kind} skipped: no node leads")
                self.faults.append((kind + " (skipped: no leader)", None, self.clock(), self.clock()))
                continue
            if kind == "restart-follower":
                target = self.rng.choice([n for n in self.cluster.nodes.values() if n.id != leader.id])
            else:
                target = leader
            start = self.clock()
            self.log(f"{start:7.2f} {kind}" + ("" if kind == "quiet" else f" n{target.id}"))
            if kind == "quiet":
                self.quiet.set()
                try:
                    time.sleep(self.pause)
                finally:
                    self.quiet.clear()
                self.faults.append((kind, None, start, self.clock()))
                continue
            if kind == "pause-leader":
                target.signal(signal.SIGSTOP)
                try:
                    time.sleep(self.pause)
                finally:
                    target.signal(signal.SIGCONT)
            else:
                target.kill9()
                time.sleep(self.down)
                self._start(target)
            self.faults.append((kind, target.id, start, self.clock()))


# ---------------------------------------------------------------------------
# Final state


def final_lists(cluster, keys, attempts=10):
    """{node id: {key: list}}: each node is made leader in turn (RAFT TRANSFER) and its
    lists read through the linearizable path. A node that cannot be made leader is left
    out (the caller compares DEBUG DIGESTs as well)."""
    out = {}
    for n in cluster.nodes.values():
        for _ in range(attempts):
            try:
                leader = wait_stable_leader(cluster)
                if leader.id != n.id:
                    c = connect(leader, 5.0)
                    try:
                        c.execute_command("RAFT", "TRANSFER", n.id)
                    finally:
                        c.close()
                    if wait_stable_leader(cluster).id != n.id:
                        continue
                c = connect(n, 5.0)
                try:
                    out[n.id] = {k: [int(x) for x in c.lrange(k, 0, -1)] for k in keys}
                finally:
                    c.close()
                break
            except (redis.RedisError, OSError, AssertionError):
                time.sleep(0.3)
    return out


# ---------------------------------------------------------------------------
# The checker


@dataclass
class Report:
    violations: dict = field(default_factory=lambda: defaultdict(list))
    counts: Counter = field(default_factory=Counter)

    def add(self, kind, msg):
        self.violations[kind].append(msg)

    def ok(self):
        return not any(self.violations.values())

    def summary(self, limit=10):
        lines = []
        for kind, msgs in sorted(self.violations.items()):
            if not msgs:
                continue
            lines.append(f"{kind}: {len(msgs)}")
            lines += [f"  {m}" for m in msgs[:limit]]
            if len(msgs) > limit:
                lines.append(f"  ... {len(msgs) - limit} more")
        return "\n".join(lines) or "no violations"


def _is_prefix(a, b):
    return len(a) <= len(b) and list(b[:len(a)]) == list(a)


def check(ops, finals):
    """Checks a history against the nodes' final lists. `ops`: Op records; `finals`:
    {node id: {key: list}} (at least one node). Returns a Report."""
    rep = Report()
    rep.counts.update(f"{o.kind} {o.status}" for o in ops)
    attempted = {}  # value -> the op that tried to append it
    for o in ops:
        if o.kind == "append":
            attempted[o.value] = o
    observations = [o for o in ops if o.status == OK]  # ok appends' read-backs, ok reads

    # One reference final list per key (the first node's); the others must equal it.
    ref_node = min(finals)
    ref = finals[ref_node]
    for nid, lists in finals.items():
        for k, lst in lists.items():
            if lst != ref.get(k):
                i = next((j for j, (x, y) in enumerate(zip(lst, ref[k])) if x != y),
                         min(len(lst), len(ref[k])))
                rep.add("divergent", f"{k}: n{nid} (len {len(lst)}) and n{ref_node} (len {len(ref[k])}) "
                                     f"differ from index {i}: {lst[i:i + 3]} vs {ref[k][i:i + 3]}")

    def check_list(lst, key, where, by=None):
        seen = set()
        for v in lst:
            if v in seen:
                rep.add("duplicate", f"{v} twice in {key} ({where})")
            seen.add(v)
            a = attempted.get(v)
            if a is None or a.key != key:
                rep.add("phantom", f"{v} in {key} ({where}) was never appended to {key}"
                                   + (f"; it was appended to {a.key}: {a}" if a else ""))
            elif a.status == FAIL:
                rep.add("failed-seen", f"{v} in {key} ({where}) but its append failed: {a}")
            elif by is not None and a.invoke > by.complete:
                rep.add("future-read", f"{v} in {key} ({where}) but its append began later: {a}")

    # Lists seen in the history, deduplicated: many reads see the same list, so each
    # distinct (key, list) is checked once, with the op that saw it first (completed
    # first).
    distinct = {}
    for o in observations:
        d = (o.key, o.result.tobytes())
        if d not in distinct or o.complete < distinct[d].complete:
            distinct[d] = o
    for (k, _), o in distinct.items():
        check_list(o.result, k, f"seen by {o}", by=o)
    for nid, lists in finals.items():
        for k, lst in lists.items():
            check_list(lst, k, f"final on n{nid}")

    for o in observations:
        if o.kind == "append" and (not o.result or o.result[-1] != o.value):
            rep.add("own-missing", f"read-back does not end with the appended value: {o}")

    # (a) lost acknowledged appends.
    final_sets = {nid: {k: set(lst) for k, lst in lists.items()} for nid, lists in finals.items()}
    for o in ops:
        if o.kind == "append" and o.status == OK:
            for nid, sets in final_sets.items():
                if o.value not in sets.get(o.key, ()):
                    rep.add("lost", f"acknowledged append missing from n{nid}'s final {o.key}: {o}")

    # (d) every observation is a prefix of the final list.
    good = []  # observations that are prefixes of the reference final list
    for o in observations:
        if _is_prefix(o.result, ref.get(o.key, [])):
            good.append(o)
        else:
            fin = ref.get(o.key, [])
            i = next((j for j, (x, y) in enumerate(zip(o.result, fin)) if x != y), len(fin))
            rep.add("not-prefix", f"{o} is not a prefix of the final {o.key} (len {len(fin)}; "
                                  f"first difference at index {i}: {o.result[i:i + 3]} vs {fin[i:i + 3]})")

    # (e) real time. For prefixes of one list, "A is a prefix of B" is "len A <= len B".
    # Per key: walk the observations in invocation order, having folded in every
    # observation that completed before the current one was invoked; the longest of
    # those must not be longer than the current one.
    by_key = defaultdict(list)
    for o in good:
        by_key[o.key].append(o)
    for k, obs in by_key.items():
        by_complete = sorted(obs, key=lambda o: o.complete)
        i, longest = 0, None
        for o in sorted(obs, key=lambda o: o.invoke):
            while i < len(by_complete) and by_complete[i].complete < o.invoke:
                c = by_complete[i]
                if longest is None or len(c.result) > len(longest.result):
                    longest = c
                i += 1
            if longest is not None and len(longest.result) > len(o.result):
                missing = longest.result[len(o.result):]
                rep.add("stale-read", f"{o} misses {list(missing[:5])}{' ...' if len(missing) > 5 else ''} "
                                      f"already seen by {longest}, which completed before it began")
    return rep


# ---------------------------------------------------------------------------
# A run


@dataclass
class Result:
    ops: list
    faults: list
    finals: dict
    digests: dict
    report: Report
    nemesis_errors: list
    duration: float

    def longest_outage(self):
        """(seconds, from, to): the longest stretch of the run in which no operation
        completed ok (quiet spells included), from the first ok completion to the end
        of the workload."""
        done = sorted(o.complete for o in self.ops if o.status == OK)
        end = max((o.complete for o in self.ops), default=0.0)
        if not done:
            return (end, 0.0, end)
        return max((b - a, a, b) for a, b in zip(done, done[1:] + [end]))

    def recoveries(self):
        """[(seconds, fault)]: for each fault, the longest stretch without an ok
        operation that began between the fault's start and the next fault's."""
        done = sorted(o.complete for o in self.ops if o.status == OK)
        end = max((o.complete for o in self.ops), default=0.0)
        gaps = list(zip(done, done[1:] + [end]))
        out = []
        for i, f in enumerate(self.faults):
            nxt = self.faults[i + 1][2] if i + 1 < len(self.faults) else end
            out.append((max((b - a for a, b in gaps if f[2] <= b and a < nxt), default=0.0), f))
        return out

    def summary(self):
        c = Counter((o.kind, o.status) for o in self.ops)
        kinds = Counter(f[0] for f in self.faults)
        lines = [
            f"duration {self.duration:.1f}s, {len(self.ops)} ops:",
            *(f"  {k:6} ok {c[(k, OK)]:6}  fail {c[(k, FAIL)]:5}  info {c[(k, INFO)]:5}" for k in ("append", "read")),
            f"faults injected: {len(self.faults)} ({', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))})",
            "longest stretch without an ok operation: {:.2f}s (from {:.2f} to {:.2f})".format(*self.longest_outage()),
            "slowest recoveries: " + ", ".join(f"{f[0]}{'' if f[1] is None else f' n{f[1]}'} at {f[2]:.1f}s: {g:.1f}s"
                                                for g, f in sorted(self.recoveries(), reverse=True)[:4]),
            f"final lists read on nodes {sorted(self.finals)}; digests {'equal' if len(set(self.digests.values())) == 1 else 'DIFFER: ' + str(self.digests)}",
        ]
        errs = Counter((o.error or "").split(":")[0] + ": " + (o.error or "").split(":", 1)[-1].strip()[:60]
                       for o in self.ops if o.status != OK)
        if errs:
            lines.append("errors: " + "; ".join(f"{e} x{n}" for e, n in errs.most_common(6)))
        if self.nemesis_errors:
            lines.append("nemesis errors: " + "; ".join(self.nemesis_errors[:3]))
        lines.append("violations: " + ("none" if self.report.ok() else "\n" + self.report.summary()))
        return "\n".join(lines)


def pin_binary(cluster):
    """Runs every node of `cluster`, restarts included, from a private copy of the
    binary: others may rebuild target/debug/redraft during a run, and a node restarted
    from a newer build could not talk to the older ones."""
    import cluster as cluster_mod
    path = os.path.join(cluster.tmp, "redraft")
    shutil.copy2(cluster_mod.BIN, path)
    for n in cluster.nodes.values():
        n.argv = (lambda orig: lambda: [path, *orig()[1:]])(n.argv)


def run(duration=20.0, clients=4, interval=4.0, seed=None, extra=(), fault_free_tail=2.0, log=None,
        kinds=Nemesis.KINDS):
    """Starts a 3-node cluster (tests/cluster.py), runs the workload for `duration`
    seconds with faults every `interval` seconds (none during the last `fault_free_tail`),
    then checks the history. Returns a Result; the cluster is always stopped."""
    from cluster import Cluster
    seed = random.randrange(1 << 30) if seed is None else seed
    log = log or (lambda msg: None)
    log(f"seed {seed}")
    started = time.monotonic()
    c = Cluster(3, extra=list(extra))
    pin_binary(c)
    with c:
        wait_stable_leader(c)
        w = Workload(c, clients=clients, seed=seed)
        nem = Nemesis(c, w.now, interval=interval, seed=seed, log=log, quiet=w.quiet, kinds=kinds)
        w.start()
        nem.start()
        try:
            time.sleep(max(0.0, duration - fault_free_tail))
        finally:
            nem.finish()
            try:
                time.sleep(fault_free_tail)
            finally:
                w.finish()
        try:
            wait_stable_leader(c)
            digests = c.converge()
            finals = final_lists(c, w.keys.all)
            if not finals:
                raise AssertionError("could not read the final lists on any node")
        except AssertionError as e:
            c_ops = Counter((o.kind, o.status) for o in w.ops())
            raise AssertionError(f"the cluster did not settle after the run: {e}\n"
                                 f"ops: {dict(c_ops)}; faults: {nem.faults[-3:]}\nnode logs: {c.tmp}") from None
        ops = w.ops()
        rep = check(ops, finals)
        if len(set(digests.values())) != 1:
            rep.add("divergent", f"DEBUG DIGEST differs: {digests}")
        res = Result(ops, nem.faults, finals, digests, rep, nem.errors, time.monotonic() - started)
        res.tmp = c.tmp
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of workload")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between faults")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--extra", default="", help="more server options, e.g. '--read-consistency lease'")
    ap.add_argument("--max-outage", type=float, default=15.0,
                    help="fail if no operation succeeded for this many seconds")
    ap.add_argument("--faults", default=",".join(Nemesis.KINDS),
                    help=f"which faults, in turn (default: {','.join(Nemesis.KINDS)})")
    ap.add_argument("--keep", action="store_true", help="keep the node logs even if all went well")
    args = ap.parse_args()
    kinds = tuple(k for k in args.faults.split(",") if k)
    if not kinds or set(kinds) - set(Nemesis.KINDS):
        ap.error(f"--faults: choose among {','.join(Nemesis.KINDS)}")
    res = run(args.duration, args.clients, args.interval, args.seed, args.extra.split(),
              log=lambda m: print(m, flush=True), kinds=kinds)
    print(res.summary())
    live = res.longest_outage()[0] <= args.max_outage
    if not live:
        print(f"LIVENESS: nothing succeeded for more than {args.max_outage}s")
    if res.report.ok() and live and not args.keep:
        shutil.rmtree(res.tmp, ignore_errors=True)
        sys.exit(0)
    print(f"node logs: {res.tmp}")
    sys.exit(0 if res.report.ok() and live else 1)


if __name__ == "__main__":
    main()
