"""List-append histories (tests/history.py): first the checker itself, on small made-up
histories, each with one kind of anomaly it must report; then a real run: a 3-node
cluster on 127.0.0.1-3, four clients appending and reading for ~20 s while the leader is
killed and restarted, the clients go quiet (an idle leader must keep leading), the leader
is paused (SIGSTOP/SIGCONT), and a follower is killed and restarted; the history must
show no anomaly, and the cluster must never stay unavailable long."""

from array import array

import history
from history import FAIL, INFO, OK, Op, check


def op(p, kind, key, value, invoke, complete, status=OK, result=None):
    return Op(p, kind, key, value, invoke, complete, status,
              array("q", result) if result is not None else None, node=1)


def append(p, key, value, invoke, complete, result=None, status=OK):
    return op(p, "append", key, value, invoke, complete, status, result)


def read(p, key, invoke, complete, result, status=OK):
    return op(p, "read", key, None, invoke, complete, status, result)


def kinds(rep):
    return {k for k, v in rep.violations.items() if v}


def test_checker_accepts_a_valid_history():
    ops = [
        append(0, "a", 1, 0.0, 1.0, [1]),
        append(1, "a", 2, 0.5, 1.5, [1, 2]),
        read(2, "a", 0.2, 0.3, []),               # before any append completed
        read(2, "a", 0.4, 2.0, [1]),              # concurrent with append 2
        append(0, "a", 3, 2.0, 3.0, status=INFO),  # unknown: may or may not be there
        append(1, "a", 4, 2.0, 3.0, status=FAIL),  # not applied
        read(2, "a", 3.5, 4.0, [1, 2, 3]),
    ]
    rep = check(ops, {1: {"a": [1, 2, 3]}, 2: {"a": [1, 2, 3]}})
    assert rep.ok(), rep.summary()


def test_checker_finds_a_lost_append():
    ops = [append(0, "a", 1, 0.0, 1.0, [1]), append(0, "a", 2, 1.0, 2.0, [1, 2])]
    rep = check(ops, {1: {"a": [1, 2]}, 2: {"a": [1]}})
    assert {"lost", "divergent"} <= kinds(rep)
    assert "n2" in rep.violations["lost"][0]


def test_checker_finds_phantoms_duplicates_and_failed_appends_applied():
    ops = [
        append(0, "a", 1, 0.0, 1.0, [1]),
        append(0, "b", 2, 0.0, 1.0, [2]),
        append(0, "a", 3, 1.0, 2.0, status=FAIL),
        read(1, "a", 2.0, 3.0, [1, 99]),
    ]
    rep = check(ops, {1: {"a": [1, 2, 1, 3], "b": [2]}})
    found = kinds(rep)
    assert {"phantom", "duplicate", "failed-seen", "not-prefix"} <= found
    assert any("99" in m for m in rep.violations["phantom"])
    assert any("appended to b" in m for m in rep.violations["phantom"])  # 2 is b's


def test_checker_finds_reordering():
    ops = [
        append(0, "a", 1, 0.0, 1.0, [1]),
        append(1, "a", 2, 0.0, 1.0, [1, 2]),
        read(2, "a", 1.5, 2.0, [2, 1]),
    ]
    rep = check(ops, {1: {"a": [1, 2]}})
    assert kinds(rep) == {"not-prefix"}


def test_checker_finds_a_stale_read():
    ops = [
        append(0, "a", 1, 0.0, 1.0, [1]),
        append(0, "a", 2, 1.0, 2.0, [1, 2]),
        read(1, "a", 2.5, 3.0, [1, 2]),
        read(2, "a", 3.5, 4.0, [1]),  # began after both appends and a read saw [1, 2]
    ]
    rep = check(ops, {1: {"a": [1, 2]}})
    assert kinds(rep) == {"stale-read"}
    assert "misses [2]" in rep.violations["stale-read"][0]
    # Overlapping in time, the same reads are fine.
    ops[3] = read(2, "a", 1.5, 4.0, [1])
    assert check(ops, {1: {"a": [1, 2]}}).ok()


def test_checker_finds_an_append_missing_from_a_later_read():
    ops = [
        append(0, "a", 1, 0.0, 1.0, [1]),
        read(1, "a", 1.1, 1.2, []),
    ]
    rep = check(ops, {1: {"a": [1]}})
    assert kinds(rep) == {"stale-read"}


def test_checker_finds_a_read_from_the_future():
    ops = [
        read(1, "a", 0.0, 0.5, [1]),           # completed before append 1 began
        append(0, "a", 1, 1.0, 2.0, [1]),
    ]
    rep = check(ops, {1: {"a": [1]}})
    assert kinds(rep) == {"future-read"}


def test_checker_finds_an_append_whose_read_back_lacks_it():
    ops = [append(0, "a", 1, 0.0, 1.0, []), append(0, "a", 2, 1.0, 2.0, [1, 2])]
    rep = check(ops, {1: {"a": [1, 2]}})
    assert kinds(rep) == {"own-missing"}


def test_list_append_history_under_faults():
    res = history.run(duration=22, clients=4, interval=2.5)
    summary = res.summary()
    print(summary)
    assert res.report.ok(), f"{summary}\nnode logs: {res.tmp}"
    assert not res.nemesis_errors, res.nemesis_errors
    ok_appends = sum(1 for o in res.ops if o.kind == "append" and o.status == OK)
    ok_reads = sum(1 for o in res.ops if o.kind == "read" and o.status == OK)
    assert ok_appends > 200 and ok_reads > 50, summary
    assert {f[0] for f in res.faults} == set(history.Nemesis.KINDS), summary
    assert len(res.finals) == 3, f"final lists read on {sorted(res.finals)} only"
    # Liveness: a fault costs an election (about a second) or, quiet or paused, 2.5s.
    outage = res.longest_outage()
    assert outage[0] < 8.0, f"no operation succeeded for {outage[0]:.1f}s\n{summary}\nnode logs: {res.tmp}"
    # The cluster recovered after the last fault: appends were acknowledged in the
    # fault-free tail.
    last_fault_end = max(f[3] for f in res.faults)
    assert any(o.kind == "append" and o.status == OK and o.invoke > last_fault_end for o in res.ops), summary
