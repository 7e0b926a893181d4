#!/usr/bin/env bash
# Set up and run the whole test suite: the README's test command, and what .ci/run calls.
# Installs Debian's chromium (the handoff-page browser test) and postgresql (the store's server backend; the
# tests start a throwaway server of their own) when they are missing and it can (root); pytest args pass through.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Debian keeps initdb and pg_ctl under /usr/lib/postgresql/<version>/bin, off PATH
if ! command -v pg_ctl >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} for the tests (apt-get)..."
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "warning: ${missing[*]} not installed and cannot be installed here; the tests needing them will skip" >&2
    fi
fi

[ -x .venv/bin/python ] || python3.11 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
exec .venv/bin/python -m pytest "$@"
