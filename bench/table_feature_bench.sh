#!/usr/bin/env bash
# Feature-serving benchmark of issue 4 ("Benchmark"), Tessera vs Redis side by side, one run:
#   1. starts build/tessera-server (--port 0) and two Debian redis-servers on free ports
#      (`--save '' --appendonly no`): one holds the 40-byte blobs, one the hashes, so each
#      layout's memory is measured on its own;
#   2. runs bench/table_feature_bench (C, hiredis): ingestion rows/s, memory per row, and
#      BATCHES batches of 1000 random keys x 10 float32 columns (p50/p95/p99 per batch), then
#      the reads again with Tessera's keys in one KEYBLOB argument;
#   3. runs bench/table_feature_python.py (redis-py + numpy, PY_BATCHES batches) against the
#      same Tessera table and Redis blobs;
#   4. prints the summary against the issue's targets and stops the servers it started, by PID.
#
# Environment (defaults as the issue):
#   ROWS=1000000  BATCHES=2000  PY_BATCHES=500  KEYS=1000  INGEST_BATCH=10000
#   TESSERA_SERVER=build/tessera-server  TESSERA_FLAGS=""  (e.g. "--workers 2")
#   BENCH_BIN=<path to table_feature_bench>  (default: build/bench/table_feature_bench, built
#             with cmake if the build tree has the target, else compiled with cc into a temp dir)
# A full default run takes about 1-2 minutes on the project's 2-core VM (see the end of
# the output for the wall time); ROWS=10000000 needs about 4 GB of RAM for the three servers.
#
# Usage: bench/table_feature_bench.sh            (from anywhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS="${ROWS:-1000000}"
BATCHES="${BATCHES:-2000}"
PY_BATCHES="${PY_BATCHES:-500}"
KEYS="${KEYS:-1000}"
INGEST_BATCH="${INGEST_BATCH:-10000}"
TESSERA_SERVER="${TESSERA_SERVER:-$ROOT/build/tessera-server}"
TESSERA_FLAGS="${TESSERA_FLAGS:-}"
PYTHON=/usr/bin/python3

WORK="$(mktemp -d /tmp/table-feature-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START=$(date +%s)
[[ -x "$TESSERA_SERVER" ]] || { echo "no $TESSERA_SERVER (build it: cmake --build build --target tessera-server)" >&2; exit 1; }

# ---- the C client ----
BIN="${BENCH_BIN:-}"
if [[ -z "$BIN" ]]; then
  BIN="$ROOT/build/bench/table_feature_bench"
  if [[ -f "$ROOT/build/build.ninja" || -f "$ROOT/build/Makefile" ]]; then
    cmake --build "$ROOT/build" --target table_feature_bench >"$WORK/build.log" 2>&1 || true
  fi
  if [[ ! -x "$BIN" || "$BIN" -ot "$ROOT/bench/table_feature_bench.c" ]]; then
    BIN="$WORK/table_feature_bench"
    cc -O2 -std=c11 -Wall $(pkg-config --cflags hiredis) "$ROOT/bench/table_feature_bench.c" -o "$BIN" \
      $(pkg-config --libs hiredis)
  fi
fi

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- servers ----
mkdir -p "$WORK/tessera"
# shellcheck disable=SC2086
(cd "$WORK/tessera" && exec "$TESSERA_SERVER" --port 0 --memcached-port 0 $TESSERA_FLAGS >stdout 2>stderr) &
TPID=$!
PIDS+=("$TPID")
TPORT=""
for _ in $(seq 1 600); do
  TPORT=$(sed -n 's/^listening resp 127\.0\.0\.1 \([0-9]*\)$/\1/p' "$WORK/tessera/stdout" 2>/dev/null | head -1)
  [[ -n "$TPORT" ]] && break
  kill -0 "$TPID" 2>/dev/null || { cat "$WORK/tessera/stderr" >&2; echo "tessera-server exited" >&2; exit 1; }
  sleep 0.05
done
[[ -n "$TPORT" ]] || { echo "tessera-server: no 'listening resp' line" >&2; exit 1; }

start_redis() { # $1 = name; sets RPORT_OUT / RPID_OUT
  local name=$1 port pid
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --logfile "" >stdout 2>stderr) &
    pid=$!
    for _ in $(seq 1 600); do
      kill -0 "$pid" 2>/dev/null || break
      [[ "$(redis-cli -p "$port" PING 2>/dev/null)" == "PONG" ]] && { PIDS+=("$pid"); RPORT_OUT=$port; RPID_OUT=$pid; return 0; }
      sleep 0.05
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "redis-server ($name) did not start" >&2
  cat "$WORK/$name/stdout" >&2
  exit 1
}
start_redis redis-blob; BPORT=$RPORT_OUT; BPID=$RPID_OUT
start_redis redis-hash; HPORT=$RPORT_OUT; HPID=$RPID_OUT

