#!/usr/bin/env bash
# User-space instructions per request of tessera-server under one redis-benchmark load,
# counted by callgrind: a deterministic figure for changes too small to show in CPU time on
# a noisy machine (what a run of bench/compare_redis.py cannot resolve).
#
# The server runs under valgrind with --io-backend epoll (it hangs before listening on
# io_uring under valgrind); the keyspace is filled with SETs with instrumentation off, then
# only the measured run is counted. Prints the total and the top functions per request.
#
#   bench/callgrind_per_request.sh [get|set|...] [BINARY]     (default: get, build/tessera-server)
#   CG_N=100000 requests measured, CG_TOP=15 functions listed.
# Needs valgrind and redis-tools. Stops only the server it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
test_name="${1:-get}"
binary="${2:-build/tessera-server}"
n="${CG_N:-100000}"
top="${CG_TOP:-15}"
work="$(mktemp -d)"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
  "$binary" --port 0 --memcached-port 0 --io-backend epoll >"$work/stdout" 2>"$work/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 600); do
  port="$(awk '/^listening resp/{print $4}' "$work/stdout")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start; see $work/stderr" >&2; exit 1; }
redis-benchmark -p "$port" -t set -c 50 -n 100000 -r 1000000 -d 16 -q >/dev/null 2>&1
callgrind_control -i on "$pid" >/dev/null 2>&1
redis-benchmark -p "$port" -t "$test_name" -c 50 -n "$n" -r 1000000 -d 16 -q >/dev/null 2>&1
callgrind_control -i off "$pid" >/dev/null 2>&1
callgrind_control -d "$pid" >/dev/null 2>&1
dump="$(ls -S "$work"/callgrind.out* | head -1)"
callgrind_annotate --show-percs=no "$dump" 2>/dev/null | awk -v n="$n" -v top="$top" -v t="$test_name" '
  /PROGRAM TOTALS/ { gsub(",", "", $1); printf "%s: %.0f user-space instructions per request\n", t, $1 / n; next }
  /file:function/ { listing = 1; next }
  listing && $1 ~ /^[0-9,]+$/ && shown < top {
    count = $1; gsub(",", "", count); $1 = "";
    printf "%8.1f %s\n", count / n, substr($0, 2, 150); shown++ }'
