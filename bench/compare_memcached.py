#!/usr/bin/python3
"""Tessera vs memcached, side by side, over the memcached text protocol.

Starts build/tessera-server (--port 0 --memcached-port auto; the memcache port is read from its
`listening memcache 127.0.0.1 <port>` stdout line) and Debian's `memcached -t 2` (free port,
-U 0 -l 127.0.0.1 -m 1024), and drives both with the same load from bench/mc_load.c (built
into build/bench/mc_load with cc -O2 when missing or older than the source):
  50 connections, each keeping <depth> requests in flight (write a batch of <depth>, read the
  <depth> replies, repeat), 90% `get key:%08d` / 10% `set key:%08d 0 0 <size>`, keys uniform in
  a 100000-key space that is prepopulated (every key set once, pipelined) before each value
  size, so gets hit; the same seeded key/op sequence for both servers.
For every value size (16, 1024) and depth (1, 16) it prints ops/s, p50/p99 latency (per
request: from writing its batch to reading its reply), the server's CPU time per operation
(utime+stime from /proc/PID/stat around each run, all threads) with Tessera/memcached ratios,
and checks them against the issue's targets (server CPU/op <= 0.8x memcached at depth 1 and
<= 0.2x at depth 16; ops/s >= 1.0x at depth 1 and >= 3x at depth 16).

Why not memcaslap: it has no pipeline-depth knob (only a concurrency and a window of keys), so
"depth 16" cannot be expressed, and its latency figures are coarse; mc_load drives both servers
with byte-identical request streams, parses every reply strictly (a get must return its own
key's VALUE...END or END, a set STORED) and fails the run on any error. At depth 1 it costs
about as much client CPU per op as memcaslap does.

The load generator shares the machine with the server, as redis-benchmark does in
compare_redis.py: on 2 cores it runs 1 client thread by default (BENCH_THREADS) and its own
CPU per op is reported (client us/op column), so a saturated client is visible. At depth 1 a
client thread needs several microseconds of CPU per request (a send and a recv per request),
which caps what either server can show; the CPU/op ratio is the figure that survives that.

Environment:
  BENCH_N=500000           requests per run
  BENCH_CLIENTS=50         connections
  BENCH_DEPTHS="1 16"      pipeline depths (requests in flight per connection)
  BENCH_SIZES="16 1024"    value sizes in bytes
  BENCH_KEYSPACE=100000    keys key:00000000 .. (prepopulated)
  BENCH_GET_PCT=90         % of requests that are gets (the rest sets)
  BENCH_THREADS=1          mc_load client threads
  BENCH_MAX_SECONDS=300    per-run time cap (a capped run is reported)
  TESSERA_SERVER=build/tessera-server
  TESSERA_FLAGS=""         extra flags for tessera-server (e.g. "--workers 2")
  MEMCACHED_FLAGS=""       extra flags for memcached
  BENCH_ONLY=tessera|memcached  run only one side
  BENCH_REPEAT=1           rounds; each round runs every load on both servers back to back
                           (alternating which goes first) and the table shows per-load medians,
                           so a noisy moment on a shared machine skews one sample, not the ratio
Servers are stopped by PID at the end.
"""

import os
import re
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import (build_c_tool, fmt, median_result, ratio, start_memcached,  # noqa: E402  (shared)
                           start_sides)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LOADGEN_SRC = os.path.join(ROOT, "bench", "mc_load.c")
LOADGEN = os.path.join(ROOT, "build", "bench", "mc_load")

# depth -> (max server CPU/op ratio, min ops/s ratio), Tessera / memcached -t 2
TARGETS = {"1": (0.8, 1.0), "16": (0.2, 3.0)}


def build_loadgen():
    build_c_tool(LOADGEN_SRC, LOADGEN, ["-pthread"])


def start_memcached_side():
    return start_memcached(memory_mb=1024, extra=shlex.split(os.environ.get("MEMCACHED_FLAGS", "")))


def mc_load(srv, args, timeout):
    """Run mc_load against srv; returns (parsed key=value dict or None, returncode, stderr)."""
    argv = [LOADGEN, "-h", "127.0.0.1", "-p", str(srv.port), *map(str, args)]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    m = re.search(r"^ops=.*$", out, re.M)
    if not m:
        return None, p.returncode, err + out
    kv = dict(f.split("=", 1) for f in m.group(0).split())
    return kv, p.returncode, err


