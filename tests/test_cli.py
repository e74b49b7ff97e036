"""redis-cli and redis-benchmark, the operator's tools, against the real binary."""

import shutil
import subprocess

import pytest

CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(not CLI, reason="redis-cli is not installed")


def cli(server, *args, stdin=None):
    out = subprocess.run([CLI, "-p", str(server.port), *args], input=stdin, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def test_basic_commands(server, r):
    assert cli(server, "PING").strip() == "PONG"
    assert cli(server, "SET", "k", "v").strip() == "OK"
    assert cli(server, "GET", "k").strip() == "v"
    assert cli(server, "INCRBY", "n", "5").strip() == "5"
    assert cli(server, "GET", "nope").strip() == ""
    assert "redis_version:7.2.4" in cli(server, "INFO", "server")


def test_mass_insertion_with_pipe(server, r):
    lines = "".join(f"SET key:{i} value:{i}\r\n" for i in range(20000)).encode()
    out = cli(server, "--pipe", stdin=lines)
    assert "errors: 0, replies: 20000" in out
    assert r.dbsize() == 20000
    assert r.get("key:19999") == b"value:19999"


def test_scan_and_bigkeys(server, r):
    for i in range(50):
        r.set(f"user:{i}", "x" * i)
    keys = cli(server, "--scan", "--pattern", "user:*").split()
    assert len(keys) == 50
    out = cli(server, "--bigkeys")
    assert "user:49" in out and "50 strings" in out


def test_stdin_argument(server, r):
    cli(server, "-x", "SET", "blob", stdin=b"line1\nline2\n")
    assert r.get("blob") == b"line1\nline2\n"


def test_redis_benchmark_runs_clean(server, r):
    bench = shutil.which("redis-benchmark")
    if not bench:
        pytest.skip("redis-benchmark is not installed")
    out = subprocess.run([bench, "-p", str(server.port), "-t", "set,get,incr,mset", "-n", "2000", "-q", "-P", "16"],
                         capture_output=True, timeout=120)
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr
    for t in ["SET", "GET", "INCR", "MSET"]:
        assert t in text
    assert "error" not in text.lower()
