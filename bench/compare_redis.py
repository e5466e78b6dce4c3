#!/usr/bin/python3
"""Tessera vs Redis, side by side, with redis-benchmark.

Starts build/tessera-server (--port 0) and Debian's redis-server (free port, no persistence),
runs the same `redis-benchmark -t <test> -c 50 -n N -r 1000000 -d 16 -P <p> --csv` against
each, one test per run, and prints ops/s, p50/p99 latency and the server's CPU time per
operation (utime+stime from /proc/PID/stat around each run), with Tessera/Redis ratios, and
redis-benchmark's own CPU per operation (the client's rusage: what bounds throughput when the
client runs a whole core, as it does at pipeline 1). With
several rounds it adds CPU-per-op ratios taken within each round (median, quartiles, rounds
won) and the user-space part of CPU per op (print_paired).

Environment:
  BENCH_N=2000000          requests per run
  BENCH_CLIENTS=50         -c
  BENCH_PIPELINES="1 16"   -P values
  BENCH_TESTS="set get"    redis-benchmark tests (one run each)
  BENCH_KEYSPACE=1000000   -r
  BENCH_DATA=16            -d
  TESSERA_SERVER=build/tessera-server
  TESSERA_FLAGS=""         extra flags for tessera-server (e.g. "--workers 2")
  TESSERA_VARIANTS=""      several Tessera builds or settings side by side in the same rounds:
                           "label=[BINARY] [flags];label=..." (a first word containing '/' is
                           the binary), e.g. "uring=;epoll=--io-backend epoll;
                           old=/tmp/old-server". Each variant gets its own rows, labelled.
  BENCH_FLOOR=1            also run bench/floor_server (frames commands and writes canned
                           replies: the kernel's cost of a request on this machine, nothing
                           else) as one more variant, "floor"; built with cc when missing
  BENCH_ONLY=tessera|redis run only one side
  BENCH_REPEAT=3           rounds; each round runs every load on both servers back to back
                           (alternating which goes first) and the table shows per-load medians,
                           so a noisy moment on a shared machine skews one sample, not the ratio
Servers are stopped by PID at the end.
"""

import csv
import io
import os
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ping(port, timeout=5.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            s.settimeout(timeout)
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Proc:
    def __init__(self, name, argv, port=None):
        self.name = name
        self.argv = argv
        self.logdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.out_path = os.path.join(self.logdir, "stdout")
        self.err_path = os.path.join(self.logdir, "stderr")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         cwd=self.logdir, start_new_session=True)
        self.pid = self.proc.pid
        self.port = port

    def logs(self):
        res = []
        for p in (self.out_path, self.err_path):
            try:
                with open(p, "rb") as f:
                    res.append(f.read()[-4000:].decode(errors="replace"))
            except OSError:
                pass
        return "\n".join(res)

    def fail(self, msg):
        logs = self.logs()
        self.stop()
        raise SystemExit(f"{self.name}: {msg}\n{' '.join(map(shlex.quote, self.argv))}\n{logs}")

    def cpu_split_us(self):
        """(user, system) CPU time of the server so far, in microseconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is state (field 3); utime is field 14, stime field 15
        return int(fields[11]) * 1e6 / CLK_TCK, int(fields[12]) * 1e6 / CLK_TCK

    def cpu_us(self):
        return sum(self.cpu_split_us())

    def context_switches(self):
        """Voluntary + involuntary context switches of all the server's threads."""
        total = 0
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except OSError:
                pass  # a thread that ended meanwhile
        return total

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def start_tessera(extra=(), timeout=60, listener="resp", path=None, name="tessera"):
    """build/tessera-server (or `path`, or $TESSERA_SERVER) on free ports; None when it is
    not built. The returned Proc's port is its `listener` ("resp", or "memcache" with the
    memcached listener on a free port instead of disabled)."""
    path = path or os.environ.get("TESSERA_SERVER", os.path.join(ROOT, "build", "tessera-server"))
    if not os.path.exists(path):
        return None
    flags = shlex.split(os.environ.get("TESSERA_FLAGS", "")) + list(extra)
    memcached_port = "auto" if listener == "memcache" else "0"
    p = Proc(name, [path, "--port", "0", "--memcached-port", memcached_port, *flags])
    line = re.compile(rb"^listening " + listener.encode() + rb" 127\.0\.0\.1 (\d+)$", re.M)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(p.out_path, "rb") as f:
            m = line.search(f.read())
        if m:
            p.port = int(m.group(1))
            return p
        if p.proc.poll() is not None:
            p.fail(f"exited with {p.proc.returncode}")
        time.sleep(0.02)
    p.fail(f"no 'listening {listener}' line")


