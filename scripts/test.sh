#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
#   1. unit tests (Release)            build/       ctest
#   2. unit tests under ASan + UBSan   build-asan/
#   3. runtime (ring/thread) tests under TSan   build-tsan/
#   4. integration tests: the real server driven by redis-cli, redis-py, redis-benchmark
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== release build and unit tests"
scripts/build.sh release
ctest --test-dir build --output-on-failure

echo "== unit tests under ASan+UBSan"
scripts/build.sh asan unit_core unit_protocol unit_engine unit_runtime unit_server
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure

echo "== runtime unit tests under TSan"
scripts/build.sh tsan unit_runtime
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/unit_runtime

echo "== integration tests"
scripts/integration_test.sh
