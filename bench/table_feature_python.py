#!/usr/bin/python3
"""Python end-to-end feature read (issue 4, "Benchmark"): redis-py -> (K, 10) float32 numpy array.

Reads the data written by bench/table_feature_bench (Tessera table `t` with columns f0..f9
float32, Redis keys `e:%08d` holding 40-byte packed blobs), B batches of K random keys:
  Tessera KEYBLOB: TABLE.MGET t COLUMNS f0..f9 KEYBLOB <keys packed from a numpy "S10"
           array, examples/feature_serving.py pack_keys> (COLUMNAR), the validity bitmaps
           checked (all rows present), np.frombuffer per column, np.stack(axis=1) -> (K, 10)
           float32. This is the documented way to read from Python;
  Tessera KEYS: the same with the keys as K separate arguments (redis-py packs each one);
  Redis:   MGET k1..kK, b"".join of the blobs (fails on a missing key), np.frombuffer ->
           reshape (K, 10).
All are timed per batch with the wall clock around the whole call (key and command packing,
round trip, reply parsing, numpy). Batches rotate which system goes first.
The first batches' arrays are compared element by element with the written values.

Usage: table_feature_python.py --tessera-port P --redis-port P [--rows 1000000]
           [--batches 500] [--keys 1000] [--warmup 20] [--seed 7] [--host 127.0.0.1]
Prints a table and "RESULT name value" lines.
"""

import argparse
import sys
import time

import os

import numpy as np
import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from feature_serving import pack_keys  # noqa: E402

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
    # The measured batches, then the warm-up's own batches (no measured batch finds its rows
    # in cache from the warm-up).
    seq = rng.integers(0, args.rows, size=(args.batches + args.warmup, k), dtype=np.int64)
    key_batches = [[b"e:%08d" % r for r in batch] for batch in seq.tolist()]
    key_arrays = [np.array(batch, dtype="S10") for batch in key_batches]
    all_valid = b"\xff" * (k // 8) + (bytes([(1 << (k % 8)) - 1]) if k % 8 else b"")
    mget_head = ["TABLE.MGET", "t", "COLUMNS", *COLS, "KEYS"]

    blob_head = ["TABLE.MGET", "t", "COLUMNS", *COLS, "KEYBLOB"]

    def columns_to_matrix(reply):
        for col in reply:
            if col[2] != all_valid:
                raise RuntimeError("Tessera: a requested row is missing")
        return np.stack([np.frombuffer(col[1], dtype="<f4") for col in reply], axis=1)

    def read_tessera_blob(bi):
        return columns_to_matrix(tess.execute_command(*blob_head, pack_keys(key_arrays[bi])))

    def read_tessera_keys(bi):
        return columns_to_matrix(tess.execute_command(*mget_head, *key_batches[bi]))

    def read_redis(bi):
        keys = key_batches[bi]
        return np.frombuffer(b"".join(red.mget(keys)), dtype="<f4").reshape(len(keys), NCOLS)

    systems = [("Tessera KEYBLOB", read_tessera_blob), ("Tessera KEYS", read_tessera_keys),
               ("Redis MGET blob", read_redis)]
    nsys = len(systems)
    for w in range(args.warmup):
        for _, fn in systems:
            fn(args.batches + w)

    lat = [[] for _ in systems]
    bad = [0] * nsys
    checked = [0] * nsys
    t_all = time.perf_counter()
    for bi in range(args.batches):
        for q in range(nsys):
            s = (bi + q) % nsys
            t0 = time.perf_counter()
            arr = systems[s][1](bi)
            lat[s].append((time.perf_counter() - t0) * 1e3)
            if bi < args.verify_batches:
                want = expected_values(seq[bi])
                if arr.shape != (k, NCOLS) or arr.dtype != np.float32 or not np.array_equal(arr, want):
                    bad[s] += 1
                checked[s] += 1
    t_all = time.perf_counter() - t_all

    stats = []
    for s in range(nsys):
        xs = sorted(lat[s])
        stats.append((pct(xs, 50), pct(xs, 95), pct(xs, 99), float(np.mean(xs))))
    print(f"\n== Python end-to-end: redis-py {redis.__version__} ({parser}), numpy {np.__version__}; "
          f"{args.batches} batches x {k} keys -> ({k}, {NCOLS}) float32 ({t_all:.1f} s) ==")
    print(f"{'system':<20} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'mean ms':>9}   check")
    for s in range(nsys):
        p50, p95, p99, mean = stats[s]
        ok = f"{checked[s] - bad[s]}/{checked[s]} batches equal to the written values"
        print(f"{systems[s][0]:<20} {p50:9.3f} {p95:9.3f} {p99:9.3f} {mean:9.3f}   {ok}")
    for s, label, note in ((0, "KEYBLOB / blob", "target p95 <= 0.35"), (1, "KEYS / blob", "")):
        r = [stats[s][i] / stats[2][i] for i in range(4)]
        print(f"{label:<20} {r[0]:9.3f} {r[1]:9.3f} {r[2]:9.3f} {r[3]:9.3f}   {note}")
    for s, tag in ((0, "tessera"), (1, "tessera_keys"), (2, "blob")):
        print(f"RESULT py_p50_ms_{tag} {stats[s][0]:.4f}\nRESULT py_p95_ms_{tag} {stats[s][1]:.4f}\n"
              f"RESULT py_p99_ms_{tag} {stats[s][2]:.4f}")
        print(f"RESULT py_check_{tag} {'ok' if bad[s] == 0 else 'FAILED'}")
    print(f"RESULT py_parser {parser.split()[0]}")
    return 0 if not any(bad) else 2


if __name__ == "__main__":
    sys.exit(main())
