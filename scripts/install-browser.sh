#!/usr/bin/env bash
# Debian's chromium for the browser tests (tests/control/ui): Playwright drives it with
# executable_path=/usr/bin/chromium, because the browser Playwright downloads by itself is not reachable here.
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
