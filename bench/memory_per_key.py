#!/usr/bin/python3
"""Memory per key: Tessera vs Redis vs memcached.

Loads N keys `key:%08d` with 16-byte values into each server (pipelined over a raw socket)
and prints, minus the empty-server baseline:
  - used_memory / key   (INFO memory; for memcached: `stats` bytes)
  - RSS / key           (VmRSS from /proc/PID/status)

Environment: BENCH_KEYS=1000000, TESSERA_SERVER=build/tessera-server, TESSERA_FLAGS="",
BENCH_SERVERS="tessera redis memcached".
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import start_memcached, start_redis, start_tessera  # noqa: E402

BATCH = 10000
VALUE = b"v" * 16


def recv_exact_count(sock, token, count, timeout=600):
    """Read exactly `count` replies, each of which must be `token` (e.g. b'+OK\\r\\n')."""
    sock.settimeout(timeout)
    want = count * len(token)
    buf = bytearray()
    while len(buf) < want:
        d = sock.recv(1 << 20)
        if not d:
            raise ConnectionError("server closed the connection")
        buf += d
        if not buf.startswith(token[:min(len(buf), len(token))]) or b"ERR" in d:
            raise RuntimeError(f"unexpected reply: {bytes(buf[:200])!r}")
    if bytes(buf) != token * count:
        raise RuntimeError(f"unexpected replies: {bytes(buf[-200:])!r}")
    return count


def resp_encode(*args):
    """A RESP multibulk command; str arguments are UTF-8 encoded."""
    return b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x if isinstance(x, bytes) else x.encode()
                                                  for x in args))


def resp_call(sock, *args):
    sock.sendall(resp_encode(*args))
    sock.settimeout(60)
    buf = b""
    while True:
        buf += sock.recv(1 << 20)
        if buf.startswith(b"$"):
            n, _, rest = buf[1:].partition(b"\r\n")
            if len(rest) >= int(n) + 2:
                return rest[:int(n)]
        elif buf.endswith(b"\r\n"):
            return buf


def info_field(sock, section, field):
    text = resp_call(sock, "INFO", section).decode()
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    return None


def load_resp(port, n):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        base_used = info_field(s, "memory", "used_memory")
        for start in range(0, n, BATCH):
            cmds = b"".join(
                b"*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$16\r\n%s\r\n" % (i, VALUE)
                for i in range(start, min(n, start + BATCH)))
            s.sendall(cmds)
            recv_exact_count(s, b"+OK\r\n", min(n, start + BATCH) - start)
        dbsize = int(resp_call(s, "DBSIZE")[1:-2])
        used = info_field(s, "memory", "used_memory")
    return base_used, used, dbsize


def memcached_stats(sock):
    sock.sendall(b"stats\r\n")
    sock.settimeout(60)
    buf = b""
    while not buf.endswith(b"END\r\n"):
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("closed")
        buf += d
    stats = {}
    for line in buf.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT":
            stats[parts[1]] = parts[2]
    return stats


def load_memcached(port, n):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        base = int(memcached_stats(s)["bytes"])
        for start in range(0, n, BATCH):
            end = min(n, start + BATCH)
            cmds = b"".join(b"set key:%08d 0 0 16\r\n%s\r\n" % (i, VALUE)
                            for i in range(start, end))
            s.sendall(cmds)
            recv_exact_count(s, b"STORED\r\n", end - start)
        st = memcached_stats(s)
    return base, int(st["bytes"]), int(st["curr_items"])


def settle_rss(proc, timeout=5.0):
    """RSS after it stops moving (bounded)."""
    last, deadline = proc.rss_kb(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        cur = proc.rss_kb()
        if cur == last:
            break
        last = cur
    return last


def main():
    n = int(os.environ.get("BENCH_KEYS", "1000000"))
    wanted = os.environ.get("BENCH_SERVERS", "tessera redis memcached").split()
    rows = []
    for name in wanted:
        if name == "tessera":
            proc = start_tessera()
            if proc is None:
                print("note: tessera-server not built; skipped", file=sys.stderr)
                continue
        elif name == "redis":
            proc = start_redis()
        elif name == "memcached":
            proc = start_memcached()
        else:
            continue
        try:
            rss0 = settle_rss(proc)
            t0 = time.monotonic()
            if name == "memcached":
                used0, used1, count = load_memcached(proc.port, n)
            else:
                used0, used1, count = load_resp(proc.port, n)
            load_s = time.monotonic() - t0
            rss1 = settle_rss(proc)
        finally:
            proc.stop()
        if count != n:
            print(f"WARNING: {name} holds {count} keys, expected {n}", file=sys.stderr)
        rows.append((name, count, None if used0 is None or used1 is None else
                     (used1 - used0) / n, (rss1 - rss0) * 1024 / n, rss1 / 1024, load_s))

    print(f"\n{n} keys 'key:%08d' with 16-byte values (baseline of the empty server subtracted)\n")
    hdr = (f"{'server':<10} {'keys':>9} {'used_memory/key':>16} {'RSS/key':>9} "
           f"{'RSS MiB':>8} {'load s':>7}")
    print(hdr)
    print("-" * len(hdr))
    for name, count, used, rss, rss_mib, load_s in rows:
        used_s = "-" if used is None else f"{used:.1f}"
        print(f"{name:<10} {count:>9} {used_s:>16} {rss:>9.1f} {rss_mib:>8.1f} {load_s:>7.1f}")
    print("\nmemcached's used_memory column is its `stats bytes` (item bytes only).")


if __name__ == "__main__":
    main()
