"""Pub/sub and transactions against the real binary, with byte-level checks where the
shape of a reply matters (RESP2 arrays vs RESP3 pushes)."""

import threading
import time

import pytest
import redis

from conftest import start_redraft


def test_subscribe_publish_resp2(server):
    sub = server.raw()
    assert sub.cmd("SUBSCRIBE", "news", "sport") == b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
    assert sub.reply() == b"*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n"
    pub = server.client()
    assert pub.publish("news", "hello") == 1
    assert pub.publish("nobody", "x") == 0
    assert sub.reply() == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    assert sub.cmd("GET", "x") == b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    assert sub.cmd("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert sub.cmd("PSUBSCRIBE", "time*") == b"*3\r\n$10\r\npsubscribe\r\n$5\r\ntime*\r\n:3\r\n"
    assert pub.publish("timeline:1", "t") == 1
    assert sub.reply() == b"*4\r\n$8\r\npmessage\r\n$5\r\ntime*\r\n$10\r\ntimeline:1\r\n$1\r\nt\r\n"
    q = server.raw()
    assert q.cmd("PUBSUB", "NUMSUB", "news", "none") == b"*4\r\n$4\r\nnews\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    assert q.cmd("PUBSUB", "NUMPAT") == b":1\r\n"
    assert q.cmd("PUBSUB", "CHANNELS", "n*") == b"*1\r\n$4\r\nnews\r\n"
    q.close()
    sub.send(b"UNSUBSCRIBE\r\n")
    assert sub.reply() == b"*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:2\r\n"
    assert sub.reply() == b"*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:1\r\n"
    assert sub.cmd("PUNSUBSCRIBE") == b"*3\r\n$12\r\npunsubscribe\r\n$5\r\ntime*\r\n:0\r\n"
    assert sub.cmd("GET", "x") == b"$-1\r\n"  # out of subscribed mode
    assert sub.cmd("UNSUBSCRIBE") == b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    sub.close()


def test_resp3_push_and_commands_while_subscribed(server):
    sub = server.raw()
    sub.cmd("HELLO", "3")
    assert sub.cmd("SUBSCRIBE", "c") == b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    assert sub.cmd("SET", "k", "v") == b"+OK\r\n"  # RESP3 clients may run any command
    server.client().publish("c", "m")
    assert sub.reply() == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
    sub.close()


def test_pubsub_with_redis_py_many_channels(server):
    r = server.client()
    p = r.pubsub()
    channels = [f"timeline:{i}" for i in range(2000)]
    p.subscribe(*channels)
    for _ in range(2000):
        assert p.get_message(timeout=5)["type"] == "subscribe"
    for i in range(0, 2000, 100):
        assert r.publish(f"timeline:{i}", f"m{i}") == 1
    got = [p.get_message(timeout=5) for _ in range(20)]
    assert [m["data"] for m in got] == [f"m{i}".encode() for i in range(0, 2000, 100)]
    p.close()


def test_messages_keep_publish_order(server):
    sub = server.client().pubsub()
    sub.subscribe("ordered")
    assert sub.get_message(timeout=5)["type"] == "subscribe"

    def publisher(tag):
        c = server.client()
        for i in range(300):
            c.publish("ordered", f"{tag}:{i}")

    threads = [threading.Thread(target=publisher, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = {"a": [], "b": []}
    for _ in range(600):
        m = sub.get_message(timeout=5)
        tag, i = m["data"].decode().split(":")
        seen[tag].append(int(i))
    assert seen["a"] == list(range(300)) and seen["b"] == list(range(300))
    sub.close()


def test_slow_subscriber_is_disconnected():
    s = start_redraft("--client-output-buffer-limit", "pubsub 256kb 128kb 1")
    try:
        sub = s.raw()
        sub.cmd("SUBSCRIBE", "flood")
        sub.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
        pub = s.client()
        payload = "x" * 10000
        for _ in range(2000):
            if pub.publish("flood", payload) == 0:
                break
        deadline = time.time() + 5
        while pub.publish("flood", payload) and time.time() < deadline:
            time.sleep(0.05)
        assert pub.publish("flood", payload) == 0
        assert pub.info("stats")["client_output_buffer_limit_disconnections"] >= 1
        assert "output buffer limits" in s.log()
    finally:
        s.stop()


def test_multi_exec(raw):
    assert raw.cmd("MULTI") == b"+OK\r\n"
    assert raw.cmd("SET", "a", "1") == b"+QUEUED\r\n"
    assert raw.cmd("INCR", "a") == b"+QUEUED\r\n"
    assert raw.cmd("GET", "a") == b"+QUEUED\r\n"
    assert raw.cmd("INCR", "nonnumeric-later") == b"+QUEUED\r\n"
    assert raw.cmd("EXEC") == b"*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n:1\r\n"
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.cmd("DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_multi_runtime_error_does_not_abort(raw):
    raw.cmd("SET", "s", "abc")
    raw.cmd("MULTI")
    raw.cmd("INCR", "s")
    raw.cmd("SET", "t", "1")
    assert raw.cmd("EXEC") == b"*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"


def test_multi_queue_error_aborts(raw):
    raw.cmd("MULTI")
    assert raw.cmd("SET", "a") == b"-ERR wrong number of arguments for 'set' command\r\n"
    assert raw.cmd("NOSUCH") .startswith(b"-ERR unknown command 'NOSUCH'")
    raw.cmd("SET", "b", "1")
    assert raw.cmd("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert raw.cmd("EXISTS", "b") == b":0\r\n"


def test_multi_nested_and_discard(raw):
    raw.cmd("MULTI")
    assert raw.cmd("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    raw.cmd("SET", "x", "1")
    assert raw.cmd("DISCARD") == b"+OK\r\n"
    assert raw.cmd("EXISTS", "x") == b":0\r\n"


def test_multi_select_and_server_commands(raw):
    raw.cmd("MULTI")
    raw.cmd("SELECT", "3")
    raw.cmd("SET", "in3", "v")
    raw.cmd("PING")
    assert raw.cmd("EXEC") == b"*3\r\n+OK\r\n+OK\r\n+PONG\r\n"
    assert raw.cmd("GET", "in3") == b"$1\r\nv\r\n"
    raw.cmd("SELECT", "0")
    raw.cmd("MULTI")
    raw.cmd("SELECT", "5")
    raw.cmd("SET", "in5", "v")
    assert raw.cmd("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"
    assert raw.cmd("DBSIZE") == b":1\r\n"  # now in db 5


def test_watch(server):
    a, b = server.raw(), server.client()
    a.cmd("SET", "w", "1")
    assert a.cmd("WATCH", "w") == b"+OK\r\n"
    b.set("w", "2")
    a.cmd("MULTI")
    a.cmd("SET", "w", "3")
    assert a.cmd("EXEC") == b"*-1\r\n"
    assert b.get("w") == b"2"
    # Unmodified: EXEC runs. UNWATCH forgets.
    a.cmd("WATCH", "w")
    a.cmd("MULTI")
    a.cmd("SET", "w", "4")
    assert a.cmd("EXEC") == b"*1\r\n+OK\r\n"
    a.cmd("WATCH", "w")
    b.set("w", "5")
    a.cmd("UNWATCH")
    a.cmd("MULTI")
    a.cmd("SET", "w", "6")
    assert a.cmd("EXEC") == b"*1\r\n+OK\r\n"
    # An expiring watched key aborts the transaction.
    a.cmd("SET", "e", "1", "PX", "50")
    a.cmd("WATCH", "e")
    time.sleep(0.1)
    a.cmd("MULTI")
    a.cmd("SET", "x", "1")
    assert a.cmd("EXEC") == b"*-1\r\n"
    # FLUSHALL touches every watched key.
    a.cmd("SET", "f", "1")
    a.cmd("WATCH", "f")
    b.flushall()
    a.cmd("MULTI")
    a.cmd("PING")
    assert a.cmd("EXEC") == b"*-1\r\n"
    a.close()


def test_watch_with_redis_py_transaction(r):
    r.set("counter", 0)

    def incr(pipe):
        v = int(pipe.get("counter"))
        pipe.multi()
        pipe.set("counter", v + 1)

    threads = [threading.Thread(target=lambda: [r.transaction(incr, "counter") for _ in range(50)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(r.get("counter")) == 200


def test_keyspace_notifications(server):
    c = server.client()
    c.config_set("notify-keyspace-events", "KEA")
    assert c.config_get("notify-keyspace-events")["notify-keyspace-events"] in ("AKE", "KEA")
    sub = server.raw()
    sub.cmd("PSUBSCRIBE", "__key*__:*")
    c.set("nk", "v")
    c.expire("nk", 100)
    c.delete("nk")
    c.set("gone", "v", px=50)
    got = [sub.reply() for _ in range(6)]
    assert got[0] == b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$17\r\n__keyspace@0__:nk\r\n$3\r\nset\r\n"
    assert got[1] == b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@0__:set\r\n$2\r\nnk\r\n"
    assert b"expire" in got[2] and b"expire" in got[3] and b"del" in got[4] and b"del" in got[5]
    # The active expire cycle announces `expired`.
    events = [sub.reply() for _ in range(6)]
    assert events[5] == b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$22\r\n__keyevent@0__:expired\r\n$4\r\ngone\r\n"
    c.config_set("notify-keyspace-events", "")
    with pytest.raises(redis.ResponseError, match="Invalid event class"):
        c.config_set("notify-keyspace-events", "Q")
    sub.close()


def test_redis_py_resp3_and_resp2_subscribers_at_once(server):
    r3 = redis.Redis(port=server.port, protocol=3)
    r2 = redis.Redis(port=server.port)
    p3, p2 = r3.pubsub(), r2.pubsub()
    p3.subscribe("both")
    p2.subscribe("both")
    assert p3.get_message(timeout=5)["type"] == "subscribe"
    assert p2.get_message(timeout=5)["type"] == "subscribe"
    assert r2.publish("both", "hi") == 2
    assert p3.get_message(timeout=5)["data"] == b"hi"
    assert p2.get_message(timeout=5)["data"] == b"hi"
    assert r3.hgetall("none") == {}
    r3.hset("h3", "f", "v")
    assert r3.hgetall("h3") == {b"f": b"v"}
    p3.close()
    p2.close()