def prepopulate(srv, cfg, size):
    kv, rc, err = mc_load(srv, ["-c", cfg["clients"], "-d", 16, "-s", size, "-k", cfg["keyspace"],
                                "-T", cfg["threads"], "-t", cfg["max_seconds"], "-P"],
                          cfg["max_seconds"] + 60)
    if kv is None or rc != 0 or int(kv["ops"]) != cfg["keyspace"]:
        print(f"WARNING: {srv.name} prepopulate -s {size}: rc={rc} {kv}\n{err[-1000:]}",
              file=sys.stderr)


def run_load(srv, cfg, size, depth):
    n = cfg["n"]
    args = ["-c", cfg["clients"], "-d", depth, "-n", n, "-t", cfg["max_seconds"], "-s", size,
            "-k", cfg["keyspace"], "-g", cfg["get_pct"], "-T", cfg["threads"]]
    cpu0 = srv.cpu_us()
    cs0 = srv.context_switches()
    t0 = time.monotonic()
    kv, rc, err = mc_load(srv, args, cfg["max_seconds"] + 60)
    wall = time.monotonic() - t0
    cpu1 = srv.cpu_us()
    cs1 = srv.context_switches()
    if kv is None:
        print(f"WARNING: {srv.name} -s {size} -d {depth}: rc={rc}, no result\n{err[-1000:]}",
              file=sys.stderr)
        return None
    if rc != 0 or int(kv["errors"]) or int(kv["capped"]):
        print(f"WARNING: {srv.name} -s {size} -d {depth}: rc={rc} errors={kv['errors']} "
              f"capped={kv['capped']}\n{err[-1000:]}", file=sys.stderr)
    ops = int(kv["ops"])
    if ops == 0:
        return None
    gets = int(kv["hits"]) + int(kv["misses"])
    return {
        "rps": float(kv["ops_per_sec"]),
        "p50": float(kv["p50_us"]),
        "p99": float(kv["p99_us"]),
        "cpu_us_op": (cpu1 - cpu0) / ops,
        "client_us_op": float(kv["client_cpu_s"]) * 1e6 / ops,
        "ctxsw_op": (cs1 - cs0) / ops,
        "hit_pct": 100.0 * int(kv["hits"]) / gets if gets else None,
        "errors": int(kv["errors"]),
        "capped": int(kv["capped"]),
        "wall": wall,
    }


