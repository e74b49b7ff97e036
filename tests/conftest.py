"""Black-box test harness: starts the real `redraft` binary (and, for comparisons, a real
`redis-server`) on 127.0.0.1 ports picked here, and always stops them."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("REDRAFT_BIN", os.path.join(ROOT, "target", "debug", "redraft"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on port {port} did not start")


def wait_loaded(port, argv, timeout=120.0):
    """Waits until a server that opened its port has its dataset in memory: the port
    opens before the load ends (Redis and redraft alike), and commands get -LOADING until
    then. Best effort: any other answer (or none) ends the wait."""
    deadline = time.time() + timeout
    password = argv[argv.index("--requirepass") + 1] if "--requirepass" in argv[:-1] else None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            f = s.makefile("rb")
            if password is not None:
                s.sendall(encode("AUTH", password))
                f.readline()
            while time.time() < deadline:
                s.sendall(encode("PING"))
                if not f.readline().startswith(b"-LOADING"):
                    return
                time.sleep(0.02)
    except OSError:
        return
    raise RuntimeError(f"server on port {port} still loading after {timeout} s")


class Server:
    """A server process on its own port and data directory."""

    def __init__(self, argv, port, tmp, log):
        self.argv, self.port, self.tmp, self.log_path = argv, port, tmp, log
        self.proc = None

    def start(self, loaded=True):
        """Starts the process and waits for its port, then (unless `loaded` is false)
        for its dataset to be in memory."""
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT, cwd=self.tmp)
        try:
            wait_port(self.port, self.proc)
            if loaded:
                wait_loaded(self.port, self.argv)
        except Exception:
            self.stop()  # never leave a half-started server behind
            raise
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self):
        return Raw(self.port)


_TEMP_DIRS = []


@pytest.fixture(scope="session", autouse=True)
def _remove_temp_dirs():
    yield
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


def _mkdtemp(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _TEMP_DIRS.append(d)
    return d


def start_redraft(*extra, tmp=None, loaded=True):
    tmp = tmp or _mkdtemp("redraft-test-")
    port = free_port()
    argv = [BIN, "--port", str(port), "--dir", os.path.join(tmp, "data"), "--save", "",
            "--enable-debug-command", "yes", *extra]
    return Server(argv, port, tmp, os.path.join(tmp, "server.log")).start(loaded=loaded)


def start_redis(*extra, tmp=None, loaded=True):
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server is not installed")
    tmp = tmp or _mkdtemp("redis-ref-")
    port = free_port()
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "",
            "--appendonly", "no", "--enable-debug-command", "yes", *extra]
    return Server(argv, port, tmp, os.path.join(tmp, "server.log")).start(loaded=loaded)


class Raw:
    """A raw RESP connection: sends bytes, reads back exactly one reply's bytes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.f = self.sock.makefile("rb")

    def send(self, data: bytes):
        self.sock.sendall(data)

    def cmd(self, *args):
        self.send(encode(*args))
        return self.reply()

    def line(self):
        l = self.f.readline()
        if not l:
            raise EOFError("connection closed")
        return l

    def reply(self) -> bytes:
        l = self.line()
        t = l[:1]
        if t in b"+-:_,#(":
            return l
        if t in b"$=!":
            n = int(l[1:-2])
            if n < 0:
                return l
            return l + self.f.read(n + 2)
        if t in b"*%~>|":
            n = int(l[1:-2])
            if n < 0:
                return l
            if t in b"%|":
                n *= 2
            return l + b"".join(self.reply() for _ in range(n))
        raise ValueError(f"bad reply line {l!r}")

    def closed(self, timeout=2.0):
        """True if the server closed the connection."""
        self.sock.settimeout(timeout)
        try:
            return self.f.read(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.f.close()
        self.sock.close()


def encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


@pytest.fixture(scope="session")
def server():
    s = start_redraft()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def reference():
    s = start_redis()
    yield s
    s.stop()


@pytest.fixture
def r(server):
    c = server.client()
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def raw(server):
    server.client().flushall()
    c = server.raw()
    yield c
    c.close()
