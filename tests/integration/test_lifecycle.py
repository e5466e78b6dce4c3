"""Graceful stop: SHUTDOWN, SIGTERM and SIGINT answer what was already read, then close every
connection and exit 0; an idle timeout closes idle clients only."""
import os
import signal
import socket
import time

import pytest

from conftest import RespConn, tessera_only, wait_until


def count_complete_replies(data, reply):
    """How many copies of `reply` `data` holds, asserting nothing but whole copies follow."""
    assert len(data) % len(reply) == 0, f"a reply was cut short: {data[-40:]!r}"
    assert data == reply * (len(data) // len(reply))
    return len(data) // len(reply)


@tessera_only
def test_shutdown_sends_owed_replies_then_closes(server_factory):
    srv = server_factory()
    other = srv.raw()
    assert other.call("PING") == "PONG"
    c = srv.raw()
    c.send(b"".join(RespConn.encode("SET", f"k{i}", "v") for i in range(200)) + RespConn.encode("SHUTDOWN"))
    data = c.read_until_closed(timeout=60)
    assert count_complete_replies(data, b"+OK\r\n") == 200
    assert other.read_until_closed(timeout=60) == b""
    srv.proc.wait(timeout=60)
    assert srv.proc.returncode == 0, srv.logs()


@tessera_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_gracefully(server_factory, sig):
    srv = server_factory()
    idle = srv.raw()
    assert idle.call("SET", "big", "x" * 1024) == "OK"
    busy = srv.raw()
    # A pipeline far larger than one read: some of it is parsed before the signal lands.
    # Whatever was parsed is answered in full; nothing arrives cut in the middle.
    get = RespConn.encode("GET", "big")
    busy.send(get * 2000)
    first = busy.sock.recv(1)  # at least one reply is on its way
    assert first == b"$"
    os.kill(srv.pid, sig)
    srv.proc.wait(timeout=60)
    assert srv.proc.returncode == 0, srv.logs()
    data = first + busy.read_until_closed(timeout=60)
    reply = b"$1024\r\n" + b"x" * 1024 + b"\r\n"
    assert 1 <= count_complete_replies(data, reply) <= 2000
    assert idle.read_until_closed(timeout=60) == b""


@tessera_only
def test_idle_timeout_closes_only_idle_clients(server_factory):
    srv = server_factory("--timeout", "3")
    idle = srv.raw()
    assert idle.call("PING") == "PONG"
    active = srv.raw()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:  # keeps talking: never idle for anywhere near 3 s
        assert active.call("PING") == "PONG"
        time.sleep(0.1)
    assert idle.read_until_closed(timeout=30) == b""
    assert active.call("PING") == "PONG"
