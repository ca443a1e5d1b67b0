#!/usr/bin/env bash
# Debian's redis-server for the tests of the shared store (tests/replica and the Redis half of every suite): the
# fixtures start it themselves, on a free loopback port, and stop it. Valkey's valkey-server does as well.
# Idempotent: does nothing when one is already installed.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 || command -v valkey-server >/dev/null 2>&1; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends redis-server
# the package starts a system-wide server on port 6379; the tests do not use it (they start their own)
