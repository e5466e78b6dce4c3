#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts tessera-server with its
# embedded defaults (RESP on 127.0.0.1:6379). Extra arguments go to the server, e.g.
#   scripts/run.sh --port 7000 --workers 2
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release tessera-server
exec build/tessera-server "$@"
