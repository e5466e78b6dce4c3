#!/usr/bin/python3
"""Memory per client connection: Tessera vs Redis vs memcached.

Opens N connections to each server, sends one 16-byte SET on every one of them (so each
connection has received a request and sent a reply), reads every reply, and prints the
growth of the server's RSS (VmRSS, after it settles) divided by N: what an open connection
that has been used once costs the server while it sits idle. The connections stay open
while RSS is read.

Environment: BENCH_CONNECTIONS=5000 (raised towards the hard RLIMIT_NOFILE when needed),
BENCH_SERVERS="tessera redis memcached", TESSERA_SERVER / TESSERA_FLAGS as for
compare_redis.py.
"""

import os
import resource
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import start_memcached, start_redis, start_tessera  # noqa: E402
from memory_per_key import settle_rss  # noqa: E402

RESP_SET = b"*3\r\n$3\r\nSET\r\n$8\r\nconn:key\r\n$16\r\n0123456789abcdef\r\n"
MEMCACHE_SET = b"set conn:key 0 0 16\r\n0123456789abcdef\r\n"


def read_exact(sock, want):
    buf = b""
    while len(buf) < len(want):
        d = sock.recv(len(want) - len(buf))
        if not d:
            raise ConnectionError("server closed the connection")
        buf += d
    if buf != want:
        raise RuntimeError(f"unexpected reply {buf!r}")


def open_used_connections(port, n, request, reply):
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            socks.append(s)
        for s in socks:
            s.sendall(request)
        for s in socks:
            read_exact(s, reply)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def main():
    n = int(os.environ.get("BENCH_CONNECTIONS", "5000"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    n = min(n, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64)
    wanted = os.environ.get("BENCH_SERVERS", "tessera redis memcached").split()
    rows = []
    for name in wanted:
        limit = str(n + 100)
        if name == "tessera":
            proc = start_tessera(extra=["--maxclients", limit])
            if proc is None:
                print("note: tessera-server not built; skipped", file=sys.stderr)
                continue
            request, reply = RESP_SET, b"+OK\r\n"
        elif name == "redis":
            proc = start_redis(extra=["--maxclients", limit])
            request, reply = RESP_SET, b"+OK\r\n"
        elif name == "memcached":
            proc = start_memcached(extra=["-c", limit])
            request, reply = MEMCACHE_SET, b"STORED\r\n"
        else:
            continue
        try:
            rss0 = settle_rss(proc)
            socks = open_used_connections(proc.port, n, request, reply)
            try:
                rss1 = settle_rss(proc)
            finally:
                for s in socks:
                    s.close()
            rows.append((name, rss0, rss1))
        finally:
            proc.stop()
    print(f"{n} connections, each used for one SET and then idle (RSS growth / connection)")
    print(f"{'server':10} {'RSS before KiB':>15} {'RSS after KiB':>15} {'bytes / connection':>19}")
    for name, rss0, rss1 in rows:
        print(f"{name:10} {rss0:>15,} {rss1:>15,} {(rss1 - rss0) * 1024 / n:>19,.0f}")


if __name__ == "__main__":
    main()
