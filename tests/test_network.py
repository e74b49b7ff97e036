"""Protected mode seen from a real non-loopback peer: a client in a network namespace
of our own (veth pair, private addresses that exist only inside this sandbox)."""

import os
import shutil
import subprocess
import uuid

import pytest

from conftest import start_redraft

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip"), reason="needs root and iproute2 for a network namespace"
)

HOST_IP, PEER_IP = "10.213.7.1", "10.213.7.2"


@pytest.fixture
def netns():
    name = "rdt" + uuid.uuid4().hex[:6]
    host_if, peer_if = "vh" + name[3:], "vp" + name[3:]
    sh = lambda *a: subprocess.run(a, check=True, capture_output=True)
    try:
        sh("ip", "netns", "add", name)
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", peer_if)
        sh("ip", "link", "set", peer_if, "netns", name)
        sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", name, "ip", "addr", "add", f"{PEER_IP}/30", "dev", peer_if)
        sh("ip", "netns", "exec", name, "ip", "link", "set", peer_if, "up")
        sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        pytest.skip(f"network namespaces unavailable: {e}")
    yield name
    subprocess.run(["ip", "link", "del", host_if], capture_output=True)
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def from_netns(ns, port, payload=b"PING\r\n"):
    code = (
        "import socket,sys;s=socket.create_connection(('%s',%d),timeout=3);s.sendall(%r);"
        "d=b''\nwhile True:\n c=s.recv(65536)\n if not c: break\n d+=c\n if d.endswith(b'\\r\\n'): break\n"
        "sys.stdout.buffer.write(d)" % (HOST_IP, port, payload)
    )
    out = subprocess.run(["ip", "netns", "exec", ns, "python3", "-c", code], capture_output=True, timeout=10)
    return out.stdout


def test_protected_mode_refuses_remote_clients(netns):
    s = start_redraft("--bind", HOST_IP + " 127.0.0.1")
    try:
        out = from_netns(netns, s.port)
        assert out.startswith(b"-DENIED Redis is running in protected mode")
        assert s.client().ping()  # loopback still served
    finally:
        s.stop()


def test_password_or_protected_mode_off_lets_remote_clients_in(netns):
    s = start_redraft("--bind", HOST_IP + " 127.0.0.1", "--requirepass", "pw")
    try:
        assert from_netns(netns, s.port, b"AUTH pw\r\n") == b"+OK\r\n"
    finally:
        s.stop()
    s = start_redraft("--bind", HOST_IP + " 127.0.0.1", "--protected-mode", "no")
    try:
        assert from_netns(netns, s.port) == b"+PONG\r\n"
    finally:
        s.stop()
