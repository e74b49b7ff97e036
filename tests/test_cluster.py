"""Cluster mode: three redraft processes on 127.0.0.1-3 replicate every write through
Raft. Acknowledged writes survive the loss of the leader; the nodes' datasets end up
identical (DEBUG DIGEST)."""

import signal
import threading
import time

import pytest
import redis

from cluster import Cluster


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_writes_replicate_and_followers_refuse_writes():
    with Cluster(3) as c:
        leader = c.leader()
        r = leader.client()
        assert r.set("k", "v") is True
        assert r.rpush("l", "a", "b", "c") == 3
        assert r.incr("n") == 1
        # Pipelined writes share entries and keep their order and replies.
        p = r.pipeline(transaction=False)
        for i in range(100):
            p.rpush("seq", i)
        assert p.execute() == list(range(1, 101))
        # MULTI/EXEC is one entry with the array of replies.
        p = r.pipeline(transaction=True)
        p.set("a", 1).incr("a").get("a")
        assert p.execute() == [True, 2, b"2"]
        assert r.get("k") == b"v"
        followers = [n for n in c.nodes.values() if n.id != leader.id]
        for f in followers:
            fr = f.client()
            with pytest.raises(redis.ReadOnlyError):
                fr.set("k", "x")
            with pytest.raises(redis.ReadOnlyError, match="read against a follower"):
                fr.get("k")
            role = fr.execute_command("ROLE")
            assert role[0] == b"slave"
            assert role[1].decode() == leader.host and role[2] == leader.port
            info = fr.info("replication")
            assert info["role"] == "slave" and info["master_link_status"] == "up"
        role = r.execute_command("ROLE")
        assert role[0] == b"master" and len(role[2]) == 2
        assert r.info("replication")["role"] == "master"
        digests = c.converge()
        assert len(set(digests.values())) == 1, digests
        assert digests[leader.id] != b"0" * 40


def test_stale_reads_on_followers():
    with Cluster(3, extra=["--replica-read", "stale"]) as c:
        leader = c.leader()
        leader.client().set("x", "1")
        c.converge()
        for n in c.nodes.values():
            assert n.client().get("x") == b"1"


def _writer(c, stop, acked, errors):
    """Appends unique values to a list on whichever node leads; records those
    acknowledged."""
    i = 0
    client = None
    while not stop.is_set():
        try:
            if client is None:
                client = c.leader(timeout=10).client(socket_timeout=3)
            client.rpush("history", i)
            acked.append(i)
        except (redis.RedisError, OSError, AssertionError) as e:
            errors.append(repr(e))
            client = None
            time.sleep(0.05)
        i += 1


def test_kill9_leader_loses_no_acknowledged_write():
    with Cluster(3, extra=["--replica-read", "stale"]) as c:
        c.leader()
        stop, acked, errors = threading.Event(), [], []
        t = threading.Thread(target=_writer, args=(c, stop, acked, errors))
        t.start()
        try:
            wait_for(lambda: len(acked) > 200, what="writes before the kill")
            old = c.leader()
            killed_at = time.time()
            old.kill9()
            new = c.leader(exclude=[old.id])
            assert new.id != old.id
            n = len(acked)
            wait_for(lambda: len(acked) > n + 50, timeout=20, what="writes after failover")
            failover = time.time() - killed_at
            old.start()
            wait_for(lambda: len(acked) > n + 150, timeout=20, what="writes after restart")
        finally:
            stop.set()
            t.join()
        digests = c.converge()
        assert len(set(digests.values())) == 1, digests
        for node in c.nodes.values():
            got = [int(x) for x in node.client().lrange("history", 0, -1)]
            missing = set(acked) - set(got)
            assert not missing, f"node {node.id} lost acknowledged writes {sorted(missing)[:10]}"
            assert len(got) == len(set(got)), "a value was appended twice"
        assert failover < 15, failover


