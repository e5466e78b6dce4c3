#!/usr/bin/python3
"""What APPENDs to a large value cost, Tessera against Redis in one run.

Starts build/tessera-server and Debian's redis-server (as bench/compare_redis.py does) and
times two loads on each server:
  - one key set to a value of APPEND_MIB MiB, then APPEND_COUNT one-byte APPENDs to it, each
    waiting for its reply;
  - one key grown from nothing to BUILD_MIB MiB by 4 KiB APPENDs, pipelined 256 at a time.
Both servers grow a value kept out of line in place with a doubling reserve, so these cost
amortized O(bytes appended); a server that copied the value on every APPEND would take
seconds. Prints seconds per server and the ratio. Servers are stopped by PID at the end.

  /usr/bin/python3 bench/append_cost.py          (APPEND_MIB=64 APPEND_COUNT=20 BUILD_MIB=16)
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
    r.delete("big")
    r.close()
    return elapsed


def time_build(port, mib, chunk=4096, depth=256):
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=600)
    r.delete("built")
    appends = (mib << 20) // chunk
    piece = b"z" * chunk
    start = time.monotonic()
    for first in range(0, appends, depth):
        pipe = r.pipeline(transaction=False)
        for _ in range(min(depth, appends - first)):
            pipe.append("built", piece)
        pipe.execute()
    elapsed = time.monotonic() - start
    assert r.strlen("built") == appends * chunk
    r.delete("built")
    r.close()
    return elapsed


def main():
    mib = int(os.environ.get("APPEND_MIB", "64"))
    count = int(os.environ.get("APPEND_COUNT", "20"))
    build_mib = int(os.environ.get("BUILD_MIB", "16"))
    servers = {}
    try:
        servers["tessera"] = start_tessera()
        servers["redis"] = start_redis()
        if servers["tessera"] is None:
            raise SystemExit("build/tessera-server is not built")
        took = {name: time_appends(s.port, mib, count) for name, s in servers.items()}
        built = {name: time_build(s.port, build_mib) for name, s in servers.items()}
    finally:
        for s in servers.values():
            if s is not None:
                s.stop()
    print(f"{count} one-byte APPENDs to a {mib} MiB value: tessera {took['tessera']:.3f} s, "
          f"redis {took['redis']:.3f} s, T/R {took['tessera'] / took['redis']:.2f}x")
    print(f"a {build_mib} MiB value built by 4 KiB APPENDs (pipeline 256): "
          f"tessera {built['tessera']:.3f} s, redis {built['redis']:.3f} s, "
          f"T/R {built['tessera'] / built['redis']:.2f}x")

if __name__ == "__main__":
    main()
