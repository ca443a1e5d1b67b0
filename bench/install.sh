#!/usr/bin/env bash
# What `make bench` needs besides the venv, installed only when missing:
#   * uvloop and httptools, the `fast` extra of pyproject.toml, into .venv;
#   * wrk, the load generator, and redis-server, the shared store of the Redis rows: Debian's packages
#     (`apt-get install wrk redis-server`; as root, or through sudo);
#   * Stoplight Prism, the stateless OpenAPI mock to compare with: npm's @stoplight/prism-cli, pinned, into
#     the git-ignored .bench/prism/ (nothing global).
set -euo pipefail
cd "$(dirname "$0")/.."

PRISM_VERSION=5.14.2

# uvloop + httptools (pyproject's `fast` extra): uvicorn uses them, for the mock and the ceiling alike.
if ! .venv/bin/python -c "import uvloop, httptools" >/dev/null 2>&1; then
    echo "bench: installing the 'fast' extra (uvloop, httptools) into .venv"
    .venv/bin/python -m pip install --quiet -e '.[fast]'
fi

apt_install() {  # apt_install COMMAND PACKAGE: the Debian package, when COMMAND is missing
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "bench: installing $2 (Debian package)"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"
    else
        echo "bench: $1 is missing and this user cannot apt-get install it; install the '$2' package" >&2
        exit 1
    fi
}

apt_install wrk wrk
apt_install redis-server redis-server

if [ ! -x .bench/prism/node_modules/.bin/prism ]; then
    command -v npm >/dev/null 2>&1 || { echo "bench: npm (Node 18+) is needed to install Prism" >&2; exit 1; }
    echo "bench: installing @stoplight/prism-cli@${PRISM_VERSION} into .bench/prism"
    mkdir -p .bench/prism
    npm install --prefix .bench/prism --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@${PRISM_VERSION}"
fi
