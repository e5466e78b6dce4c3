#!/usr/bin/env bash
# Run the integration suite (tests/integration) with Debian's python3 and its modules.
#
#   scripts/integration_test.sh                 # against build/tessera-server
#   TESSERA_SERVER=/path/to/tessera-server scripts/integration_test.sh
#   TESSERA_TARGET=redis scripts/integration_test.sh   # validate the tests against redis-server
#   scripts/integration_test.sh -k bad_input -x        # extra args go to pytest
#   scripts/integration_test.sh tests/integration/test_memcached.py   # leading paths: only those
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_SERVER="${TESSERA_SERVER:-$PWD/build/tessera-server}"
case "$TESSERA_SERVER" in /*) ;; *) TESSERA_SERVER="$PWD/$TESSERA_SERVER" ;; esac
if ! /usr/bin/python3 -c 'import pytest, redis' 2>/dev/null; then
  echo "missing python modules: apt-get install -y python3-pytest python3-redis" >&2
  exit 2
fi
paths=()
while [ $# -gt 0 ] && [[ "$1" == tests/integration* ]]; do
  paths+=("$1")
  shift
done
[ ${#paths[@]} -gt 0 ] || paths=(tests/integration)
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "${paths[@]}" "$@"
