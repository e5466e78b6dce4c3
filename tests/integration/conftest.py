"""Integration-test harness for Tessera.

The same tests run against Tessera (default) or, to validate the tests themselves, against
Debian's redis-server:

    TESSERA_SERVER=build/tessera-server   path of the server binary (default build/tessera-server)
    TESSERA_TARGET=redis                  run against `redis-server` instead (Tessera-only tests skip)
    TESSERA_READY_TIMEOUT=60              seconds to wait for a server to become ready

Rules kept here: free ports only (Tessera binds port 0 and prints its port; for Redis we pick
one by binding port 0 first), readiness by bounded polling (never a fixed sleep), teardown
kills only the PID we started and waits for it.

Helpers other test modules import with `from conftest import ...`: SocketConn (raw socket
with a line/byte reader), RespConn (SocketConn with a small RESP2/RESP3 parser),
stop_process, wait_until, free_port, TARGET, IS_REDIS, tessera_only.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("TESSERA_TARGET", "tessera").strip().lower()
IS_REDIS = TARGET == "redis"
TESSERA_SERVER = os.environ.get("TESSERA_SERVER", os.path.join(ROOT, "build", "tessera-server"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
READY_TIMEOUT = float(os.environ.get("TESSERA_READY_TIMEOUT", "60"))

LISTEN_RE = re.compile(rb"^listening resp 127\.0\.0\.1 (\d+)\r?$", re.M)
MEMCACHE_LISTEN_RE = re.compile(rb"^listening memcache 127\.0\.0\.1 (\d+)\r?$", re.M)

tessera_only = pytest.mark.skipif(IS_REDIS, reason="Tessera-only check (TESSERA_TARGET=redis)")


def wait_until(pred, timeout=30.0, interval=0.01, what="condition"):
    """Bounded polling: call pred() until it returns a truthy value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - remembered and reported on timeout
            last_exc = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)
        interval = min(interval * 1.5, 0.2)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# --------------------------------------------------------------------------------------
# Raw RESP connection
# --------------------------------------------------------------------------------------

class RespError(Exception):
    """A RESP error reply ('-...' or '!...'); str() is the message without the prefix."""


class PushMessage(list):
    pass


class SocketConn:
    """A raw loopback socket with a receive buffer: CRLF lines, exact byte counts, EOF."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise ConnectionError("connection closed by server")
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _take(self, n):
        """The next n bytes."""
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_until_closed(self, timeout=30.0, limit=64 << 20):
        """Read until EOF/reset; return everything received. Fails if the server keeps it open."""
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        deadline = time.monotonic() + timeout
        while len(data) < limit:
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not close the connection; got {data[:200]!r}")
            try:
                d = self.sock.recv(65536)
            except ConnectionResetError:
                return data
            except socket.timeout:
                raise AssertionError(f"server did not close the connection; got {data[:200]!r}")
            if not d:
                return data
            data += d
        raise AssertionError("server kept sending without closing")


class RespConn(SocketConn):
    """A raw socket speaking RESP, with a minimal RESP2/RESP3 reply parser."""

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _exact(self, n):
        """A bulk payload of n bytes and its CRLF; returns the payload."""
        return self._take(n + 2)[:n]

    def read_raw_line(self):
        """The next CRLF-terminated line, bytes, without CRLF."""
        return self._line()

    def read_reply(self, raise_errors=False):
        """Parse one reply. Errors are returned as RespError instances unless raise_errors."""
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            e = RespError(rest.decode(errors="replace"))
            if raise_errors:
                raise e
            return e
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*" or t == b"~" or t == b">":
            n = int(rest)
            if n < 0:
                return None
            items = [self.read_reply() for _ in range(n)]
            if t == b"~":
                return set(x if not isinstance(x, list) else tuple(x) for x in items)
            if t == b">":
                return PushMessage(items)
            return items
        if t == b"%" or t == b"|":
            n = int(rest)
            d = {}
            for _ in range(n):
                k = self.read_reply()
                d[k] = self.read_reply()
            return d
        if t == b"_":
            return None
        if t == b"#":
            return rest == b"t"
        if t == b",":
            return float(rest.decode().replace("inf", "inf"))
        if t == b"(":
            return int(rest)
        if t == b"!":
            n = int(rest)
            return RespError(self._exact(n).decode(errors="replace"))
        if t == b"=":
            n = int(rest)
            return self._exact(n)  # verbatim: 'txt:' prefix kept
        raise AssertionError(f"bad RESP type byte in line {line!r}")

    def call(self, *args):
        self.send(self.encode(*args))
        return self.read_reply()



# --------------------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------------------

class Server:
    def __init__(self, proc, port, kind, logdir, argv):
        self.proc = proc
        self.pid = proc.pid
        self.port = port
        self.memcache_port = None  # Tessera: its memcached listener (--memcached-port auto)
        self.host = "127.0.0.1"
        self.kind = kind
        self.logdir = logdir
        self.argv = argv
        self._clients = []

    # -- logs ---------------------------------------------------------------------------
    def _read(self, name, limit=8000):
        try:
            with open(os.path.join(self.logdir, name), "rb") as f:
                data = f.read()
            return data[-limit:].decode(errors="replace")
        except OSError:
            return ""

    def logs(self):
        return (f"argv: {' '.join(shlex.quote(a) for a in self.argv)}\n"
                f"--- stdout (tail) ---\n{self._read('stdout')}\n"
                f"--- stderr (tail) ---\n{self._read('stderr')}")

    # -- clients ------------------------------------------------------------------------
    def client(self, **kw):
        kw.setdefault("socket_timeout", 60)
        kw.setdefault("socket_connect_timeout", 30)
        c = redis.Redis(host=self.host, port=self.port, **kw)
        self._clients.append(c)
        return c

    def raw(self, timeout=30.0):
        return RespConn(self.port, self.host, timeout=timeout)

    def alive(self):
        return self.proc.poll() is None

    def assert_alive(self):
        assert self.alive(), f"server exited with {self.proc.returncode}\n{self.logs()}"

    def ping_ok(self):
        """A fresh connection can PING (server alive and accepting)."""
        self.assert_alive()
        with self.raw(timeout=30) as c:
            return c.call("PING") == "PONG"

    # -- lifecycle ------------------------------------------------------------------------
    def stop(self):
        for c in self._clients:
            try:
                c.connection_pool.disconnect()
            except Exception:  # noqa: BLE001
                pass
        self._clients.clear()
        stop_process(self.proc)
        for name in ("stdout", "stderr"):
            try:
                os.unlink(os.path.join(self.logdir, name))
            except OSError:
                pass
        try:
            os.rmdir(self.logdir)
        except OSError:
            pass


def stop_process(proc, timeout=20):
    """SIGTERM the process we started (by its PID), wait, and SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=timeout)