def main():
    cfg = {
        "n": int(os.environ.get("BENCH_N", "500000")),
        "clients": int(os.environ.get("BENCH_CLIENTS", "50")),
        "keyspace": int(os.environ.get("BENCH_KEYSPACE", "100000")),
        "get_pct": int(os.environ.get("BENCH_GET_PCT", "90")),
        "threads": int(os.environ.get("BENCH_THREADS", "1")),
        "max_seconds": int(os.environ.get("BENCH_MAX_SECONDS", "300")),
    }
    depths = os.environ.get("BENCH_DEPTHS", "1 16").split()
    sizes = os.environ.get("BENCH_SIZES", "16 1024").split()
    only = os.environ.get("BENCH_ONLY", "")
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    if only not in ("", "tessera", "memcached"):
        raise SystemExit(f"BENCH_ONLY={only!r}: expected tessera or memcached")

    build_loadgen()
    servers = {}
    try:
        servers = start_sides(only, "memcached", start_memcached_side, listener="memcache")
        samples = {}
        for round_no in range(repeat):
            order = list(servers.items())
            if round_no % 2 == 1:
                order.reverse()
            for size in sizes:
                for name, s in order:
                    print(f"# round {round_no + 1}/{repeat}: {name} prepopulate "
                          f"{cfg['keyspace']} keys -s {size} ...", file=sys.stderr, flush=True)
                    prepopulate(s, cfg, size)
                for depth in depths:
                    for name, s in order:
                        print(f"# round {round_no + 1}/{repeat}: {name} -s {size} -d {depth} "
                              f"-n {cfg['n']} ...", file=sys.stderr, flush=True)
                        samples.setdefault((name, size, depth), []).append(
                            run_load(s, cfg, size, depth))
        results = {key: median_result(runs, worst_fields=("errors", "capped")) for key, runs in samples.items()}
        for s in servers.values():
            s.rss = s.rss_kb()
    finally:
        for s in servers.values():
            s.stop()

    print(f"\nmc_load -c {cfg['clients']} -n {cfg['n']} -k {cfg['keyspace']} -g {cfg['get_pct']} "
          f"-T {cfg['threads']} (gets {cfg['get_pct']}% / sets {100 - cfg['get_pct']}%, keyspace "
          f"prepopulated; CPU = server utime+stime per op; medians of {repeat} rounds)\n")
    hdr = (f"{'size':>5} {'d':>3} | {'tessera ops/s':>13} {'memc ops/s':>11} {'T/M':>5} | "
           f"{'p50 T':>7} {'p50 M':>7} | {'p99 T':>7} {'p99 M':>7} {'T/M':>5} | "
           f"{'cpu us/op T':>11} {'M':>6} {'T/M':>5} | {'ctxsw/op T':>10} {'M':>5} | "
           f"{'client us/op T':>14} {'M':>5} | {'hit% T':>6} {'M':>5}")
    print(hdr)
    print("-" * len(hdr))
    g = lambda d, k: None if d is None else d[k]  # noqa: E731
    for size in sizes:
        for depth in depths:
            t = results.get(("tessera", size, depth))
            m = results.get(("memcached", size, depth))
            print(f"{size:>5} {depth:>3} | {fmt(g(t, 'rps'), '13,.0f')} {fmt(g(m, 'rps'), '11,.0f')} "
                  f"{ratio(g(t, 'rps'), g(m, 'rps')):>5} | "
                  f"{fmt(g(t, 'p50'), '7.0f')} {fmt(g(m, 'p50'), '7.0f')} | "
                  f"{fmt(g(t, 'p99'), '7.0f')} {fmt(g(m, 'p99'), '7.0f')} "
                  f"{ratio(g(t, 'p99'), g(m, 'p99')):>5} | "
                  f"{fmt(g(t, 'cpu_us_op'), '11.2f')} {fmt(g(m, 'cpu_us_op'), '6.2f')} "
                  f"{ratio(g(t, 'cpu_us_op'), g(m, 'cpu_us_op')):>5} | "
                  f"{fmt(g(t, 'ctxsw_op'), '10.3f')} {fmt(g(m, 'ctxsw_op'), '5.3f')} | "
                  f"{fmt(g(t, 'client_us_op'), '14.2f')} {fmt(g(m, 'client_us_op'), '5.2f')} | "
                  f"{fmt(g(t, 'hit_pct'), '6.1f')} {fmt(g(m, 'hit_pct'), '5.1f')}")
    print("\nlatencies in us (per request, from writing its batch to reading its reply); "
          "T/M = Tessera/memcached -t 2\n(ops/s: higher is better; p99, CPU: lower); "
          "ctxsw/op = the server's context switches per request;\n"
          "client us/op = mc_load's own CPU per request (it shares the machine with the server)")

    print("\ntargets (Tessera/memcached -t 2):")
    for size in sizes:
        for depth in depths:
            if depth not in TARGETS:
                continue
            cpu_max, ops_min = TARGETS[depth]
            t = results.get(("tessera", size, depth))
            m = results.get(("memcached", size, depth))
            if not t or not m or not m["cpu_us_op"] or not m["rps"]:
                print(f"  size {size:>5} depth {depth:>2}: CPU/op <= {cpu_max}x, ops/s >= "
                      f"{ops_min}x: not measured (both servers needed)")
                continue
            cr = t["cpu_us_op"] / m["cpu_us_op"]
            orr = t["rps"] / m["rps"]
            print(f"  size {size:>5} depth {depth:>2}: CPU/op {cr:.2f}x (<= {cpu_max}x: "
                  f"{'met' if cr <= cpu_max else 'NOT met'}), ops/s {orr:.2f}x (>= {ops_min}x: "
                  f"{'met' if orr >= ops_min else 'NOT met'})")

    bad = [(k, r) for k, r in results.items() if r and (r["errors"] or r["capped"])]
    bad += [(k, None) for k, r in results.items() if r is None]
    if bad:
        print("\nINVALID samples (errors, time cap hit, or no result):")
        for (name, size, depth), r in bad:
            print(f"  {name} size {size} depth {depth}: " +
                  ("no result" if r is None else f"errors={r['errors']} capped={r['capped']}"))
    for name, s in servers.items():
        print(f"{name}: RSS at end {s.rss / 1024:.1f} MiB")
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
