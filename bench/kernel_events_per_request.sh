#!/usr/bin/env bash
# Kernel events per request of Tessera and Redis under the same pipeline-1 load: system calls
# by kind, context switches, wake-ups and CPU migrations of the server (perf stat on its PID), and
# TCP segments on the machine (nstat). What separates the two servers' CPU per request when
# user-space time does not: how often each enters the kernel and how often it parks.
#
#   bench/kernel_events_per_request.sh [get|set|...]     (default: get)
#   KE_N=300000 requests measured; TESSERA_SERVER=build/tessera-server.
# Each server: start on a free port, fill with 200k SETs, then count over one
# `redis-benchmark -t TEST -c 50 -n N -r 1000000 -d 16` run. Needs perf (linux-perf), nstat
# (iproute2), redis-server and redis-tools, and root or perf_event_paranoid <= 1.
# Stops only the servers it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
test_name="${1:-get}"
n="${KE_N:-300000}"
tessera="${TESSERA_SERVER:-build/tessera-server}"
work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
events='raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_epoll_wait,'
events+='syscalls:sys_enter_read,syscalls:sys_enter_write,sched:sched_switch,sched:sched_wakeup,cpu-migrations'

free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

measure() {  # label port pid
  local label="$1" port="$2" pid="$3"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-benchmark -p "$port" -t set -c 50 -n 200000 -r 1000000 -d 16 -q >/dev/null 2>&1
  nstat -n
  # perf counts the server's PID for exactly as long as the load runs.
  perf stat -x, -e "$events" -p "$pid" -o "$work/$label.perf" -- \
    redis-benchmark -p "$port" -t "$test_name" -c 50 -n "$n" -r 1000000 -d 16 -q >/dev/null 2>&1
  nstat > "$work/$label.nstat"
  echo "== $label: $test_name, $n requests, per request"
  awk -F, -v n="$n" '$1 ~ /^[0-9]+$/ { printf "  %-36s %8.3f\n", $3, $1 / n }' "$work/$label.perf"
  awk -v n="$n" '$1 == "TcpOutSegs" || $1 == "TcpInSegs" { printf "  %-36s %8.3f\n", $1 " (machine)", $2 / n }' \
    "$work/$label.nstat"
}

port="$(free_port)"
"$tessera" --port "$port" --memcached-port 0 >"$work/tessera.log" 2>&1 &
pids+=($!)
measure tessera "$port" "${pids[-1]}"
kill "${pids[-1]}"

port="$(free_port)"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
measure redis "$port" "${pids[-1]}"
kill "${pids[-1]}"
