#!/usr/bin/env bash
# Starts the Microsoft 365 Agents Playground (a Teams-like web client) against the bot running
# on this machine (`bash scripts/run-bot.sh` in another terminal) and opens it in the browser.
#
# - Mock tenant: tests/e2e/.m365agentsplayground.yml (you are Alex Wilber, the PM; the same
#   people as `python -m bot demo` and the end-to-end tests).
# - Telemetry off; the Playground's own network calls go to a dead proxy; it listens on
#   127.0.0.1 only (tests/e2e/loopback.cjs).
# - Installs the npm package (package.json pins it) when node_modules lacks it.
#
# Environment: PORT (the bot's, 3978), PLAYGROUND_PORT (56150; a busy port is replaced by a free
# one), PLAYGROUND_BROWSER=none to not open a browser, BROWSER to choose one.
# Stop with Ctrl+C. Its log: devTools/m365agentsplayground.log.
set -euo pipefail
cd "$(dirname "$0")/.."

bot_port="${PORT:-3978}"
playground_port="${PLAYGROUND_PORT:-56150}"
endpoint="http://127.0.0.1:${bot_port}/api/messages"
cli=node_modules/@microsoft/m365agentsplayground/cli.js
config="$PWD/tests/e2e/.m365agentsplayground.yml"
log_file="$PWD/devTools/m365agentsplayground.log"

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20 or newer is required (Debian: apt-get install nodejs npm)." >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is required, found $(node --version)." >&2
  exit 1
fi
if [ ! -f "$cli" ]; then
  echo "Installing the Agents Playground (npm, versions pinned in package-lock.json)..."
  npm install --no-audit --no-fund --loglevel=error
fi

if ! node -e "fetch('http://127.0.0.1:${bot_port}/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
  cat >&2 <<MSG
The bot is not answering on http://127.0.0.1:${bot_port}. Start it first, in another terminal:
    bash scripts/run-bot.sh
then run this again.
MSG
  exit 1
fi

mkdir -p devTools
output="$(mktemp)"
dead_proxy="http://127.0.0.1:9"
env TEAMSAPPTESTER_BROWSER=none APPLICATION_INSIGHTS_NO_STATSBEAT=1 \
    M365_AGENTS_PLAYGROUND_CONFIG_PATH="$config" M365_AGENTS_PLAYGROUND_LOGFILE="$log_file" \
    http_proxy="$dead_proxy" https_proxy="$dead_proxy" HTTP_PROXY="$dead_proxy" HTTPS_PROXY="$dead_proxy" \
    no_proxy="127.0.0.1,localhost,::1" NO_PROXY="127.0.0.1,localhost,::1" \
    node -r ./tests/e2e/loopback.cjs "$cli" --disable-telemetry -p "$playground_port" -e "$endpoint" -c msteams \
    >"$output" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$output"' EXIT INT TERM

port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/^Listening on \([0-9]*\).*/\1/p' "$output" | head -n 1)"
  [ -n "$port" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
sleep 0.5
if [ -z "$port" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "The Agents Playground did not start. Its output and log:" >&2
  cat "$output" >&2
  tail -n 30 "$log_file" >&2 2>/dev/null || true
  exit 1
fi

url="http://localhost:${port}"
cat <<MSG
Agents Playground: ${url}  (talking to the bot at ${endpoint})
You are Alex Wilber, a PM. Next steps: docs/first-run.md. Ctrl+C stops the Playground.
MSG
if [ "${PLAYGROUND_BROWSER:-}" != "none" ]; then
  if [ -n "${BROWSER:-}" ]; then
    "$BROWSER" "$url" >/dev/null 2>&1 &
  elif command -v xdg-open >/dev/null 2>&1 && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    xdg-open "$url" >/dev/null 2>&1 &
  elif command -v open >/dev/null 2>&1 && [ "$(uname)" = Darwin ]; then
    open "$url"
  else
    echo "(No browser found to open: open ${url} yourself.)"
  fi
fi
wait "$pid"
