#!/usr/bin/env bash
# Sets up everything the tests need (Python, npm and Debian packages), then runs lint,
# type checks and the whole test suite, Cosmos DB and end-to-end tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check bot cards dialogs tests deploy
.venv/bin/mypy bot cards dialogs
.venv/bin/python -m pytest -p no:cacheprovider "$@"
