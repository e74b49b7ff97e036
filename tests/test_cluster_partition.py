"""Network partitions: each node in its own network namespace (tests/netns.py), cut from
the others with blackhole routes while this process still reaches every node.

A list-append workload (tests/history.py: clients following the leader) runs through
each scenario, and its history is checked at the end (no acknowledged append lost, no
stale read, every node's lists equal...). On top of that, each test checks what the
scenario is about:

- an isolated leader stops acknowledging at once (nothing it is sent after the cut can
  reach a quorum), refuses within a few seconds, serves no read; the majority elects a
  leader that acknowledges; what only the old leader had never shows up;
- an isolated follower: the leader keeps acknowledging, without a pause;
- a bridge (the leader and one follower cannot talk; the third node sees both): the
  cluster keeps acknowledging writes.
After healing, the nodes converge to the same DEBUG DIGEST."""

import time

import redis

from netns import NetnsCluster, require_netns

require_netns()

import history  # noqa: E402 - after the skip
from history import FAIL, OK, Workload, classify, connect, find_leader, wait_stable_leader  # noqa: E402

SETTLE = 3.0  # seconds after a cut by which an isolated leader must have stepped down


def wait_for(pred, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def oks(w, kind="append", node=None, after=None):
    """The workload's ok operations so far (optionally: on `node`, invoked after `after`)."""
    return [o for h in w.histories for o in list(h)
            if o.kind == kind and o.status == OK and (node is None or o.node == node)
            and (after is None or o.invoke > after)]


def halt(w):
    """Stops the workload's clients, whatever happened (they stop within their timeout)."""
    w.stop.set()
    for t in w.threads:
        t.join(15)


def finish_and_check(c, w, report):
    """Stops the workload once the healed cluster acknowledged appends again, then checks
    convergence and the whole history."""
    healed = w.now()
    wait_stable_leader(c, timeout=20)
    report["heal->stable leader"] = round(w.now() - healed, 2)
    wait_for(lambda: len(oks(w, after=healed)) >= 50, what="appends after healing")
    w.finish()
    digests = c.converge()
    assert len(set(digests.values())) == 1, f"nodes differ after healing: {digests}"
    finals = history.final_lists(c, w.keys.all)
    assert len(finals) == 3, f"final lists read on {sorted(finals)} only"
    rep = history.check(w.ops(), finals)
    assert rep.ok(), f"{rep.summary()}\nnode logs: {c.tmp}"
    return finals


def probe_writes(node, key, seconds, log):
    """Sends a write to `node` (new connection each time) every 0.1 s for `seconds`;
    appends (time sent, status, text) to `log`."""
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        i += 1
        t = time.monotonic()
        try:
            c = connect(node, 1.0)
            try:
                c.rpush(key, i)
                log.append((t, OK, "acknowledged"))
            finally:
                c.close()
        except (redis.RedisError, OSError) as e:
            log.append((t, *classify(e)))
        time.sleep(0.1)


def test_isolated_leader_steps_down_and_the_majority_takes_over():
    report = {}
    with NetnsCluster(3) as c:
        old = wait_stable_leader(c)
        w = Workload(c, clients=3, seed=1, keys=history.Keys(active=2, per_key=200))
        w.start()
        try:
            wait_for(lambda: len(oks(w)) >= 300, what="appends before the cut")
            c.isolate(old.id)
            cut = w.now()  # after the routes are in: what was sent before may still be acknowledged
            t_cut = time.monotonic()

            # The old leader, sent writes from now on: none may be acknowledged (they
            # cannot reach a quorum); within SETTLE seconds it refuses them outright.
            probes = []
            probe_writes(old, "probe", SETTLE + 2.0, probes)
            assert not [p for p in probes if p[1] == OK], "the isolated leader acknowledged a write"
            refused = [p for p in probes if p[1] == FAIL]
            assert refused, f"the isolated leader never refused a write: {probes}"
            report["cut->old leader refuses"] = round(refused[0][0] - t_cut, 2)
            late = [p for p in probes if p[0] > t_cut + SETTLE and p[1] != FAIL]
            assert not late, f"the isolated leader still did not refuse writes {SETTLE}s after the cut: {late}"

            # The majority has a leader that acknowledges writes.
            new = find_leader(c, timeout=10, exclude=[old.id])
            assert new is not None and new.id != old.id
            wait_for(lambda: len([o for o in oks(w, after=cut) if o.node != old.id]) >= 50,
                     what="appends acknowledged by the majority")
            first = min(o.complete for o in oks(w, after=cut) if o.node != old.id)
            report["cut->first ack by the majority"] = round(first - cut, 2)

            # A read on the old leader after the majority acknowledged a write must not
            # answer (it would be stale).
            nc = connect(new)
            assert nc.set("fence", "after-cut") is True
            nc.close()
            try:
                oc = connect(old, 2.0)
                got = oc.get("fence")
                oc.close()
                raise AssertionError(f"the isolated old leader served a read: fence={got!r}")
            except (redis.RedisError, OSError) as e:
                report["read on old leader"] = classify(e)[1][:60]

            acked_by_old = oks(w, node=old.id, after=cut)
            assert not acked_by_old, f"the isolated leader acknowledged appends: {acked_by_old[:3]}"
            healed = w.now()
            c.heal()
            finish_and_check(c, w, report)
        finally:
            halt(w)
        # Including those still waiting when the partition healed.
        acked_by_old = [o for o in oks(w, node=old.id, after=cut) if o.invoke < healed]
        assert not acked_by_old, f"appends sent to the isolated leader were acknowledged: {acked_by_old[:3]}"
        # Entries only the isolated old leader had were never committed.
        lc = connect(wait_stable_leader(c))
        assert lc.lrange("probe", 0, -1) == [], "a write sent to the isolated old leader was applied"
        assert lc.get("fence") == b"after-cut"
        lc.close()
    print(report)


def test_isolated_follower_does_not_stop_the_majority():
    report = {}
    with NetnsCluster(3) as c:
        leader = wait_stable_leader(c)
        f = next(n for n in c.nodes.values() if n.id != leader.id)
        w = Workload(c, clients=3, seed=2, keys=history.Keys(active=2, per_key=200))
        w.start()
        try:
            wait_for(lambda: len(oks(w)) >= 300, what="appends before the cut")
            c.isolate(f.id)
            cut = w.now()
            time.sleep(1.0)
            fc = connect(f)
            for cmd in (("SET", "k", "v"), ("GET", "k")):
                try:
                    fc.execute_command(*cmd)
                    raise AssertionError(f"the isolated follower served {cmd}")
                except redis.ReadOnlyError:
                    pass
            fc.close()
            time.sleep(3.0)
            end = w.now()
            during = sorted(o.complete for o in oks(w) if cut < o.complete < end)
            assert len(during) >= 50, f"only {len(during)} appends acknowledged in {end - cut:.1f}s"
            gaps = [b - a for a, b in zip([cut] + during, during + [end])]
            report["acks while isolated"] = len(during)
            report["longest pause in acks (s)"] = round(max(gaps), 2)
            assert max(gaps) < 2.0, f"acknowledgements stopped for {max(gaps):.1f}s"
            # Nothing could disturb the leader: the follower reaches nobody.
            assert {o.node for o in oks(w, after=cut) if o.complete < end} == {leader.id}
            assert find_leader(c, timeout=2).id == leader.id
            c.heal()
            finish_and_check(c, w, report)
        finally:
            halt(w)
    print(report)


def test_bridge_partition_keeps_the_cluster_available():
    """Leader L and follower X cannot talk; follower B still talks to both."""
    report = {}
    with NetnsCluster(3) as c:
        leader = wait_stable_leader(c)
        b, x = [n for n in c.nodes.values() if n.id != leader.id]
        w = Workload(c, clients=3, seed=3, keys=history.Keys(active=2, per_key=200))
        w.start()
        try:
            wait_for(lambda: len(oks(w)) >= 300, what="appends before the cut")
            c.partition(leader.id, x.id)
            cut = w.now()
            time.sleep(6.0)
            end = w.now()
            during = sorted(o.complete for o in oks(w) if cut < o.complete < end)
            late = [t for t in during if t > end - 3.0]
            report["acks during the bridge"] = len(during)
            report["in its last 3s"] = len(late)
            report["leaders during the bridge"] = sorted({o.node for o in oks(w) if cut < o.complete < end})
            assert len(late) >= 20, f"only {len(late)} appends acknowledged in the last 3s of the bridge"
            c.heal()
            finish_and_check(c, w, report)
        finally:
            halt(w)
    print(report)
