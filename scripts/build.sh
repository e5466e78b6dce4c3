#!/usr/bin/env bash
# Builds Tessera. Usage: scripts/build.sh [release|asan|tsan] [ninja targets...]
#   release -> build/       (the server, unit tests, benchmarks)
#   asan    -> build-asan/  (ASan + UBSan)
#   tsan    -> build-tsan/  (TSan)
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-release}
shift || true
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=address -DTESSERA_BUILD_BENCH=OFF) ;;
  tsan) dir=build-tsan; flags=(-DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=thread -DTESSERA_BUILD_BENCH=OFF) ;;
  *) echo "usage: $0 [release|asan|tsan] [targets...]" >&2; exit 2 ;;
esac

jobs=${TESSERA_JOBS:-$(nproc)}
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs" ${1:+--target "$@"}