def test_restart_all_nodes_keeps_data():
    with Cluster(3, extra=["--raft-snapshot-entries", "200"]) as c:
        r = c.leader().client()
        for i in range(500):
            r.set(f"key:{i}", i)
        before = c.converge()
        for n in c.nodes.values():
            n.stop()
        for n in c.nodes.values():
            n.start()
        r = c.leader().client()
        assert r.get("key:499") == b"499"
        assert r.dbsize() == 500
        after = c.converge()
        assert set(after.values()) == set(before.values())


def test_leadership_transfer():
    with Cluster(3) as c:
        leader = c.leader()
        r = leader.client()
        r.set("before", 1)
        target = next(n for n in c.nodes.values() if n.id != leader.id)
        reply = r.execute_command("RAFT", "TRANSFER", target.id)
        assert reply == f"leader:{target.id}".encode()
        assert c.leader().id == target.id
        assert target.client().get("before") == b"1"
        target.client().set("after", 2)
        assert c.converge()


def test_wrong_secret_is_refused():
    c = Cluster(3)
    c.nodes[3].extra = ["--cluster-secret", "not-the-secret"]
    with c:
        leader = c.leader()
        assert leader.id != 3
        leader.client().set("k", "v")
        wait_for(lambda: "wrong cluster-secret" in c.nodes[1].log() + c.nodes[2].log(),
                 what="a refusal in the log")
        assert "not-the-secret" not in c.nodes[1].log() + c.nodes[2].log()


def test_add_and_remove_a_node_under_load():
    from cluster import Node
    with Cluster(3, extra=["--replica-read", "stale", "--raft-snapshot-entries", "300"]) as c:
        leader = c.leader()
        stop, acked, errors = threading.Event(), [], []
        t = threading.Thread(target=_writer, args=(c, stop, acked, errors))
        t.start()
        new = Node(c, 4, extra=["--peers", f"4=127.0.0.4:{c.port}", "--cluster-join", "yes"])
        c.nodes[4] = new
        try:
            wait_for(lambda: len(acked) > 400, timeout=30, what="writes before the change")
            new.start()
            assert c.leader().client().execute_command(
                "RAFT", "ADDNODE", 4, f"127.0.0.4:{c.port}") == b"OK"
            st = c.leader().status()
            assert any(m.startswith("4 ") and "voter=yes" in m for m in st["members"]), st
            n = len(acked)
            wait_for(lambda: len(acked) > n + 100, timeout=30, what="writes after adding")
            # Remove a node that is not the leader, still under load.
            leader = c.leader()
            victim = next(i for i in (1, 2, 3) if i != leader.id)
            assert leader.client().execute_command("RAFT", "REMOVENODE", victim) == b"OK"
            st = c.leader().status()
            assert not any(m.startswith(f"{victim} ") for m in st["members"]), st
            n = len(acked)
            wait_for(lambda: len(acked) > n + 100, timeout=30, what="writes after removing")
        finally:
            stop.set()
            t.join()
        c.nodes[victim].stop()
        del c.nodes[victim]
        digests = c.converge()
        assert len(set(digests.values())) == 1, digests
        for node in c.nodes.values():
            got = [int(x) for x in node.client().lrange("history", 0, -1)]
            assert not set(acked) - set(got), f"node {node.id} lost acknowledged writes"


def test_forwarded_writes_make_any_node_an_endpoint():
    with Cluster(3, extra=["--replica-forward-writes", "yes"]) as c:
        leader = c.leader()
        follower = next(n for n in c.nodes.values() if n.id != leader.id)
        r = follower.client()
        assert r.set("fw", "1") is True
        assert r.incr("fw") == 2
        assert r.get("fw") == b"2"
        p = r.pipeline(transaction=True)
        p.rpush("fl", "a").rpush("fl", "b").lrange("fl", 0, -1)
        assert p.execute() == [1, 2, [b"a", b"b"]]
        assert leader.client().get("fw") == b"2"
        # A blocking pop on a follower is served by a push on the leader.
        def push():
            time.sleep(0.5)
            leader.client().rpush("q", "job")
        t = threading.Thread(target=push)
        t.start()
        assert r.blpop("q", timeout=5) == (b"q", b"job")
        t.join()


