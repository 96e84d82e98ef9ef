#!/usr/bin/env bash
# Sets up and runs the bot locally on the embedded store, without authentication.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ALLOW_ANONYMOUS="${ALLOW_ANONYMOUS:-1}"
export PORT="${PORT:-3978}"
export HOST="${HOST:-127.0.0.1}"  # anonymous mode: no other machine may reach it
export PM_AAD_IDS="${PM_AAD_IDS-00000000-0000-0000-0000-0000000000020}"  # the Agents Playground's user is a PM
cat <<MSG
Bot starting on http://${HOST}:${PORT}/api/messages (embedded store in ${DATA_DIR:-./.data}).
Talk to it in the Microsoft 365 Agents Playground, from another terminal:
    bash scripts/playground.sh
A sample project to click through:   ALLOW_ANONYMOUS=1 .venv/bin/python -m bot demo
Walkthrough: docs/first-run.md
MSG
exec .venv/bin/python -m bot
