#!/usr/bin/env bash
# Set up and run the whole test suite: the README's test command, and what .ci/run calls.
# Installs Debian's chromium for the handoff-page browser test when it can (root); pytest args pass through.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium for the browser test (apt-get)..."
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium is not installed and cannot be installed here; the browser test will skip" >&2
    fi
fi

[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
exec .venv/bin/python -m pytest "$@"