FLOOR_SRC = os.path.join(ROOT, "bench", "floor_server.c")
FLOOR = os.path.join(ROOT, "build", "bench", "floor_server")


def build_c_tool(src, out, flags=()):
    """Compiles a one-file C bench tool with cc when `out` is missing or older than `src`;
    a warning fails the build like an error."""
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return
    os.makedirs(os.path.dirname(out), exist_ok=True)
    argv = ["cc", "-std=gnu11", "-O2", "-Wall", "-Wextra", *flags, "-o", out, src]
    print(f"# building {os.path.relpath(out, ROOT)}: {' '.join(argv)}", file=sys.stderr)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0 or p.stdout:
        raise SystemExit(f"building {os.path.basename(out)} failed or warned:\n{p.stdout.decode(errors='replace')}")


def tessera_variants():
    """[(label, binary or None, [flags])] from $TESSERA_VARIANTS (one plain "tessera" when
    unset), plus "floor" with BENCH_FLOOR=1."""
    floor = []
    if os.environ.get("BENCH_FLOOR") == "1":
        build_c_tool(FLOOR_SRC, FLOOR)
        floor = [("floor", FLOOR, [])]
    spec = os.environ.get("TESSERA_VARIANTS", "").strip()
    if not spec:
        return [("tessera", None, [])] + floor
    variants = []
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        label, _, rest = item.partition("=")
        words = shlex.split(rest)
        binary = words.pop(0) if words and "/" in words[0] else None
        variants.append((label.strip(), binary, words))
    return variants + floor


def start_sides(only, other, start_other, listener="resp"):
    """The servers of one comparison, by name: each Tessera variant (unless only == other)
    and the reference server `other` started by start_other() (unless only == "tessera")."""
    servers = {}
    if only in ("", "tessera"):
        for label, binary, flags in tessera_variants():
            t = start_tessera(flags, listener=listener, path=binary, name=label)
            if t is None:
                print(f"note: {binary or 'tessera-server'} not built; skipping {label}", file=sys.stderr)
            else:
                servers[label] = t
    if only in ("", other):
        servers[other] = start_other()
    for name, s in servers.items():
        print(f"# {name}: pid {s.pid} port {s.port}", file=sys.stderr)
    return servers


def start_redis(extra=(), timeout=60):
    for _ in range(5):
        port = free_port()
        p = Proc("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--logfile", "", *extra], port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.proc.poll() is None:
            if ping(port):
                return p
            time.sleep(0.02)
        if p.proc.poll() is None:
            p.fail("no PING answer")
        if "Address already in use" not in p.logs():
            p.fail(f"exited with {p.proc.returncode}")
        p.stop()
    raise SystemExit("redis-server: could not bind a free port")


def start_memcached(memory_mb=2048, timeout=60, extra=()):
    for _ in range(5):
        port = free_port()
        user = ["-u", "nobody"] if os.geteuid() == 0 else []  # memcached refuses root
        p = Proc("memcached", ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                               "-m", str(memory_mb), "-t", "2", *user, *extra], port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"version\r\n")
                    s.settimeout(5)
                    if s.recv(64).startswith(b"VERSION"):
                        return p
            except OSError:
                pass
            time.sleep(0.02)
        if p.proc.poll() is None:
            p.fail("no answer to 'version'")
        if "in use" not in p.logs():
            p.fail(f"exited with {p.proc.returncode}")
        p.stop()
    raise SystemExit("memcached: could not start")


