#!/usr/bin/python3
"""Python end-to-end feature read (issue 4, "Benchmark"): redis-py -> (K, 10) float32 numpy array.

Reads the data written by bench/table_feature_bench (Tessera table `t` with columns f0..f9
float32, Redis keys `e:%08d` holding 40-byte packed blobs), B batches of K random keys:
  Tessera: TABLE.MGET t COLUMNS f0..f9 KEYS k1..kK (COLUMNAR), the validity bitmaps checked
           (all rows present), np.frombuffer per column, np.stack(axis=1) -> (K, 10) float32;
  Redis:   MGET k1..kK, b"".join of the blobs (fails on a missing key), np.frombuffer ->
           reshape (K, 10).
Both are timed per batch with the wall clock around the whole call (command packing in
redis-py, round trip, reply parsing, numpy). Batches alternate which server goes first.
The first batches' arrays are compared element by element with the written values.

Usage: table_feature_python.py --tessera-port P --redis-port P [--rows 1000000]
           [--batches 500] [--keys 1000] [--warmup 20] [--seed 7] [--host 127.0.0.1]
Prints a table and "RESULT name value" lines.
"""

import argparse
import sys
import time

import numpy as np
import redis

NCOLS = 10
COLS = [f"f{j}" for j in range(NCOLS)]


def mix64(x):
    """The value generator of table_feature_bench.c, vectorised (uint64 arithmetic wraps)."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(33)
        x *= np.uint64(0xFF51AFD7ED558CCD)
        x ^= x >> np.uint64(33)
        x *= np.uint64(0xC4CEB9FE1A85EC53)
        x ^= x >> np.uint64(33)
    return x


def expected_values(rows):
    """(len(rows), 10) float32: feature j of row i as written by table_feature_bench.c."""
    rows = np.asarray(rows, dtype=np.uint64)
    idx = rows[:, None] * np.uint64(NCOLS) + np.arange(NCOLS, dtype=np.uint64)[None, :] + np.uint64(1)
    h = (mix64(idx) >> np.uint64(40)) & np.uint64(0xFFFFFF)
    return (h.astype(np.float32) / np.float32(1048576.0) - np.float32(8.0)).astype(np.float32)


def pct(sorted_ms, p):
    n = len(sorted_ms)
    i = min(n - 1, max(0, int(np.ceil(p / 100.0 * n)) - 1))
    return sorted_ms[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--tessera-port", type=int, required=True)
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--batches", type=int, default=500)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--verify-batches", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    k = args.keys

    try:
        import hiredis  # noqa: F401
        parser = "hiredis " + getattr(hiredis, "__version__", "?")
    except ImportError:
        parser = "pure-Python parser (python3-hiredis not installed)"

    tess = redis.Redis(host=args.host, port=args.tessera_port)
    red = redis.Redis(host=args.host, port=args.redis_port)

    rng = np.random.default_rng(args.seed)
    seq = rng.integers(0, args.rows, size=(args.batches, k), dtype=np.int64)
    key_batches = [[b"e:%08d" % r for r in batch] for batch in seq.tolist()]
    all_valid = b"\xff" * (k // 8) + (bytes([(1 << (k % 8)) - 1]) if k % 8 else b"")
    mget_head = ["TABLE.MGET", "t", "COLUMNS", *COLS, "KEYS"]

    def read_tessera(keys):
        reply = tess.execute_command(*mget_head, *keys)
        for col in reply:
            if col[2] != all_valid:
                raise RuntimeError("Tessera: a requested row is missing")
        return np.stack([np.frombuffer(col[1], dtype="<f4") for col in reply], axis=1)

    def read_redis(keys):
        return np.frombuffer(b"".join(red.mget(keys)), dtype="<f4").reshape(len(keys), NCOLS)

    systems = [("Tessera TABLE.MGET", read_tessera), ("Redis MGET blob", read_redis)]
    for w in range(args.warmup):
        for _, fn in systems:
            fn(key_batches[w % args.batches])

    lat = [[], []]
    bad = [0, 0]
    checked = [0, 0]
    t_all = time.perf_counter()
    for bi, keys in enumerate(key_batches):
        for q in range(2):
            s = (bi + q) % 2
            t0 = time.perf_counter()
            arr = systems[s][1](keys)
            lat[s].append((time.perf_counter() - t0) * 1e3)
            if bi < args.verify_batches:
                want = expected_values(seq[bi])
                if arr.shape != (k, NCOLS) or arr.dtype != np.float32 or not np.array_equal(arr, want):
                    bad[s] += 1
                checked[s] += 1
    t_all = time.perf_counter() - t_all

    stats = []
    for s in range(2):
        xs = sorted(lat[s])
        stats.append((pct(xs, 50), pct(xs, 95), pct(xs, 99), float(np.mean(xs))))
    print(f"\n== Python end-to-end: redis-py {redis.__version__} ({parser}), numpy {np.__version__}; "
          f"{args.batches} batches x {k} keys -> ({k}, {NCOLS}) float32 ({t_all:.1f} s) ==")
    print(f"{'system':<20} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'mean ms':>9}   check")
    for s in range(2):
        p50, p95, p99, mean = stats[s]
        ok = f"{checked[s] - bad[s]}/{checked[s]} batches equal to the written values"
        print(f"{systems[s][0]:<20} {p50:9.3f} {p95:9.3f} {p99:9.3f} {mean:9.3f}   {ok}")
    r = [stats[0][i] / stats[1][i] for i in range(4)]
    print(f"{'Tessera / blob':<20} {r[0]:9.3f} {r[1]:9.3f} {r[2]:9.3f} {r[3]:9.3f}   target p95 <= 0.35")
    for s, tag in ((0, "tessera"), (1, "blob")):
        print(f"RESULT py_p50_ms_{tag} {stats[s][0]:.4f}\nRESULT py_p95_ms_{tag} {stats[s][1]:.4f}\n"
              f"RESULT py_p99_ms_{tag} {stats[s][2]:.4f}")
        print(f"RESULT py_check_{tag} {'ok' if bad[s] == 0 else 'FAILED'}")
    print(f"RESULT py_parser {parser.split()[0]}")
    return 0 if bad == [0, 0] else 2


if __name__ == "__main__":
    sys.exit(main())
