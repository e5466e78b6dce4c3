#!/usr/bin/env bash
# A/B of TABLE.MGET read cost between Tessera builds (or flag sets), side by side in one run:
# the tool behind the read-path choices of the tables issue (column_table.cc, RowKeys), where
# two separate runs of bench/table_feature_bench.sh differ by more than the change measured.
#
#   1. starts two Debian redis-servers (blob and hash layouts) and one tessera-server per
#      argument ("PATH [flags...]"), each on a free port;
#   2. ingests the 1M-row x 10 float32 table into each with build/bench/table_feature_bench;
#   3. runs ROUNDS rounds; in each, every server in turn serves BATCHES batches of 1000 random
#      keys (the same keys for all) and the script prints the server's CPU per batch (from
#      /proc/PID/stat, user + system, including the warm-up batches) and the client's p50/p95
#      for Tessera and for Redis blob, measured in the same loop (which also reads the hashes);
#   4. prints the median of the rounds per server and stops what it started, by PID.
#
# Usage: bench/table_read_ab.sh build/tessera-server /tmp/other-tessera-server
#        bench/table_read_ab.sh build/tessera-server "build/tessera-server --workers 2"
# Environment: ROWS=1000000 BATCHES=600 ROUNDS=4 FORM=keys (or keyblob: TABLE.MGET ... KEYBLOB)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS="${ROWS:-1000000}"
BATCHES="${BATCHES:-600}"
ROUNDS="${ROUNDS:-4}"
FORM="${FORM:-keys}"
case "$FORM" in keys) FORM_FLAG=() ;; keyblob) FORM_FLAG=(--keyblob) ;; *) echo "FORM: keys or keyblob" >&2; exit 2 ;; esac
WARMUP=50  # table_feature_bench's default warm-up batches, also served by the server
BIN="$ROOT/build/bench/table_feature_bench"
PYTHON=/usr/bin/python3
[[ $# -ge 1 ]] || { sed -n 2,17p "$0" >&2; exit 2; }
[[ -x "$BIN" ]] || cmake --build "$ROOT/build" --target table_feature_bench >/dev/null

WORK="$(mktemp -d /tmp/table-read-ab.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS_PER_S=$(getconf CLK_TCK)

start_redis() {  # $1 = name; sets REDIS_PORT (not in a subshell: PIDS must keep the pid)
  local port
  port=$(free_port)
  (cd "$WORK" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$1.log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 200); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.05; done
  REDIS_PORT=$port
}
# Blob and hash layouts in separate instances, as bench/table_feature_bench.sh runs them.
start_redis redis-blob; RPORT=$REDIS_PORT
start_redis redis-hash; HPORT=$REDIS_PORT

SPECS=("$@")
NAMES=() TPORTS=() TPIDS=()
for i in "${!SPECS[@]}"; do
  spec="${SPECS[$i]}"
  mkdir -p "$WORK/t$i"
  # shellcheck disable=SC2086
  exec $spec --port 0 --memcached-port 0 >"$WORK/t$i/stdout" 2>"$WORK/t$i/stderr" &
  TPIDS+=($!); PIDS+=($!); NAMES+=("$spec")
  port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening resp 127\.0\.0\.1 \([0-9]*\)$/\1/p' "$WORK/t$i/stdout" 2>/dev/null | head -1)
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  [[ -n "$port" ]] || { cat "$WORK/t$i/stderr" >&2; echo "no port from: $spec" >&2; exit 1; }
  TPORTS+=("$port")
  "$BIN" --tessera-port "$port" --redis-port "$RPORT" --redis-hash-port "$HPORT" --rows "$ROWS" --batches 10 >/dev/null
done

echo "== TABLE.MGET ($FORM) A/B: $ROUNDS rounds x $BATCHES batches of 1000 keys x 10 float32, $ROWS rows, $(nproc) cores"
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!TPORTS[@]}"; do
    before=$(cpu_ticks "${TPIDS[$i]}")
    out=$("$BIN" --tessera-port "${TPORTS[$i]}" --redis-port "$RPORT" --redis-hash-port "$HPORT" --rows "$ROWS" --batches "$BATCHES" --skip-ingest "${FORM_FLAG[@]}")
    after=$(cpu_ticks "${TPIDS[$i]}")
    us=$(( (after - before) * 1000000 / TICKS_PER_S / (BATCHES + WARMUP) ))
    tp50=$(awk '/^RESULT read_p50_ms_tessera /{print $3}' <<<"$out")
    tp95=$(awk '/^RESULT read_p95_ms_tessera /{print $3}' <<<"$out")
    rp95=$(awk '/^RESULT read_p95_ms_blob /{print $3}' <<<"$out")
    echo "round $round server $i: cpu_us_per_batch $us p50_ms $tp50 p95_ms $tp95 redis_blob_p95_ms $rp95" \
         "p95_ratio $(awk -v a="$tp95" -v b="$rp95" 'BEGIN{printf "%.3f", a / b}')" | tee -a "$WORK/rounds"
  done
done
echo "== medians over rounds"
for i in "${!NAMES[@]}"; do
  "$PYTHON" - "$WORK/rounds" "$i" "${NAMES[$i]}" <<'EOF'
import statistics, sys
path, idx, name = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.split() for l in open(path) if l.split()[3] == idx + ":"]
col = lambda key: statistics.median(float(r[r.index(key) + 1]) for r in rows)
print(f"server {idx} ({name}): cpu_us_per_batch {col('cpu_us_per_batch'):.0f}  p50_ms {col('p50_ms'):.3f}"
      f"  p95_ms {col('p95_ms'):.3f}  p95/redis_blob_p95 {col('p95_ratio'):.3f}")
EOF
done
