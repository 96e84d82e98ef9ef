#!/usr/bin/env bash
# Installs what the bot (and, with --dev, its tests) need. Safe to run again: each step
# skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# From the lock files only, every file checked against its hash (scripts/lock.sh writes them).
pip_install() { "$1" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$2"; }
if [ "$dev" = 1 ]; then
  pip_install .venv/bin/python requirements-dev.lock
  # checkov pins libraries that clash with pytest's: it lives in its own environment.
  if [ ! -x .venv-checkov/bin/checkov ]; then
    "$python" -m venv .venv-checkov
  fi
  pip_install .venv-checkov/bin/python requirements-checkov.lock
  command -v node >/dev/null 2>&1 || { echo "Node.js 20 is required for the tests (npm packages)" >&2; exit 1; }
  npm install --no-audit --no-fund --loglevel=error
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
else
  pip_install .venv/bin/python requirements.lock
fi