echo "== table feature benchmark: $(head -1 "$WORK/tessera/stdout"), $(redis-server --version | cut -d' ' -f1-3)"
echo "   tessera pid $TPID port $TPORT; redis (blob) pid $BPID port $BPORT; redis (hash) pid $HPID port $HPORT"
echo "   ROWS=$ROWS BATCHES=$BATCHES PY_BATCHES=$PY_BATCHES KEYS=$KEYS INGEST_BATCH=$INGEST_BATCH; $(nproc) cores"

RC=0
"$BIN" --tessera-port "$TPORT" --redis-port "$BPORT" --redis-hash-port "$HPORT" \
  --tessera-pid "$TPID" --redis-pid "$BPID" --redis-hash-pid "$HPID" \
  --rows "$ROWS" --batches "$BATCHES" --keys "$KEYS" --ingest-batch "$INGEST_BATCH" | tee "$WORK/c.out" || RC=$?
# The same reads with the keys packed in one KEYBLOB argument (a run of its own, so that no
# reader warms the caches for another); its RESULT names get a "_kb" suffix.
"$BIN" --tessera-port "$TPORT" --redis-port "$BPORT" --redis-hash-port "$HPORT" \
  --rows "$ROWS" --batches "$BATCHES" --keys "$KEYS" --skip-ingest --keyblob \
  | sed -e 's/^RESULT \(read_[a-z0-9_]*\) /RESULT \1_kb /' -e 's/^RESULT \(check_[a-z]*\) /RESULT \1_kb /' \
  | tee "$WORK/c_kb.out" || RC=$?
"$PYTHON" "$ROOT/bench/table_feature_python.py" --tessera-port "$TPORT" --redis-port "$BPORT" \
  --rows "$ROWS" --batches "$PY_BATCHES" --keys "$KEYS" | tee "$WORK/py.out" || RC=$?

# ---- summary against the issue's targets ----
"$PYTHON" - "$WORK/c.out" "$WORK/c_kb.out" "$WORK/py.out" <<'EOF'
import sys
r = {}
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("RESULT "):
            _, k, v = line.split(None, 2)
            r[k] = v.strip()
def f(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return float("nan")
rows = [
    ("read p95 Tessera / Redis blob (C)", f("read_p95_ms_tessera") / f("read_p95_ms_blob"), "<=", 0.25),
    ("read p95 Tessera / Redis hash (C)", f("read_p95_ms_tessera") / f("read_p95_ms_hash"), "<=", 0.08),
    ("read p95 Tessera KEYBLOB / Redis blob (C)", f("read_p95_ms_tessera_kb") / f("read_p95_ms_blob_kb"), "<=", 0.25),
    ("read p95 Tessera KEYBLOB / Redis hash (C)", f("read_p95_ms_tessera_kb") / f("read_p95_ms_hash_kb"), "<=", 0.08),
    ("Python p95 Tessera KEYBLOB / Redis blob", f("py_p95_ms_tessera") / f("py_p95_ms_blob"), "<=", 0.35),
    ("Python p95 Tessera KEYS / Redis blob (for reference)", f("py_p95_ms_tessera_keys") / f("py_p95_ms_blob"), "<=", 1.0),
    ("memory/row Tessera RSS / Redis blob used_memory", f("mem_rss_b_row_tessera") / f("mem_used_b_row_blob"), "<=", 0.5),
    ("memory/row Tessera TABLE.INFO / Redis blob used_memory", f("mem_tableinfo_b_row_tessera") / f("mem_used_b_row_blob"), "<=", 0.5),
    ("ingestion rows/s Tessera / Redis blob", f("ingest_rows_s_tessera") / f("ingest_rows_s_blob"), ">=", 4.0),
]
print("\n== Summary against the issue's targets ==")
print(f"{'metric':<56} {'ratio':>8} {'target':>8}  verdict")
for name, v, op, t in rows:
    ok = (v <= t) if op == "<=" else (v >= t)
    verdict = "n/a" if v != v else ("met" if ok else "NOT met")
    print(f"{name:<56} {v:8.3f} {op + ' ' + str(t):>8}  {verdict}")
checks = {k: v for k, v in r.items() if "check" in k}
print("correctness: " + ", ".join(f"{k}={v}" for k, v in sorted(checks.items())))
EOF
echo "wall time: $(( $(date +%s) - START )) s; logs in $WORK"
exit $RC
