#!/usr/bin/env bash
# Runs the same redis-benchmark loads (bench/compare_redis.py, Tessera only) for several
# thread topologies and I/O backends, to choose the default from data. Redis runs once as
# the reference. BENCH_N etc. pass through (see compare_redis.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_N=${BENCH_N:-1000000}
BENCH_ONLY=redis /usr/bin/python3 bench/compare_redis.py | grep -E '^(set|get) '
for flags in \
  "--io-backend io_uring" \
  "--io-backend epoll" \
  "--io-backend io_uring --parsers 2 --workers 2 --repliers 2" \
  "--io-backend io_uring --thread-layout dedicated --parsers 1 --workers 1 --repliers 1" \
  "--io-backend io_uring --spin-polls 50"; do
  echo "== $flags"
  TESSERA_FLAGS="$flags" BENCH_ONLY=tessera /usr/bin/python3 bench/compare_redis.py | grep -E '^(set|get) '
done
