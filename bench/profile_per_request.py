#!/usr/bin/python3
"""Where a server's CPU goes per request, Tessera and Redis under the same load.

For each server: start it (compare_redis.py's helpers), fill the keyspace with SETs, then
`perf record -e cpu-clock -c 250000 -g -p PID` over one whole `redis-benchmark -t TEST -c 50
-n N -r 1000000 -d 16 -P 1` run, and convert the samples (one per 250 us of CPU) to
microseconds per request:
  - softirq: samples under net_rx_action/handle_softirqs (loopback delivery of the packets
    the server sends, run in its context);
  - kernel and user time in the server's own context, the kernel part split by what it
    serves (TCP send, TCP receive, scheduling, io_uring, epoll, read/write glue, other);
  - the symbols that cost most, in user space and in the kernel (all contexts, softirq
    included: e.g. fget/fput, the file lookups registered files avoid).
The three parts add up to about the CPU time /proc/PID/stat charges the server (printed
next to them), the figure compare_redis.py reports.
A higher sampling rate slows the server down too much on this VM (20 us: 3k requests/s).

Environment: PROFILE_TEST=get (any redis-benchmark test), PROFILE_N=300000,
PROFILE_SERVERS="tessera redis" (also "floor": bench/floor_server.c, the server that does no
work), PROFILE_KERNEL_TOP=40 kernel symbols listed, TESSERA_SERVER / TESSERA_FLAGS as for
compare_redis.py.
Needs perf (linux-perf) and root or perf_event_paranoid <= 1.
"""

import collections
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import FLOOR, FLOOR_SRC, build_c_tool, run_benchmark, start_redis, start_tessera  # noqa: E402

PERIOD_US = 250
KERNEL_TOP = int(os.environ.get("PROFILE_KERNEL_TOP", "40"))
SOFTIRQ = {"handle_softirqs", "__do_softirq", "net_rx_action"}
# First match wins, tested against every frame of a sample's call chain.
KERNEL_BUCKETS = [
    ("TCP send", lambda f: f in ("tcp_sendmsg", "sock_sendmsg")),
    ("TCP receive", lambda f: f in ("tcp_recvmsg", "sock_recvmsg", "inet_recvmsg")),
    ("scheduling", lambda f: f in ("schedule", "__schedule")),
    ("epoll", lambda f: f.startswith(("ep_", "do_epoll", "sock_poll", "tcp_poll"))),
    ("io_uring", lambda f: f.startswith(("io_", "__io_"))),
    ("read/write glue", lambda f: f.startswith(("vfs_", "ksys_", "fdget", "sock_read", "sock_write"))),
]


def samples(script_text):
    """perf script -F ip,sym,dso output -> [[(symbol, dso), ...leaf first], ...]."""
    out, cur = [], []
    for line in script_text.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 2:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append((parts[1].split("+")[0], parts[2] if len(parts) > 2 else ""))
    if cur:
        out.append(cur)
    return out


def kernel_bucket(chain):
    for name, match in KERNEL_BUCKETS:
        if any(match(sym) for sym, _ in chain):
            return name
    return "other"


def profile(srv, test, n):
    run_benchmark(srv, "set", 200000, 50, 1, 1000000, 16)  # fill the keyspace
    data = os.path.join(tempfile.mkdtemp(prefix="profile-"), "perf.data")
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-c", str(PERIOD_US * 1000), "-g",
                             "-o", data, "-p", str(srv.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = run_benchmark(srv, test, n, 50, 1, 1000000, 16)
    perf.send_signal(signal.SIGINT)
    perf.wait(timeout=120)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, timeout=600).stdout.decode(errors="replace")
    us = lambda count: count * PERIOD_US / n  # noqa: E731
    all_samples = samples(script)
    own = [s for s in all_samples if not any(sym in SOFTIRQ for sym, _ in s)]
    kernel = [s for s in own if "kernel" in s[0][1]]
    user = [s for s in own if "kernel" not in s[0][1]]
    print(f"\n== {srv.name}: {test}, {n} requests, {result['rps']:,.0f} requests/s ==")
    print(f"per request: all samples {us(len(all_samples)):.2f} us = softirq {us(len(all_samples) - len(own)):.2f}"
          f" + kernel {us(len(kernel)):.2f} + user {us(len(user)):.2f}"
          f"   (/proc/PID/stat: {result['cpu_us_op']:.2f} us)")
    buckets = collections.Counter(kernel_bucket(s) for s in kernel)
    print("kernel, own context: " + ", ".join(f"{k} {us(v):.2f}" for k, v in buckets.most_common()))
    top = collections.Counter(s[0][0] for s in user).most_common(12)
    print("user, top symbols:   " + ", ".join(f"{sym[:60]} {us(v):.3f}" for sym, v in top))
    top = collections.Counter(s[0][0] for s in all_samples if "kernel" in s[0][1]).most_common(KERNEL_TOP)
    print("kernel, top symbols: " + ", ".join(f"{sym[:60]} {us(v):.3f}" for sym, v in top))


def main():
    test = os.environ.get("PROFILE_TEST", "get")
    n = int(os.environ.get("PROFILE_N", "300000"))
    for name in os.environ.get("PROFILE_SERVERS", "tessera redis").split():
        if name == "tessera":
            srv = start_tessera()
        elif name == "floor":
            build_c_tool(FLOOR_SRC, FLOOR)
            srv = start_tessera(path=FLOOR, name="floor")
        else:
            srv = start_redis()
        if srv is None:
            raise SystemExit("build/tessera-server is not built")
        try:
            profile(srv, test, n)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
