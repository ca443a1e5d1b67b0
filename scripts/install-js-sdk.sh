#!/usr/bin/env bash
# Install the real JavaScript SDK (@io-orkes/conductor-javascript 4.0.0) into the
# git-ignored folder .sdk/js of the repository, for tests/sdk/test_js_sdk.py.
# Idempotent: does nothing when that exact version is already installed.
set -euo pipefail

SDK_NAME="@io-orkes/conductor-javascript"
SDK_VERSION="4.0.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${repo_root}/.sdk/js"
pkg_json="${prefix}/node_modules/${SDK_NAME}/package.json"

if ! command -v npm >/dev/null 2>&1; then
    echo "install-js-sdk: npm not found; install Node.js 20+ (with npm) first" >&2
    exit 1
fi

if [[ -f "${pkg_json}" ]]; then
    installed="$(node -p "require(process.argv[1]).version" "${pkg_json}" 2>/dev/null || true)"
    # The published 4.0.0 package.json spells its version "v4.0.0": accept both.
    if [[ "${installed#v}" == "${SDK_VERSION}" ]]; then
        echo "install-js-sdk: ${SDK_NAME}@${SDK_VERSION} already installed in ${prefix}"
        exit 0
    fi
    echo "install-js-sdk: found ${SDK_NAME}@${installed:-unknown} in ${prefix}; installing ${SDK_VERSION}"
fi

mkdir -p "${prefix}"
npm install --prefix "${prefix}" --no-audit --no-fund --legacy-peer-deps "${SDK_NAME}@${SDK_VERSION}"
echo "install-js-sdk: installed ${SDK_NAME}@${SDK_VERSION} in ${prefix}"