def _spawn(argv, logdir):
    out = open(os.path.join(logdir, "stdout"), "wb")
    err = open(os.path.join(logdir, "stderr"), "wb")
    try:
        return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=logdir, start_new_session=True)
    finally:
        out.close()
        err.close()


def _start_tessera(flags, timeout, wrapper=()):
    if not os.path.exists(TESSERA_SERVER):
        pytest.fail(f"server binary {TESSERA_SERVER} not found: build it, set TESSERA_SERVER, "
                    f"or set TESSERA_TARGET=redis to validate the tests against redis-server")
    logdir = tempfile.mkdtemp(prefix="tessera-it-")
    # Every test server also listens for memcached on a free port (never 11211); a test's
    # own --memcached-port flag comes later and wins.
    argv = [*wrapper, TESSERA_SERVER, "--port", "0", "--memcached-port", "auto", *flags]
    proc = _spawn(argv, logdir)
    srv = Server(proc, None, "tessera", logdir, argv)
    path = os.path.join(logdir, "stdout")
    deadline = time.monotonic() + timeout
    while True:
        with open(path, "rb") as f:
            out = f.read()
        m = LISTEN_RE.search(out)
        if m:
            srv.port = int(m.group(1))
            mc = MEMCACHE_LISTEN_RE.search(out)
            srv.memcache_port = int(mc.group(1)) if mc else None
            break
        if proc.poll() is not None:
            logs = srv.logs()
            srv.stop()
            pytest.fail(f"tessera-server exited with {proc.returncode} before printing "
                        f"'listening resp 127.0.0.1 <PORT>'\n{logs}")
        if time.monotonic() > deadline:
            logs = srv.logs()
            srv.stop()
            pytest.fail(f"tessera-server did not print 'listening resp 127.0.0.1 <PORT>' "
                        f"within {timeout}s\n{logs}")
        time.sleep(0.02)
    return srv


def _redis_ping(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"PING\r\n")
        s.settimeout(5)
        return s.recv(64).startswith(b"+PONG")


def _start_redis(flags, timeout):
    last_logs = ""
    for _attempt in range(5):  # the free port can be stolen between probe and bind: retry
        logdir = tempfile.mkdtemp(prefix="redis-it-")
        port = free_port()
        argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--logfile", "",
                "--dir", logdir, *flags]
        proc = _spawn(argv, logdir)
        srv = Server(proc, port, "redis", logdir, argv)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _redis_ping(port):
                    return srv
            except OSError:
                pass
            time.sleep(0.02)
        last_logs = srv.logs()
        exited = proc.poll() is not None
        srv.stop()
        if not exited:
            pytest.fail(f"redis-server did not answer PING within {timeout}s\n{last_logs}")
        if "Address already in use" not in last_logs:
            break
    pytest.fail(f"redis-server failed to start\n{last_logs}")


def start_server(flags=(), timeout=READY_TIMEOUT, wrapper=()):
    """`wrapper`: a command that execs the server (prlimit ...); Tessera only."""
    flags = list(flags)
    if IS_REDIS:
        return _start_redis(flags, timeout)
    return _start_tessera(flags, timeout, wrapper)


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    """One server per test module (default flags)."""
    srv = start_server()
    yield srv
    alive = srv.alive()
    logs = srv.logs() if not alive else ""
    srv.stop()
    assert alive, f"server died during the module\n{logs}"


@pytest.fixture
def server_factory():
    """start(flags...) -> Server with extra command-line flags; stopped after the test."""
    started = []

    def start(*flags, timeout=READY_TIMEOUT, wrapper=()):
        srv = start_server(flags, timeout, wrapper)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def r(server):
    """A redis-py client (RESP2, bytes) on a flushed server."""
    c = server.client()
    c.flushall()
    yield c
    server.assert_alive()


@pytest.fixture
def rs(server):
    """Like r, but decode_responses=True."""
    c = server.client(decode_responses=True)
    c.flushall()
    yield c
    server.assert_alive()
