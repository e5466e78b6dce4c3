#!/usr/bin/env bash
# Installs the Debian packages Tessera builds, tests and benchmarks with (only the missing
# ones; apt-get update runs first whenever something must be installed).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  liburing-dev libssl-dev libfmt-dev libsimdjson-dev libxxhash-dev
  doctest-dev libbenchmark-dev libhiredis-dev
  redis-server redis-tools memcached libmemcached-tools
  python3-redis python3-hiredis python3-pymemcache python3-numpy python3-pandas python3-pytest
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