def run_benchmark(srv, test, n, clients, pipeline, keyspace, data):
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-t", test,
            "-c", str(clients), "-n", str(n), "-r", str(keyspace), "-d", str(data),
            "-P", str(pipeline), "--csv"]
    user0, sys0 = srv.cpu_split_us()
    cs0 = srv.context_switches()
    t0 = time.monotonic()
    client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3600)
    client1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the servers are not reaped yet
    wall = time.monotonic() - t0
    user1, sys1 = srv.cpu_split_us()
    cs1 = srv.context_switches()
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0 or "Error" in out or "Error" in p.stderr.decode(errors="replace"):
        print(f"WARNING: {srv.name} {test} -P {pipeline}: rc={p.returncode}\n{out[-500:]}"
              f"{p.stderr.decode(errors='replace')[-500:]}", file=sys.stderr)
    rows = list(csv.DictReader(io.StringIO(out)))
    if not rows:
        return None
    row = rows[0]
    return {
        "rps": float(row["rps"]),
        "p50": float(row["p50_latency_ms"]),
        "p99": float(row["p99_latency_ms"]),
        "cpu_us_op": (user1 + sys1 - user0 - sys0) / n,
        "user_us_op": (user1 - user0) / n,
        "ctxsw_op": (cs1 - cs0) / n,
        "client_us_op": (client1.ru_utime + client1.ru_stime - client0.ru_utime - client0.ru_stime) * 1e6 / n,
        "wall": wall,
    }


