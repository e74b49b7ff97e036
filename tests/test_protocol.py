"""RESP at the byte level: inline commands, pipelines, RESP3, limits and protocol errors,
compared with a real redis-server where the exact bytes matter."""

import socket
import time

import pytest

from conftest import encode, start_redraft


def exchange(port, data, read_until_close=True, timeout=3.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    chunks = []
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
            if not read_until_close:
                break
    except socket.timeout:
        pass
    s.close()
    return b"".join(chunks)


def test_inline_commands(raw):
    raw.send(b"PING\r\n")
    assert raw.reply() == b"+PONG\r\n"
    raw.send(b"set k \"a b\\n\"\nget k\n")
    assert raw.reply() == b"+OK\r\n"
    assert raw.reply() == b"$4\r\na b\n\r\n"
    raw.send(b"\r\n   \r\nECHO x\r\n")
    assert raw.reply() == b"$1\r\nx\r\n"


@pytest.mark.parametrize("payload", [
    b"*x\r\n",
    b"*1\r\n+foo\r\n",
    b"*1\r\n$-5\r\n",
    b"*1\r\n$abc\r\n",
    b"*-10\r\nPING\r\n",
    b"set k \"unbalanced\r\n",
    b"*3000000000\r\n",
    b"PING\r\n*1\r\n$x\r\n",
    b"ECHO a\x00b c\r\nPING\r\n*1\r\n$x\r\n",
    b"ECHO \x00\r\nPING\r\n*1\r\n$x\r\n",
])
def test_protocol_errors_match_redis(server, reference, payload):
    ours = exchange(server.port, payload)
    theirs = exchange(reference.port, payload)
    assert ours == theirs


def test_protocol_error_closes_only_that_connection(server):
    other = server.raw()
    out = exchange(server.port, b"*1\r\n$abc\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n"
    assert other.cmd("PING") == b"+PONG\r\n"
    other.close()


def test_too_big_inline_request(server):
    out = exchange(server.port, b"a" * (70 * 1024))
    assert out == b"-ERR Protocol error: too big inline request\r\n"


def test_bulk_over_proto_max_bulk_len():
    s = start_redraft("--proto-max-bulk-len", "1mb")
    try:
        out = exchange(s.port, b"*2\r\n$3\r\nGET\r\n$2000000\r\n")
        assert out == b"-ERR Protocol error: invalid bulk length\r\n"
    finally:
        s.stop()


def test_deep_pipeline_in_one_write(server):
    n = 100_000
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    req = b"".join(encode("INCR", "pipe") for _ in range(n))
    s.sendall(req)
    got = b""
    expect_end = b":%d\r\n" % n
    deadline = time.time() + 60
    while not got.endswith(expect_end) and time.time() < deadline:
        got += s.recv(1 << 20)
    s.close()
    assert got.count(b"\r\n") == n
    assert got.endswith(expect_end)


def test_large_value_round_trip(r):
    v = b"x" * (8 * 1024 * 1024)
    r.set("big", v)
    assert r.get("big") == v
    assert r.strlen("big") == len(v)


def test_resp3_hello_and_types(server):
    raw = server.raw()
    hello = raw.cmd("HELLO", "3")
    assert hello.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.4\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:")
    assert hello.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n")
    assert raw.cmd("GET", "nope") == b"_\r\n"
    assert raw.cmd("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert raw.cmd("HELLO", "2").startswith(b"*14\r\n")
    assert raw.cmd("GET", "nope") == b"$-1\r\n"
    assert raw.cmd("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    raw.close()


def test_resp2_and_resp3_clients_at_once(server):
    a, b = server.raw(), server.raw()
    b.cmd("HELLO", "3")
    assert a.cmd("GET", "none") == b"$-1\r\n"
    assert b.cmd("GET", "none") == b"_\r\n"
    a.close()
    b.close()


def test_quit_closes(server):
    raw = server.raw()
    assert raw.cmd("QUIT") == b"+OK\r\n"
    assert raw.closed()


def test_unknown_command_text(raw):
    assert raw.cmd("FOO", "bar", "baz") == b"-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n"


def test_auth_and_unauthenticated_limits():
    s = start_redraft("--requirepass", "s3cret")
    try:
        raw = s.raw()
        assert raw.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert raw.cmd("AUTH", "wrong") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert raw.cmd("AUTH", "other", "s3cret") == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert raw.cmd("HELLO", "3").startswith(b"-NOAUTH HELLO must be called with the client already authenticated")
        assert raw.cmd("AUTH", "s3cret") == b"+OK\r\n"
        assert raw.cmd("SET", "k", "v") == b"+OK\r\n"
        raw.close()
        raw = s.raw()
        assert raw.cmd("HELLO", "3", "AUTH", "default", "s3cret").startswith(b"%7\r\n")
        assert raw.cmd("GET", "k") == b"$1\r\nv\r\n"
        raw.close()
        # Before AUTH, big multibulks are refused outright.
        out = exchange(s.port, b"*100\r\n")
        assert out == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        out = exchange(s.port, b"*1\r\n$100000\r\n")
        assert out == b"-ERR Protocol error: unauthenticated bulk length\r\n"
        assert "s3cret" not in s.log()
    finally:
        s.stop()


def test_auth_without_password_configured(raw):
    assert raw.cmd("AUTH", "x") == b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    assert raw.cmd("AUTH", "default", "anything") == b"+OK\r\n"


def test_maxclients():
    s = start_redraft("--maxclients", "2")
    try:
        deadline = time.time() + 5
        # The harness's own readiness probes may still be counted for a moment (and
        # then take the slots): retry until this connection is the only one.
        while True:
            a = s.raw()
            try:
                if a.cmd("CLIENT", "LIST").count(b"id=") == 1:
                    break
            except EOFError:
                pass
            a.close()
            assert time.time() < deadline, "the readiness probes never went away"
            time.sleep(0.02)
        b = s.raw()
        assert b.cmd("PING") == b"+PONG\r\n"
        out = exchange(s.port, b"PING\r\n")
        assert out == b"-ERR max number of clients reached\r\n"
        a.close()
        # The server notices the close asynchronously; a slot frees up shortly after.
        deadline = time.time() + 5
        got = b""
        while time.time() < deadline:
            got = exchange(s.port, b"PING\r\nQUIT\r\n")
            if got == b"+PONG\r\n+OK\r\n":
                break
            time.sleep(0.05)
        assert got == b"+PONG\r\n+OK\r\n"
        b.close()
    finally:
        s.stop()
