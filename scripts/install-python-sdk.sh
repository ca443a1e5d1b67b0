#!/usr/bin/env bash
# Install the real Python SDK (conductor-python 2.0.0) into its own virtual environment in the
# git-ignored folder .sdk/py of the repository, for tests/sdk/test_python_sdk.py.
# A separate venv keeps the SDK's pinned dependencies (httpx, requests, ...) away from the mock's .venv.
# Idempotent: does nothing when that exact version is already installed there.
set -euo pipefail

SDK_NAME="conductor-python"
SDK_VERSION="2.0.0"
PYTHON="${PYTHON:-python3}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo_root}/.sdk/py"
py="${venv}/bin/python"

installed_version() {
    "${py}" -c 'import importlib.metadata as m; print(m.version("conductor-python"))' 2>/dev/null || true
}

if [[ -x "${py}" ]]; then
    installed="$(installed_version)"
    if [[ "${installed}" == "${SDK_VERSION}" ]] && "${py}" -c 'import conductor.client' 2>/dev/null; then
        echo "install-python-sdk: ${SDK_NAME}==${SDK_VERSION} already installed in ${venv}"
        exit 0
    fi
    echo "install-python-sdk: found ${SDK_NAME} ${installed:-not installed} in ${venv}; installing ${SDK_VERSION}"
else
    if ! command -v "${PYTHON}" >/dev/null 2>&1; then
        echo "install-python-sdk: ${PYTHON} not found; install Python 3.11+ first (or set PYTHON=...)" >&2
        exit 1
    fi
    mkdir -p "$(dirname "${venv}")"
    "${PYTHON}" -m venv "${venv}"
fi

"${py}" -m pip install --quiet --disable-pip-version-check "${SDK_NAME}==${SDK_VERSION}"
"${py}" -c 'import conductor.client' >/dev/null
echo "install-python-sdk: installed ${SDK_NAME}==$(installed_version) in ${venv}"
