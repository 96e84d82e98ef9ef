#!/usr/bin/env bash
# Sets up and runs the bot locally on the embedded store, without authentication.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ALLOW_ANONYMOUS="${ALLOW_ANONYMOUS:-1}"
export PORT="${PORT:-3978}"
cat <<MSG
Bot starting on http://127.0.0.1:${PORT}/api/messages (embedded store in ${DATA_DIR:-./.data}).
Talk to it in the Microsoft 365 Agents Playground, from another terminal:
    bash scripts/playground.sh
MSG
exec .venv/bin/python -m bot
