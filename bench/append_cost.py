#!/usr/bin/python3
"""What small APPENDs to a large value cost, Tessera against Redis in one run.

Starts build/tessera-server and Debian's redis-server (as bench/compare_redis.py does), sets
one key to a value of APPEND_MIB MiB, then times APPEND_COUNT one-byte APPENDs to it on each
server, each waiting for its reply. Tessera copies the whole value on every APPEND (a known
limit, see the README); Redis grows its string in place. Prints seconds per server and the
ratio. Servers are stopped by PID at the end.

  /usr/bin/python3 bench/append_cost.py          (APPEND_MIB=64 APPEND_COUNT=20)
"""

import os
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import start_redis, start_tessera  # noqa: E402


def time_appends(port, mib, count):
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=600)
    r.set("big", b"x" * (mib << 20))
    start = time.monotonic()
    for _ in range(count):
        r.append("big", b"y")
    elapsed = time.monotonic() - start
    assert r.strlen("big") == (mib << 20) + count
    r.close()
    return elapsed


def main():
    mib = int(os.environ.get("APPEND_MIB", "64"))
    count = int(os.environ.get("APPEND_COUNT", "20"))
    servers = {}
    try:
        servers["tessera"] = start_tessera()
        servers["redis"] = start_redis()
        if servers["tessera"] is None:
            raise SystemExit("build/tessera-server is not built")
        took = {name: time_appends(s.port, mib, count) for name, s in servers.items()}
    finally:
        for s in servers.values():
            if s is not None:
                s.stop()
    print(f"{count} one-byte APPENDs to a {mib} MiB value: tessera {took['tessera']:.3f} s, "
          f"redis {took['redis']:.3f} s, T/R {took['tessera'] / took['redis']:.0f}x")


if __name__ == "__main__":
    main()
