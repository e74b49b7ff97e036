"""Blocking commands: parked clients are woken by writes from any client, by MULTI/EXEC,
served in FIFO order, time out with a null reply, can be unblocked, and cost nothing
once gone."""

import threading
import time

import pytest


def test_bzpopmin_woken_by_write(server):
    a = server.raw()
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzq\r\n$1\r\n0\r\n")
    time.sleep(0.2)
    c = server.client()
    assert c.info("clients")["blocked_clients"] == 1
    c.zadd("zq", {"m": 1.5})
    assert a.reply() == b"*3\r\n$2\r\nzq\r\n$1\r\nm\r\n$3\r\n1.5\r\n"
    assert c.exists("zq") == 0
    assert c.info("clients")["blocked_clients"] == 0
    a.close()


def test_fifo_order_and_one_element_each(server):
    waiters = []
    for i in range(3):
        w = server.raw()
        w.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzf\r\n$1\r\n0\r\n")
        waiters.append(w)
        time.sleep(0.05)
    c = server.client()
    c.zadd("zf", {"a": 1, "b": 2})
    assert waiters[0].reply().endswith(b"$1\r\na\r\n$1\r\n1\r\n")
    assert waiters[1].reply().endswith(b"$1\r\nb\r\n$1\r\n2\r\n")
    c.zadd("zf", {"c": 3})
    assert waiters[2].reply().endswith(b"$1\r\nc\r\n$1\r\n3\r\n")
    for w in waiters:
        w.close()


def test_timeout_replies_null(server):
    a = server.raw()
    t0 = time.time()
    assert a.cmd("BZPOPMAX", "nothing", "0.3") == b"*-1\r\n"
    assert 0.25 < time.time() - t0 < 2
    a.cmd("HELLO", "3")
    assert a.cmd("BZPOPMAX", "nothing", "0.1") == b"_\r\n"
    a.close()


def test_woken_by_multi_exec(server):
    a = server.raw()
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzm\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    b = server.raw()
    b.cmd("MULTI")
    b.cmd("ZADD", "zm", "1", "x")
    b.cmd("ZADD", "zm", "2", "y")
    assert b.cmd("EXEC") == b"*2\r\n:1\r\n:1\r\n"
    assert a.reply().endswith(b"$1\r\nx\r\n$1\r\n1\r\n")
    assert b.cmd("ZRANGE", "zm", "0", "-1") == b"*1\r\n$1\r\ny\r\n"
    a.close()
    b.close()


def test_blocking_inside_multi_does_not_block(raw):
    raw.cmd("MULTI")
    raw.cmd("BZPOPMIN", "nothing", "0")
    assert raw.cmd("EXEC") == b"*1\r\n*-1\r\n"


def test_client_unblock(server):
    a = server.raw()
    a_id = int(a.cmd("CLIENT", "ID")[1:-2])
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzu\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    c = server.raw()
    assert c.cmd("CLIENT", "UNBLOCK", str(a_id)) == b":1\r\n"
    assert a.reply() == b"*-1\r\n"
    assert c.cmd("CLIENT", "UNBLOCK", str(a_id)) == b":0\r\n"
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzu\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    assert c.cmd("CLIENT", "UNBLOCK", str(a_id), "ERROR") == b":1\r\n"
    assert a.reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    a.close()
    c.close()


def test_disconnect_while_blocked_forgets_the_client(server):
    a = server.raw()
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzd\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    a.close()
    time.sleep(0.1)
    c = server.client()
    assert c.info("clients")["blocked_clients"] == 0
    c.zadd("zd", {"m": 1})
    assert c.zcard("zd") == 1  # nobody consumed it


def test_pipelined_commands_after_a_blocking_one_wait(server):
    a = server.raw()
    a.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzp\r\n$1\r\n0\r\nPING\r\n")
    time.sleep(0.1)
    server.client().zadd("zp", {"m": 1})
    assert a.reply().endswith(b"$1\r\nm\r\n$1\r\n1\r\n")
    assert a.reply() == b"+PONG\r\n"
    a.close()


def test_many_idle_blocked_clients_cost_nothing(server):
    conns = []
    for i in range(300):
        w = server.raw()
        w.send(b"*4\r\n$8\r\nBZPOPMIN\r\n$3\r\nq:a\r\n$3\r\nq:b\r\n$1\r\n0\r\n")
        conns.append(w)
    time.sleep(0.3)
    c = server.client()
    t0 = time.time()
    for _ in range(200):
        c.set("other", "x")
    assert time.time() - t0 < 2
    assert c.info("clients")["blocked_clients"] == 300
    for w in conns:
        w.close()
    deadline = time.time() + 5
    while c.info("clients")["blocked_clients"] and time.time() < deadline:
        time.sleep(0.05)
    assert c.info("clients")["blocked_clients"] == 0


def test_blpop_family(server):
    a = server.raw()
    a.send(b"*4\r\n$5\r\nBLPOP\r\n$2\r\nl1\r\n$2\r\nl2\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    c = server.client()
    c.rpush("l2", "x", "y")
    assert a.reply() == b"*2\r\n$2\r\nl2\r\n$1\r\nx\r\n"
    # BLMOVE waits on its source and pushes to its destination.
    a.send(b"*6\r\n$6\r\nBLMOVE\r\n$3\r\nsrc\r\n$3\r\ndst\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    c.lpush("src", "v")
    assert a.reply() == b"$1\r\nv\r\n"
    assert c.lrange("dst", 0, -1) == [b"v"]
    # A waiter on dst is woken by that move.
    b = server.raw()
    b.send(b"*3\r\n$5\r\nBRPOP\r\n$4\r\ndst2\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    a.send(b"*6\r\n$6\r\nBLMOVE\r\n$4\r\nsrc2\r\n$4\r\ndst2\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n$1\r\n0\r\n")
    time.sleep(0.1)
    c.lpush("src2", "chain")
    assert a.reply() == b"$5\r\nchain\r\n"
    assert b.reply() == b"*2\r\n$4\r\ndst2\r\n$5\r\nchain\r\n"
    assert a.cmd("BLMPOP", "0.1", "1", "none", "LEFT") == b"*-1\r\n"
    a.send(b"*5\r\n$6\r\nBLMPOP\r\n$1\r\n0\r\n$1\r\n1\r\n$2\r\nlm\r\n$4\r\nLEFT\r\n")
    time.sleep(0.1)
    c.rpush("lm", "1", "2")
    assert a.reply() == b"*2\r\n$2\r\nlm\r\n*1\r\n$1\r\n1\r\n"
    a.close()
    b.close()


def test_sidekiq_style_brpop_fetch(server):
    """Sidekiq's fetch: BRPOP over several queues with a 2 s timeout, many workers."""
    queues = [f"queue:q{i}" for i in range(7)]
    results = []

    def worker():
        c = server.client()
        while True:
            got = c.brpop(queues, timeout=1)
            if got is None:
                return
            results.append(got[1])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    c = server.client()
    for i in range(500):
        c.lpush(queues[i % 7], f"job{i}")
    for t in threads:
        t.join()
    assert sorted(results) == sorted(f"job{i}".encode() for i in range(500))
