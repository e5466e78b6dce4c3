#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
#   1. unit tests (Release)            build/       ctest
#   2. unit tests under ASan + UBSan   build-asan/
#   3. runtime (ring/thread) tests under TSan   build-tsan/
#   4. integration tests: the real server driven by redis-cli, redis-py, redis-benchmark
#   5. the same integration tests against the server built with ASan + UBSan, which aborts on
#      the first report (a bad input that only reads out of bounds passes in Release)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== release build and unit tests"
scripts/build.sh release
ctest --test-dir build --output-on-failure

echo "== unit tests under ASan+UBSan"
scripts/build.sh asan unit_core unit_protocol unit_engine unit_runtime unit_server tessera-server
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure

echo "== runtime unit tests under TSan"
scripts/build.sh tsan unit_runtime
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/unit_runtime

echo "== integration tests"
scripts/integration_test.sh

echo "== integration tests against the ASan+UBSan server"
# Leaks are checked by the unit tests; here a sanitizer report stops the server, so the
# tests talking to it fail and the module's liveness check prints its stderr.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TESSERA_SERVER=build-asan/tessera-server scripts/integration_test.sh