def test_blocking_pop_and_expiry_on_the_leader():
    with Cluster(3, extra=["--replica-read", "stale"]) as c:
        leader = c.leader()
        r = leader.client()
        def push():
            time.sleep(0.3)
            leader.client().lpush("jobs", "j1")
        t = threading.Thread(target=push)
        t.start()
        assert r.brpop(["a", "jobs"], timeout=5) == (b"jobs", b"j1")
        t.join()
        assert r.brpop(["nothing"], timeout=0.3) is None
        r.set("short", "x", px=200)
        r.set("long", "y")
        # Only the leader expires keys, through the log: every node drops it.
        wait_for(lambda: all(n.client().dbsize() == 1 for n in c.nodes.values()),
                 timeout=10, what="the expired key gone everywhere")
        assert len(set(c.converge().values())) == 1


def test_leader_change_unblocks_and_drops_clients():
    with Cluster(3) as c:
        leader = c.leader()
        raw = leader.client(socket_timeout=10)
        result = {}
        def blocked():
            try:
                result["r"] = raw.blpop("never", timeout=0)
            except Exception as e:
                result["e"] = e
        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.3)
        target = next(n for n in c.nodes.values() if n.id != leader.id)
        leader.client().execute_command("RAFT", "TRANSFER", target.id)
        t.join(10)
        assert "e" in result and "UNBLOCKED" in str(result["e"]), result


def test_lagging_node_catches_up_from_a_snapshot():
    with Cluster(3, extra=["--raft-snapshot-entries", "100", "--replica-read", "stale"]) as c:
        leader = c.leader()
        lag = next(n for n in c.nodes.values() if n.id != leader.id)
        lag.stop()
        r = leader.client()
        r.script_load("return 'from the snapshot'")
        for i in range(1500):
            r.set(f"s:{i}", i)
        wait_for(lambda: int(leader.status()["snapshot_index"]) > 1000, what="a snapshot")
        lag.start()
        digests = c.converge()
        assert len(set(digests.values())) == 1, digests
        assert lag.client().get("s:1499") == b"1499"
        sha = r.script_load("return 'from the snapshot'")
        assert lag.client().script_exists(sha) == [True]


def test_lease_reads():
    with Cluster(3, extra=["--read-consistency", "lease"]) as c:
        r = c.leader().client()
        r.set("x", "1")
        assert [r.get("x") for _ in range(50)] == [b"1"] * 50


def test_publish_reaches_subscribers_on_every_node_in_order():
    with Cluster(3) as c:
        leader = c.leader()
        subs = []
        for n in c.nodes.values():
            p = n.client().pubsub()
            p.subscribe("timeline:public")
            assert p.get_message(timeout=2)["type"] == "subscribe"
            subs.append(p)
        r = leader.client()
        for i in range(20):
            r.publish("timeline:public", f"m{i}")
        for p in subs:
            got = []
            deadline = time.time() + 5
            while len(got) < 20 and time.time() < deadline:
                m = p.get_message(timeout=0.5)
                if m and m["type"] == "message":
                    got.append(m["data"])
            assert got == [f"m{i}".encode() for i in range(20)]
            p.close()


def test_sigterm_on_the_leader_hands_over_first():
    with Cluster(3) as c:
        leader = c.leader()
        leader.client().set("k", "v")
        t0 = time.time()
        leader.signal(signal.SIGTERM)
        leader.proc.wait(10)
        new = c.leader(exclude=[leader.id], timeout=10)
        # A handover, not an election after the leader lease ran out.
        assert time.time() - t0 < 1.5, time.time() - t0
        assert "leadership transferred" in leader.log()
        assert new.client().set("k2", "v2") is True


def test_unknown_node_is_refused():
    from cluster import Node
    with Cluster(3) as c:
        c.leader()
        stranger = Node(c, 4, extra=["--peers", f"1=127.0.0.1:{c.port},4=127.0.0.4:{c.port}"])
        c.nodes[4] = stranger
        stranger.start()
        wait_for(lambda: "is not a member of this cluster" in c.nodes[1].log(), timeout=15,
                 what="node 1 refusing node 4")
        assert c.leader(exclude=[4]).id != 4