def median_result(runs, worst_fields=()):
    """Per-field median over repeated runs of one load on one server; the maximum for
    `worst_fields` (error counts: one bad run must show)."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    out = {}
    for field in runs[0]:
        values = sorted(r[field] for r in runs if r.get(field) is not None)
        if not values:
            out[field] = None
        else:
            out[field] = values[-1] if field in worst_fields else values[len(values) // 2]
    return out


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def fmt(v, spec):
    if v is None:
        return "-".rjust(int(re.match(r"\d*", spec).group() or 0))
    return format(v, spec)


def main():
    n = int(os.environ.get("BENCH_N", "2000000"))
    clients = int(os.environ.get("BENCH_CLIENTS", "50"))
    pipelines = os.environ.get("BENCH_PIPELINES", "1 16").split()
    tests = os.environ.get("BENCH_TESTS", "set get").split()
    keyspace = int(os.environ.get("BENCH_KEYSPACE", "1000000"))
    data = int(os.environ.get("BENCH_DATA", "16"))
    only = os.environ.get("BENCH_ONLY", "")
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))

    servers = {}
    try:
        servers = start_sides(only, "redis", start_redis)
        samples = {}
        for round_no in range(repeat):
            # Rotate who goes first each round (with two servers: alternate).
            order = list(servers.items())
            k = round_no % len(order)
            order = order[k:] + order[:k]
            for p in pipelines:
                for test in tests:
                    for name, s in order:
                        print(f"# round {round_no + 1}/{repeat}: {name} {test} -P {p} -n {n} ...",
                              file=sys.stderr, flush=True)
                        samples.setdefault((name, test, p), []).append(
                            run_benchmark(s, test, n, clients, p, keyspace, data))
        results = {key: median_result(runs) for key, runs in samples.items()}
        for s in servers.values():
            s.rss = s.rss_kb()
    finally:
        for s in servers.values():
            s.stop()

    print(f"\nredis-benchmark -c {clients} -n {n} -r {keyspace} -d {data}  "
          f"(CPU = server utime+stime per op; medians of {repeat} rounds)\n")
    labels = [name for name in servers if name != "redis"] or ["tessera"]
    # One row per load and Tessera variant; T is the variant, R is Redis.
    width = max(6, *(len(f"{test}:{label}") for test in tests for label in labels)) \
        if len(labels) > 1 else 6
    hdr = (f"{'test':<{width}} {'P':>3} | {'tessera ops/s':>13} {'redis ops/s':>12} {'T/R':>5} | "
           f"{'p50 T':>6} {'p50 R':>6} | {'p99 T':>6} {'p99 R':>6} | "
           f"{'cpu us/op T':>11} {'R':>6} {'T/R':>5} | {'ctxsw/op T':>10} {'R':>5} | "
           f"{'client us/op T':>14} {'R':>6}")
    print(hdr)
    print("-" * len(hdr))
    g = lambda d, k: None if d is None else d[k]  # noqa: E731
    for p in pipelines:
        for test in tests:
            r = results.get(("redis", test, p))
            for label in labels:
                t = results.get((label, test, p))
                name = test if len(labels) == 1 else f"{test}:{label}"
                print(f"{name:<{width}} {p:>3} | {fmt(g(t, 'rps'), '13,.0f')} {fmt(g(r, 'rps'), '12,.0f')} "
                      f"{ratio(g(t, 'rps'), g(r, 'rps')):>5} | "
                      f"{fmt(g(t, 'p50'), '6.3f')} {fmt(g(r, 'p50'), '6.3f')} | "
                      f"{fmt(g(t, 'p99'), '6.3f')} {fmt(g(r, 'p99'), '6.3f')} | "
                      f"{fmt(g(t, 'cpu_us_op'), '11.2f')} {fmt(g(r, 'cpu_us_op'), '6.2f')} "
                      f"{ratio(g(t, 'cpu_us_op'), g(r, 'cpu_us_op')):>5} | "
                      f"{fmt(g(t, 'ctxsw_op'), '10.3f')} {fmt(g(r, 'ctxsw_op'), '5.3f')} | "
                      f"{fmt(g(t, 'client_us_op'), '14.2f')} {fmt(g(r, 'client_us_op'), '6.2f')}")
    print("\nlatencies in ms; T/R = Tessera/Redis (ops/s: higher is better; CPU: lower); "
          "ctxsw/op = the server's context switches per request;\n"
          "client us/op = redis-benchmark's own CPU (utime+stime) per request: at pipeline 1 it runs a "
          "whole core,\nso this sets the throughput")
    for name, s in servers.items():
        print(f"{name}: RSS at end {s.rss / 1024:.1f} MiB")
    if repeat > 1:
        print_paired(samples, labels, tests, pipelines, repeat)


def quartiles(values):
    v = sorted(values)
    return v[len(v) // 4], v[len(v) // 2], v[(3 * len(v)) // 4]


def print_paired(samples, labels, tests, pipelines, repeat):
    """CPU per op as ratios taken within each round (the servers ran back to back there),
    so drifts of the shared machine between rounds cancel: median and quartiles of the
    per-round ratios, and in how many rounds the first server cost less."""
    pairs = [(label, "redis") for label in labels]
    pairs += [(label, labels[0]) for label in labels[1:]]
    print(f"\nserver CPU per op, per-round ratios over {repeat} rounds: median [quartiles] "
          f"(rounds where the first cost less); user = user-space CPU per op, medians")
    for p in pipelines:
        for test in tests:
            cells = []
            for a, b in pairs:
                ra, rb = samples.get((a, test, p), []), samples.get((b, test, p), [])
                ratios = [x["cpu_us_op"] / y["cpu_us_op"] for x, y in zip(ra, rb)
                          if x and y and y["cpu_us_op"] > 0]
                if ratios:
                    lo, mid, hi = quartiles(ratios)
                    below = sum(r < 1 for r in ratios)
                    cells.append(f"{a}/{b} {mid:.2f} [{lo:.2f}-{hi:.2f}] ({below}/{len(ratios)})")
            users = []
            for label in labels + ["redis"]:
                vals = [x["user_us_op"] for x in samples.get((label, test, p), []) if x]
                if vals:
                    users.append(f"{label} {quartiles(vals)[1]:.2f}")
            print(f"{test:<6} {p:>3} | " + "  ".join(cells) + "  | user us/op: " + ", ".join(users))


if __name__ == "__main__":
    main()
